"""Selective disclosure on a real four-node devnet: a live bond with a checkpoint, DvP
allocations and anchored audit entries is disclosed to a regulator; the package's hash is
recorded on chain; the regulator's tool (run as a subprocess, as a regulator would) verifies
the downloaded envelope against a node and rejects tampered copies."""

from __future__ import annotations

import base64
import datetime
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone
from nacl.public import PrivateKey, SealedBox

from common.models import AuditEntry
from common.services import audit_chain_verify
from compliance import disclosure as disclosures
from compliance import verify_disclosure as tool
from compliance.models import AuditAnchor, Disclosure
from identity.models import Organisation, User
from identity.roles import OrganisationKind, Role
from issuance import allocation, register
from issuance.models import Allocation, AllocationStatus
from tests.factories import OrganisationFactory
from tests.issuance.test_onchain import _live_bond, _mint_eur, pump
from tests.platformchain import ChainPlatform

PROJECT = Path(settings.BASE_DIR)


def run_tool(
    envelope: dict[str, Any], secret: PrivateKey, directory: Path, urls: list[str]
) -> tuple[int, str]:
    """The verification tool in its own process, as a regulator runs it (no Django settings)."""
    (directory / "envelope.json").write_text(json.dumps(envelope))
    (directory / "regulator.key").write_text(base64.b64encode(bytes(secret)).decode())
    nodes = [arg for url in urls for arg in ("--node", url)]
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "compliance.verify_disclosure",
            "--envelope",
            str(directory / "envelope.json"),
            "--secret-key",
            str(directory / "regulator.key"),
            *nodes,
        ],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(PROJECT)},
    )
    return done.returncode, done.stdout + done.stderr


def _resealed(envelope: dict[str, Any], secret: PrivateKey, edit: Any) -> dict[str, Any]:
    plaintext = SealedBox(secret).decrypt(base64.b64decode(envelope["ciphertext"]))
    package = json.loads(plaintext)
    edit(package)
    sealed = SealedBox(secret.public_key).encrypt(tool.encode_package(package))
    return {**envelope, "ciphertext": base64.b64encode(sealed).decode()}


def _record(chain: ChainPlatform, disclosure: Disclosure) -> Disclosure:
    def done() -> bool:
        disclosures.disclosures_complete()
        return Disclosure.objects.get(pk=disclosure.pk).status in (
            Disclosure.Status.RECORDED,
            Disclosure.Status.FAILED,
        )

    pump(chain, done, timeout=180)
    return Disclosure.objects.get(pk=disclosure.pk)


@pytest.fixture
def disclosed(chain_platform: ChainPlatform, issuer: Organisation, maker: User, approver: User, make_user):
    chain = chain_platform
    chain.attach(issuer)
    cash_issuer = OrganisationFactory.create(kind=OrganisationKind.CASH_ISSUER)
    chain.attach(cash_issuer, role="cash_issuer")
    operator = OrganisationFactory.create(kind=OrganisationKind.OPERATOR, legal_name="Operator")
    chain.attach(operator, role="operator")
    start = timezone.now() - datetime.timedelta(seconds=2)
    bond = _live_bond(chain, maker, approver, isin="XS0000000033")
    fund = OrganisationFactory.create(kind=OrganisationKind.CUSTODIAN, legal_name="Disclosed Fund")
    chain.attach(fund)
    _mint_eur(chain, cash_issuer, fund, 2_000_000_00)
    batch = allocation.allocation_batch_create(
        actor=maker,
        instrument_id=bond.pk,
        rows=[{"investor_lei": fund.lei, "quantity": "1000000", "price": "100"}],
    )
    pump(chain, lambda: Allocation.objects.get(batch=batch).status == AllocationStatus.SETTLED)
    (checkpoint,) = chain.settle([register.instrument_checkpoint_create(actor=maker, instrument_id=bond.pk)])
    assert checkpoint.succeeded

    regulator_org = OrganisationFactory.create(kind=OrganisationKind.REGULATOR, legal_name="Regulator A")
    officer = make_user(regulator_org, Role.REGULATOR)
    secret = PrivateKey.generate()
    disclosures.regulator_key_register(actor=officer, public_key=bytes(secret.public_key).hex())
    disclosure = disclosures.disclosure_create(
        actor=maker,
        instrument_id=bond.pk,
        regulator_id=regulator_org.pk,
        window_start=start,
        window_end=timezone.now() + datetime.timedelta(seconds=1),
        checkpoint_number=1,
    )
    assert disclosure.status == Disclosure.Status.BUILDING
    recorded = _record(chain, disclosure)
    assert (recorded.status, recorded.error) == (Disclosure.Status.RECORDED, "")
    return chain, bond, recorded, officer, secret


def test_a_disclosure_is_recorded_on_chain_and_verified_by_the_regulators_tool(
    disclosed, tmp_path, make_user
):
    chain, bond, disclosure, officer, secret = disclosed
    assert disclosure.summary["holders"] == 1
    assert disclosure.summary["checkpoint"] == 1
    assert disclosure.summary["transfers"] >= 1
    assert disclosure.summary["audit_entries"] >= 5
    with chain.client as node:
        memo, tx, finality = tool.get_memo_of(node, disclosure.tx_id)
    assert tool.decode_disclosure_memo(memo) == (disclosure.pk, disclosure.package_sha256)
    assert (finality, tx["sender"]) == ("Final", bond.issuer.chain_account.public_key)

    envelope = disclosures.disclosure_envelope(actor=officer, disclosure_id=disclosure.pk)
    assert AuditEntry.objects.filter(action="disclosure.download", object_id=str(disclosure.pk)).count() == 1
    package = json.loads(SealedBox(secret).decrypt(base64.b64decode(envelope["ciphertext"])))
    assert package["schema"] == tool.PACKAGE_SCHEMA
    assert [h["name"] for h in package["register"]["holders"]] == ["Disclosed Fund"]
    assert {t["topic"] for t in package["transfers"]} <= tool.MOVEMENT_TOPICS
    actions = [doc["action"] for doc in package["audit"]["entries"]]
    assert "instrument.create" in actions
    assert "disclosure.create" not in actions
    assert all(doc["instrument"] == str(bond.pk) for doc in package["audit"]["entries"])
    assert package["audit"]["anchor"]["tx_id"] == AuditAnchor.objects.get(pk=disclosure.anchor_id).tx_id

    code, output = run_tool(envelope, secret, tmp_path, chain.net.urls[:1])
    assert code == 0, output
    assert [line.split(":")[0] for line in output.splitlines()[:5]] == [
        "PASS decrypt",
        "PASS memo",
        "PASS register",
        "PASS transfers",
        "PASS audit",
    ]

    # A flipped ciphertext byte: the sealed box does not open.
    raw = bytearray(base64.b64decode(envelope["ciphertext"]))
    raw[60] ^= 1
    flipped = {**envelope, "ciphertext": base64.b64encode(bytes(raw)).decode()}
    code, output = run_tool(flipped, secret, tmp_path, chain.net.urls[:1])
    assert code == 1, output
    assert "FAIL decrypt" in output, output

    # A register row edited and sealed again with the same key: the hash on chain differs.
    def richer(package: dict[str, Any]) -> None:
        package["register"]["holders"][0]["units"] += 1

    code, output = run_tool(_resealed(envelope, secret, richer), secret, tmp_path, chain.net.urls[:1])
    assert code == 1, output
    assert "FAIL memo: package hash" in output, output

    # Each later check bites on its own too (in process, past the memo check).
    with chain.client as node:
        edited = json.loads(json.dumps(package))
        richer(edited)
        with pytest.raises(tool.CheckFailed, match="differs from holders_at"):
            tool.check_register(node, edited)
        dropped = json.loads(json.dumps(package))
        dropped["transfers"].pop()
        with pytest.raises(tool.CheckFailed, match="not disclosed"):
            tool.check_transfers(node, dropped)
        rewritten = json.loads(json.dumps(package))
        rewritten["audit"]["entries"][0]["changes"]["name"] = "rewritten"
        with pytest.raises(tool.CheckFailed, match="chain up to"):
            tool.check_audit(node, rewritten)

    # Another regulator neither sees nor downloads it; nor may the issuer download it.
    other = make_user(OrganisationFactory.create(kind=OrganisationKind.REGULATOR), Role.REGULATOR)
    assert not disclosures.disclosure_list(user=other).exists()
    from common.exceptions import NotFoundError

    with pytest.raises(NotFoundError):
        disclosures.disclosure_envelope(actor=other, disclosure_id=disclosure.pk)
    with pytest.raises(NotFoundError):
        disclosures.disclosure_envelope(actor=disclosure.created_by, disclosure_id=disclosure.pk)


def test_an_audit_row_edited_before_a_disclosure_is_caught_by_the_tool(disclosed, tmp_path):
    chain, bond, first, officer, secret = disclosed
    victim = AuditEntry.objects.filter(instrument_id=str(bond.pk), action="instrument.create").get()
    assert (victim.sequence or 0) <= AuditAnchor.objects.get(pk=first.anchor_id).sequence
    AuditEntry.objects.filter(pk=victim.pk).update(changes={**victim.changes, "name": "Rewritten 2031"})
    assert audit_chain_verify().broken_at == victim.sequence  # the platform's own check finds it too
    second = disclosures.disclosure_create(
        actor=first.created_by,
        instrument_id=bond.pk,
        regulator_id=first.regulator_id,
        window_start=first.window_start,
        window_end=first.window_end,
        checkpoint_number=None,  # one is taken for it, through the outbox
    )
    assert second.checkpoint_submission is not None
    second = _record(chain, second)
    assert second.checkpoint is not None
    assert (second.status, second.checkpoint.number) == (Disclosure.Status.RECORDED, 2)
    envelope = disclosures.disclosure_envelope(actor=officer, disclosure_id=second.pk)
    code, output = run_tool(envelope, secret, tmp_path, chain.net.urls[:1])
    assert code == 1, output
    lines = [line.split(":")[0] for line in output.splitlines()]
    assert lines[:5] == ["PASS decrypt", "PASS memo", "PASS register", "PASS transfers", "FAIL audit"], output


def test_the_instrument_report_reads_the_holders_claims_on_chain(disclosed, maker):
    chain, bond, _, officer, _ = disclosed
    from chain.node.client import contract_abi as abi
    from compliance import reports
    from ledger import outbox
    from ledger.indexer import index_final_events
    from ledger.models import ChainAccount

    index_final_events()
    report = reports.instrument_report(user=maker, instrument_id=bond.pk)
    assert [(b.label, b.holders) for b in report.jurisdictions] == [(reports.NO_CLAIM, 1)]
    assert report.concentration.top1 == 100
    assert report.concentration.hhi == 10000

    operator = ChainAccount.objects.get(organisation__kind=OrganisationKind.OPERATOR)
    fund = ChainAccount.objects.get(organisation__legal_name="Disclosed Fund")
    topics = 1 << abi.ClaimTopic.JURISDICTION | 1 << abi.ClaimTopic.INVESTOR_CATEGORY
    key = bytes.fromhex(operator.public_key.removeprefix("0x"))
    calls = [("add_trusted_issuer", key + topics.to_bytes(4, "little"))]
    for topic, value in (
        (abi.ClaimTopic.JURISDICTION, abi.encode_country("DE")),
        (abi.ClaimTopic.INVESTOR_CATEGORY, int(abi.InvestorCategory.PROFESSIONAL)),
    ):
        claim = abi.encode_claim(
            subject=fund.address, topic=topic, value=value, expiry=2**40, evidence_hash=bytes(32)
        )
        calls.append(("add_claim", claim))
    submissions = [
        outbox.chain_call_enqueue(
            organisation=operator,
            kind="test.claim",
            contract="genesis:identity_registry",
            fn_name=fn,
            fn_args=args,
        )
        for fn, args in calls
    ]
    assert all(s.succeeded for s in chain.settle(submissions))
    report = reports.instrument_report(user=officer, instrument_id=bond.pk)  # a regulator reads it too
    assert [(b.label, b.holders, b.percent_of_held) for b in report.jurisdictions] == [("DE", 1, 100)]
    assert [(b.label, b.holders) for b in report.categories] == [("professional", 1)]
    assert reports.report_json(report)["dlt_pilot"]["within_threshold"] is True
    revoke = [
        outbox.chain_call_enqueue(
            organisation=operator,
            kind="test.claim",
            contract="genesis:identity_registry",
            fn_name="revoke_claim",
            fn_args=fund.address + bytes([topic]),
        )
        for topic in (abi.ClaimTopic.JURISDICTION, abi.ClaimTopic.INVESTOR_CATEGORY)
    ]
    assert all(s.succeeded for s in chain.settle(revoke))  # the devnet is shared: leave no claims
    report = reports.instrument_report(user=maker, instrument_id=bond.pk)
    assert [(b.label, b.holders) for b in report.jurisdictions] == [(reports.NO_CLAIM, 1)]
