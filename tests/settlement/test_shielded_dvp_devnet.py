"""DvP against shielded cash end to end through the API on the real four-node devnet
(tests/platformchain.py): broker Beta shields public EUR; Alpha's client sells a bond to
Beta's client, both brokers instructing ``cash_leg: shielded``; the operator runs the cycle
through the API; the DvP instruction is created, bound and affirmed on chain; Beta's payment
is proved by the real prover (``phoenix_transfer``), verified by the nodes, and settles the
securities in the same call. Then both instructions are settled at the payment's height,
Alpha's broker holds the payment as a note its own view key found (and Beta's did not), Beta's
shielded cash went down by the amount, and no public EUR moved."""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from decimal import Decimal

from rest_framework.test import APIClient

from identity.models import Organisation, User
from identity.roles import OrganisationKind, Role
from issuance import allocation
from issuance.models import Allocation, AllocationStatus
from ledger.models import ChainAccount, ShieldedNote, TokenHolding
from ledger.phoenix import scan_final_phoenix_events
from proving.models import ProofJob
from proving.services import proof_job_execute, proof_job_fail_stuck
from settlement.models import (
    CycleStatus,
    InstructionStatus,
    NettingCycle,
    SettlementInstruction,
    ShieldedTransfer,
)
from tests.issuance.test_onchain import _live_bond, _mint_eur, pump
from tests.platformchain import ChainPlatform
from tests.settlement.test_netting_onchain import _attach_settlement_parties, _balance, _broker

API = "/api/v1/"
TRADE_DATE = datetime.date(2026, 9, 15)


def _shielded(organisation, status=ShieldedNote.Status.UNSPENT) -> int:
    notes = ShieldedNote.objects.filter(key__organisation=organisation, status=status)
    return int(sum(notes.values_list("value", flat=True)))


def _prove_waiting_jobs() -> None:
    """The proving worker: run every queued proof job."""
    for job in ProofJob.objects.filter(status=ProofJob.Status.QUEUED):
        proof_job_execute(job_id=job.pk)


def test_a_trade_settles_against_a_shielded_payment_through_the_api(
    chain_platform: ChainPlatform,
    issuer,
    maker,
    approver,
    make_user: Callable[..., User],
    api_client_for: Callable[[User], APIClient],
) -> None:
    chain = chain_platform
    cash_issuer = _attach_settlement_parties(chain, issuer)
    alpha, beta = (_broker(chain, make_user, name) for name in ("ShAlpha", "ShBeta"))
    operator_user = make_user(Organisation.objects.get(kind=OrganisationKind.OPERATOR), Role.OPERATOR)
    bond = _live_bond(chain, maker, approver, isin="XS0000000041")
    with chain.client as node:
        cash = node.get_genesis_contracts()["cash_token"]
    _mint_eur(chain, cash_issuer, alpha[0], 200_000_00)  # Alpha's broker pays the primary allocation
    batch = allocation.allocation_batch_create(
        actor=maker,
        instrument_id=bond.pk,
        rows=[
            {
                "broker_lei": alpha[0].lei,
                "client_account": alpha[2].account_reference,
                "quantity": "100000",
                "price": "100",
            }
        ],
    )
    pump(
        chain,
        lambda: all(x.status in ("settled", "failed") for x in Allocation.objects.filter(batch=batch)),
    )
    assert {x.status for x in Allocation.objects.filter(batch=batch)} == {AllocationStatus.SETTLED}, [
        x.failure_reason for x in Allocation.objects.filter(batch=batch)
    ]

    # Beta shields 60,000 EUR of public cash through the API
    _mint_eur(chain, cash_issuer, beta[0], 60_000_00)
    beta_address = beta[0].chain_account.address.hex()
    pump(chain, lambda: TokenHolding.objects.filter(holder=beta_address, balance__gte=60_000_00).exists())
    beta_api, alpha_api = api_client_for(beta[1]), api_client_for(alpha[1])
    shield = beta_api.post(f"{API}shielded-transfers/shield/", {"amount": "60000.00"}, format="json")
    assert shield.status_code == 202, shield.content
    pump(
        chain,
        lambda: scan_final_phoenix_events() is not None and _shielded(beta[0]) == 60_000_00,
        timeout=180,
    )
    public_before = {b[0].lei: _balance(chain, cash, b[0].chain_account) for b in (alpha, beta)}

    # the trade: 50,000 nominal at 99.5, both sides with a shielded cash leg
    for who, other, side in ((alpha, beta, "sell"), (beta, alpha, "buy")):
        response = api_client_for(who[1]).post(
            f"{API}settlement-instructions/",
            {
                "reference": f"SH-{side}",
                "isin": bond.isin,
                "side": side,
                "quantity": "50000",
                "price": "99.5",
                "trade_date": TRADE_DATE.isoformat(),
                "intended_settlement_date": (TRADE_DATE + datetime.timedelta(days=1)).isoformat(),
                "counterparty_lei": other[0].lei,
                "client_account": who[2].account_reference,
                "cash_leg": "shielded",
            },
            format="json",
        )
        assert response.status_code == 201, response.content
        assert response.json()["cash_leg"] == "shielded"
    assert response.json()["status"] == "matched"
    amount = SettlementInstruction.objects.get(reference="SH-buy").settlement_amount
    cents = int(amount * 100)

    started = api_client_for(operator_user).post(
        f"{API}netting-cycles/", {"cycle_date": "2026-09-16"}, format="json"
    )
    assert started.status_code == 201, started.content
    assert started.json()["cash_leg"] == "shielded"
    cycle_id = started.json()["id"]
    deadline = time.monotonic() + 300

    def done() -> bool:
        _prove_waiting_jobs()
        scan_final_phoenix_events()
        status = NettingCycle.objects.get(pk=cycle_id).status
        assert time.monotonic() < deadline
        return status in (CycleStatus.SETTLED, CycleStatus.FAILED)

    pump(chain, done, timeout=300)
    cycle = NettingCycle.objects.get(pk=cycle_id)
    assert cycle.status == CycleStatus.SETTLED, (cycle.plan, cycle.report)
    payment = ShieldedTransfer.objects.get(cycle=cycle)
    assert (payment.kind, payment.status, payment.amount) == ("dvp", "final", amount)
    instructions = SettlementInstruction.objects.filter(reference__startswith="SH-")
    assert {(i.status, i.settled_height) for i in instructions} == {
        (InstructionStatus.SETTLED, cycle.settled_height)
    }
    assert payment.submission is not None
    assert payment.submission.block_height == cycle.settled_height

    # the securities moved with the note; no public EUR moved
    client_alpha, client_beta = (ChainAccount.objects.get(client_account=x[2]) for x in (alpha, beta))
    assert _balance(chain, bond.contract_id, client_alpha) == 50
    assert _balance(chain, bond.contract_id, client_beta) == 50
    assert {b[0].lei: _balance(chain, cash, b[0].chain_account) for b in (alpha, beta)} == public_before
    pump(chain, lambda: scan_final_phoenix_events() is not None and _shielded(alpha[0]) == cents)
    assert _shielded(beta[0]) == 60_000_00 - cents
    assert not ShieldedNote.objects.filter(key__organisation=beta[0], value=cents).exists()

    # the API shows it: Alpha's note, Beta's DvP payment, the cycle's report
    [note] = alpha_api.get(f"{API}shielded-notes/").json()["results"]
    assert (Decimal(note["amount"]), note["status"]) == (amount, "unspent")
    [paid] = beta_api.get(f"{API}shielded-transfers/?kind=dvp").json()["results"]
    assert (paid["receiver_lei"], paid["chain_status"], paid["cycle"]) == (alpha[0].lei, "Final", cycle_id)
    assert cycle.report["cash_leg"] == "shielded"
    assert cycle.report["cash"]["EUR"]["gross_cents"] == cents

    # a second trade whose payment proof fails (the worker's time limit): nothing moves, the
    # notes are released, both instructions wait for the next cut-off, which settles them once
    for who, other, side in ((alpha, beta, "sell"), (beta, alpha, "buy")):
        response = api_client_for(who[1]).post(
            f"{API}settlement-instructions/",
            {
                "reference": f"SH2-{side}",
                "isin": bond.isin,
                "side": side,
                "quantity": "5000",
                "price": "100",
                "trade_date": TRADE_DATE.isoformat(),
                "counterparty_lei": other[0].lei,
                "client_account": who[2].account_reference,
                "cash_leg": "shielded",
            },
            format="json",
        )
        assert response.status_code == 201, response.content
    second = api_client_for(operator_user).post(
        f"{API}netting-cycles/", {"cycle_date": "2026-09-16"}, format="json"
    )
    assert second.status_code == 201, second.content
    failing = NettingCycle.objects.get(pk=second.json()["id"])
    pump(chain, lambda: ShieldedTransfer.objects.get(cycle=failing).status == "proving")
    beta_unspent = _shielded(beta[0]) + _shielded(beta[0], ShieldedNote.Status.PENDING)
    job = ShieldedTransfer.objects.get(cycle=failing).proof_job
    assert job is not None
    assert proof_job_fail_stuck(job_id=job.pk, code="timeout", message="the worker's time limit")
    failing.refresh_from_db()
    assert failing.status == CycleStatus.FAILED
    assert ShieldedTransfer.objects.get(cycle=failing).status == "failed"
    assert _shielded(beta[0]) == beta_unspent  # released
    retry = SettlementInstruction.objects.filter(reference__startswith="SH2-")
    assert {(i.status, i.cycle_id) for i in retry} == {(InstructionStatus.PENDING, None)}

    again = api_client_for(operator_user).post(
        f"{API}netting-cycles/", {"cycle_date": "2026-09-16"}, format="json"
    )
    assert again.status_code == 201, again.content
    deadline = time.monotonic() + 300
    cycle_id = again.json()["id"]
    pump(chain, done, timeout=300)
    assert NettingCycle.objects.get(pk=cycle_id).status == CycleStatus.SETTLED
    assert {i.status for i in retry.all()} == {InstructionStatus.SETTLED}
    assert _balance(chain, bond.contract_id, client_beta) == 55
    # settled once: nothing is due any more
    assert (
        api_client_for(operator_user)
        .post(f"{API}netting-cycles/", {"cycle_date": "2026-09-16"}, format="json")
        .status_code
        == 204
    )
    assert ShieldedTransfer.objects.filter(kind="dvp", status="final").count() == 2
