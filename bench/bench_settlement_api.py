"""Broker API benchmark (issue 7): settlement instructions submitted per second through the
REST API, in process; prints figures, asserts nothing.

Each request is what a broker's system sends: token authentication, an ``Idempotency-Key``,
validation (ISIN, LEI, client account, price band, T+1 on the calendar), QuantLib accrued
interest, storage with its status events, and matching against the counterparty's side
(every second request matches). A fresh SQLite database in a temporary directory; one core.

Run: ``.venv/bin/python bench/bench_settlement_api.py [--runs N] [--trades N]``.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--trades", type=int, default=500, help="trades per run (two requests each)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as var:
        os.environ["GLOAM_VAR_DIR"] = var
        os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
        os.environ.pop("DATABASE_URL", None)
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command

        settings.DATABASES["default"]["NAME"] = str(Path(var) / "bench.sqlite3")
        settings.ALLOWED_HOSTS = ["testserver"]
        call_command("migrate", verbosity=0)
        run(args.runs, args.trades)


def run(runs: int, trades: int) -> None:
    from knox.models import AuthToken
    from rest_framework.test import APIClient

    from identity.demo import compute_demo_lei
    from identity.models import ClientAccount, Organisation, RoleAssignment, User
    from identity.roles import OrganisationKind, Role
    from issuance.models import Instrument, InstrumentStatus

    issuer = Organisation.objects.create(
        legal_name="Bench Issuer",
        lei=compute_demo_lei("BENCHISSUER1"),
        country="DE",
        kind=OrganisationKind.ISSUER,
    )
    Instrument.objects.create(
        isin="XS0000000009",
        name="Bench 3.5% 2031",
        issuer=issuer,
        kind="fixed_rate_bond",
        currency="EUR",
        face_value=Decimal(1000),
        minimum_denomination=Decimal(1000),
        issue_size=Decimal(500_000_000),
        issue_size_unit="nominal",
        issue_date=datetime.date(2026, 3, 16),
        maturity_date=datetime.date(2031, 3, 16),
        coupon_rate=Decimal("3.5"),
        coupon_frequency="annual",
        day_count="act_act_icma",
        business_day_convention="following",
        calendar="target",
        status=InstrumentStatus.LIVE,
        contract_id="0x" + "ab" * 32,
    )
    clients = {}
    for name in ("BENCHBROKERA", "BENCHBROKERB"):
        broker = Organisation.objects.create(
            legal_name=name, lei=compute_demo_lei(name), country="DE", kind=OrganisationKind.BROKER
        )
        user = User.objects.create(
            username=name.lower(), email=f"{name.lower()}@bench.invalid", organisation=broker
        )
        RoleAssignment.objects.create(user=user, role=Role.BROKER_TRADER)
        ClientAccount.objects.create(
            broker=broker, account_reference="C1", name="C1", holder_type="natural_person"
        )
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=user)[1]}")
        clients[name] = (client, broker.lei)
    (a, a_lei), (b, b_lei) = clients.values()
    print(f"{platform.python_implementation()} {platform.python_version()} on {platform.machine()}")
    rates = []
    for r in range(runs):
        start = time.perf_counter()
        for n in range(trades):
            for client, side, other in ((a, "buy", b_lei), (b, "sell", a_lei)):
                body = {
                    "reference": f"R{r}-{n}",
                    "isin": "XS0000000009",
                    "side": side,
                    "quantity": "100000",
                    "price": "99.5",
                    "trade_date": "2026-09-15",
                    "counterparty_lei": other,
                    "client_account": "C1",
                }
                response = client.post(
                    "/api/v1/settlement-instructions/",
                    body,
                    format="json",
                    HTTP_IDEMPOTENCY_KEY=f"{side}-{r}-{n}",
                )
                if response.status_code != 201:
                    raise SystemExit(f"unexpected {response.status_code}: {response.content[:200]!r}")
        elapsed = time.perf_counter() - start
        rates.append(2 * trades / elapsed)
        print(f"run {r + 1}: {2 * trades} instructions in {elapsed:.1f} s: {rates[-1]:.0f} /s")
    print(f"API instruction submissions: median {statistics.median(rates):.0f} /s over {runs} runs")


if __name__ == "__main__":
    main()
