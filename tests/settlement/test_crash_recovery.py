"""A real Celery worker (with beat) and a node are killed (SIGKILL) while a netting cycle
settles; after both restart, every instruction ends settled exactly once, and holdings and
cash moved exactly once. Needs PostgreSQL: the worker process shares the test database."""

from __future__ import annotations

import contextlib
import datetime
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from issuance import allocation
from issuance.models import Allocation, AllocationStatus
from ledger.models import ChainAccount, ChainSubmission
from settlement import netting
from settlement.models import (
    CycleStatus,
    InstructionEvent,
    InstructionStatus,
    NettingCycle,
    SettlementInstruction,
)
from tests.issuance.test_onchain import _live_bond, _mint_eur, pump
from tests.platformchain import ChainPlatform
from tests.settlement.test_netting_onchain import (
    TRADE_DATE,
    _attach_settlement_parties,
    _balance,
    _broker,
    _trade,
)

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.integration


def _database_url() -> str:
    db = connection.settings_dict
    user, host, port = db.get("USER") or "postgres", db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{db['NAME']}"


class Worker:
    """``celery worker -B`` (beat inside) on the test database and the devnet."""

    def __init__(self, chain: ChainPlatform, log: Path) -> None:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": _database_url(),
            "GLOAM_NODE_URLS": ",".join(chain.net.urls),
            "GLOAM_CHAIN_ID": "71",
            "GLOAM_NETTING_INTERVAL_SECONDS": "0",
        }
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-B",
            "--pool=solo",
            "--loglevel=INFO",
        ]
        command += ["--without-gossip", "--without-mingle", "--schedule", str(log.with_suffix(".beat"))]
        self.sink = log.open("ab")
        # its own process group: ``-B`` runs beat in a child process, which a SIGKILL of the
        # worker alone left running (and sending beat tasks to the broker) after the test
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self.sink, stderr=subprocess.STDOUT, start_new_session=True
        )  # noqa: S603

    def kill(self) -> None:
        """SIGKILL the worker and its beat, as a crash of the machine would."""
        with contextlib.suppress(ProcessLookupError):  # the group may be gone already
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.sink.close()


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[list[Worker]]:
    started: list[Worker] = []
    yield started
    for worker in started:
        worker.kill()


def test_killing_the_worker_and_a_node_mid_cycle_settles_everything_exactly_once(
    transactional_db, chain_platform: ChainPlatform, issuer, maker, approver, make_user, workers, tmp_path
):
    if connection.vendor != "postgresql":
        pytest.skip(
            "the worker process shares the test database: run with DATABASE_URL=postgres://… (CI does)"
        )
    if str(settings.CELERY_BROKER_URL).startswith("memory://"):
        pytest.skip("the worker process needs a shared broker: set CELERY_BROKER_URL=redis://… (CI does)")
    chain = chain_platform
    cash_issuer = _attach_settlement_parties(chain, issuer)
    a, b = (_broker(chain, make_user, name) for name in ("Kappa", "Lambda"))
    bond = _live_bond(chain, maker, approver, isin="XS0000000041")
    for broker, _, _ in (a, b):
        _mint_eur(chain, cash_issuer, broker, 1_000_000_00)
    rows = [
        {
            "broker_lei": x[0].lei,
            "client_account": x[2].account_reference,
            "quantity": "300000",
            "price": "100",
        }
        for x in (a, b)
    ]
    batch = allocation.allocation_batch_create(actor=maker, instrument_id=bond.pk, rows=rows)
    pump(
        chain, lambda: all(x.status in ("settled", "failed") for x in Allocation.objects.filter(batch=batch))
    )
    assert {x.status for x in Allocation.objects.filter(batch=batch)} == {AllocationStatus.SETTLED}
    _trade(a, b, bond, "K1", "100000")
    _trade(b, a, bond, "K2", "40000")
    with chain.client as node:
        cash = node.get_genesis_contracts()["cash_token"]
    client_a, client_b = (ChainAccount.objects.get(client_account=x[2]) for x in (a, b))
    before = {
        "a_bond": _balance(chain, bond.contract_id, client_a),
        "b_bond": _balance(chain, bond.contract_id, client_b),
        "a_cash": _balance(chain, cash, a[0].chain_account),
        "b_cash": _balance(chain, cash, b[0].chain_account),
    }

    workers.append(Worker(chain, tmp_path / "worker-1.log"))
    cycle = netting.netting_cycle_run(cycle_date=TRADE_DATE + datetime.timedelta(days=1))
    assert cycle is not None

    def progressed() -> bool:  # the worker has sent some of the cycle's transactions
        return ChainSubmission.objects.filter(
            kind__startswith="netting.", status__in=["submitted", "included", "final"]
        ).exists()

    deadline = time.monotonic() + 120
    while not progressed():
        assert time.monotonic() < deadline, (tmp_path / "worker-1.log").read_text()[-3000:]
        time.sleep(0.2)
    workers[0].kill()  # SIGKILL mid-cycle
    chain.net.kill(1)  # and one of the four nodes
    time.sleep(3)
    chain.net.start(1)
    workers.append(Worker(chain, tmp_path / "worker-2.log"))
    deadline = time.monotonic() + 240
    while NettingCycle.objects.get(pk=cycle.pk).status not in (CycleStatus.SETTLED, CycleStatus.FAILED):
        assert time.monotonic() < deadline, (tmp_path / "worker-2.log").read_text()[-3000:]
        time.sleep(0.5)

    assert NettingCycle.objects.get(pk=cycle.pk).status == CycleStatus.SETTLED
    for instruction in SettlementInstruction.objects.all():
        assert instruction.status == InstructionStatus.SETTLED
        assert InstructionEvent.objects.filter(instruction=instruction, status="settled").count() == 1
    settles = ChainSubmission.objects.filter(kind=netting.KIND_SETTLE)
    assert [(s.status, s.succeeded) for s in settles] == [("final", True)]
    amounts = {i.reference: int(i.settlement_amount * 100) for i in SettlementInstruction.objects.all()}
    net_cash = amounts["K1-sell"] - amounts["K2-buy"]
    assert (
        _balance(chain, bond.contract_id, client_a) == before["a_bond"] - 60
    )  # 100,000 − 40,000 nominal, once
    assert _balance(chain, bond.contract_id, client_b) == before["b_bond"] + 60
    assert _balance(chain, cash, a[0].chain_account) == before["a_cash"] + net_cash
    assert _balance(chain, cash, b[0].chain_account) == before["b_cash"] - net_cash
