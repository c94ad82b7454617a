"""Rule sets, breaches and actions without a chain: permissions (404/403), maker-checker,
validation that changes nothing, the outbox calls queued on approval, the outcome
handlers, the breach workflow and its API. The chain itself: test_rules_onchain.py."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from chain.node.client import contract_abi as abi
from common.exceptions import ConflictError, InvalidInput, NotFoundError, PermissionDeniedError
from common.models import AuditEntry
from compliance import breaches, compiled_rules, enforcement, rules, rulesets, selectors
from compliance.models import Breach, BreachSource, BreachStatus, ComplianceAction, RuleSet, RuleSetStatus
from identity.models import ClientAccount, Organisation, User
from identity.roles import OrganisationKind, Role
from identity.services import chain_account_create, client_account_chain_account_create
from issuance.models import Instrument, InstrumentStatus
from ledger.models import ChainSubmission, TokenHolding
from settlement.models import InstructionStatus, PendingReason, SettlementInstruction, Side
from tests.factories import OrganisationFactory
from tests.issuance.conftest import make_bond_terms

HOLDER = "00" + "11" * 48


@pytest.fixture
def bond(issuer: Organisation) -> Instrument:
    chain_account_create(organisation=issuer)
    return Instrument.objects.create(
        **make_bond_terms(), issuer=issuer, status=InstrumentStatus.LIVE, contract_id="0x" + "ab" * 32
    )


@pytest.fixture
def officers(make_user, issuer: Organisation) -> tuple[User, User]:
    return make_user(issuer, Role.COMPLIANCE_OFFICER), make_user(issuer, Role.COMPLIANCE_OFFICER)


def test_draft_submit_approve_queues_conditions_then_limits(bond, officers):
    maker, checker = officers
    draft = rulesets.rule_set_draft_save(
        actor=maker,
        instrument_id=bond.pk,
        values={"kyc_required": True, "allowed_jurisdictions": ["de", "fr"], "min_holding_quantity": "3000"},
    )
    assert (draft.version, draft.status, draft.min_holding) == (1, RuleSetStatus.DRAFT, 3)
    assert draft.allowed_jurisdictions == ["DE", "FR"]
    rulesets.rule_set_submit(actor=maker, rule_set_id=draft.pk)
    with pytest.raises(PermissionDeniedError) as refused:
        rulesets.rule_set_approve(actor=maker, rule_set_id=draft.pk)
    assert refused.value.code == "maker_cannot_approve"
    approved = rulesets.rule_set_approve(actor=checker, rule_set_id=draft.pk)
    assert approved.status == RuleSetStatus.APPROVED
    conditions, limits = approved.conditions_submission, approved.limits_submission
    assert conditions is not None
    assert limits is not None
    compiled, _ = compiled_rules.rule_set_compile(approved)
    assert (conditions.fn_name, bytes(conditions.fn_args)) == ("set_conditions", compiled.conditions_bytes())
    assert (limits.fn_name, bytes(limits.fn_args), limits.after_id) == (
        "set_limits",
        abi.encode_limits(min_holding=3),
        conditions.pk,
    )
    assert conditions.contract == bond.contract_id
    with pytest.raises(ConflictError):
        rulesets.rule_set_approve(actor=checker, rule_set_id=draft.pk)
    actions = list(
        AuditEntry.objects.filter(object_id=str(draft.pk))
        .order_by("sequence")
        .values_list("action", flat=True)
    )
    assert actions == ["rule_set.create", "rule_set.pending", "rule_set.approved"]


def _final(submission: ChainSubmission | None, *, succeeded: bool, error: str = "") -> ChainSubmission:
    assert submission is not None
    submission.status, submission.succeeded, submission.error, submission.block_height = (
        "final",
        succeeded,
        error,
        42,
    )
    submission.save()
    return submission


def test_outcome_handlers_apply_supersede_or_fail(bond, officers):
    maker, checker = officers

    def approved(values: dict[str, Any]) -> RuleSet:
        draft = rulesets.rule_set_draft_save(actor=maker, instrument_id=bond.pk, values=values)
        rulesets.rule_set_submit(actor=maker, rule_set_id=draft.pk)
        return rulesets.rule_set_approve(actor=checker, rule_set_id=draft.pk)

    first = approved({"max_holders": 100})
    rulesets.on_rule_submission(_final(first.conditions_submission, succeeded=True))
    assert RuleSet.objects.get(pk=first.pk).status == RuleSetStatus.APPROVED  # waits for the limits
    rulesets.on_rule_submission(_final(first.limits_submission, succeeded=True))  # no node: scan deferred
    assert RuleSet.objects.get(pk=first.pk).status == RuleSetStatus.APPLIED

    second = approved({"max_holders": 50})
    assert (second.version, second.max_holders) == (2, 50)
    rulesets.on_rule_submission(
        _final(second.conditions_submission, succeeded=False, error="panic.invalid_conditions")
    )
    second.refresh_from_db()
    assert (second.status, second.error) == (RuleSetStatus.FAILED, "set_conditions: panic.invalid_conditions")
    assert RuleSet.objects.get(pk=first.pk).status == RuleSetStatus.APPLIED

    third = approved({"max_holders": 40})
    rulesets.on_rule_submission(_final(third.conditions_submission, succeeded=True))
    rulesets.on_rule_submission(_final(third.limits_submission, succeeded=True))
    assert RuleSet.objects.get(pk=first.pk).status == RuleSetStatus.SUPERSEDED
    assert RuleSet.objects.get(pk=third.pk).status == RuleSetStatus.APPLIED
    applied = selectors.rule_set_applied(instrument=bond)
    assert applied is not None
    assert applied.pk == third.pk


def test_invalid_rule_set_lists_every_reason_and_changes_nothing(bond, officers):
    maker, _ = officers
    before = (RuleSet.objects.count(), AuditEntry.objects.count())
    with pytest.raises(InvalidInput) as refused:
        rulesets.rule_set_draft_save(
            actor=maker,
            instrument_id=bond.pk,
            values={
                "allowed_jurisdictions": ["DE"],
                "denied_jurisdictions": ["DE"],
                "max_holders": 2,
                "max_ownership_bps": 100,
                "min_holding_quantity": "600000000",
            },
        )
    problems = [(p["field"], p["code"]) for p in refused.value.details["problems"]]
    assert problems == [
        ("denied_jurisdictions", "contradiction"),
        ("max_ownership_bps", "unsatisfiable"),  # 2 holders of 1 % each cannot hold the issue
        ("min_holding", "contradiction"),  # above the ownership cap
        ("min_holding", "unsatisfiable"),  # above the issue size
    ]
    assert (RuleSet.objects.count(), AuditEntry.objects.count()) == before
    with pytest.raises(InvalidInput) as refused:
        rulesets.rule_set_draft_save(
            actor=maker, instrument_id=bond.pk, values={"min_holding_quantity": "1500"}
        )
    assert refused.value.code == "not_a_whole_denomination"


def test_invalid_permissions(bond, officers, make_user, issuer, regulator, maker):
    officer, _ = officers
    other = OrganisationFactory.create(kind=OrganisationKind.ISSUER)
    stranger = make_user(other, Role.COMPLIANCE_OFFICER)
    draft_bond = Instrument.objects.create(**{**make_bond_terms(), "isin": "XS0000000017"}, issuer=issuer)
    with pytest.raises(NotFoundError):  # a draft of another issuer: not even known
        rulesets.rule_set_draft_save(actor=stranger, instrument_id=draft_bond.pk, values={})
    with pytest.raises(PermissionDeniedError):  # live, visible, but not its issuer's officer
        rulesets.rule_set_draft_save(actor=stranger, instrument_id=bond.pk, values={})
    with pytest.raises(PermissionDeniedError):  # the issuer admin is not a compliance officer
        rulesets.rule_set_draft_save(actor=maker, instrument_id=bond.pk, values={})
    with pytest.raises(InvalidInput) as refused:
        rulesets.rule_set_draft_save(actor=officer, instrument_id=draft_bond.pk, values={})
    assert refused.value.code == "not_live"
    with pytest.raises(PermissionDeniedError):
        enforcement.account_freeze(
            actor=regulator, instrument_id=bond.pk, holder=HOLDER, frozen=True, reason="x"
        )
    with pytest.raises(PermissionDeniedError):
        selectors.breach_list(user=maker)
    assert selectors.breach_list(user=regulator).count() == 0
    with pytest.raises(PermissionDeniedError):
        selectors.pre_trade_check(
            user=maker,
            instrument_id=bond.pk,
            sender={"address": HOLDER},
            receiver={"address": HOLDER},
            quantity=1000,
        )


def _found(code: int = 7, holder: str = HOLDER) -> breaches.FoundBreach:
    return breaches.FoundBreach(holder, "Holder", code, "the holder has no valid KYC claim")


def test_breach_workflow_and_no_duplicate_open_breach(bond, officers, make_user):
    officer, _ = officers
    first = breaches.breach_open(instrument=bond, found=_found(), source=BreachSource.SCAN)
    assert first is not None
    assert breaches.breach_open(instrument=bond, found=_found(), source=BreachSource.CLAIMS_LAPSED) is None
    assert breaches.breach_open(instrument=bond, found=_found(code=9), source=BreachSource.SCAN) is not None
    breaches.breach_investigate(actor=officer, breach_id=first.pk)
    with pytest.raises(InvalidInput) as refused:
        breaches.breach_resolve(actor=officer, breach_id=first.pk, note="  ")
    assert refused.value.code == "note_required"
    assert Breach.objects.get(pk=first.pk).status == BreachStatus.INVESTIGATING
    resolved = breaches.breach_resolve(actor=officer, breach_id=first.pk, note="KYC renewed on 2026-11-20")
    assert (resolved.status, resolved.resolved_by) == (BreachStatus.RESOLVED, officer)
    with pytest.raises(ConflictError):
        breaches.breach_resolve(actor=officer, breach_id=first.pk, note="again")
    assert breaches.breach_open(instrument=bond, found=_found(), source=BreachSource.SCAN) is not None  # anew
    trail = list(AuditEntry.objects.filter(object_id=str(first.pk)).order_by("sequence"))
    assert [(e.action, e.before.get("status"), e.changes.get("status")) for e in trail] == [
        ("breach.open", None, None),
        ("breach.investigate", "open", "investigating"),
        ("breach.resolve", "investigating", "resolved"),
    ]
    broker = make_user(OrganisationFactory.create(kind=OrganisationKind.BROKER), Role.COMPLIANCE_OFFICER)
    with pytest.raises(NotFoundError):  # another organisation's breach is not known
        breaches.breach_investigate(actor=broker, breach_id=first.pk)


def test_refused_settlement_instructions_open_breaches_for_the_side_concerned(
    bond, broker_a, broker_b, make_user
):
    accounts = []
    for broker, reference in ((broker_a, "A-1"), (broker_b, "B-1")):
        client = ClientAccount.objects.create(broker=broker, account_reference=reference, name=reference)
        accounts.append((client, client_account_chain_account_create(client_account=client)))
    (buyer_client, buyer_account), (seller_client, _) = accounts
    common: dict[str, Any] = {
        "instrument": bond,
        "quantity": 10_000,
        "price": 100,
        "trade_date": datetime.date(2026, 9, 15),
        "intended_settlement_date": datetime.date(2026, 9, 16),
        "currency": "EUR",
        "accrued_interest": 0,
        "settlement_amount": 10_000,
        "status": InstructionStatus.PENDING,
        "pending_reason": PendingReason.COMPLIANCE,
        "status_reason": "rules: receiver_conditions, lockup",
    }
    buy = SettlementInstruction.objects.create(
        broker=broker_a, client_account=buyer_client, side=Side.BUY, counterparty=broker_b, reference="A-1",
        created_by=make_user(broker_a, Role.BROKER_TRADER), **common,
    )  # fmt: skip
    sell = SettlementInstruction.objects.create(
        broker=broker_b, client_account=seller_client, side=Side.SELL, counterparty=broker_a, reference="B-1",
        created_by=make_user(broker_b, Role.BROKER_TRADER), matched_with=buy, **common,
    )  # fmt: skip
    buy.matched_with = sell
    buy.save()
    opened = breaches.breach_scan_instructions()
    assert sorted((b.code, b.instruction_id, b.source) for b in opened) == sorted(
        [(7, buy.pk, BreachSource.INSTRUCTION), (10, sell.pk, BreachSource.INSTRUCTION)]
    )
    receiver_breach = next(b for b in opened if b.code == 7)
    assert receiver_breach.holder == buyer_account.address.hex()
    assert breaches.breach_scan_instructions() == []  # open already: no duplicates
    officer = make_user(bond.issuer, Role.COMPLIANCE_OFFICER)
    breaches.breach_resolve(actor=officer, breach_id=receiver_breach.pk, note="buyer onboarded again")
    assert breaches.breach_scan_instructions() == []  # resolved: not re-opened for the same instruction


def test_invalid_forced_transfer_changes_nothing(bond, officers, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    officer, _ = officers
    TokenHolding.objects.create(
        contract=bond.contract_id,
        holder=HOLDER,
        balance=100,
        last_height=1,
        last_tx_id="0x",
        last_changed_at=timezone.now(),
    )
    before = AuditEntry.objects.count()
    with pytest.raises(InvalidInput) as refused:
        enforcement.forced_transfer_propose(
            actor=officer,
            instrument_id=bond.pk,
            holder=HOLDER,
            receiver=HOLDER,
            quantity=Decimal(1500),
            reason_code=0,
            reason_text="",
            document=None,
        )
    assert set(refused.value.details) == {"reason_code", "reason_text", "document", "receiver", "quantity"}
    assert (ComplianceAction.objects.count(), AuditEntry.objects.count()) == (0, before)


def test_breach_api_lists_filters_and_resolves(bond, officers, api_client_for, regulator):
    officer, _ = officers
    breaches.breach_open(instrument=bond, found=_found(), source=BreachSource.SCAN)
    breaches.breach_open(
        instrument=bond, found=_found(code=11, holder="00" + "22" * 48), source=BreachSource.RULE_CHANGE
    )
    api = api_client_for(officer)
    listed = api.get("/api/v1/breaches/", {"code": 7}).json()
    assert listed["count"] == 1
    breach = listed["results"][0]
    assert (breach["code_name"], breach["isin"], breach["status"]) == (
        "receiver_conditions",
        bond.isin,
        "open",
    )
    missing = api.post(f"/api/v1/breaches/{breach['id']}/resolve/", {"note": ""}, format="json")
    assert (missing.status_code, missing.json()["error"]["code"]) == (400, "note_required")
    done = api.post(f"/api/v1/breaches/{breach['id']}/resolve/", {"note": "claim renewed"}, format="json")
    assert (done.status_code, done.json()["status"]) == (200, "resolved")
    assert api.get("/api/v1/breaches/", {"status": "open"}).json()["count"] == 1
    as_regulator = api_client_for(regulator)
    assert as_regulator.get("/api/v1/breaches/").json()["count"] == 2
    refused = as_regulator.post(f"/api/v1/breaches/{breach['id']}/investigate/", {}, format="json")
    assert refused.status_code == 403
    chart = selectors.breach_chart(user=officer)
    assert (sum(chart["opened"]), sum(chart["resolved"]), len(chart["labels"])) == (2, 1, 30)


def test_rule_set_api_reports_every_problem(bond, officers, api_client_for):
    officer, checker = officers
    api = api_client_for(officer)
    url = f"/api/v1/instruments/{bond.pk}/rule-sets/"
    bad = api.post(
        url, {"allowed_jurisdictions": ["DE", "ZZ"], "denied_jurisdictions": ["DE"]}, format="json"
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "invalid_rule_set"
    assert {p["code"] for p in bad.json()["error"]["details"]["problems"]} == {
        "invalid_country",
        "contradiction",
    }
    created = api.post(
        url,
        {"receiver": [[{"topic": "investor_category", "kind": "value_in", "values": ["professional"]}]]},
        format="json",
    )
    assert created.status_code == 201, created.json()
    rule_set_id = created.json()["id"]
    assert api.post(f"/api/v1/rule-sets/{rule_set_id}/submit/").json()["status"] == "pending"
    assert api.post(f"/api/v1/rule-sets/{rule_set_id}/approve/").status_code == 403
    approved = api_client_for(checker).post(f"/api/v1/rule-sets/{rule_set_id}/approve/")
    assert approved.json()["status"] == "approved"
    assert api.get(url).json()["count"] == 1


def test_explanations_name_the_failed_condition():
    compiled, _ = rules.compile_rules(rules.RuleTerms(allowed_jurisdictions=("DE", "FR")), issue_units=100)
    receiver = rules.Party(b"\x00" * 49, label="Client X")
    (failure,) = rules.evaluate_transfer(
        compiled, rules.TokenState(supply=100), sender=None, receiver=receiver, amount=1
    )
    assert failure.explanation == "Client X has no valid jurisdiction claim in {DE, FR}"


def test_action_api_freeze_pause_and_forced_transfer_maker_checker(
    bond, officers, api_client_for, settings, tmp_path
):
    import io

    from pypdf import PdfWriter

    settings.MEDIA_ROOT = tmp_path
    maker, checker = officers
    TokenHolding.objects.create(
        contract=bond.contract_id,
        holder=HOLDER,
        balance=10,
        last_height=1,
        last_tx_id="0x",
        last_changed_at=timezone.now(),
    )
    api = api_client_for(maker)
    frozen = api.post(
        f"/api/v1/instruments/{bond.pk}/freeze/",
        {"holder": "0x" + HOLDER, "frozen": True, "reason_text": "AML alert"},
        format="json",
    )
    assert frozen.status_code == 201, frozen.json()
    freeze = ComplianceAction.objects.get(pk=frozen.json()["id"])
    assert freeze.submission is not None
    assert (freeze.submission.fn_name, bytes(freeze.submission.fn_args)) == (
        "freeze",
        bytes.fromhex(HOLDER) + b"\x01",
    )
    paused = api.post(
        f"/api/v1/instruments/{bond.pk}/pause/", {"paused": True, "reason_text": ""}, format="json"
    )
    assert (paused.status_code, paused.json()["error"]["code"]) == (400, "reason_required")

    pdf = io.BytesIO()
    writer = PdfWriter()
    writer.add_blank_page(width=100, height=100)
    writer.write(pdf)
    pdf.seek(0)
    pdf.name = "court-order.pdf"
    receiver = "00" + "33" * 48
    proposed = api.post(
        f"/api/v1/instruments/{bond.pk}/forced-transfers/",
        {
            "holder": HOLDER,
            "receiver": receiver,
            "quantity": "4000",
            "reason_code": 1,
            "reason_text": "lost keys",
            "document": pdf,
        },
        format="multipart",
    )
    assert proposed.status_code == 201, proposed.json()
    body = proposed.json()
    assert (body["status"], body["units"], body["document_filename"]) == ("pending", 4, "court-order.pdf")
    action_id = body["id"]
    refused = api.post(f"/api/v1/compliance-actions/{action_id}/approve/")
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "maker_cannot_approve")
    approved = api_client_for(checker).post(f"/api/v1/compliance-actions/{action_id}/approve/")
    assert (approved.status_code, approved.json()["status"]) == (200, "submitted")
    action = ComplianceAction.objects.get(pk=action_id)
    assert action.submission is not None
    assert bytes(action.submission.fn_args) == (
        bytes.fromhex(HOLDER)
        + bytes.fromhex(receiver)
        + (4).to_bytes(8, "little")
        + (1).to_bytes(2, "little")
    )
    enforcement.on_action_submission(_final(action.submission, succeeded=True))
    action.refresh_from_db()
    assert (action.status, action.executed_height) == ("executed", 42)
    assert api.get("/api/v1/compliance-actions/", {"status": "executed"}).json()["count"] == 1
