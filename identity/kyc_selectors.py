"""Reads of KYC credentials and trusted KYC issuers, scoped to what the user may see.

Who sees what (docs/kyc.md): a KYC provider's compliance officers see their own provider's
credentials with the attributes; regulators (and platform superusers) see every credential
with the attributes; operators see every credential without the attributes; a broker's
users see the status (not the attributes) of the credentials of their own organisation's and
their client accounts' chain accounts. Anyone else sees none (an unseen one is 404).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet

from chain.node.client import contract_abi
from common.exceptions import NotFoundError
from identity.filters import KycCredentialFilter
from identity.hooks import get_security_tokens
from identity.models import KycCredential, TrustedKycIssuer, User
from identity.roles import BROKER_ROLES, OrganisationKind, Role
from identity.selectors import apply_filters, scope_to_organisation, user_sees_all_organisations
from ledger.chain import get_claims_on_chain
from ledger.models import ChainAccount


def is_kyc_officer(*, user: User) -> bool:
    """A compliance officer of a KYC provider organisation."""
    organisation = user.organisation
    return (
        organisation is not None
        and organisation.kind == OrganisationKind.KYC_PROVIDER
        and user.has_role(Role.COMPLIANCE_OFFICER)
    )


def kyc_credential_list(*, user: User, filters: dict[str, Any] | None = None) -> QuerySet[KycCredential]:
    """The credentials ``user`` may see (module docstring), newest first; ``filters`` as
    ``KycCredentialFilter`` (invalid values raise ``ValidationError``)."""
    queryset = KycCredential.objects.select_related(
        "provider", "subject__organisation", "subject__client_account__broker"
    )
    if user_sees_all_organisations(user=user):
        pass
    elif is_kyc_officer(user=user):
        queryset = queryset.filter(provider_id=user.organisation_id)
    elif user.organisation_id is not None and user.has_role(*BROKER_ROLES):
        queryset = queryset.filter(
            Q(subject__organisation_id=user.organisation_id)
            | Q(subject__client_account__broker_id=user.organisation_id)
        )
    else:
        queryset = queryset.none()
    return apply_filters(KycCredentialFilter, queryset, filters)


def kyc_credential_get(*, user: User, credential_id: uuid.UUID) -> KycCredential:
    """One credential ``user`` may see; ``NotFoundError`` otherwise."""
    try:
        return kyc_credential_list(user=user).get(pk=credential_id)
    except KycCredential.DoesNotExist as exc:
        raise NotFoundError("KYC credential not found.") from exc


def kyc_attributes_visible(*, user: User, credential: KycCredential) -> bool:
    """Whether ``user`` may read the credential's personal attributes: its provider's
    compliance officers, regulators and platform superusers."""
    if user.is_superuser or user.has_role(Role.REGULATOR):
        return True
    return is_kyc_officer(user=user) and user.organisation_id == credential.provider_id


def chain_account_label(account: ChainAccount) -> str:
    """``Legal name`` of an organisation's account, ``Client (reference, broker)`` of a
    client account's."""
    if account.organisation is not None:
        return account.organisation.legal_name
    client = account.client_account
    if client is None:
        return account.public_key
    return f"{client.name} ({client.account_reference}, {client.broker.legal_name})"


def kyc_subject_choices() -> list[tuple[str, str]]:
    """(public key, label) of every chain account a KYC provider may onboard: organisations'
    (not an operator's, a regulator's or a KYC provider's) and client accounts'."""
    accounts = (
        ChainAccount.objects.select_related("organisation", "client_account__broker")
        .exclude(
            organisation__kind__in=[
                OrganisationKind.OPERATOR,
                OrganisationKind.REGULATOR,
                OrganisationKind.KYC_PROVIDER,
            ]
        )
        .order_by("organisation__legal_name", "client_account__name")
    )
    return [(a.public_key, chain_account_label(a)) for a in accounts]


@dataclass(frozen=True)
class AffectedHolding:
    """One holding of a credential's subject: an instrument (security token) it holds at the
    indexer's cursor; ``units`` in token base units, ``quantity`` in the instrument's
    currency (units × the token unit)."""

    instrument_id: uuid.UUID
    isin: str
    name: str
    units: int
    quantity: Decimal
    last_height: int


def kyc_subject_holdings(*, subject: ChainAccount) -> list[AffectedHolding]:
    """The subject's current holdings per instrument, from ledger's ``TokenHolding`` read
    model (Final blocks) joined to the instruments by contract id (issuance's answer,
    ``identity.hooks.get_security_tokens``); cash is left out."""
    from ledger.models import TokenHolding

    holdings = list(TokenHolding.objects.filter(holder=subject.address.hex(), balance__gt=0))
    tokens = get_security_tokens()([h.contract for h in holdings])
    rows = []
    for holding in holdings:
        token = tokens.get(holding.contract)
        if token is None:
            continue
        units = int(holding.balance)
        rows.append(
            AffectedHolding(
                token.instrument_id,
                token.isin,
                token.name,
                units,
                units * token.token_unit,
                holding.last_height,
            )
        )
    rows.sort(key=lambda r: (r.isin, r.instrument_id))
    return rows


def kyc_credential_holdings(*, user: User, credential_id: uuid.UUID) -> list[AffectedHolding]:
    """The holdings affected if the credential's claims lapse (404 if not visible)."""
    credential = kyc_credential_get(user=user, credential_id=credential_id)
    return kyc_subject_holdings(subject=credential.subject)


@dataclass(frozen=True)
class ClaimOnChain:
    """A valid claim of the subject as the identity registry answers ``claims_of``."""

    topic: int
    topic_name: str
    issuer_public_key: str
    issuer_name: str
    value: int
    value_label: str
    expiry: int
    """Unix seconds."""

    @property
    def expires_at(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.expiry, tz=dt.UTC)


def _value_label(topic: int, value: int) -> str:
    if topic == contract_abi.ClaimTopic.JURISDICTION:
        return value.to_bytes(2, "little").decode("ascii", "replace")
    if topic == contract_abi.ClaimTopic.INVESTOR_CATEGORY:
        try:
            return contract_abi.InvestorCategory(value).name.lower()
        except ValueError:
            return str(value)
    return str(value)


def kyc_credential_claims_on_chain(*, user: User, credential_id: uuid.UUID) -> list[ClaimOnChain]:
    """The subject's valid claims on chain now (every issuer's), from a node. Raises
    ``NotFoundError`` if not visible, ``ChainUnavailable`` if no node answers."""
    credential = kyc_credential_get(user=user, credential_id=credential_id)
    claims = get_claims_on_chain([credential.subject.address])[credential.subject.address]
    keys = {"0x" + c.issuer.hex() for c in claims}
    names = {
        a.public_key: chain_account_label(a)
        for a in ChainAccount.objects.filter(public_key__in=keys).select_related(
            "organisation", "client_account__broker"
        )
    }
    rows = []
    for claim in claims:
        key = "0x" + claim.issuer.hex()
        try:
            topic_name = contract_abi.ClaimTopic(claim.topic).name.lower()
        except ValueError:
            topic_name = str(claim.topic)
        rows.append(
            ClaimOnChain(
                claim.topic,
                topic_name,
                key,
                names.get(key, "unknown issuer"),
                claim.value,
                _value_label(claim.topic, claim.value),
                claim.expiry,
            )
        )
    return rows


def kyc_provider_is_trusted(*, provider_id: uuid.UUID) -> bool:
    """Whether the provider is a trusted issuer now (its registration Final, not removed)."""
    return TrustedKycIssuer.objects.filter(
        organisation_id=provider_id,
        status__in=[TrustedKycIssuer.Status.TRUSTED, TrustedKycIssuer.Status.REMOVING],
    ).exists()


def trusted_kyc_issuer_list(*, user: User) -> QuerySet[TrustedKycIssuer]:
    """Trusted-issuer registrations: all for operators and regulators, a provider's own for
    its users."""
    return scope_to_organisation(
        TrustedKycIssuer.objects.select_related("organisation", "registered_by"),
        user=user,
        field="organisation",
    )


def trusted_kyc_issuer_get(*, user: User, trusted_issuer_id: uuid.UUID) -> TrustedKycIssuer:
    try:
        return trusted_kyc_issuer_list(user=user).get(pk=trusted_issuer_id)
    except TrustedKycIssuer.DoesNotExist as exc:
        raise NotFoundError("Trusted issuer not found.") from exc
