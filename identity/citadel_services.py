"""Citadel on the platform (docs/kyc.md "Citadel"): licence providers, investors' wallets,
licences, revocations and sessions. Each change is audited, without personal data.

- The ``kyc`` organisation (a KYC provider) becomes a licence provider: a Phoenix key pair
  custodied encrypted, registered with ``citadel.add_provider`` by the operator (outbox).
- An investor (a broker's client account) gets a wallet: a Phoenix key the platform generates
  and custodies for the investor on the broker's behalf. The provider's compliance officer
  issues a licence with Gloam's attributes to that key; the leaf goes on chain with
  ``citadel.issue`` (outbox) from the provider's chain account. The attributes are not kept
  in clear: the licence and the attribute opening are stored only sealed to the investor's
  key (``chain.node.citadel_wallet``); the platform's record keeps provider, wallet, leaf,
  position, issue and expiry dates.
- ``citadel.revoke`` by the provider: new sessions fail; existing ones stand.
- A session for a service (an instrument's token): the licence tree's opening from the node,
  the policy checked in clear, a ``citadel_license`` proof job, and when it is done the proven
  ``use_licence(holder, service)`` from the holder's own chain account.

Source: reference/dusk-protocol.md §6; docs/contracts.md "citadel"; docs/zk.md "Citadel on
chain"; chain/contracts/citadel/citadel.c.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from chain.node.client import RpcError, citadel_wallet, contract_abi
from common.exceptions import ConflictError, InvalidInput, NotFoundError, PermissionDeniedError
from common.services import audit_entry_create
from identity.kyc_services import check_kyc_officer
from identity.models import (
    CitadelLicence,
    CitadelProvider,
    CitadelSession,
    CitadelWallet,
    ClientAccount,
    Organisation,
    User,
)
from identity.roles import BROKER_ROLES, OrganisationKind
from identity.selectors import operator_chain_account
from identity.services import check_operator
from ledger import outbox
from ledger.chain import get_node_client
from ledger.keys import get_key_cipher
from ledger.models import ChainAccount, ChainSubmission
from proving.models import ProofJob
from proving.services import proof_job_request

CITADEL = "genesis:citadel"
PROVIDER_ADD_KIND = "citadel.provider.add"
LICENCE_ISSUE_KIND = "citadel.licence.issue"
LICENCE_REVOKE_KIND = "citadel.licence.revoke"
SESSION_USE_KIND = "citadel.session.use"
#: Gas of ``use_licence`` with the node's Groth16 verification (22 public inputs).
SESSION_GAS = 300_000_000
#: Longest validity of a licence.
MAX_VALIDITY = dt.timedelta(days=5 * 366)

ProviderStatus = CitadelProvider.Status
LicenceStatus = CitadelLicence.Status
SessionStatus = CitadelSession.Status


def _sealed(secret_key: bytes) -> bytes:
    return get_key_cipher().encrypt(secret_key)


def _unsealed(stored: Any) -> bytes:
    return get_key_cipher().decrypt(bytes(stored))


# -- providers --------------------------------------------------------------------------------
def citadel_provider_enqueue(*, organisation: Organisation, actor: User | None) -> CitadelProvider:
    """Make ``organisation`` (a KYC provider with a chain account) a licence provider: a fresh
    Phoenix key pair (secret key encrypted) and ``add_provider(pk_lp.A, account)`` queued from
    the operator's chain account (the ``citadel`` contract's operator). No permission check:
    :func:`citadel_provider_register` and ``seed_demo`` call it. Returns the live provider if
    there is one. ``InvalidInput``: ``not_kyc_provider``, ``no_chain_account``,
    ``no_operator_account``."""
    if organisation.kind != OrganisationKind.KYC_PROVIDER:
        raise InvalidInput(f"{organisation.legal_name} is not a KYC provider.", code="not_kyc_provider")
    live = (
        CitadelProvider.objects.select_for_update()
        .filter(organisation=organisation, status__in=[ProviderStatus.PENDING, ProviderStatus.REGISTERED])
        .first()
    )
    if live is not None:
        return live
    account = ChainAccount.objects.filter(organisation=organisation).first()
    if account is None:
        raise InvalidInput(f"{organisation.legal_name} has no chain account.", code="no_chain_account")
    operator = operator_chain_account()
    if operator is None:
        raise InvalidInput("No operator organisation has a chain account.", code="no_operator_account")
    secret_key = citadel_wallet.generate_secret_key()
    public_key = citadel_wallet.public_key_of(secret_key)
    provider = CitadelProvider.objects.create(
        organisation=organisation, public_key=public_key.hex(), encrypted_secret_key=_sealed(secret_key)
    )
    outbox.chain_call_enqueue(
        organisation=operator,
        kind=PROVIDER_ADD_KIND,
        contract=CITADEL,
        fn_name="add_provider",
        fn_args=contract_abi.encode_citadel_add_provider(
            pk_lp_a=citadel_wallet.provider_point(public_key),
            account_key=bytes.fromhex(account.public_key.removeprefix("0x")),
        ),
        subject=provider,
    )
    audit_entry_create(
        actor=actor,
        action="citadel_provider.register",
        obj=provider,
        organisation=organisation,
        changes={"public_key": provider.public_key, "account": account.public_key, "status": provider.status},
    )
    return provider


@transaction.atomic
def citadel_provider_register(*, actor: User, organisation_id: uuid.UUID) -> CitadelProvider:
    """The operator makes a KYC provider a Citadel licence provider (idempotent: the live
    registration if there is one). 403 unless operator; 404 for an unknown organisation;
    ``InvalidInput`` as :func:`citadel_provider_enqueue`."""
    check_operator(actor=actor)
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    if organisation is None:
        raise NotFoundError("Organisation not found.")
    return citadel_provider_enqueue(organisation=organisation, actor=actor)


# -- wallets ----------------------------------------------------------------------------------
def citadel_wallet_get_or_create(*, client_account: ClientAccount, actor: User | None) -> CitadelWallet:
    """The investor's wallet, made on first use: a Phoenix key generated and custodied for the
    investor (secret key encrypted). Audited when made."""
    existing = CitadelWallet.objects.filter(client_account=client_account).first()
    if existing is not None:
        return existing
    secret_key = citadel_wallet.generate_secret_key()
    wallet = CitadelWallet.objects.create(
        client_account=client_account,
        public_key=citadel_wallet.public_key_of(secret_key).hex(),
        encrypted_secret_key=_sealed(secret_key),
    )
    audit_entry_create(
        actor=actor,
        action="citadel_wallet.create",
        obj=wallet,
        organisation=client_account.broker,
        changes={"public_key": wallet.public_key, "client_account": client_account.account_reference},
    )
    return wallet


# -- licences ---------------------------------------------------------------------------------
def _public_licence(licence: CitadelLicence) -> dict[str, object]:
    """What an audit entry may say about a licence: no attribute."""
    return {
        "leaf": licence.leaf,
        "position": licence.position,
        "status": licence.status,
        "issued_on": licence.issued_on.isoformat(),
        "expires_on": licence.expires_on.isoformat(),
        "wallet": licence.wallet.public_key,
    }


def _numeric_country(alpha2: str) -> int:
    import pycountry

    country = pycountry.countries.get(alpha_2=alpha2.strip().upper())
    if country is None:
        raise InvalidInput(f"{alpha2!r} is not an ISO 3166-1 alpha-2 country code.", code="invalid_attribute")
    return int(country.numeric)


def numeric_jurisdictions(codes: Sequence[str]) -> list[int]:
    """ISO 3166-1 alpha-2 codes as the numeric codes a licence and a policy hold.
    ``InvalidInput`` (``invalid_attribute``) for an unknown code."""
    return [_numeric_country(code) for code in codes]


@transaction.atomic
def citadel_licence_issue(
    *,
    actor: User,
    client_account_id: uuid.UUID,
    jurisdiction: str,
    accredited: bool,
    birth_date: dt.date,
    expires_on: dt.date,
) -> CitadelLicence:
    """The provider's compliance officer, having reviewed the investor's KYC data, issues a
    licence with Gloam's attributes (``jurisdiction`` ISO 3166-1 alpha-2, ``accredited``,
    ``birth_date``, ``expires_on``) to the investor's wallet (made if needed) and queues
    ``citadel.issue(leaf)`` from the provider's chain account. ``pending`` until Final.

    Errors (nothing written): 403 unless a KYC provider's compliance officer; 404 for an unknown
    client account; ``InvalidInput``: ``not_a_provider`` (the organisation is not a registered
    Citadel provider), ``invalid_attribute``, ``invalid_expiry``; ``ConflictError``
    (``licence_exists``) if the wallet has a live licence."""
    organisation = check_kyc_officer(actor=actor)
    provider = CitadelProvider.objects.filter(
        organisation=organisation, status=ProviderStatus.REGISTERED
    ).first()
    if provider is None:
        raise InvalidInput(
            f"{organisation.legal_name} is not a registered Citadel licence provider "
            "(the operator registers it).",
            code="not_a_provider",
        )
    client_account = ClientAccount.objects.select_related("broker").filter(pk=client_account_id).first()
    if client_account is None:
        raise NotFoundError("Client account not found.")
    today = timezone.now().date()
    if not dt.date(1900, 1, 1) <= birth_date <= today:
        raise InvalidInput("The birth date must lie between 1900-01-01 and today.", code="invalid_attribute")
    if not today < expires_on <= today + MAX_VALIDITY:
        raise InvalidInput(
            "The expiry must be in the future, at most five years ahead.", code="invalid_expiry"
        )
    number = _numeric_country(jurisdiction)
    wallet = citadel_wallet_get_or_create(client_account=client_account, actor=actor)
    if (
        CitadelLicence.objects.select_for_update()
        .filter(wallet=wallet, status__in=[LicenceStatus.PENDING, LicenceStatus.ACTIVE])
        .exists()
    ):
        raise ConflictError(
            "The investor already has a live licence: revoke it first.", code="licence_exists"
        )
    issued = citadel_wallet.issue_licence(
        provider_secret_key=_unsealed(provider.encrypted_secret_key),
        holder_public_key=bytes.fromhex(wallet.public_key),
        attributes=citadel_wallet.LicenceAttributes(number, bool(accredited), birth_date, expires_on),
    )
    licence = CitadelLicence.objects.create(
        provider=provider,
        wallet=wallet,
        leaf="0x" + issued.leaf.to_bytes(32, "little").hex(),
        licence=issued.licence,
        attributes_envelope=issued.envelope,
        issued_on=today,
        expires_on=expires_on,
        issued_by=actor,
    )
    outbox.chain_call_enqueue(
        organisation=organisation,
        kind=LICENCE_ISSUE_KIND,
        contract=CITADEL,
        fn_name="issue",
        fn_args=contract_abi.encode_citadel_issue(issued.leaf),
        subject=licence,
    )
    audit_entry_create(
        actor=actor,
        action="citadel_licence.issue",
        obj=licence,
        organisation=organisation,
        changes=_public_licence(licence),
    )
    return licence


@transaction.atomic
def citadel_licence_revoke(*, actor: User, licence_id: uuid.UUID, reason: str) -> CitadelLicence:
    """The issuing provider's compliance officer revokes an active licence: ``citadel.revoke``
    (its position) is queued, ``revoking`` until Final, then ``revoked``. Sessions opened before
    stand; new ones fail (the tree's leaf is 0 and older roots are no longer accepted).
    ``reason`` is required and audited (no personal data in it). 403 unless the provider's
    compliance officer; 404; ``ConflictError`` (``not_revocable``) unless ``active``."""
    organisation = check_kyc_officer(actor=actor)
    licence = (
        CitadelLicence.objects.select_for_update(of=("self",))
        .select_related("provider", "wallet")
        .filter(pk=licence_id)
        .first()
    )
    if licence is None:
        raise NotFoundError("Licence not found.")
    if licence.provider.organisation_id != organisation.pk:
        raise PermissionDeniedError("Only the provider that issued a licence may revoke it.")
    reason = reason.strip()
    if not reason:
        raise InvalidInput("Give the reason for the revocation.", code="reason_required")
    if licence.status != LicenceStatus.ACTIVE or licence.position is None:
        raise ConflictError(f"A licence that is {licence.status} cannot be revoked.", code="not_revocable")
    before = _public_licence(licence)
    licence.status = LicenceStatus.REVOKING
    licence.save(update_fields=["status", "updated_at"])
    outbox.chain_call_enqueue(
        organisation=organisation,
        kind=LICENCE_REVOKE_KIND,
        contract=CITADEL,
        fn_name="revoke",
        fn_args=contract_abi.encode_citadel_revoke(licence.position),
        subject=licence,
    )
    audit_entry_create(
        actor=actor,
        action="citadel_licence.revoke",
        obj=licence,
        organisation=organisation,
        before=before,
        changes={"status": licence.status, "reason": reason[:500]},
    )
    return licence


# -- sessions ---------------------------------------------------------------------------------
def _address(public_key: str) -> bytes:
    """The 49-byte Address of an account's public key (0x hex)."""
    return contract_abi.account_address(bytes.fromhex(public_key.removeprefix("0x")))


def _check_broker_of(actor: User, client_account: ClientAccount) -> None:
    if actor.is_superuser:
        return
    if actor.organisation_id != client_account.broker_id or not actor.has_role(*BROKER_ROLES):
        raise PermissionDeniedError("Only the client account's broker may open its Citadel sessions.")


def citadel_session_open(
    *,
    actor: User,
    client_account: ClientAccount,
    service: str,
    reference: str,
    allowed_jurisdictions: Sequence[int],
    require_accredited: bool,
) -> tuple[CitadelSession, bool]:
    """Open (idempotently) the investor's session for ``service`` (0x token contract id):
    returns ``(session, created)``, the live session if there is one. Reads the licence tree's
    opening and the chain's day from the node, builds the ``citadel_license`` input with the
    policy (``allowed_jurisdictions`` ISO 3166-1 numeric, ``require_accredited``, adult cutoff
    ``citadel_adult_cutoff(day)``), checks it in clear and requests the proof job. Call inside
    a transaction (issuance's service does).

    Errors: 403 unless the account's broker (or superuser); ``InvalidInput``:
    ``no_licence`` (no active licence), ``no_chain_account`` (the investor has none),
    ``licence_refused`` (the licence cannot satisfy the policy; ``details.reason``:
    ``jurisdiction_not_allowed``, ``not_accredited``, ``under_age``, ``license_expired`` …),
    ``licence_revoked``; ``ConflictError`` ``chain_unavailable``."""
    _check_broker_of(actor, client_account)
    holder = ChainAccount.objects.filter(client_account=client_account).first()
    if holder is None:
        raise InvalidInput("The investor has no chain account.", code="no_chain_account")
    live = (
        CitadelSession.objects.select_for_update()
        .filter(holder=holder.public_key, service=service, status__in=CitadelSession.LIVE_STATUSES)
        .first()
    )
    if live is not None:
        return live, False
    licence = (
        CitadelLicence.objects.select_related("provider", "wallet")
        .filter(wallet__client_account=client_account, status=LicenceStatus.ACTIVE)
        .first()
    )
    if licence is None or licence.position is None:
        raise InvalidInput("The investor has no active Citadel licence.", code="no_licence")
    try:
        with get_node_client() as client:
            head = client.get_head()
            opening = client.get_licence_opening(licence.position)
    except RpcError as exc:
        raise ConflictError(f"The chain cannot be read: {exc.reason}.", code="chain_unavailable") from exc
    if opening.revoked:
        raise InvalidInput("The licence was revoked on chain.", code="licence_revoked")
    day = int(head.timestamp) // 86_400
    wallet = licence.wallet
    try:
        prepared = citadel_wallet.prepare_session(
            holder_secret_key=_unsealed(wallet.encrypted_secret_key),
            licence=bytes(licence.licence),
            envelope=bytes(licence.attributes_envelope),
            provider_public_key=bytes.fromhex(licence.provider.public_key),
            chain_id=settings.GLOAM_CHAIN_ID,
            holder=_address(holder.public_key),
            service=bytes.fromhex(service.removeprefix("0x")),
            root=int.from_bytes(bytes.fromhex(opening.root.removeprefix("0x")), "little"),
            opening=opening.opening,
            position=licence.position,
            today=day,
            allowed_jurisdictions=allowed_jurisdictions,
            require_accredited=require_accredited,
        )
    except citadel_wallet.CitadelWalletError as exc:
        raise InvalidInput(
            "The investor's licence does not satisfy the instrument's policy.",
            code="licence_refused",
            details={"reason": exc.reason},
        ) from exc
    session = CitadelSession.objects.create(
        licence=licence,
        holder=holder.public_key,
        service=service,
        reference=reference[:100],
        allowed_jurisdictions=list(allowed_jurisdictions),
        require_accredited=require_accredited,
        day=day,
        session_id="0x" + prepared.session_id.to_bytes(32, "little").hex(),
        requested_by=actor,
    )
    job, _ = proof_job_request(
        actor=actor,
        circuit=citadel_wallet.LICENCE_CIRCUIT,
        witness=prepared.circuit_input,
        idempotency_key=f"citadel-session:{session.pk}",
    )
    session.proof_job = job
    session.save(update_fields=["proof_job", "updated_at"])
    audit_entry_create(
        actor=actor,
        action="citadel_session.open",
        obj=session,
        organisation=client_account.broker,
        changes={
            "holder": session.holder,
            "service": service,
            "reference": session.reference,
            "day": day,
            "proof_job": str(job.pk),
            "status": session.status,
        },
    )
    return session, True


def _fail_session(session: CitadelSession, error: str) -> None:
    before = {"status": session.status}
    session.status = SessionStatus.FAILED
    session.error = error[:200]
    session.save(update_fields=["status", "error", "updated_at"])
    audit_entry_create(
        actor=None,
        action="citadel_session.fail",
        obj=session,
        organisation=session.licence.wallet.client_account.broker,
        before=before,
        changes={"status": session.status, "error": session.error},
    )


def citadel_session_advance(*, session_id: uuid.UUID) -> CitadelSession | None:
    """Move a ``proving`` session on once its proof job is finished (idempotent; the beat and
    the session's read call it): a failed job fails the session; a done job queues the proven
    ``use_licence(holder ‖ service)`` from the holder's chain account with the job's proof
    and public inputs and the ``citadel`` contract's registered key (``info``), and the session
    is ``submitted``. Returns the session (``None`` if unknown)."""
    with transaction.atomic():
        session = (
            CitadelSession.objects.select_for_update(of=("self",))
            .select_related("proof_job", "licence__wallet__client_account__broker")
            .filter(pk=session_id)
            .first()
        )
        if session is None or session.status != SessionStatus.PROVING or session.proof_job is None:
            return session
        job = session.proof_job
        if job.status == ProofJob.Status.FAILED:
            _fail_session(session, f"proof: {job.error_code or 'failed'}")
            return session
        if job.status != ProofJob.Status.DONE:
            return session
        try:
            with get_node_client() as client:
                citadel_id = client.get_genesis_contracts()["citadel"]
                info = contract_abi.decode_citadel_info(client.query_contract(citadel_id, "info"))
        except (RpcError, KeyError, contract_abi.AbiError):
            return session  # the chain is unavailable or has no citadel yet: try later
        holder = ChainAccount.objects.get(public_key=session.holder)
        submission = outbox.chain_proven_call_enqueue(
            organisation=holder,
            kind=SESSION_USE_KIND,
            contract=CITADEL,
            fn_name="use_licence",
            fn_args=contract_abi.encode_citadel_session_key(
                holder=_address(session.holder), service=bytes.fromhex(session.service.removeprefix("0x"))
            ),
            vk_id="0x" + info.vk_id.hex(),
            public_inputs=bytes(job.public_inputs or b""),
            proof=bytes(job.proof or b""),
            subject=session,
            gas_limit=SESSION_GAS,
        )
        session.status = SessionStatus.SUBMITTED
        session.save(update_fields=["status", "updated_at"])
        audit_entry_create(
            actor=None,
            action="citadel_session.submit",
            obj=session,
            organisation=session.licence.wallet.client_account.broker,
            before={"status": SessionStatus.PROVING},
            changes={"status": session.status, "submission": str(submission.pk)},
        )
        return session


def citadel_sessions_advance() -> int:
    """Beat: advance every ``proving`` session whose job is finished. Returns how many moved."""
    moved = 0
    ids = CitadelSession.objects.filter(
        status=SessionStatus.PROVING, proof_job__status__in=[ProofJob.Status.DONE, ProofJob.Status.FAILED]
    ).values_list("pk", flat=True)[:200]
    for session_id in list(ids):
        session = citadel_session_advance(session_id=session_id)
        moved += int(session is not None and session.status != SessionStatus.PROVING)
    return moved


# -- outcome handlers (identity.apps registers them) -------------------------------------------
def on_provider_added(submission: ChainSubmission) -> None:
    """``add_provider`` is Final (``registered``) or refused (``failed`` with the reason)."""
    provider = CitadelProvider.objects.select_for_update().filter(pk=submission.subject_id).first()
    if provider is None or provider.status != ProviderStatus.PENDING:
        return
    provider.status = ProviderStatus.REGISTERED if submission.succeeded else ProviderStatus.FAILED
    provider.error = "" if submission.succeeded else (submission.error or "refused")[:200]
    provider.save(update_fields=["status", "error", "updated_at"])
    audit_entry_create(
        actor=None,
        action="citadel_provider.outcome",
        obj=provider,
        organisation=provider.organisation,
        before={"status": ProviderStatus.PENDING},
        changes={"status": provider.status, "error": provider.error},
    )


def on_licence_issued(submission: ChainSubmission) -> None:
    """``issue`` is Final: the licence is ``active`` at the position of its ``licence`` event;
    refused: ``failed`` with the reason."""
    licence = (
        CitadelLicence.objects.select_for_update(of=("self",))
        .select_related("provider__organisation", "wallet")
        .filter(pk=submission.subject_id)
        .first()
    )
    if licence is None or licence.status != LicenceStatus.PENDING:
        return
    data = submission.event_data("licence") if submission.succeeded else None
    if data is None:
        licence.status, licence.error = LicenceStatus.FAILED, (submission.error or "no licence event")[:200]
    else:
        event = contract_abi.decode_citadel_licence_event(data)
        licence.status, licence.position = LicenceStatus.ACTIVE, event.position
    licence.save(update_fields=["status", "error", "position", "updated_at"])
    audit_entry_create(
        actor=None,
        action="citadel_licence.outcome",
        obj=licence,
        organisation=licence.provider.organisation,
        before={"status": LicenceStatus.PENDING},
        changes={"status": licence.status, "position": licence.position, "error": licence.error},
    )


def on_licence_revoked(submission: ChainSubmission) -> None:
    """``revoke`` is Final (``revoked``) or refused (``active`` again, with the reason)."""
    licence = (
        CitadelLicence.objects.select_for_update(of=("self",))
        .select_related("provider__organisation")
        .filter(pk=submission.subject_id)
        .first()
    )
    if licence is None or licence.status != LicenceStatus.REVOKING:
        return
    if submission.succeeded:
        licence.status, licence.revoked_at = LicenceStatus.REVOKED, timezone.now()
    else:
        licence.status, licence.error = LicenceStatus.ACTIVE, f"revoke: {submission.error or 'refused'}"[:200]
    licence.save(update_fields=["status", "revoked_at", "error", "updated_at"])
    audit_entry_create(
        actor=None,
        action="citadel_licence.revoke_outcome",
        obj=licence,
        organisation=licence.provider.organisation,
        before={"status": LicenceStatus.REVOKING},
        changes={"status": licence.status, "error": licence.error},
    )


def on_session_used(submission: ChainSubmission) -> None:
    """``use_licence`` is Final (``active``: the token now accepts the holder) or refused
    (``failed`` with the chain's reason, e.g. ``unknown_root`` after a revocation)."""
    session = (
        CitadelSession.objects.select_for_update(of=("self",))
        .select_related("licence__wallet__client_account__broker")
        .filter(pk=submission.subject_id)
        .first()
    )
    if session is None or session.status != SessionStatus.SUBMITTED:
        return
    if not submission.succeeded:
        _fail_session(session, f"use_licence: {submission.error or 'refused'}")
        return
    session.status, session.tx_id = SessionStatus.ACTIVE, submission.tx_id
    session.save(update_fields=["status", "tx_id", "updated_at"])
    audit_entry_create(
        actor=None,
        action="citadel_session.activate",
        obj=session,
        organisation=session.licence.wallet.client_account.broker,
        before={"status": SessionStatus.SUBMITTED},
        changes={"status": session.status, "tx_id": session.tx_id, "height": submission.block_height},
    )


OUTCOME_HANDLERS = {
    PROVIDER_ADD_KIND: on_provider_added,
    LICENCE_ISSUE_KIND: on_licence_issued,
    LICENCE_REVOKE_KIND: on_licence_revoked,
    SESSION_USE_KIND: on_session_used,
}
