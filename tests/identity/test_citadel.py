"""Citadel on the platform without a chain (docs/kyc.md "Citadel"): provider registration
bytes, an investor's custodied wallet, licence issue (the attributes are kept only sealed to
the investor's key, never in clear or in the audit trail), permissions, validation, the
outcome handlers (the licence's position from its ``licence`` event), revocation and the
session's proof-job handling. The proof and the chain's acceptance are in the devnet test."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.utils import timezone

from chain.node.client import citadel_wallet, contract_abi
from common.exceptions import ConflictError, InvalidInput, NotFoundError, PermissionDeniedError
from common.models import AuditEntry
from identity import citadel_services as cs
from identity.models import CitadelLicence, CitadelProvider, CitadelSession, ClientAccount, Organisation, User
from identity.roles import OrganisationKind, Role
from identity.services import chain_account_create, client_account_chain_account_create
from ledger.keys import get_key_cipher
from ledger.models import ChainSubmission
from proving.models import ProofJob
from tests.factories import ClientAccountFactory, OrganisationFactory

BIRTH = dt.date(1979, 3, 14)


@pytest.fixture
def kyc_org(db: None, operator_org: Organisation) -> Organisation:
    chain_account_create(organisation=operator_org)
    organisation = OrganisationFactory.create(kind=OrganisationKind.KYC_PROVIDER, legal_name="KYC One")
    chain_account_create(organisation=organisation)
    return organisation


@pytest.fixture
def kyc_officer(make_user: Callable[..., User], kyc_org: Organisation) -> User:
    return make_user(kyc_org, Role.COMPLIANCE_OFFICER)


@pytest.fixture
def provider(kyc_org: Organisation) -> CitadelProvider:
    provider = cs.citadel_provider_enqueue(organisation=kyc_org, actor=None)
    provider.status = CitadelProvider.Status.REGISTERED
    provider.save()
    return provider


@pytest.fixture
def investor(broker_a: Organisation) -> ClientAccount:
    account = ClientAccountFactory.create(broker=broker_a)
    client_account_chain_account_create(client_account=account)
    return account


def finish(
    submission: ChainSubmission, *, succeeded: bool, events: list[dict[str, str]] | None = None
) -> None:
    """What the outbox records when the block is Final, then the kind's handler (the real one)."""
    submission.status, submission.succeeded = ChainSubmission.Status.FINAL, succeeded
    submission.events = events or []
    submission.error = "" if succeeded else "panic: unknown_provider"
    submission.save()
    cs.OUTCOME_HANDLERS[submission.kind](submission)


def issue(officer: User, investor: ClientAccount, **overrides: object) -> CitadelLicence:
    args: dict[str, object] = {
        "jurisdiction": "DE",
        "accredited": True,
        "birth_date": BIRTH,
        "expires_on": timezone.now().date() + dt.timedelta(days=365),
    }
    args.update(overrides)
    return cs.citadel_licence_issue(actor=officer, client_account_id=investor.pk, **args)  # type: ignore[arg-type]


def test_provider_registration_queues_add_provider_from_the_operator(operator, kyc_org):
    provider = cs.citadel_provider_register(actor=operator, organisation_id=kyc_org.pk)
    assert cs.citadel_provider_register(actor=operator, organisation_id=kyc_org.pk) == provider  # idempotent
    [sub] = ChainSubmission.objects.filter(kind=cs.PROVIDER_ADD_KIND)
    assert sub.chain_account.organisation is not None
    assert sub.chain_account.organisation.kind == OrganisationKind.OPERATOR
    secret = get_key_cipher().decrypt(bytes(provider.encrypted_secret_key))
    assert citadel_wallet.public_key_of(secret).hex() == provider.public_key
    assert bytes(sub.fn_args) == contract_abi.encode_citadel_add_provider(
        pk_lp_a=citadel_wallet.provider_point(bytes.fromhex(provider.public_key)),
        account_key=bytes.fromhex(kyc_org.chain_account.public_key.removeprefix("0x")),
    )
    finish(sub, succeeded=True)
    provider.refresh_from_db()
    assert provider.status == CitadelProvider.Status.REGISTERED


def test_invalid_provider_registrations(operator, kyc_officer, broker_a, kyc_org):
    with pytest.raises(PermissionDeniedError):
        cs.citadel_provider_register(actor=kyc_officer, organisation_id=kyc_org.pk)
    with pytest.raises(InvalidInput) as refused:
        cs.citadel_provider_register(actor=operator, organisation_id=broker_a.pk)
    assert refused.value.code == "not_kyc_provider"


def test_a_licence_keeps_no_attribute_in_clear_and_opens_with_the_investors_key(
    provider, kyc_officer, investor
):
    licence = issue(kyc_officer, investor)
    assert licence.status == CitadelLicence.Status.PENDING
    [sub] = ChainSubmission.objects.filter(kind=cs.LICENCE_ISSUE_KIND)
    assert sub.chain_account.organisation_id == provider.organisation_id
    leaf = int.from_bytes(bytes.fromhex(licence.leaf.removeprefix("0x")), "little")
    assert bytes(sub.fn_args) == contract_abi.encode_citadel_issue(leaf)
    # the investor's key (custodied) opens the attributes; nothing else in the row holds them
    wallet_key = get_key_cipher().decrypt(bytes(licence.wallet.encrypted_secret_key))
    opened = citadel_wallet.open_attributes(
        holder_secret_key=wallet_key,
        licence=bytes(licence.licence),
        envelope=bytes(licence.attributes_envelope),
    )
    assert opened == citadel_wallet.LicenceAttributes(276, True, BIRTH, licence.expires_on)
    row = CitadelLicence.objects.values().get(pk=licence.pk)
    assert not {"jurisdiction", "accredited", "birth_date"} & set(row)
    assert not any("1979-03-14" in str(v) for v in row.values())
    for entry in AuditEntry.objects.all():
        assert "1979-03-14" not in str(entry.changes) + str(entry.before)
        assert not {"jurisdiction", "accredited", "birth_date"} & set(entry.changes)
    # the chain's licence event gives the position: active
    event = (7).to_bytes(8, "little") + leaf.to_bytes(32, "little") + bytes(64)
    finish(sub, succeeded=True, events=[{"topic": "licence", "data": "0x" + event.hex()}])
    licence.refresh_from_db()
    assert (licence.status, licence.position) == (CitadelLicence.Status.ACTIVE, 7)


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"jurisdiction": "XX"}, "invalid_attribute"),
        ({"birth_date": dt.date(1850, 1, 1)}, "invalid_attribute"),
        ({"expires_on": dt.date(2000, 1, 1)}, "invalid_expiry"),
        ({"expires_on": timezone.now().date() + dt.timedelta(days=6 * 366)}, "invalid_expiry"),
    ],
)
def test_invalid_licence_attributes_write_nothing(provider, kyc_officer, investor, overrides, code):
    with pytest.raises(InvalidInput) as refused:
        issue(kyc_officer, investor, **overrides)
    assert refused.value.code == code
    assert not CitadelLicence.objects.exists()
    assert not ChainSubmission.objects.filter(kind=cs.LICENCE_ISSUE_KIND).exists()


def test_invalid_licence_issuers(kyc_org, kyc_officer, investor, make_user, broker_a):
    with pytest.raises(InvalidInput) as refused:
        issue(kyc_officer, investor)  # not registered as a provider yet
    assert refused.value.code == "not_a_provider"
    with pytest.raises(PermissionDeniedError):
        issue(make_user(broker_a, Role.COMPLIANCE_OFFICER), investor)


def test_one_live_licence_per_investor_and_revocation(provider, kyc_officer, investor, make_user):
    licence = issue(kyc_officer, investor)
    with pytest.raises(ConflictError):
        issue(kyc_officer, investor)
    with pytest.raises(ConflictError) as early:
        cs.citadel_licence_revoke(actor=kyc_officer, licence_id=licence.pk, reason="fraud")
    assert early.value.code == "not_revocable"  # pending: no position yet
    licence.status, licence.position = CitadelLicence.Status.ACTIVE, 3
    licence.save()
    with pytest.raises(InvalidInput):
        cs.citadel_licence_revoke(actor=kyc_officer, licence_id=licence.pk, reason=" ")
    other_kyc = OrganisationFactory.create(kind=OrganisationKind.KYC_PROVIDER)
    with pytest.raises(PermissionDeniedError):
        cs.citadel_licence_revoke(
            actor=make_user(other_kyc, Role.COMPLIANCE_OFFICER), licence_id=licence.pk, reason="x"
        )
    cs.citadel_licence_revoke(actor=kyc_officer, licence_id=licence.pk, reason="identity document withdrawn")
    [sub] = ChainSubmission.objects.filter(kind=cs.LICENCE_REVOKE_KIND)
    assert bytes(sub.fn_args) == contract_abi.encode_citadel_revoke(3)
    finish(sub, succeeded=True)
    licence.refresh_from_db()
    assert licence.status == CitadelLicence.Status.REVOKED
    assert AuditEntry.objects.filter(action="citadel_licence.revoke").exists()
    with pytest.raises(NotFoundError):
        cs.citadel_licence_revoke(actor=kyc_officer, licence_id=kyc_officer.pk, reason="x")


def test_invalid_session_requests_before_any_chain_read(provider, kyc_officer, investor, make_user, broker_b):
    back_office = make_user(investor.broker, Role.BROKER_BACK_OFFICE)
    with pytest.raises(PermissionDeniedError):
        cs.citadel_session_open(
            actor=make_user(broker_b, Role.BROKER_BACK_OFFICE),
            client_account=investor,
            service="0x" + "11" * 32,
            reference="X",
            allowed_jurisdictions=[276],
            require_accredited=False,
        )
    with pytest.raises(InvalidInput) as refused:
        cs.citadel_session_open(
            actor=back_office,
            client_account=investor,
            service="0x" + "11" * 32,
            reference="X",
            allowed_jurisdictions=[276],
            require_accredited=False,
        )
    assert refused.value.code == "no_licence"


def _session(licence: CitadelLicence, job: ProofJob, user: User) -> CitadelSession:
    return CitadelSession.objects.create(
        licence=licence,
        holder="0x" + "ab" * 48,
        service="0x" + "11" * 32,
        day=20_000,
        proof_job=job,
        requested_by=user,
    )


def test_a_failed_proof_job_fails_the_session_and_a_done_one_waits_for_proven_calls(
    provider, kyc_officer, investor, make_user
):
    licence = issue(kyc_officer, investor)
    user = make_user(investor.broker, Role.BROKER_BACK_OFFICE)
    failed = ProofJob.objects.create(
        requested_by=user, circuit="citadel_license", idempotency_key="a", request_digest="0" * 64,
        status=ProofJob.Status.FAILED, error_code="no_setup",
    )  # fmt: skip
    session = _session(licence, failed, user)
    assert cs.citadel_sessions_advance() == 1
    session.refresh_from_db()
    assert (session.status, session.error) == (CitadelSession.Status.FAILED, "proof: no_setup")
    done = ProofJob.objects.create(
        requested_by=user, circuit="citadel_license", idempotency_key="b", request_digest="0" * 64,
        status=ProofJob.Status.DONE, proof=bytes(192), public_inputs=bytes(32 * 22),
    )  # fmt: skip
    waiting = _session(licence, done, user)
    advanced = cs.citadel_session_advance(session_id=waiting.pk)
    assert advanced is not None
    # no node answers here, so the citadel contract's key id cannot be read: the proved session
    # waits (the beat retries it) and nothing is queued
    assert advanced.status == CitadelSession.Status.PROVING
    assert not ChainSubmission.objects.filter(kind=cs.SESSION_USE_KIND).exists()
