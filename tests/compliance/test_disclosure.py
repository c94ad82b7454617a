"""Selective disclosure without a chain: regulator keys (validation, rotation, who may),
disclosure requests refused with nothing written, who sees and downloads what (404 for
another regulator), audited access, the package's canonical form, the audit proof against
the platform's own hash chain, the memo layout, the tool's offline failures, and the
report's concentration and DLT Pilot figures."""

from __future__ import annotations

import base64
import datetime
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from nacl.public import PrivateKey, SealedBox
from rest_framework.test import APIClient

from common.models import AuditEntry
from common.services import audit_entry_create
from compliance import disclosure as disclosures
from compliance import reports
from compliance import verify_disclosure as tool
from compliance.models import AuditAnchor, Disclosure, RegulatorKey
from identity.models import Organisation, User
from identity.roles import OrganisationKind, Role
from issuance.models import Instrument, InstrumentKind
from ledger.models import ChainSubmission
from tests.factories import OrganisationFactory
from tests.issuance.conftest import make_bond_terms

pytestmark = pytest.mark.django_db
KEYS = "/api/v1/regulator-keys/"
DISCLOSURES = "/api/v1/disclosures/"


def _key() -> PrivateKey:
    return PrivateKey.generate()


def _b64(secret: PrivateKey) -> str:
    return base64.b64encode(bytes(secret.public_key)).decode()


# -- keys --------------------------------------------------------------------------------------
def test_a_regulator_registers_a_key_in_base64_or_hex_and_rotation_keeps_the_history(
    regulator: User, api_client_for: Callable[[User], APIClient]
) -> None:
    api = api_client_for(regulator)
    first, second = _key(), _key()
    made = api.post(KEYS, {"public_key": _b64(first)}, format="json")
    assert made.status_code == 201, made.content
    assert made.json()["fingerprint"] == tool.compute_key_fingerprint(bytes(first.public_key))
    assert (
        api.post(KEYS, {"public_key": "0x" + bytes(second.public_key).hex()}, format="json").status_code
        == 201
    )
    again = api.post(KEYS, {"public_key": bytes(second.public_key).hex()}, format="json")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "key_already_active")
    keys = RegulatorKey.objects.filter(organisation=regulator.organisation).order_by("created_at")
    assert [(k.public_key, k.active, k.retired_at is not None) for k in keys] == [
        (_b64(first), False, True),
        (_b64(second), True, False),
    ]
    listed = api.get(KEYS).json()["results"]
    assert [k["active"] for k in listed] == [True, False]
    assert AuditEntry.objects.filter(action="regulator_key.register").count() == 2


@pytest.mark.parametrize(
    "value",
    ["", "not a key", base64.b64encode(b"x" * 31).decode(), "ab" * 33, base64.b64encode(bytes(32)).decode()],
)
def test_invalid_keys_are_refused_and_nothing_is_stored(
    value: str, regulator: User, api_client_for: Callable[[User], APIClient]
) -> None:
    response = api_client_for(regulator).post(KEYS, {"public_key": value}, format="json")
    assert response.status_code == 400
    if value:
        assert response.json()["error"]["code"] == "invalid_key"
    assert not RegulatorKey.objects.exists()
    assert not AuditEntry.objects.filter(action="regulator_key.register").exists()


def test_invalid_key_registration_by_anyone_but_a_regulator(
    maker: User, api_client_for: Callable[[User], APIClient]
) -> None:
    response = api_client_for(maker).post(KEYS, {"public_key": _b64(_key())}, format="json")
    assert (response.status_code, response.json()["error"]["code"]) == (403, "not_a_regulator")
    assert api_client_for(maker).get(KEYS).json()["results"] == []
    assert not RegulatorKey.objects.exists()


# -- creating disclosures ----------------------------------------------------------------------
def _ask(api: APIClient, bond: Instrument, regulator_org: Organisation, **changes: Any) -> Any:
    now = timezone.now()
    body = {
        "instrument": str(bond.pk),
        "regulator": str(regulator_org.pk),
        "window_start": (now - datetime.timedelta(days=1)).isoformat(),
        "window_end": now.isoformat(),
        "checkpoint": 1,
        **changes,
    }
    return api.post(DISCLOSURES, body, format="json")


def test_an_issuer_admin_asks_for_a_disclosure_and_it_waits_building(
    ready: Organisation, bond: Instrument, maker: User, api_client_for: Callable[[User], APIClient]
) -> None:
    response = _ask(api_client_for(maker), bond, ready)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["checkpoint_number"], body["isin"]) == ("building", 1, bond.isin)
    end = datetime.datetime.fromisoformat(body["window_end"])
    assert end <= timezone.now()
    assert end.microsecond == 0  # whole seconds, as block timestamps
    assert AuditEntry.objects.filter(action="disclosure.create", object_id=body["id"]).count() == 1
    # no chain configured: nothing is sealed, and it stays building
    assert Disclosure.objects.get(pk=body["id"]).ciphertext in (b"", memoryview(b""))


def test_a_compliance_officer_of_the_issuer_may_disclose_and_a_checkpoint_is_taken_without_one(
    ready: Organisation,
    bond: Instrument,
    issuer: Organisation,
    make_user: Callable[..., User],
    api_client_for: Callable[[User], APIClient],
) -> None:
    officer = make_user(issuer, Role.COMPLIANCE_OFFICER)
    response = _ask(api_client_for(officer), bond, ready, checkpoint=None)
    assert response.status_code == 201, response.content
    made = Disclosure.objects.get(pk=response.json()["id"])
    assert made.checkpoint is None
    assert made.checkpoint_submission is not None
    assert (made.checkpoint_submission.fn_name, made.checkpoint_submission.contract) == (
        "checkpoint",
        bond.contract_id,
    )


@pytest.mark.parametrize(
    ("who", "changes", "status", "code"),
    [
        ("maker", {"regulator": "issuer"}, 400, "not_a_regulator"),
        ("maker", {"regulator": "keyless"}, 400, "no_regulator_key"),
        ("maker", {"window_start": "2030-01-01T00:00:00Z"}, 400, "invalid_window"),
        ("maker", {"checkpoint": 7}, 400, "checkpoint_not_found"),
        ("approver", {}, 403, "permission_denied"),
        ("regulator", {}, 403, "permission_denied"),
        ("broker", {}, 403, "permission_denied"),
    ],
)
def test_invalid_disclosure_requests_change_nothing(
    who: str,
    changes: dict[str, Any],
    status: int,
    code: str,
    ready: Organisation,
    bond: Instrument,
    issuer: Organisation,
    maker: User,
    approver: User,
    regulator: User,
    broker_a: Organisation,
    make_user: Callable[..., User],
    api_client_for: Callable[[User], APIClient],
) -> None:
    actors = {
        "maker": maker,
        "approver": approver,
        "regulator": regulator,
        "broker": make_user(broker_a, Role.BROKER_TRADER),
    }
    keyless = OrganisationFactory.create(kind=OrganisationKind.REGULATOR)
    targets = {"issuer": str(issuer.pk), "keyless": str(keyless.pk)}
    if "regulator" in changes:
        changes = {"regulator": targets[changes["regulator"]]}
    entries = AuditEntry.objects.count()
    response = _ask(api_client_for(actors[who]), bond, ready, **changes)
    assert (response.status_code, response.json()["error"]["code"]) == (status, code), response.content
    assert not Disclosure.objects.exists()
    assert not ChainSubmission.objects.exists()
    assert AuditEntry.objects.count() == entries


# -- who sees what -----------------------------------------------------------------------------


def test_the_regulator_lists_and_downloads_its_package_and_each_access_is_audited(
    recorded: tuple[Disclosure, bytes], regulator: User, api_client_for: Callable[[User], APIClient]
) -> None:
    made, plaintext = recorded
    api = api_client_for(regulator)
    listed = api.get(DISCLOSURES, {"instrument": str(made.instrument_id)})
    assert [(d["id"], d["tx_id"], d["block_height"]) for d in listed.json()["results"]] == [
        (str(made.pk), made.tx_id, 42)
    ]
    assert api.get(DISCLOSURES, {"instrument": str(Organisation.objects.first().pk)}).json()["results"] == []  # type: ignore[union-attr]
    envelope = api.get(f"{DISCLOSURES}{made.pk}/envelope/")
    assert envelope.status_code == 200
    assert 'filename="disclosure-' in envelope["Content-Disposition"]
    data = json.loads(envelope.content)
    assert set(data) == {
        "schema",
        "disclosure_id",
        "instrument",
        "regulator_key_fingerprint",
        "package_sha256",
        "package_size",
        "tx_id",
        "block_height",
        "ciphertext",
    }
    assert (data["schema"], data["tx_id"], data["package_sha256"]) == (
        tool.ENVELOPE_SCHEMA,
        made.tx_id,
        made.package_sha256,
    )
    assert data["regulator_key_fingerprint"] == made.regulator_key.fingerprint
    assert data["ciphertext"] != base64.b64encode(plaintext).decode()  # sealed, not the plaintext
    actions = list(
        AuditEntry.objects.filter(actor=regulator).order_by("sequence").values_list("action", flat=True)
    )
    assert actions == ["regulator_key.register", "disclosure.list", "disclosure.list", "disclosure.download"]


def test_another_regulator_gets_404_and_the_issuer_sees_the_record_not_the_content(
    recorded: tuple[Disclosure, bytes],
    regulator_b: User,
    maker: User,
    api_client_for: Callable[[User], APIClient],
    broker_a: Organisation,
    make_user: Callable[..., User],
) -> None:
    made, _ = recorded
    other = api_client_for(regulator_b)
    assert other.get(DISCLOSURES).json()["results"] == []
    assert other.get(f"{DISCLOSURES}{made.pk}/").status_code == 404
    assert other.get(f"{DISCLOSURES}{made.pk}/envelope/").status_code == 404
    issuer = api_client_for(maker)
    mine = issuer.get(DISCLOSURES).json()["results"]
    assert [d["id"] for d in mine] == [str(made.pk)]
    assert "ciphertext" not in mine[0]
    assert issuer.get(f"{DISCLOSURES}{made.pk}/envelope/").status_code == 404
    broker = api_client_for(make_user(broker_a, Role.BROKER_TRADER))
    assert broker.get(DISCLOSURES).json()["results"] == []
    assert broker.get(f"{DISCLOSURES}{made.pk}/").status_code == 404
    assert not AuditEntry.objects.filter(action="disclosure.download").exists()


def test_nothing_to_download_before_the_hash_is_recorded(
    ready: Organisation,
    bond: Instrument,
    maker: User,
    regulator: User,
    api_client_for: Callable[[User], APIClient],
) -> None:
    made = _ask(api_client_for(maker), bond, ready).json()
    response = api_client_for(regulator).get(f"{DISCLOSURES}{made['id']}/envelope/")
    assert (response.status_code, response.json()["error"]["code"]) == (409, "not_recorded")


# -- package, memo, audit proof ----------------------------------------------------------------
def test_the_package_is_canonical_json_and_opens_only_with_the_regulators_key() -> None:
    package = {"schema": tool.PACKAGE_SCHEMA, "b": [1, "é"], "a": {"z": None, "y": "1.50"}}
    plaintext = tool.encode_package(package)
    assert plaintext == '{"a":{"y":"1.50","z":null},"b":[1,"é"],"schema":"gloam.disclosure/1"}'.encode()
    secret = _key()
    sealed = tool.seal_package(plaintext, bytes(secret.public_key))
    assert len(sealed) == len(plaintext) + 48
    assert SealedBox(secret).decrypt(sealed) == plaintext
    with pytest.raises(Exception, match="[Dd]ecrypt"):
        SealedBox(_key()).decrypt(sealed)


def test_the_memo_layout_round_trips_and_rejects_anything_else() -> None:
    import uuid

    disclosure_id, digest = uuid.uuid4(), "ab" * 32
    memo = tool.encode_disclosure_memo(disclosure_id, digest)
    assert memo == b"gloam/disclosure/1:" + disclosure_id.bytes + bytes.fromhex(digest)
    assert len(memo) == tool.DISCLOSURE_MEMO_BYTES == 67
    assert tool.decode_disclosure_memo(memo) == (disclosure_id, digest)
    for bad in (memo[:-1], b"gloam/audit-anchor/1:" + memo[19:], memo + b"\x00"):
        with pytest.raises(tool.DisclosureError):
            tool.decode_disclosure_memo(bad)


def test_disclosed_audit_entries_chain_up_to_the_anchored_head_with_digests_in_between(
    issuer: Organisation, bond: Instrument, maker: User
) -> None:
    for n in range(6):  # the bond's entries interleaved with another object's
        audit_entry_create(actor=maker, action="test.bond", obj=bond, organisation=issuer, changes={"n": n})
        audit_entry_create(
            actor=maker, action="test.other", obj=issuer, organisation=issuer, changes={"n": n}
        )
    entries = list(AuditEntry.objects.filter(instrument_id=str(bond.pk)).order_by("sequence"))[1:4]
    head = AuditEntry.objects.order_by("-sequence").first()
    assert head is not None
    anchor = AuditAnchor(
        sequence=head.sequence or 0, entry_hash=head.entry_hash, tx_id="0x00", block_height=1
    )
    section = disclosures._audit_section(entries, anchor)
    assert [d["sequence"] for d in section["entries"]] == [e.sequence for e in entries]
    assert len(section["digests"]) == (head.sequence or 0) - (entries[0].sequence or 0) + 1 - len(entries)
    assert tool.compute_audit_proof_head(section) == (head.sequence, head.entry_hash)
    section["entries"][1]["changes"]["n"] = 99  # an edited document no longer chains up
    assert tool.compute_audit_proof_head(section) != (head.sequence, head.entry_hash)
    section["digests"].pop()  # nor does a gap
    with pytest.raises(tool.DisclosureError, match="neither a document nor a digest"):
        tool.compute_audit_proof_head(section)


def test_the_tool_rejects_a_package_sealed_to_another_key_and_unusable_files(tmp_path: Path) -> None:
    secret, other = _key(), _key()
    envelope = {
        "schema": tool.ENVELOPE_SCHEMA,
        "disclosure_id": "x",
        "tx_id": "0x00",
        "ciphertext": base64.b64encode(tool.seal_package(b"{}", bytes(other.public_key))).decode(),
    }
    (tmp_path / "envelope.json").write_text(json.dumps(envelope))
    (tmp_path / "key").write_text(bytes(secret).hex())
    arguments = ["--envelope", str(tmp_path / "envelope.json"), "--node", "http://127.0.0.1:9"]
    assert tool.main([*arguments, "--secret-key", str(tmp_path / "key")]) == 1
    (tmp_path / "bad").write_text("short")
    assert tool.main([*arguments, "--secret-key", str(tmp_path / "bad")]) == 2
    assert tool.main([*arguments, "--secret-key", str(tmp_path / "missing")]) == 2


@pytest.mark.parametrize(
    "text", ["0x" + "07" * 32, "07" * 32, base64.b64encode(b"\x07" * 32).decode(), b"\x07" * 32]
)
def test_keys_parse_from_hex_base64_or_raw(text: str | bytes) -> None:
    assert tool.parse_x25519_key(text) == b"\x07" * 32


# -- reports -----------------------------------------------------------------------------------
def test_concentration_top_holders_and_hhi() -> None:
    c = reports.compute_concentration([Decimal(50), Decimal(30), Decimal(20)], Decimal(200))
    assert (c.top1, c.top5, c.top10, c.top10_of_issue) == (
        Decimal("50.00"),
        Decimal("100.00"),
        Decimal("100.00"),
        Decimal("50.00"),
    )
    assert c.hhi == Decimal("3800.00")  # 50² + 30² + 20²
    assert reports.compute_concentration([], Decimal(100)).hhi == 0


def test_dlt_pilot_thresholds_by_kind_and_currency(issuer: Organisation, settings: Any) -> None:
    terms = make_bond_terms()
    eur = Instrument(**terms, issuer=issuer)
    pilot = reports.compute_dlt_pilot(eur)
    assert (pilot.category, pilot.threshold_eur, pilot.issue_size_eur, pilot.within) == (
        "bonds",
        Decimal(1_000_000_000),
        Decimal("500000000.00"),
        True,
    )
    big = Instrument(**{**terms, "issue_size": Decimal("1500000000")}, issuer=issuer)
    assert reports.compute_dlt_pilot(big).within is False
    usd = Instrument(**{**terms, "currency": "USD"}, issuer=issuer)
    settings.GLOAM_EUR_RATES = {}
    assert (reports.compute_dlt_pilot(usd).within, reports.compute_dlt_pilot(usd).issue_size_eur) == (
        None,
        None,
    )
    assert "rate is needed" in reports.compute_dlt_pilot(usd).note
    settings.GLOAM_EUR_RATES = {"USD": "0.9"}
    assert reports.compute_dlt_pilot(usd).issue_size_eur == Decimal("450000000.00")
    shares = Instrument(**{**terms, "kind": InstrumentKind.EQUITY_SHARE}, issuer=issuer)
    share_pilot = reports.compute_dlt_pilot(shares)
    assert (share_pilot.category, share_pilot.threshold_eur, share_pilot.within) == (
        "shares",
        Decimal(500_000_000),
        None,
    )
    assert "market capitalisation" in share_pilot.note


def test_the_report_api_for_an_instrument_without_holders_and_who_may_read_it(
    bond: Instrument,
    maker: User,
    regulator: User,
    broker_a: Organisation,
    make_user: Callable[..., User],
    api_client_for: Callable[[User], APIClient],
) -> None:
    path = f"/api/v1/instruments/{bond.pk}/report/"
    body = api_client_for(regulator).get(path).json()
    assert (body["isin"], body["holders"], body["jurisdictions"], body["concentration"]["hhi"]) == (
        bond.isin,
        0,
        [],
        "0",
    )
    assert body["dlt_pilot"]["threshold_eur"] == "1000000000"
    assert body["dlt_pilot"]["within_threshold"] is True
    assert "2022/858" in body["dlt_pilot"]["source"]
    assert api_client_for(maker).get(path).status_code == 200
    assert api_client_for(make_user(broker_a, Role.BROKER_TRADER)).get(path).status_code == 403
