"""Idempotency replay bodies at rest: encrypted (no KYC attribute or webhook secret in the
table), still replayed byte-for-byte, and deleted when the KYC credential is erased."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.utils import timezone

from common.models import IdempotencyRecord
from identity import kyc_services
from identity.models import ClientAccount, Organisation, TrustedKycIssuer
from identity.roles import OrganisationKind, Role
from identity.services import chain_account_create, client_account_chain_account_create
from tests.factories import ClientAccountFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

NAME = "Zoë Quintessa Marlowe"
EVIDENCE = "MiFID II Annex II questionnaire 2026-11 ref Q-7731: 3 criteria met"


def _raw_rows() -> list[tuple[str, str, str | None]]:
    table = IdempotencyRecord._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT key, path, response_body FROM {table}")  # noqa: S608 - table name
        return [(str(k), str(p), None if b is None else str(b)) for k, p, b in cursor.fetchall()]


@pytest.fixture
def kyc_client(api_client_for, make_user, broker_a):
    provider = OrganisationFactory.create(kind=OrganisationKind.KYC_PROVIDER, legal_name="KYC One")
    chain_account_create(organisation=provider)
    TrustedKycIssuer.objects.create(
        organisation=provider, topics=kyc_services.ALL_TOPICS_MASK, status=TrustedKycIssuer.Status.TRUSTED
    )
    return api_client_for(make_user(provider, Role.COMPLIANCE_OFFICER))


@pytest.fixture
def subject_key(broker_a: Organisation) -> str:
    account: ClientAccount = ClientAccountFactory.create(broker=broker_a)
    client_account_chain_account_create(client_account=account)
    account.refresh_from_db()
    return account.chain_account.public_key


def _issue_body(public_key: str) -> dict[str, object]:
    return {
        "subject_public_key": public_key,
        "holder_type": "natural_person",
        "legal_name": NAME,
        "date_of_birth_or_incorporation": "1984-02-29",
        "country": "DE",
        "investor_category": "professional",
        "category_evidence": EVIDENCE,
        "accredited": True,
        "expires_at": (timezone.now() + dt.timedelta(days=30)).isoformat(),
    }


def test_kyc_replay_body_is_encrypted_at_rest_and_replays_the_same_response(kyc_client, subject_key):
    body = _issue_body(subject_key)
    first = kyc_client.post("/api/v1/kyc/credentials/", body, format="json", HTTP_IDEMPOTENCY_KEY="kyc-1")
    assert first.status_code == 201, first.json()
    assert first.json()["attributes"]["legal_name"] == NAME

    rows = _raw_rows()
    assert len(rows) == 1
    stored = rows[0][2]
    assert stored is not None
    for plaintext in (NAME, json.dumps(NAME)[1:-1], "Quintessa", "1984-02-29", "Q-7731", "legal_name"):
        assert plaintext not in stored
    assert stored.startswith("gAAAAA")  # a Fernet token

    replay = kyc_client.post("/api/v1/kyc/credentials/", body, format="json", HTTP_IDEMPOTENCY_KEY="kyc-1")
    assert replay.status_code == first.status_code
    assert replay.json() == first.json()
    assert replay["Idempotent-Replayed"] == "true"
    assert IdempotencyRecord.objects.get().object_id == first.json()["id"]


def test_erasing_the_credential_deletes_its_replay_records(kyc_client, subject_key):
    issued = kyc_client.post(
        "/api/v1/kyc/credentials/", _issue_body(subject_key), format="json", HTTP_IDEMPOTENCY_KEY="kyc-1"
    )
    assert issued.status_code == 201
    url = f"/api/v1/kyc/credentials/{issued.json()['id']}/"
    revoked = kyc_client.post(url + "revoke/", {"reason": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="kyc-2")
    assert revoked.status_code == 200
    assert IdempotencyRecord.objects.filter(key__in=["kyc-1", "kyc-2"]).count() == 2

    erased = kyc_client.post(
        url + "erase/", {"request_reference": "DSR-9"}, format="json", HTTP_IDEMPOTENCY_KEY="kyc-3"
    )
    assert erased.status_code == 200
    assert not IdempotencyRecord.objects.filter(key__in=["kyc-1", "kyc-2"]).exists()
    # What is left (the erase's own replay) holds no attribute, encrypted or not.
    assert [key for key, _, _ in _raw_rows()] == ["kyc-3"]
    assert IdempotencyRecord.objects.get().response_body["attributes"] is None


def test_webhook_secret_is_not_stored_in_plaintext(api_client_for, make_user, broker_a, settings):
    settings.GLOAM_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    client = api_client_for(make_user(broker_a, Role.BROKER_BACK_OFFICE))
    body = {"url": "http://127.0.0.1:9/hook"}
    first = client.post("/api/v1/webhook-endpoints/", body, format="json", HTTP_IDEMPOTENCY_KEY="wh-1")
    assert first.status_code == 201, first.json()
    secret = first.json()["secret"]
    assert secret
    assert all(secret not in stored for _, _, stored in _raw_rows() if stored)
    replay = client.post("/api/v1/webhook-endpoints/", body, format="json", HTTP_IDEMPOTENCY_KEY="wh-1")
    assert replay.status_code == 201
    assert replay.json() == first.json()


def test_dumpdata_and_loaddata_round_trip_the_decoded_body(make_user, broker_a):
    from django.core import serializers

    record = IdempotencyRecord.objects.create(
        user=make_user(broker_a),
        key="k",
        request_fingerprint="0" * 64,
        method="POST",
        path="/x/",
        response_status=201,
        response_body={"id": "1", "n": [1, "Zoë"]},
    )
    dumped = serializers.serialize("json", [record])
    assert '"response_body": {"id": "1"' in dumped
    IdempotencyRecord.objects.all().delete()
    for obj in serializers.deserialize("json", dumped):
        obj.save()
    assert IdempotencyRecord.objects.get().response_body == {"id": "1", "n": [1, "Zoë"]}
