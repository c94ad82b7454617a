"""Writes of KYC credentials and trusted KYC issuers (docs/kyc.md). Each change is audited.

A KYC provider's compliance officers onboard investors: the attributes stay in the database,
encrypted field by field (``common.encryption``); the chain gets claims through the
genesis identity registry (docs/contracts.md): a topic, a value, an expiry and an evidence
hash (``identity.kyc_hashing``), nothing else. Every chain write goes through the outbox;
the outcome handlers at the end of this module set the statuses when the block is Final.

Claims that stop counting (expiry, revocation, erasure, an issuer no longer trusted) are
announced with ``identity.signals.kyc_claims_lapsed`` inside the recording transaction.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django_countries import countries

from chain.node.client import contract_abi
from common.exceptions import ConflictError, InvalidInput, NotFoundError, PermissionDeniedError
from common.models import IdempotencyRecord
from common.services import audit_entry_create
from identity import kyc_hashing
from identity.kyc_selectors import kyc_credential_get, trusted_kyc_issuer_get
from identity.models import KycCredential, Organisation, TrustedKycIssuer, User
from identity.roles import OrganisationKind, Role
from identity.selectors import operator_chain_account
from identity.services import check_operator
from identity.signals import kyc_claims_lapsed
from ledger.models import ChainAccount, ChainSubmission
from ledger.outbox import chain_call_enqueue

ClaimTopic = contract_abi.ClaimTopic
Status = KycCredential.Status
TrustStatus = TrustedKycIssuer.Status

REGISTRY = "genesis:identity_registry"
TRUST_ADD_KIND = "kyc.trusted_issuer.add"
TRUST_REMOVE_KIND = "kyc.trusted_issuer.remove"
CLAIM_ADD_KIND = "kyc.claim.add"
CLAIM_REVOKE_KIND = "kyc.claim.revoke"

#: Every topic a KYC provider is trusted for by default.
ALL_TOPICS_MASK = sum(1 << int(t) for t in ClaimTopic)
#: Longest validity of a credential (the provider renews it before then).
MAX_VALIDITY = dt.timedelta(days=5 * 366)
#: Longest category evidence text, characters.
MAX_EVIDENCE_CHARS = 20_000

_CATEGORY_VALUES = {
    KycCredential.InvestorCategory.RETAIL: contract_abi.InvestorCategory.RETAIL,
    KycCredential.InvestorCategory.PROFESSIONAL: contract_abi.InvestorCategory.PROFESSIONAL,
    KycCredential.InvestorCategory.ELIGIBLE_COUNTERPARTY: contract_abi.InvestorCategory.ELIGIBLE_COUNTERPARTY,
}


# -- permissions ----------------------------------------------------------------------------
def check_kyc_officer(*, actor: User) -> Organisation:
    """The actor's KYC provider organisation; ``PermissionDeniedError`` unless the actor is a
    compliance officer of a KYC provider organisation."""
    organisation = actor.organisation
    if (
        organisation is None
        or organisation.kind != OrganisationKind.KYC_PROVIDER
        or not actor.has_role(Role.COMPLIANCE_OFFICER)
    ):
        raise PermissionDeniedError("Only a KYC provider's compliance officers may do this.")
    return organisation


def _check_own_credential(*, actor: User, credential_id: uuid.UUID) -> KycCredential:
    """The credential, locked; 404 if the actor may not see it, 403 unless the actor is a
    compliance officer of its provider."""
    credential = kyc_credential_get(user=actor, credential_id=credential_id)
    provider = check_kyc_officer(actor=actor)
    if credential.provider_id != provider.pk:
        raise PermissionDeniedError("Only the provider that issued a credential may change it.")
    return (
        KycCredential.objects.select_for_update(of=("self",))
        .select_related("subject", "provider")
        .get(pk=credential.pk)
    )


# -- trusted issuers ------------------------------------------------------------------------
def _registry_admin() -> ChainAccount:
    """The identity registry's admin: the oldest operator organisation's chain account (the
    one ``devnet_init`` makes the genesis ``operator``)."""
    account = operator_chain_account()
    if account is None:
        raise InvalidInput("No operator organisation has a chain account.", code="no_registry_admin")
    return account


def _topics_mask(topics: Iterable[int]) -> int:
    mask = 0
    for topic in topics:
        try:
            mask |= 1 << int(ClaimTopic(int(topic)))
        except ValueError as exc:
            raise InvalidInput(
                f"{topic} is not a claim topic "
                "(1 kyc_verified, 2 jurisdiction, 3 investor_category, 4 accredited).",
                code="invalid_topic",
            ) from exc
    if not mask:
        raise InvalidInput("Name at least one claim topic.", code="invalid_topic")
    return mask


def trusted_kyc_issuer_enqueue(
    *, organisation: Organisation, topics_mask: int, actor: User | None
) -> TrustedKycIssuer:
    """Record ``organisation`` as a trusted issuer (``pending``) and queue
    ``add_trusted_issuer(key[48] ‖ topics:u32)`` from the registry admin's account. No
    permission check: the operator's service and ``seed_demo`` call it. Raises
    ``InvalidInput`` (``not_kyc_provider``, ``no_chain_account``, ``no_registry_admin``) or
    ``ConflictError`` (``already_trusted``)."""
    if organisation.kind != OrganisationKind.KYC_PROVIDER:
        raise InvalidInput(f"{organisation.legal_name} is not a KYC provider.", code="not_kyc_provider")
    account = ChainAccount.objects.filter(organisation=organisation).first()
    if account is None:
        raise InvalidInput(f"{organisation.legal_name} has no chain account.", code="no_chain_account")
    if (
        TrustedKycIssuer.objects.select_for_update()
        .filter(
            organisation=organisation,
            status__in=[TrustStatus.PENDING, TrustStatus.TRUSTED, TrustStatus.REMOVING],
        )
        .exists()
    ):
        raise ConflictError(f"{organisation.legal_name} is already a trusted issuer.", code="already_trusted")
    admin = _registry_admin()
    trusted = TrustedKycIssuer.objects.create(
        organisation=organisation, topics=topics_mask, registered_by=actor
    )
    chain_call_enqueue(
        organisation=admin,
        kind=TRUST_ADD_KIND,
        contract=REGISTRY,
        fn_name="add_trusted_issuer",
        fn_args=bytes.fromhex(account.public_key.removeprefix("0x")) + topics_mask.to_bytes(4, "little"),
        subject=trusted,
    )
    audit_entry_create(
        actor=actor,
        action="kyc_trusted_issuer.register",
        obj=trusted,
        organisation=organisation,
        changes={"topics": topics_mask, "public_key": account.public_key, "status": trusted.status},
    )
    return trusted


@transaction.atomic
def trusted_kyc_issuer_register(
    *, actor: User, organisation_id: uuid.UUID, topics: Iterable[int] | None = None
) -> TrustedKycIssuer:
    """The operator trusts a KYC provider for ``topics`` (``ClaimTopic`` values; all four if
    ``None``). ``pending`` until Final. Errors: 403 unless operator; 404 for an unknown
    organisation; ``InvalidInput`` / ``ConflictError`` as :func:`trusted_kyc_issuer_enqueue`."""
    check_operator(actor=actor)
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    if organisation is None:
        raise NotFoundError("Organisation not found.")
    mask = ALL_TOPICS_MASK if topics is None else _topics_mask(topics)
    return trusted_kyc_issuer_enqueue(organisation=organisation, topics_mask=mask, actor=actor)


@transaction.atomic
def trusted_kyc_issuer_remove(*, actor: User, trusted_issuer_id: uuid.UUID) -> TrustedKycIssuer:
    """The operator stops trusting a KYC provider (``remove_trusted_issuer``): its claims stop
    counting once Final, when ``kyc_claims_lapsed`` (``issuer_untrusted``) is sent for its
    credentials' subjects. ``ConflictError`` (``not_trusted``) unless it is ``trusted``."""
    check_operator(actor=actor)
    trusted = trusted_kyc_issuer_get(user=actor, trusted_issuer_id=trusted_issuer_id)
    trusted = (
        TrustedKycIssuer.objects.select_for_update(of=("self",))
        .select_related("organisation")
        .get(pk=trusted.pk)
    )
    if trusted.status != TrustStatus.TRUSTED:
        raise ConflictError(
            f"Only a trusted issuer can be removed; this one is {trusted.get_status_display().lower()}.",
            code="not_trusted",
        )
    account = ChainAccount.objects.get(organisation=trusted.organisation)
    trusted.status = TrustStatus.REMOVING
    trusted.error = ""
    trusted.save(update_fields=["status", "error", "updated_at"])
    chain_call_enqueue(
        organisation=_registry_admin(),
        kind=TRUST_REMOVE_KIND,
        contract=REGISTRY,
        fn_name="remove_trusted_issuer",
        fn_args=bytes.fromhex(account.public_key.removeprefix("0x")),
        subject=trusted,
    )
    audit_entry_create(
        actor=actor,
        action="kyc_trusted_issuer.remove",
        obj=trusted,
        organisation=trusted.organisation,
        before={"status": TrustStatus.TRUSTED},
        changes={"status": trusted.status},
    )
    return trusted


def _trusted_mask(provider: Organisation) -> int:
    row = TrustedKycIssuer.objects.filter(organisation=provider, status=TrustStatus.TRUSTED).first()
    return 0 if row is None else row.topics


def _check_trusted_for(provider: Organisation, mask: int) -> None:
    trusted = _trusted_mask(provider)
    if trusted & mask != mask:
        missing = [
            ClaimTopic(t).name.lower() for t in range(1, 32) if mask & (1 << t) and not trusted & (1 << t)
        ]
        raise InvalidInput(
            f"{provider.legal_name} is not a trusted claim issuer for: {', '.join(missing)}. "
            "The operator registers trusted KYC issuers.",
            code="untrusted_issuer",
            details={"missing_topics": missing},
        )


# -- credentials ----------------------------------------------------------------------------
def _whole_seconds(when: dt.datetime) -> dt.datetime:
    if timezone.is_naive(when):
        raise InvalidInput("Give the expiry with a time zone (ISO 8601, e.g. ...Z).", code="invalid_expiry")
    return when.astimezone(dt.UTC).replace(microsecond=0)


def _check_expiry(expires_at: dt.datetime) -> dt.datetime:
    expiry = _whole_seconds(expires_at)
    now = timezone.now()
    if expiry <= now:
        raise InvalidInput("The expiry must be in the future.", code="invalid_expiry")
    if expiry > now + MAX_VALIDITY:
        raise InvalidInput(
            "A credential is valid for at most five years; renew it later.", code="invalid_expiry"
        )
    return expiry


def _canonical_attributes(credential: KycCredential) -> dict[str, str]:
    return {
        "subject": credential.subject.address.hex(),
        "holder_type": credential.holder_type,
        "legal_name": credential.legal_name,
        "date": credential.date_of_birth_or_incorporation,
        "country": credential.country,
        "investor_category": credential.investor_category,
        "category_evidence": kyc_hashing.compute_evidence_text_digest(credential.category_evidence),
        "accredited": credential.accredited,
    }


def compute_credential_evidence_hash(credential: KycCredential) -> bytes:
    """The credential's evidence hash from its (decrypted) attributes and salt (docs/kyc.md).
    ``KycHashingError`` after an erasure (no attributes, no salt)."""
    if credential.status == Status.ERASED or not credential.salt:
        raise kyc_hashing.KycHashingError("an erased credential has no attributes to hash")
    elements = kyc_hashing.compute_attribute_elements(_canonical_attributes(credential))
    return kyc_hashing.compute_evidence_hash(bytes.fromhex(credential.salt), elements)


def _claim_values(credential: KycCredential) -> dict[int, int]:
    values = {
        ClaimTopic.KYC_VERIFIED: 1,
        ClaimTopic.JURISDICTION: contract_abi.encode_country(credential.country),
        ClaimTopic.INVESTOR_CATEGORY: int(
            _CATEGORY_VALUES[KycCredential.InvestorCategory(credential.investor_category)]
        ),
    }
    if credential.accredited == "true":
        values[ClaimTopic.ACCREDITED] = 1
    return {int(t): v for t, v in values.items()}


def _enqueue_claims(credential: KycCredential, expiry: dt.datetime) -> None:
    evidence = bytes.fromhex(credential.evidence_hash)
    for topic, value in sorted(_claim_values(credential).items()):
        chain_call_enqueue(
            organisation=credential.provider,
            kind=CLAIM_ADD_KIND,
            contract=REGISTRY,
            fn_name="add_claim",
            fn_args=contract_abi.encode_claim(
                subject=credential.subject.address,
                topic=topic,
                value=value,
                expiry=int(expiry.timestamp()),
                evidence_hash=evidence,
            ),
            subject=credential,
        )


def _enqueue_revocations(credential: KycCredential) -> None:
    for topic in credential.claim_topics:
        chain_call_enqueue(
            organisation=credential.provider,
            kind=CLAIM_REVOKE_KIND,
            contract=REGISTRY,
            fn_name="revoke_claim",
            fn_args=credential.subject.address + bytes([topic]),
            subject=credential,
        )


def _lapsed(credentials: Iterable[KycCredential], reason: str) -> None:
    credentials = list(credentials)
    if not credentials:
        return
    topics = sorted({t for c in credentials for t in c.claim_topics})
    kyc_claims_lapsed.send(
        sender=KycCredential,
        chain_account_ids=sorted({str(c.subject_id) for c in credentials}),
        topics=topics,
        reason=reason,
    )


def _public(credential: KycCredential) -> dict[str, object]:
    """What an audit entry may say about a credential: no personal data."""
    return {
        "subject": credential.subject.public_key,
        "status": credential.status,
        "topics": credential.claim_topics,
        "expires_at": credential.expires_at.isoformat(),
        "evidence_hash": credential.evidence_hash,
    }


@transaction.atomic
def kyc_credential_issue(
    *,
    actor: User,
    subject_public_key: str,
    holder_type: str,
    legal_name: str,
    date_of_birth_or_incorporation: dt.date,
    country: str,
    investor_category: str,
    category_evidence: str,
    accredited: bool,
    expires_at: dt.datetime,
) -> KycCredential:
    """A KYC provider's compliance officer onboards the holder of a chain account: the
    attributes are stored encrypted, the claims ``kyc_verified`` (1), ``jurisdiction``
    (``country``), ``investor_category`` and, if ``accredited``, ``accredited`` (1) are
    queued to the identity registry with ``expires_at`` (unix s on chain) and the evidence
    hash. ``pending`` until Final.

    Errors (nothing written, nothing queued): 403 unless a KYC provider's compliance officer;
    ``InvalidInput``: ``untrusted_issuer`` (the provider is not trusted for every topic),
    ``unknown_subject``, ``invalid_attribute``, ``invalid_expiry``; ``ConflictError``
    (``credential_exists``) if the provider has a live credential for the subject."""
    provider = check_kyc_officer(actor=actor)
    subject = ChainAccount.objects.filter(public_key=subject_public_key.strip().lower()).first()
    if subject is None:
        raise InvalidInput("No chain account has this public key.", code="unknown_subject")
    if holder_type not in KycCredential.HolderType.values:
        raise InvalidInput("The holder type is natural_person or legal_entity.", code="invalid_attribute")
    name = kyc_hashing.canonical_legal_name(legal_name)
    if not name or len(name) > 200:
        raise InvalidInput("The legal name is required (at most 200 characters).", code="invalid_attribute")
    today = timezone.now().date()
    if not dt.date(1850, 1, 1) <= date_of_birth_or_incorporation <= today:
        raise InvalidInput(
            "The date of birth or of incorporation must lie between 1850-01-01 and today.",
            code="invalid_attribute",
        )
    country = country.strip().upper()
    if len(country) != 2 or countries.alpha2(country) == "":
        raise InvalidInput(
            f"{country!r} is not an ISO 3166-1 alpha-2 country code.", code="invalid_attribute"
        )
    if investor_category not in KycCredential.InvestorCategory.values:
        raise InvalidInput(
            "The MiFID II category is retail, professional or eligible_counterparty.",
            code="invalid_attribute",
        )
    evidence = category_evidence.strip()
    if not evidence or len(evidence) > MAX_EVIDENCE_CHARS:
        raise InvalidInput(
            f"The evidence of the category assessment is required (at most {MAX_EVIDENCE_CHARS} characters).",
            code="invalid_attribute",
        )
    expiry = _check_expiry(expires_at)
    credential = KycCredential(
        provider=provider,
        subject=subject,
        holder_type=holder_type,
        legal_name=name,
        date_of_birth_or_incorporation=date_of_birth_or_incorporation.isoformat(),
        country=country,
        investor_category=investor_category,
        category_evidence=evidence,
        accredited="true" if accredited else "false",
        salt=secrets.token_bytes(kyc_hashing.SALT_BYTES).hex(),
        expires_at=expiry,
        created_by=actor,
    )
    credential.topics = sum(1 << t for t in _claim_values(credential))
    _check_trusted_for(provider, credential.topics)
    if KycCredential.objects.filter(
        provider=provider, subject=subject, status__in=KycCredential.LIVE_STATUSES
    ).exists():
        raise ConflictError(
            "This provider already has a live credential for the subject: renew or revoke it.",
            code="credential_exists",
        )
    credential.evidence_hash = compute_credential_evidence_hash(credential).hex()
    credential.save()
    _enqueue_claims(credential, expiry)
    audit_entry_create(
        actor=actor,
        action="kyc_credential.issue",
        obj=credential,
        organisation=provider,
        changes=_public(credential),
    )
    return credential


@transaction.atomic
def kyc_credential_renew(*, actor: User, credential_id: uuid.UUID, expires_at: dt.datetime) -> KycCredential:
    """Renew with a new expiry: ``add_claim`` again for each topic (the registry replaces the
    provider's claim). ``renewing`` until Final, then ``active`` with the new expiry.
    ``ConflictError`` (``not_renewable``) unless ``active`` or ``expired``; ``InvalidInput``
    (``invalid_expiry``, ``untrusted_issuer``)."""
    credential = _check_own_credential(actor=actor, credential_id=credential_id)
    if credential.status not in (Status.ACTIVE, Status.EXPIRED):
        raise ConflictError(
            f"Only an active or expired credential can be renewed; this one is {credential.status}.",
            code="not_renewable",
        )
    expiry = _check_expiry(expires_at)
    _check_trusted_for(credential.provider, credential.topics)
    if (
        credential.status == Status.EXPIRED
        and KycCredential.objects.filter(
            provider=credential.provider, subject=credential.subject, status__in=KycCredential.LIVE_STATUSES
        ).exists()
    ):
        raise ConflictError(
            "The provider has a newer live credential for this subject.", code="credential_exists"
        )
    before = _public(credential)
    credential.pending_expires_at = expiry
    credential.status = Status.RENEWING
    credential.error = ""
    credential.save()
    _enqueue_claims(credential, expiry)
    audit_entry_create(
        actor=actor,
        action="kyc_credential.renew",
        obj=credential,
        organisation=credential.provider,
        before=before,
        changes={"status": credential.status, "expires_at": expiry.isoformat()},
    )
    return credential


@transaction.atomic
def kyc_credential_revoke(*, actor: User, credential_id: uuid.UUID, reason: str) -> KycCredential:
    """Revoke: ``revoke_claim`` for each topic, status ``revoked`` at once and
    ``kyc_claims_lapsed`` (``revoked``) for the subject if its claims were live. ``reason``
    is required (no personal data in it: it is audited). ``ConflictError``
    (``not_revocable``) for a revoked, erased or failed credential."""
    credential = _check_own_credential(actor=actor, credential_id=credential_id)
    reason = reason.strip()
    if not reason:
        raise InvalidInput("Give the reason for the revocation.", code="reason_required")
    if credential.status not in (*KycCredential.LIVE_STATUSES, Status.EXPIRED):
        raise ConflictError(
            f"A credential that is {credential.status} cannot be revoked.", code="not_revocable"
        )
    was_live = credential.status in KycCredential.LIVE_STATUSES
    before = _public(credential)
    credential.status = Status.REVOKED
    credential.pending_expires_at = None
    credential.revoked_at = timezone.now()
    credential.save()
    _enqueue_revocations(credential)
    audit_entry_create(
        actor=actor,
        action="kyc_credential.revoke",
        obj=credential,
        organisation=credential.provider,
        before=before,
        changes={"status": credential.status, "reason": reason[:500]},
    )
    if was_live:
        _lapsed([credential], "revoked")
    return credential


@transaction.atomic
def kyc_credential_erase(*, actor: User, credential_id: uuid.UUID, request_reference: str) -> KycCredential:
    """A personal-data erasure request (GDPR art. 17): the encrypted attributes and the salt
    become empty (the evidence hash on chain can no longer be linked to anyone), the status
    ``erased``; claims that may still be on chain are revoked, and ``kyc_claims_lapsed``
    (``erased``) is sent if they were live. The audit entry holds no personal data, only
    ``request_reference`` (the request's id). The credential's ``Idempotency-Key`` replay
    records are deleted. ``ConflictError`` (``already_erased``)."""
    credential = _check_own_credential(actor=actor, credential_id=credential_id)
    reference = request_reference.strip()
    if not reference or len(reference) > 100:
        raise InvalidInput(
            "Give the erasure request's reference (at most 100 characters).", code="reference_required"
        )
    if credential.status == Status.ERASED:
        raise ConflictError("The credential is already erased.", code="already_erased")
    was_live = credential.status in KycCredential.LIVE_STATUSES
    on_chain = was_live or credential.status == Status.EXPIRED
    before_status = credential.status
    for field in (
        "legal_name",
        "date_of_birth_or_incorporation",
        "country",
        "investor_category",
        "category_evidence",
        "accredited",
        "salt",
    ):
        setattr(credential, field, "")
    credential.status = Status.ERASED
    credential.pending_expires_at = None
    credential.erased_at = timezone.now()
    credential.erasure_reference = reference
    credential.save()
    # The Idempotency-Key replay bodies of this credential (issue, renew, revoke) hold its
    # attributes: they go with it.
    IdempotencyRecord.objects.filter(object_id=str(credential.pk)).delete()
    if on_chain:
        _enqueue_revocations(credential)
    audit_entry_create(
        actor=actor,
        action="kyc_credential.erase",
        obj=credential,
        organisation=credential.provider,
        before={"status": before_status},
        changes={"status": credential.status, "request_reference": reference, "claims_revoked": on_chain},
    )
    if was_live:
        _lapsed([credential], "erased")
    return credential


def kyc_credentials_expire(*, now: dt.datetime | None = None) -> int:
    """Beat: mark ``active`` credentials whose expiry has passed ``expired`` (the registry
    already stopped counting their claims at that block timestamp), audit each and send
    ``kyc_claims_lapsed`` (``expired``). Returns how many expired."""
    now = now or timezone.now()
    expired = 0
    ids = list(
        KycCredential.objects.filter(status=Status.ACTIVE, expires_at__lte=now).values_list("pk", flat=True)[
            :500
        ]
    )
    for credential_id in ids:
        with transaction.atomic():
            credential = (
                KycCredential.objects.select_for_update(of=("self",))
                .select_related("subject", "provider")
                .filter(pk=credential_id, status=Status.ACTIVE, expires_at__lte=now)
                .first()
            )
            if credential is None:
                continue
            credential.status = Status.EXPIRED
            credential.save(update_fields=["status", "updated_at"])
            audit_entry_create(
                actor=None,
                action="kyc_credential.expire",
                obj=credential,
                organisation=credential.provider,
                before={"status": Status.ACTIVE},
                changes={"status": Status.EXPIRED, "expires_at": credential.expires_at.isoformat()},
            )
            _lapsed([credential], "expired")
            expired += 1
    return expired


# -- outcome handlers (identity.apps registers them) ----------------------------------------
def _open_claim_adds(credential: KycCredential, submission: ChainSubmission) -> bool:
    return (
        ChainSubmission.objects.filter(kind=CLAIM_ADD_KIND, subject_id=str(credential.pk))
        .exclude(pk=submission.pk)
        .exclude(status__in=[ChainSubmission.Status.FINAL, ChainSubmission.Status.REJECTED])
        .exists()
    )


def on_claim_added(submission: ChainSubmission) -> None:
    """An ``add_claim`` is Final or refused: a refusal fails a pending credential (or ends a
    renewal with the old expiry) with the chain's reason; the last success of a batch makes
    the credential ``active`` (with the renewal's expiry)."""
    credential = (
        KycCredential.objects.select_for_update(of=("self",))
        .select_related("subject", "provider")
        .filter(pk=submission.subject_id)
        .first()
    )
    if credential is None or credential.status not in (Status.PENDING, Status.RENEWING):
        return
    before = {"status": credential.status}
    if not submission.succeeded:
        reason = submission.error or "refused"
        if credential.status == Status.PENDING:
            credential.status = Status.FAILED
        else:
            credential.status = Status.ACTIVE if credential.expires_at > timezone.now() else Status.EXPIRED
            credential.pending_expires_at = None
        credential.error = f"add_claim: {reason}"[:200]
        credential.save()
        audit_entry_create(
            actor=None,
            action="kyc_credential.claims_refused",
            obj=credential,
            organisation=credential.provider,
            before=before,
            changes={"status": credential.status, "error": credential.error, "tx_id": submission.tx_id},
        )
        return
    if _open_claim_adds(credential, submission):
        return
    if credential.status == Status.RENEWING and credential.pending_expires_at is not None:
        credential.expires_at = credential.pending_expires_at
        credential.pending_expires_at = None
    credential.status = Status.ACTIVE
    credential.save()
    audit_entry_create(
        actor=None,
        action="kyc_credential.activate",
        obj=credential,
        organisation=credential.provider,
        before=before,
        changes={
            "status": credential.status,
            "expires_at": credential.expires_at.isoformat(),
            "height": submission.block_height,
        },
    )


def on_claim_revoked(submission: ChainSubmission) -> None:
    """A ``revoke_claim`` is Final or refused: a refusal is recorded on the credential."""
    if submission.succeeded:
        return
    KycCredential.objects.filter(pk=submission.subject_id).update(
        error=f"revoke_claim: {submission.error or 'refused'}"[:200], updated_at=timezone.now()
    )


def _trust_outcome(
    submission: ChainSubmission, *, waiting: str, succeeded: str, refused: str
) -> TrustedKycIssuer | None:
    """Move the trusted issuer of ``submission`` out of ``waiting``: to ``succeeded`` if the
    call succeeded, else to ``refused`` with the reason; audited. ``None`` if it was not
    waiting (already handled)."""
    trusted = TrustedKycIssuer.objects.select_for_update().filter(pk=submission.subject_id).first()
    if trusted is None or trusted.status != waiting:
        return None
    trusted.status = succeeded if submission.succeeded else refused
    trusted.error = "" if submission.succeeded else (submission.error or "refused")[:200]
    trusted.save()
    audit_entry_create(
        actor=None,
        action="kyc_trusted_issuer.outcome",
        obj=trusted,
        organisation=trusted.organisation,
        before={"status": waiting},
        changes={"status": trusted.status, "error": trusted.error},
    )
    return trusted


def on_trusted_issuer_added(submission: ChainSubmission) -> None:
    """``add_trusted_issuer`` is Final (``trusted``) or refused (``failed`` with the reason)."""
    _trust_outcome(
        submission, waiting=TrustStatus.PENDING, succeeded=TrustStatus.TRUSTED, refused=TrustStatus.FAILED
    )


def on_trusted_issuer_removed(submission: ChainSubmission) -> None:
    """``remove_trusted_issuer`` is Final: ``removed``, and its live credentials' subjects'
    claims lapsed (``issuer_untrusted``); refused: ``trusted`` again with the reason."""
    trusted = _trust_outcome(
        submission, waiting=TrustStatus.REMOVING, succeeded=TrustStatus.REMOVED, refused=TrustStatus.TRUSTED
    )
    if trusted is not None and submission.succeeded:
        _lapsed(
            KycCredential.objects.filter(
                provider=trusted.organisation, status__in=KycCredential.LIVE_STATUSES
            ),
            "issuer_untrusted",
        )


OUTCOME_HANDLERS = {
    CLAIM_ADD_KIND: on_claim_added,
    CLAIM_REVOKE_KIND: on_claim_revoked,
    TRUST_ADD_KIND: on_trusted_issuer_added,
    TRUST_REMOVE_KIND: on_trusted_issuer_removed,
}
