"""KYC credentials without a chain: validation, permissions and organisation scoping, the
attributes encrypted at rest, the attribute hashing scheme (recomputed here from RFC 9380's
definition with hashlib), trusted-issuer registration bytes, the expiry sweep and erasure."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from chain.node.client import contract_abi as abi
from common.exceptions import ConflictError, InvalidInput, PermissionDeniedError
from common.models import AuditEntry
from identity import kyc_hashing, kyc_services
from identity.models import ClientAccount, KycCredential, Organisation, TrustedKycIssuer, User
from identity.roles import OrganisationKind, Role
from identity.services import chain_account_create, client_account_chain_account_create
from identity.signals import kyc_claims_lapsed
from ledger.models import ChainSubmission
from tests.factories import ClientAccountFactory, OrganisationFactory

NAME = "Zoë Quintessa Marlowe"
EVIDENCE = "MiFID II Annex II questionnaire 2026-11 ref Q-7731: 3 criteria met"


# -- fixtures -------------------------------------------------------------------------------
@pytest.fixture
def kyc_org(db: None) -> Organisation:
    organisation = OrganisationFactory.create(kind=OrganisationKind.KYC_PROVIDER, legal_name="KYC One")
    chain_account_create(organisation=organisation)
    return organisation


@pytest.fixture
def trusted(kyc_org: Organisation) -> TrustedKycIssuer:
    """The provider as the registry trusts it once its registration is Final."""
    return TrustedKycIssuer.objects.create(
        organisation=kyc_org, topics=kyc_services.ALL_TOPICS_MASK, status=TrustedKycIssuer.Status.TRUSTED
    )


@pytest.fixture
def kyc_officer(make_user: Callable[..., User], kyc_org: Organisation) -> User:
    return make_user(kyc_org, Role.COMPLIANCE_OFFICER)


@pytest.fixture
def client_account(broker_a: Organisation) -> ClientAccount:
    account = ClientAccountFactory.create(broker=broker_a)
    client_account_chain_account_create(client_account=account)
    return account


@pytest.fixture
def lapses() -> Iterator[list[dict[str, Any]]]:
    received: list[dict[str, Any]] = []

    def receiver(sender: object, signal: object, **kwargs: Any) -> None:
        received.append(kwargs)

    kyc_claims_lapsed.connect(receiver, weak=False)
    yield received
    kyc_claims_lapsed.disconnect(receiver)


def issue_args(subject_public_key: str, **overrides: Any) -> dict[str, Any]:
    return {
        "subject_public_key": subject_public_key,
        "holder_type": "natural_person",
        "legal_name": NAME,
        "date_of_birth_or_incorporation": dt.date(1984, 2, 29),
        "country": "DE",
        "investor_category": "professional",
        "category_evidence": EVIDENCE,
        "accredited": True,
        "expires_at": timezone.now() + dt.timedelta(days=365),
        **overrides,
    }


def _issue(officer: User, client_account: ClientAccount, **overrides: Any) -> KycCredential:
    subject = overrides.pop("subject_public_key", client_account.chain_account.public_key)
    return kyc_services.kyc_credential_issue(actor=officer, **issue_args(subject, **overrides))


# -- attribute hashing ----------------------------------------------------------------------
R = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001


def rfc9380_expand_message_xmd_sha256(msg: bytes, dst: bytes, length: int) -> bytes:
    """RFC 9380 §5.3.1 written out from the RFC for SHA-256 (b = 32, s = 64), independent of
    py_ecc."""
    ell = -(-length // 32)
    dst_prime = dst + bytes([len(dst)])
    b0 = hashlib.sha256(bytes(64) + msg + length.to_bytes(2, "big") + b"\x00" + dst_prime).digest()
    blocks = [hashlib.sha256(b0 + b"\x01" + dst_prime).digest()]
    for i in range(2, ell + 1):
        mixed = bytes(x ^ y for x, y in zip(b0, blocks[-1], strict=True))
        blocks.append(hashlib.sha256(mixed + bytes([i]) + dst_prime).digest())
    return b"".join(blocks)[:length]


def test_attribute_element_matches_rfc9380_hash_to_field_recomputed_independently():
    dst = b"GLOAM-KYC-ATTRIBUTES-V1_BLS12381FR_XMD:SHA-256_"
    assert dst == kyc_hashing.KYC_ATTRIBUTE_DST
    assert kyc_hashing.SCALAR_FIELD_ORDER == R
    expected = int.from_bytes(rfc9380_expand_message_xmd_sha256(b"country=DE", dst, 48), "big") % R
    assert kyc_hashing.attribute_field_element("country", "DE") == expected


def test_expand_message_xmd_matches_the_rfc_9380_test_vector():
    # RFC 9380 Appendix K.1 (expand_message_xmd SHA-256), msg "abc", len_in_bytes 0x20:
    # checks this file's own recomputation against the published vector.
    dst = b"QUUX-V01-CS02-with-expander-SHA256-128"
    assert (
        rfc9380_expand_message_xmd_sha256(b"abc", dst, 0x20).hex()
        == "d8ccab23b5985ccea865c6c97b6e5b8350e794e603b4b97902f53a8a0d605615"
    )


ATTRIBUTES = {
    "subject": "00" + "ab" * 48,
    "holder_type": "natural_person",
    "legal_name": NAME,
    "date": "1984-02-29",
    "country": "DE",
    "investor_category": "professional",
    "category_evidence": hashlib.sha256(EVIDENCE.encode()).hexdigest(),
    "accredited": "true",
}


def test_evidence_hash_is_sha256_of_salt_and_ordered_elements():
    salt = bytes(range(32))
    elements = kyc_hashing.compute_attribute_elements(ATTRIBUTES)
    manual = hashlib.sha256(salt)
    for name in kyc_hashing.ATTRIBUTE_ORDER:
        uniform = rfc9380_expand_message_xmd_sha256(
            f"{name}={ATTRIBUTES[name]}".encode(), kyc_hashing.KYC_ATTRIBUTE_DST, 48
        )
        manual.update((int.from_bytes(uniform, "big") % R).to_bytes(32, "big"))
    assert kyc_hashing.compute_evidence_hash(salt, elements) == manual.digest()


@pytest.mark.parametrize("name", kyc_hashing.ATTRIBUTE_ORDER)
def test_changing_any_attribute_changes_the_evidence_hash(name):
    salt = bytes(32)
    original = kyc_hashing.compute_evidence_hash(salt, kyc_hashing.compute_attribute_elements(ATTRIBUTES))
    changed = {**ATTRIBUTES, name: ATTRIBUTES[name] + "x"}
    assert (
        kyc_hashing.compute_evidence_hash(salt, kyc_hashing.compute_attribute_elements(changed)) != original
    )


def test_changing_the_salt_changes_the_evidence_hash():
    elements = kyc_hashing.compute_attribute_elements(ATTRIBUTES)
    assert kyc_hashing.compute_evidence_hash(bytes(32), elements) != kyc_hashing.compute_evidence_hash(
        bytes(31) + b"\x01", elements
    )


def test_invalid_hashing_input_is_refused():
    with pytest.raises(kyc_hashing.KycHashingError):
        kyc_hashing.compute_evidence_hash(bytes(16), [1])
    with pytest.raises(kyc_hashing.KycHashingError):
        kyc_hashing.compute_attribute_elements({"legal_name": NAME})


def test_issued_credential_hash_is_recomputable_from_its_attributes(kyc_officer, trusted, client_account):
    credential = _issue(kyc_officer, client_account, legal_name="  Zoë   Quintessa  Marlowe ")
    credential = KycCredential.objects.get(pk=credential.pk)
    assert credential.legal_name == NAME  # canonical: NFC, single spaces
    attributes = {
        **ATTRIBUTES,
        "subject": client_account.chain_account.address.hex(),
    }
    expected = kyc_hashing.compute_evidence_hash(
        bytes.fromhex(credential.salt), kyc_hashing.compute_attribute_elements(attributes)
    )
    assert credential.evidence_hash == expected.hex()


# -- encryption at rest ---------------------------------------------------------------------
def test_attributes_are_encrypted_at_rest_field_by_field(kyc_officer, trusted, client_account):
    credential = _issue(kyc_officer, client_account)
    columns = [
        "legal_name",
        "date_of_birth_or_incorporation",
        "country",
        "investor_category",
        "category_evidence",
        "accredited",
        "salt",
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(columns)} FROM identity_kyccredential WHERE id = %s",  # noqa: S608 - fixed names
            [credential.pk.hex if connection.vendor == "sqlite" else credential.pk],
        )
        row = cursor.fetchone()
    assert row is not None
    raw = " ".join(str(v) for v in row)
    for plaintext in ("Zoë", "Marlowe", "1984-02-29", "professional", "Q-7731", EVIDENCE):
        assert plaintext not in raw
    assert all(str(v).startswith("gAAAAA") for v in row), "every column is a Fernet token"
    assert len(set(row)) == len(row)
    loaded = KycCredential.objects.get(pk=credential.pk)
    assert (loaded.legal_name, loaded.country, loaded.category_evidence) == (NAME, "DE", EVIDENCE)


# -- issuing: claims queued, validation, refusals -------------------------------------------
def test_issue_queues_the_four_claims_with_expiry_and_evidence_hash(kyc_officer, trusted, client_account):
    credential = _issue(kyc_officer, client_account)
    assert credential.status == KycCredential.Status.PENDING
    rows = list(ChainSubmission.objects.filter(kind=kyc_services.CLAIM_ADD_KIND).order_by("created_at"))
    assert [r.fn_name for r in rows] == ["add_claim"] * 4
    assert {r.chain_account_id for r in rows} == {trusted.organisation.chain_account.pk}
    address = client_account.chain_account.address
    expiry = int(credential.expires_at.timestamp())
    evidence = bytes.fromhex(credential.evidence_hash)
    expected = [
        abi.encode_claim(subject=address, topic=1, value=1, expiry=expiry, evidence_hash=evidence),
        abi.encode_claim(
            subject=address, topic=2, value=abi.encode_country("DE"), expiry=expiry, evidence_hash=evidence
        ),
        abi.encode_claim(subject=address, topic=3, value=2, expiry=expiry, evidence_hash=evidence),
        abi.encode_claim(subject=address, topic=4, value=1, expiry=expiry, evidence_hash=evidence),
    ]
    assert sorted(bytes(r.fn_args) for r in rows) == sorted(expected)
    entry = AuditEntry.objects.get(action="kyc_credential.issue")
    assert NAME not in str(entry.changes)
    assert "1984" not in str(entry.changes)


def test_not_accredited_gets_three_claims(kyc_officer, trusted, client_account):
    credential = _issue(kyc_officer, client_account, accredited=False)
    assert credential.claim_topics == [1, 2, 3]
    assert ChainSubmission.objects.filter(kind=kyc_services.CLAIM_ADD_KIND).count() == 3


def _nothing_written(before_audit: int) -> None:
    assert KycCredential.objects.count() == 0
    assert ChainSubmission.objects.filter(kind=kyc_services.CLAIM_ADD_KIND).count() == 0
    assert AuditEntry.objects.count() == before_audit


def test_invalid_untrusted_provider_is_refused_before_anything_is_queued(kyc_officer, client_account):
    before = AuditEntry.objects.count()
    with pytest.raises(InvalidInput) as refused:
        _issue(kyc_officer, client_account)
    assert refused.value.code == "untrusted_issuer"
    _nothing_written(before)


def test_invalid_provider_trusted_for_some_topics_only(kyc_officer, kyc_org, client_account):
    TrustedKycIssuer.objects.create(organisation=kyc_org, topics=0b00110, status="trusted")  # topics 1, 2
    before = AuditEntry.objects.count()
    with pytest.raises(InvalidInput) as refused:
        _issue(kyc_officer, client_account)
    assert refused.value.details["missing_topics"] == ["investor_category", "accredited"]
    _nothing_written(before)


def test_invalid_provider_whose_trust_is_pending_or_removed(kyc_officer, kyc_org, client_account):
    for status in ("pending", "removed"):
        TrustedKycIssuer.objects.all().delete()
        TrustedKycIssuer.objects.create(
            organisation=kyc_org, topics=kyc_services.ALL_TOPICS_MASK, status=status
        )
        with pytest.raises(InvalidInput, match="not a trusted claim issuer"):
            _issue(kyc_officer, client_account)


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"country": "XX"}, "invalid_attribute"),
        ({"country": "Germany"}, "invalid_attribute"),
        ({"legal_name": "   "}, "invalid_attribute"),
        ({"date_of_birth_or_incorporation": dt.date(2999, 1, 1)}, "invalid_attribute"),
        ({"investor_category": "whale"}, "invalid_attribute"),
        ({"holder_type": "robot"}, "invalid_attribute"),
        ({"category_evidence": ""}, "invalid_attribute"),
        ({"expires_at": timezone.now() - dt.timedelta(seconds=1)}, "invalid_expiry"),
        ({"expires_at": timezone.now() + dt.timedelta(days=6 * 366)}, "invalid_expiry"),
        ({"subject_public_key": "0x" + "ab" * 48}, "unknown_subject"),
    ],
)
def test_invalid_attributes_are_refused_and_nothing_is_written(
    kyc_officer, trusted, client_account, overrides, code
):
    before = AuditEntry.objects.count()
    with pytest.raises(InvalidInput) as refused:
        _issue(kyc_officer, client_account, **overrides)
    assert refused.value.code == code
    _nothing_written(before)


def test_invalid_second_live_credential_for_the_same_subject(kyc_officer, trusted, client_account):
    _issue(kyc_officer, client_account)
    with pytest.raises(ConflictError) as refused:
        _issue(kyc_officer, client_account)
    assert refused.value.code == "credential_exists"


def test_invalid_issue_by_other_roles_is_forbidden(
    make_user, issuer, trusted, client_account, operator, broker_a
):
    issuer_compliance = make_user(issuer, Role.COMPLIANCE_OFFICER)
    broker_user = make_user(broker_a, Role.BROKER_BACK_OFFICE)
    for actor in (issuer_compliance, operator, broker_user):
        with pytest.raises(PermissionDeniedError):
            _issue(actor, client_account)


# -- lifecycle without a chain: expiry sweep, revoke, erase ---------------------------------
def test_sweep_marks_expired_and_sends_the_signal(kyc_officer, trusted, client_account, lapses):
    credential = _issue(kyc_officer, client_account)
    KycCredential.objects.filter(pk=credential.pk).update(
        status="active", expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert kyc_services.kyc_credentials_expire() == 1
    assert KycCredential.objects.get(pk=credential.pk).status == "expired"
    assert lapses == [
        {
            "chain_account_ids": [str(client_account.chain_account.pk)],
            "topics": [1, 2, 3, 4],
            "reason": "expired",
        }
    ]
    assert AuditEntry.objects.filter(action="kyc_credential.expire", object_id=str(credential.pk)).exists()
    assert kyc_services.kyc_credentials_expire() == 0  # once


def test_sweep_leaves_unexpired_and_pending_credentials(kyc_officer, trusted, client_account, lapses):
    credential = _issue(kyc_officer, client_account)
    KycCredential.objects.filter(pk=credential.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert kyc_services.kyc_credentials_expire() == 0  # pending: its claims were never Final
    KycCredential.objects.filter(pk=credential.pk).update(
        status="active", expires_at=timezone.now() + dt.timedelta(minutes=1)
    )
    assert kyc_services.kyc_credentials_expire() == 0
    assert lapses == []


def test_revoke_queues_revocations_and_sends_the_signal(kyc_officer, trusted, client_account, lapses):
    credential = _issue(kyc_officer, client_account)
    KycCredential.objects.filter(pk=credential.pk).update(status="active")
    with pytest.raises(InvalidInput):
        kyc_services.kyc_credential_revoke(actor=kyc_officer, credential_id=credential.pk, reason=" ")
    revoked = kyc_services.kyc_credential_revoke(
        actor=kyc_officer, credential_id=credential.pk, reason="fraud alert"
    )
    assert revoked.status == "revoked"
    args = [bytes(r.fn_args) for r in ChainSubmission.objects.filter(kind=kyc_services.CLAIM_REVOKE_KIND)]
    address = client_account.chain_account.address
    assert sorted(args) == [address + bytes([t]) for t in (1, 2, 3, 4)]
    assert lapses[0]["reason"] == "revoked"
    with pytest.raises(ConflictError):
        kyc_services.kyc_credential_revoke(actor=kyc_officer, credential_id=credential.pk, reason="again")


def test_erase_empties_the_attributes_keeps_the_hash_and_audits_without_personal_data(
    kyc_officer, trusted, client_account, lapses
):
    credential = _issue(kyc_officer, client_account)
    KycCredential.objects.filter(pk=credential.pk).update(status="active")
    erased = kyc_services.kyc_credential_erase(
        actor=kyc_officer, credential_id=credential.pk, request_reference="DSR-42"
    )
    loaded = KycCredential.objects.get(pk=credential.pk)
    assert loaded.status == "erased"
    assert loaded.evidence_hash == credential.evidence_hash
    assert (loaded.legal_name, loaded.country, loaded.category_evidence, loaded.salt) == ("", "", "", "")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT legal_name, date_of_birth_or_incorporation, category_evidence, salt "
            "FROM identity_kyccredential WHERE id = %s",
            [erased.pk.hex if connection.vendor == "sqlite" else erased.pk],
        )
        assert cursor.fetchone() == ("", "", "", "")
    assert ChainSubmission.objects.filter(kind=kyc_services.CLAIM_REVOKE_KIND).count() == 4
    assert lapses[0]["reason"] == "erased"
    entry = AuditEntry.objects.get(action="kyc_credential.erase")
    assert entry.changes["request_reference"] == "DSR-42"
    for entry in AuditEntry.objects.filter(object_id=str(credential.pk)):
        text = str(entry.changes) + str(entry.before)
        assert NAME not in text
        assert "1984" not in text
        assert EVIDENCE not in text
    with pytest.raises(ConflictError):
        kyc_services.kyc_credential_erase(
            actor=kyc_officer, credential_id=credential.pk, request_reference="DSR-42"
        )


def test_invalid_change_by_another_provider_is_not_found(kyc_officer, trusted, client_account, make_user):
    credential = _issue(kyc_officer, client_account)
    other_org = OrganisationFactory.create(kind=OrganisationKind.KYC_PROVIDER)
    other = make_user(other_org, Role.COMPLIANCE_OFFICER)
    from common.exceptions import NotFoundError

    with pytest.raises(NotFoundError):
        kyc_services.kyc_credential_revoke(actor=other, credential_id=credential.pk, reason="x")
    assert KycCredential.objects.get(pk=credential.pk).status == "pending"


# -- trusted issuers ------------------------------------------------------------------------
def test_operator_registers_a_trusted_issuer_from_the_registry_admin(operator, operator_org, kyc_org):
    chain_account_create(organisation=operator_org)
    trusted = kyc_services.trusted_kyc_issuer_register(
        actor=operator, organisation_id=kyc_org.pk, topics=[1, 2]
    )
    assert trusted.status == "pending"
    assert trusted.topics == 0b110
    (row,) = ChainSubmission.objects.filter(kind=kyc_services.TRUST_ADD_KIND)
    assert row.chain_account_id == operator_org.chain_account.pk
    assert row.fn_name == "add_trusted_issuer"
    assert bytes(row.fn_args) == bytes.fromhex(kyc_org.chain_account.public_key[2:]) + (6).to_bytes(
        4, "little"
    )
    with pytest.raises(ConflictError):
        kyc_services.trusted_kyc_issuer_register(actor=operator, organisation_id=kyc_org.pk)


def test_invalid_trusted_issuer_registrations(operator, operator_org, kyc_org, broker_a, kyc_officer):
    chain_account_create(organisation=operator_org)
    chain_account_create(organisation=broker_a)
    with pytest.raises(InvalidInput) as refused:
        kyc_services.trusted_kyc_issuer_register(actor=operator, organisation_id=broker_a.pk)
    assert refused.value.code == "not_kyc_provider"
    with pytest.raises(InvalidInput) as refused:
        kyc_services.trusted_kyc_issuer_register(actor=operator, organisation_id=kyc_org.pk, topics=[9])
    assert refused.value.code == "invalid_topic"
    with pytest.raises(PermissionDeniedError):
        kyc_services.trusted_kyc_issuer_register(actor=kyc_officer, organisation_id=kyc_org.pk)
    assert TrustedKycIssuer.objects.count() == 0
    assert ChainSubmission.objects.filter(kind=kyc_services.TRUST_ADD_KIND).count() == 0


# -- the API: scoping and who sees the attributes -------------------------------------------
def _api_issue_body(public_key: str) -> dict[str, Any]:
    body = issue_args(public_key)
    body["date_of_birth_or_incorporation"] = "1984-02-29"
    body["expires_at"] = (timezone.now() + dt.timedelta(days=30)).isoformat()
    return body


def test_api_scoping_and_attribute_visibility(
    api_client_for, kyc_officer, trusted, client_account, make_user, broker_a, broker_b, regulator, operator
):
    response = api_client_for(kyc_officer).post(
        "/api/v1/kyc/credentials/", _api_issue_body(client_account.chain_account.public_key), format="json"
    )
    assert response.status_code == 201, response.json()
    credential_id = response.json()["id"]
    assert response.json()["attributes"]["legal_name"] == NAME
    url = f"/api/v1/kyc/credentials/{credential_id}/"

    broker_user = make_user(broker_a, Role.BROKER_BACK_OFFICE)
    seen = api_client_for(broker_user).get(url)
    assert seen.status_code == 200
    assert seen.json()["status"] == "pending"
    assert seen.json()["attributes"] is None
    assert api_client_for(broker_user).get("/api/v1/kyc/credentials/").json()["count"] == 1

    other_broker = make_user(broker_b, Role.BROKER_TRADER)
    assert api_client_for(other_broker).get(url).status_code == 404
    assert api_client_for(other_broker).get("/api/v1/kyc/credentials/").json()["count"] == 0

    assert api_client_for(regulator).get(url).json()["attributes"]["country"] == "DE"
    assert api_client_for(operator).get(url).json()["attributes"] is None

    other_provider = make_user(
        OrganisationFactory.create(kind=OrganisationKind.KYC_PROVIDER), Role.COMPLIANCE_OFFICER
    )
    assert api_client_for(other_provider).get(url).status_code == 404

    forbidden = api_client_for(broker_user).post(
        "/api/v1/kyc/credentials/", _api_issue_body(client_account.chain_account.public_key), format="json"
    )
    assert forbidden.status_code == 403
    assert forbidden.json()["error"]["code"] == "permission_denied"
    revoke = api_client_for(regulator).post(url + "revoke/", {"reason": "x"}, format="json")
    assert revoke.status_code == 403


def test_api_invalid_input_answers_400_with_the_code(api_client_for, kyc_officer, client_account):
    body = _api_issue_body(client_account.chain_account.public_key)
    response = api_client_for(kyc_officer).post("/api/v1/kyc/credentials/", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "untrusted_issuer"
    response = api_client_for(kyc_officer).post(
        "/api/v1/kyc/credentials/", {**body, "investor_category": "whale"}, format="json"
    )
    assert response.status_code == 400
    assert KycCredential.objects.count() == 0


def test_api_filters_by_status_and_subject(api_client_for, kyc_officer, trusted, client_account, broker_a):
    _issue(kyc_officer, client_account)
    chain_account_create(organisation=broker_a)
    _issue(
        kyc_officer,
        client_account,
        subject_public_key=broker_a.chain_account.public_key,
        holder_type="legal_entity",
    )
    client = api_client_for(kyc_officer)
    assert client.get("/api/v1/kyc/credentials/?status=pending").json()["count"] == 2
    assert client.get("/api/v1/kyc/credentials/?status=active").json()["count"] == 0
    only = client.get(f"/api/v1/kyc/credentials/?subject={broker_a.chain_account.public_key}").json()
    assert only["count"] == 1
    assert only["results"][0]["holder_type"] == "legal_entity"
    assert client.get("/api/v1/kyc/credentials/?status=nonsense").status_code == 400


# -- affected holdings ----------------------------------------------------------------------
def test_affected_holdings_list_the_subjects_instruments(
    api_client_for, kyc_officer, trusted, client_account, issuer
):
    from decimal import Decimal

    from issuance.models import Instrument, InstrumentStatus
    from ledger.models import TokenHolding
    from tests.issuance.conftest import make_bond_terms

    bond = Instrument.objects.create(
        **make_bond_terms(), issuer=issuer, status=InstrumentStatus.LIVE, contract_id="0x" + "cd" * 32
    )
    credential = _issue(kyc_officer, client_account)
    address = client_account.chain_account.address.hex()
    common = {"last_tx_id": "0x" + "00" * 32, "last_changed_at": timezone.now()}
    TokenHolding.objects.create(
        contract=bond.contract_id, holder=address, balance=7, last_height=12, **common
    )
    TokenHolding.objects.create(
        contract="0x" + "ee" * 32, holder=address, balance=500, last_height=12, **common
    )
    TokenHolding.objects.create(
        contract=bond.contract_id, holder="00" + "11" * 48, balance=3, last_height=9, **common
    )
    rows = api_client_for(kyc_officer).get(f"/api/v1/kyc/credentials/{credential.pk}/holdings/").json()
    assert len(rows) == 1, "cash and other holders are left out"
    assert rows[0]["isin"] == bond.isin
    assert rows[0]["units"] == 7
    assert Decimal(rows[0]["quantity"]) == 7 * bond.token_unit


def test_api_lifecycle_endpoints(api_client_for, kyc_officer, trusted, client_account):
    credential = _issue(kyc_officer, client_account)
    client = api_client_for(kyc_officer)
    url = f"/api/v1/kyc/credentials/{credential.pk}/"
    later = (timezone.now() + dt.timedelta(days=400)).isoformat()
    refused = client.post(url + "renew/", {"expires_at": later}, format="json")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "not_renewable"  # still pending
    KycCredential.objects.filter(pk=credential.pk).update(status="active")
    renewed = client.post(url + "renew/", {"expires_at": later}, format="json")
    assert renewed.status_code == 200
    assert renewed.json()["status"] == "renewing"
    assert ChainSubmission.objects.filter(kind=kyc_services.CLAIM_ADD_KIND).count() == 8
    erased = client.post(url + "erase/", {"request_reference": "DSR-9"}, format="json")
    assert erased.status_code == 200
    assert erased.json()["status"] == "erased"
    assert erased.json()["attributes"] is None
    again = client.post(url + "erase/", {"request_reference": "DSR-9"}, format="json")
    assert again.json()["error"]["code"] == "already_erased"
