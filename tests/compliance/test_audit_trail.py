"""The audit trail records who (user, organisation, roles), the request id, what, the values
before and after; compliance officers search and export it; each export re-hashes to the
chain; and the verification command finds edits, deletions and a rewritten chain."""

from __future__ import annotations

import csv
import io
import json
import uuid

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from common.audit_hashing import (
    AUDIT_GENESIS_HASH,
    AuditHashError,
    compute_audit_content_digest,
    compute_audit_entry_hash,
    decode_anchor_memo,
    encode_anchor_memo,
)
from common.models import AuditChainHead, AuditEntry
from common.services import audit_entry_create, compute_audit_hash
from compliance.audit import audit_trail_verify
from compliance.models import AuditAnchor
from identity.roles import Role
from ledger.models import ChainSubmission


@pytest.fixture
def trail(api_client_for, broker_a, broker_b, make_user):
    """Audited writes by two brokers, the first with a request id of its own."""
    first = api_client_for(make_user(broker_a, Role.BROKER_BACK_OFFICE, username="bo-a"))
    second = api_client_for(make_user(broker_b, Role.BROKER_BACK_OFFICE, username="bo-b"))
    request_id = str(uuid.uuid4())
    response = first.post(
        "/api/v1/client-accounts/",
        {"account_reference": "A-1", "name": "Client A1", "holder_type": "natural_person"},
        HTTP_X_REQUEST_ID=request_id,
    )
    assert response.status_code == 201, response.content
    assert response["X-Request-ID"] == request_id
    second.post(
        "/api/v1/client-accounts/",
        {"account_reference": "B-1", "name": "Client B1", "holder_type": "natural_person"},
    )
    return request_id


def test_an_entry_records_request_id_roles_organisation_and_values(trail, broker_a):
    entry = AuditEntry.objects.get(request_id=trail, action="client_account.create")
    assert entry.actor is not None
    assert entry.actor.username == "bo-a"
    assert entry.actor_roles == Role.BROKER_BACK_OFFICE.value
    assert entry.organisation == broker_a
    assert entry.changes["name"] == "Client A1"
    others = AuditEntry.objects.exclude(request_id=trail).filter(action="client_account.create")
    assert others.count() == 1
    assert others.get().request_id not in ("", trail)


def test_before_values_are_hashed_with_the_entry(broker_a):
    entry = audit_entry_create(
        actor=None,
        action="organisation.rename",
        obj=broker_a,
        organisation=broker_a,
        before={"legal_name": "Old"},
        changes={"legal_name": "New"},
    )
    assert entry.before == {"legal_name": "Old"}
    AuditEntry.objects.filter(pk=entry.pk).update(before={"legal_name": "Forged"})
    entry.refresh_from_db()
    assert compute_audit_hash(entry, entry.previous_hash) != entry.entry_hash
    assert audit_trail_verify().chain.broken_at == entry.sequence


def test_search_filters_and_scoping(trail, api_client_for, make_user, broker_a, broker_b, operator):
    officer = api_client_for(make_user(broker_a, Role.COMPLIANCE_OFFICER))
    own = officer.get("/api/v1/audit-entries/").json()["results"]
    assert own
    assert {e["organisation"] for e in own} == {str(broker_a.pk)}
    by_request = officer.get("/api/v1/audit-entries/", {"request_id": trail}).json()["results"]
    assert [e["action"] for e in by_request] == ["client_account.create"] or len(by_request) >= 1
    assert all(e["request_id"] == trail for e in by_request)
    op = api_client_for(operator)
    by_user = op.get("/api/v1/audit-entries/", {"actor": "bo-b"}).json()["results"]
    assert by_user
    assert all(e["actor"] == "bo-b" for e in by_user)
    by_org = op.get("/api/v1/audit-entries/", {"organisation": str(broker_b.pk)}).json()["results"]
    assert by_org
    assert all(e["organisation"] == str(broker_b.pk) for e in by_org)
    by_prefix = op.get("/api/v1/audit-entries/", {"action": "client_account."}).json()["results"]
    assert {e["action"].split(".")[0] for e in by_prefix} == {"client_account"}
    assert op.get("/api/v1/audit-entries/", {"until": "2000-01-01T00:00:00Z"}).json()["count"] == 0
    assert op.get("/api/v1/audit-entries/", {"since": "2000-01-01T00:00:00Z"}).json()["count"] >= 2


def test_invalid_filters_and_roles_are_refused(trail, api_client_for, make_user, broker_a, operator):
    response = api_client_for(operator).get("/api/v1/audit-entries/", {"since": "yesterday"})
    assert response.status_code == 400
    assert "since" in json.dumps(response.json())
    trader = api_client_for(make_user(broker_a, Role.BROKER_TRADER))
    assert trader.get("/api/v1/audit-entries/").status_code == 403
    assert trader.get("/api/v1/audit-entries/export/").status_code == 403
    response = api_client_for(operator).get("/api/v1/audit-entries/export/", {"export_format": "xml"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_export_format"


def _body(response) -> str:
    return b"".join(response.streaming_content).decode()


def test_json_export_rehashes_to_the_chain_and_is_audited(trail, api_client_for, operator):
    before = AuditEntry.objects.count()
    response = api_client_for(operator).get("/api/v1/audit-entries/export/", {"export_format": "json"})
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    records = json.loads(_body(response))
    assert [r["document"]["sequence"] for r in records] == list(range(1, before + 1))
    previous = AUDIT_GENESIS_HASH
    for record in records:  # what a third party would do with the export alone
        assert record["previous_hash"] == previous
        previous = compute_audit_entry_hash(previous, compute_audit_content_digest(record["document"]))
        assert previous == record["entry_hash"]
    exported = AuditEntry.objects.order_by("-sequence").first()
    assert exported is not None
    assert exported.action == "audit.export"
    assert exported.changes["format"] == "json"


def test_csv_export_follows_the_filters(trail, api_client_for, operator):
    response = api_client_for(operator).get(
        "/api/v1/audit-entries/export/", {"export_format": "csv", "actor": "bo-a"}
    )
    rows = list(csv.DictReader(io.StringIO(_body(response))))
    assert rows
    assert {r["actor_username"] for r in rows} == {"bo-a"}
    assert all(json.loads(r["changes"]) is not None for r in rows)
    assert any(r["request_id"] == trail for r in rows)


def test_the_audit_page_searches_and_verifies(trail, client, make_user, broker_a):
    officer = make_user(broker_a, Role.COMPLIANCE_OFFICER)
    client.force_login(officer)
    page = client.get("/audit-trail/", {"request_id": trail}).content.decode()
    assert "client_account.create" in page
    assert trail[:10] in page
    assert "Export CSV" in page
    bad = client.get("/audit-trail/", {"since": "not a time"})
    assert bad.status_code == 200
    assert "since" in bad.content.decode()
    panel = client.get("/audit-trail/verify/").content.decode()
    assert 'data-audit-verify="intact"' in panel
    AuditEntry.objects.filter(request_id=trail).update(changes={"name": "edited"})
    panel = client.get("/audit-trail/verify/").content.decode()
    assert 'data-audit-verify="broken"' in panel
    assert "broken at entry" in panel


def test_anchor_memo_round_trips_and_refuses_other_memos():
    memo = encode_anchor_memo(7, "ab" * 32)
    assert decode_anchor_memo(memo) == (7, "ab" * 32)
    for bad in (b"", memo[:-1], b"x" + memo[1:], b"hello"):
        with pytest.raises(AuditHashError, match="not an audit anchor memo"):
            decode_anchor_memo(bad)
    with pytest.raises(AuditHashError, match="sequence must be"):
        encode_anchor_memo(0, "ab" * 32)


def _anchored(entry: AuditEntry, operator_org) -> AuditAnchor:
    from ledger.models import ChainAccount

    account = ChainAccount.objects.create(
        organisation=operator_org, public_key="0x" + "11" * 48, encrypted_secret_key=b"x"
    )
    submission = ChainSubmission.objects.create(
        chain_account=account, kind="audit.anchor", operation="transfer", gas_limit=1, status="final"
    )
    return AuditAnchor.objects.create(
        sequence=entry.sequence or 0,
        entry_hash=entry.entry_hash,
        submission=submission,
        status=AuditAnchor.Status.ANCHORED,
        tx_id="0x" + "22" * 32,
        block_height=5,
    )


def test_invalid_rewrite_of_the_whole_chain_is_caught_by_its_anchor(trail, operator_org):
    """Someone with database access edits an entry and recomputes every later hash and the
    head: the chain verifies again, but the anchor no longer matches."""
    entries = list(AuditEntry.objects.order_by("sequence"))
    _anchored(entries[-1], operator_org)
    call_command("audit_verify")
    AuditEntry.objects.filter(pk=entries[0].pk).update(changes={"forged": True})
    previous = AUDIT_GENESIS_HASH
    for entry in AuditEntry.objects.order_by("sequence"):
        entry.previous_hash = previous
        entry.entry_hash = compute_audit_hash(entry, previous)
        entry.save(update_fields=["previous_hash", "entry_hash"])
        previous = entry.entry_hash
    AuditChainHead.objects.filter(id=1).update(entry_hash=previous)
    report = audit_trail_verify()
    assert report.chain.broken_at is None
    assert not report.ok
    assert report.anchor_problems[0].reason == "the entry's hash differs from the anchored one"
    with pytest.raises(CommandError, match="audit anchors do not match"):
        call_command("audit_verify")
