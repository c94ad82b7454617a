"""KYC credentials on a real four-node devnet: the operator trusts a KYC provider through the
outbox; issuing puts the four claims in the genesis identity registry (read back with
``claims_of`` on a node); renewal extends their expiry; revocation and erasure remove them
and send ``kyc_claims_lapsed``; a claim whose expiry passes stops counting at the block
timestamp and the sweep marks the credential expired; an untrusted provider is refused
before anything is queued, and a claim the chain refuses fails the credential; removing the
trusted issuer makes its claims stop counting."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from chain.node.client import contract_abi as abi
from common.exceptions import InvalidInput
from identity import kyc_services
from identity.models import KycCredential, Organisation, TrustedKycIssuer, User
from identity.roles import OrganisationKind, Role
from identity.services import chain_account_create
from identity.signals import kyc_claims_lapsed
from ledger.chain import get_claims_on_chain
from ledger.models import ChainAccount, ChainSubmission
from tests.factories import OrganisationFactory
from tests.platformchain import ChainPlatform

pytestmark = pytest.mark.django_db


@pytest.fixture
def lapses() -> Iterator[list[dict[str, Any]]]:
    received: list[dict[str, Any]] = []

    def receiver(sender: object, signal: object, **kwargs: Any) -> None:
        received.append(kwargs)

    kyc_claims_lapsed.connect(receiver, weak=False)
    yield received
    kyc_claims_lapsed.disconnect(receiver)


class Kyc:
    def __init__(self, chain: ChainPlatform, provider: Organisation, officer: User, operator: User) -> None:
        self.chain, self.provider, self.officer, self.operator = chain, provider, officer, operator

    @property
    def provider_key(self) -> bytes:
        return bytes.fromhex(self.provider.chain_account.public_key[2:])

    def new_subject(self) -> ChainAccount:
        """A fresh investor organisation's account (a key no other test uses)."""
        return chain_account_create(organisation=OrganisationFactory.create(kind=OrganisationKind.CUSTODIAN))

    def issue(self, subject: ChainAccount, expires_at: dt.datetime, **overrides: Any) -> KycCredential:
        fields: dict[str, Any] = {
            "subject_public_key": subject.public_key,
            "holder_type": "legal_entity",
            "legal_name": "Nimbus Pension Fund",
            "date_of_birth_or_incorporation": dt.date(1999, 5, 17),
            "country": "LU",
            "investor_category": "professional",
            "category_evidence": "per se professional: pension fund (Annex II I(1)(g))",
            "accredited": True,
            "expires_at": expires_at,
            **overrides,
        }
        return kyc_services.kyc_credential_issue(actor=self.officer, **fields)

    def settle_open(self, kind: str) -> list[ChainSubmission]:
        rows = list(ChainSubmission.objects.filter(kind=kind).exclude(status__in=["final", "rejected"]))
        assert rows, f"nothing of {kind} to settle"
        return self.chain.settle(rows)

    def claims(self, subject: ChainAccount) -> dict[int, abi.Claim]:
        """The subject's valid claims from this provider, by topic, as a node answers."""
        return {
            c.topic: c
            for c in get_claims_on_chain([subject.address])[subject.address]
            if c.issuer == self.provider_key
        }

    def head_timestamp(self) -> int:
        with self.chain.client as client:
            return client.get_head().timestamp


@pytest.fixture
def kyc(
    chain_platform: ChainPlatform, operator: User, operator_org: Organisation, make_user: Callable[..., User]
) -> Kyc:
    chain_platform.attach(operator_org, role="operator")
    provider = OrganisationFactory.create(kind=OrganisationKind.KYC_PROVIDER, legal_name="Devnet KYC")
    chain_platform.attach(provider)
    trusted = kyc_services.trusted_kyc_issuer_register(actor=operator, organisation_id=provider.pk)
    (done,) = chain_platform.settle(list(ChainSubmission.objects.filter(kind=kyc_services.TRUST_ADD_KIND)))
    assert done.succeeded, done.error
    assert TrustedKycIssuer.objects.get(pk=trusted.pk).status == "trusted"
    with chain_platform.client as client:
        registry = client.get_genesis_contracts()["identity_registry"]
        key = bytes.fromhex(provider.chain_account.public_key[2:])
        for topic in abi.ClaimTopic:
            assert client.query_contract(registry, "is_trusted_issuer", key + bytes([topic])) == b"\x01"
    provider.refresh_from_db()
    return Kyc(chain_platform, provider, make_user(provider, Role.COMPLIANCE_OFFICER), operator)


def test_issue_renew_and_revoke_on_chain(kyc: Kyc, lapses):
    subject = kyc.new_subject()
    expires = (timezone.now() + dt.timedelta(days=30)).replace(microsecond=0)
    credential = kyc.issue(subject, expires)
    rows = kyc.settle_open(kyc_services.CLAIM_ADD_KIND)
    assert all(r.succeeded for r in rows), [r.error for r in rows]
    credential.refresh_from_db()
    assert credential.status == "active"

    claims = kyc.claims(subject)
    assert sorted(claims) == [1, 2, 3, 4]
    assert claims[abi.ClaimTopic.KYC_VERIFIED].value == 1
    assert claims[abi.ClaimTopic.JURISDICTION].value == abi.encode_country("LU")
    assert claims[abi.ClaimTopic.INVESTOR_CATEGORY].value == abi.InvestorCategory.PROFESSIONAL
    assert claims[abi.ClaimTopic.ACCREDITED].value == 1
    assert {c.expiry for c in claims.values()} == {int(expires.timestamp())}
    added = [e for r in rows for e in r.events if e["topic"] == "claim_added"]
    assert len(added) == 4
    for event in added:  # the arguments ‖ issuer: only the hash of the attributes is on chain
        data = bytes.fromhex(event["data"].removeprefix("0x"))
        assert data[60:92].hex() == credential.evidence_hash
        assert data[92:] == kyc.provider_key

    renewed_to = expires + dt.timedelta(days=60)
    kyc_services.kyc_credential_renew(actor=kyc.officer, credential_id=credential.pk, expires_at=renewed_to)
    assert KycCredential.objects.get(pk=credential.pk).status == "renewing"
    kyc.settle_open(kyc_services.CLAIM_ADD_KIND)
    credential.refresh_from_db()
    assert (credential.status, credential.expires_at) == ("active", renewed_to)
    assert {c.expiry for c in kyc.claims(subject).values()} == {int(renewed_to.timestamp())}

    kyc_services.kyc_credential_revoke(actor=kyc.officer, credential_id=credential.pk, reason="mandate ended")
    assert lapses == [{"chain_account_ids": [str(subject.pk)], "topics": [1, 2, 3, 4], "reason": "revoked"}]
    rows = kyc.settle_open(kyc_services.CLAIM_REVOKE_KIND)
    assert all(r.succeeded for r in rows), [r.error for r in rows]
    assert kyc.claims(subject) == {}
    assert KycCredential.objects.get(pk=credential.pk).error == ""


def test_short_expiry_lapses_on_chain_and_the_sweep_marks_it_expired(kyc: Kyc, lapses):
    subject = kyc.new_subject()
    expiry = kyc.head_timestamp() + 30  # room for inclusion on a busy machine
    credential = kyc.issue(subject, dt.datetime.fromtimestamp(expiry, tz=dt.UTC), accredited=False)
    rows = kyc.settle_open(kyc_services.CLAIM_ADD_KIND)
    assert all(r.succeeded for r in rows), [r.error for r in rows]
    assert KycCredential.objects.get(pk=credential.pk).status == "active"
    if kyc.head_timestamp() < expiry:
        assert sorted(kyc.claims(subject)) == [1, 2, 3]
    deadline = time.monotonic() + 90
    while kyc.head_timestamp() < expiry:
        assert time.monotonic() < deadline, "the chain did not pass the expiry"
        time.sleep(0.5)
    assert kyc.claims(subject) == {}, "claims_of still counts an expired claim"
    while timezone.now().timestamp() < expiry:
        time.sleep(0.2)
    assert kyc_services.kyc_credentials_expire() == 1
    assert KycCredential.objects.get(pk=credential.pk).status == "expired"
    assert lapses == [{"chain_account_ids": [str(subject.pk)], "topics": [1, 2, 3], "reason": "expired"}]


def test_erasure_leaves_no_attributes_and_revokes_the_claims(kyc: Kyc, lapses):
    subject = kyc.new_subject()
    credential = kyc.issue(subject, timezone.now() + dt.timedelta(days=10))
    kyc.settle_open(kyc_services.CLAIM_ADD_KIND)
    assert sorted(kyc.claims(subject)) == [1, 2, 3, 4]
    kyc_services.kyc_credential_erase(
        actor=kyc.officer, credential_id=credential.pk, request_reference="DSR-2026-7"
    )
    rows = kyc.settle_open(kyc_services.CLAIM_REVOKE_KIND)
    assert all(r.succeeded for r in rows), [r.error for r in rows]
    assert kyc.claims(subject) == {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT legal_name, date_of_birth_or_incorporation, country, investor_category, "
            "category_evidence, accredited, salt, status, evidence_hash "
            "FROM identity_kyccredential WHERE id = %s",
            [credential.pk.hex if connection.vendor == "sqlite" else credential.pk],
        )
        row = cursor.fetchone()
    assert row[:7] == ("",) * 7
    assert row[7:] == ("erased", credential.evidence_hash)
    assert lapses[-1]["reason"] == "erased"


def test_untrusted_provider_is_refused_and_a_claim_the_chain_refuses_fails_the_credential(
    kyc: Kyc, make_user: Callable[..., User]
):
    stranger = OrganisationFactory.create(kind=OrganisationKind.KYC_PROVIDER, legal_name="Unvetted KYC")
    kyc.chain.attach(stranger, fresh=True)  # a key no other test made a trusted issuer
    officer = make_user(stranger, Role.COMPLIANCE_OFFICER)
    subject = kyc.new_subject()
    queued = ChainSubmission.objects.count()
    with pytest.raises(InvalidInput) as refused:
        Kyc(kyc.chain, stranger, officer, kyc.operator).issue(subject, timezone.now() + dt.timedelta(days=1))
    assert refused.value.code == "untrusted_issuer"
    assert ChainSubmission.objects.count() == queued
    assert not KycCredential.objects.exists()

    # The database believes it is trusted, the registry does not: the chain refuses the claim.
    TrustedKycIssuer.objects.create(
        organisation=stranger, topics=kyc_services.ALL_TOPICS_MASK, status="trusted"
    )
    credential = Kyc(kyc.chain, stranger, officer, kyc.operator).issue(
        subject, timezone.now() + dt.timedelta(days=1)
    )
    rows = kyc.settle_open(kyc_services.CLAIM_ADD_KIND)
    assert not any(r.succeeded for r in rows)
    credential.refresh_from_db()
    assert credential.status == "failed"
    assert "not_authorised" in credential.error


def test_removing_the_trusted_issuer_makes_its_claims_stop_counting(kyc: Kyc, lapses):
    subject = kyc.new_subject()
    kyc.issue(subject, timezone.now() + dt.timedelta(days=10))
    kyc.settle_open(kyc_services.CLAIM_ADD_KIND)
    assert sorted(kyc.claims(subject)) == [1, 2, 3, 4]
    trusted = TrustedKycIssuer.objects.get(organisation=kyc.provider)
    kyc_services.trusted_kyc_issuer_remove(actor=kyc.operator, trusted_issuer_id=trusted.pk)
    assert lapses == []  # only once it is Final
    kyc.settle_open(kyc_services.TRUST_REMOVE_KIND)
    assert TrustedKycIssuer.objects.get(pk=trusted.pk).status == "removed"
    assert kyc.claims(subject) == {}
    assert lapses == [
        {"chain_account_ids": [str(subject.pk)], "topics": [1, 2, 3, 4], "reason": "issuer_untrusted"}
    ]
