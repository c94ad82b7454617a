"""``manage.py run_scenario``: a settlement day end to end through the public REST API.

Against the platform ``make run`` started (``--url``), as its operator:

1. imports the real instruments and LEIs (``--treasury-csv``, ``--lei-file``; the shipped
   sample when not given) with the platform's importers;
2. onboards ``--brokers`` of the LEI organisations as brokers: chain accounts, a trader and
   a back office each (API tokens), client accounts, and US dollars from the cash issuer;
3. tokenizes ``--instruments`` real Treasury notes for the Treasury (issuer admin and a
   second approver: maker-checker), waits for each deployment to be Final, and allocates
   primary holdings to every client account by DvP;
4. generates a day of ``--trades`` trades (``--seed``) between the brokers' clients, prices
   near par, and submits both sides of each through the API;
5. runs netting cycles until nothing more settles, waiting for finality;
6. reconciles every client's holding and every broker's cash against the chain (the nodes'
   RPC) and the platform's read models, and prints the summary.

Every call except the imports and the chain reads goes through ``/api/v1/``.
"""

from __future__ import annotations

import datetime
import logging
import random
import statistics
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from chain.node.client import NodeClient, contract_abi
from common.chain import get_cash_tokens
from config.env import env
from identity.demo import DEFAULT_DEMO_PASSWORD

POLL_SECONDS = 1.0
SCENARIO_PASSWORD = "scenario-password-7f3"  # noqa: S105 - users the scenario makes for itself
TERMINAL = {"settled", "failed", "cancelled", "rejected"}


@dataclass
class Broker:
    org: dict[str, Any]
    trader: Api
    clients: list[str]


class Api:
    """The platform's REST API as one user (token authentication)."""

    def __init__(self, base: str, token: str | None = None) -> None:
        headers = {"Authorization": f"Token {token}"} if token else {}
        self.http = httpx.Client(base_url=base.rstrip("/") + "/api/v1", headers=headers, timeout=60)

    def call(
        self, method: str, path: str, body: Any = None, *, ok: tuple[int, ...] = (200, 201, 202, 204)
    ) -> Any:
        headers = {"Idempotency-Key": str(uuid.uuid4())} if method != "GET" else {}
        response = self.http.request(method, path, json=body, headers=headers)
        if response.status_code not in ok:
            raise CommandError(f"{method} {path}: HTTP {response.status_code} {response.text[:400]}")
        return None if response.status_code == 204 or not response.content else response.json()

    def pages(self, path: str) -> list[dict[str, Any]]:
        results, url = [], path + ("&" if "?" in path else "?") + "page_size=200"
        while url:
            page = self.call("GET", url)
            results += page["results"]
            url = page.get("next") and page["next"].split("/api/v1", 1)[1]
        return results


def login(base: str, username: str, password: str) -> Api:
    token = Api(base).call("POST", "/auth/token/", {"username": username, "password": password})["token"]
    return Api(base, token)


class Command(BaseCommand):
    help = "Run a settlement day end to end through the public API and print its summary."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default=f"http://127.0.0.1:{env.int('GLOAM_PORT', default=8000)}")
        parser.add_argument("--operator", default="operator")
        parser.add_argument(
            "--password", default=env.str("GLOAM_DEMO_PASSWORD", default=DEFAULT_DEMO_PASSWORD)
        )
        parser.add_argument("--treasury-csv", type=Path)
        parser.add_argument("--lei-file", type=Path)
        parser.add_argument("--trades", type=int, default=200)
        parser.add_argument("--brokers", type=int, default=4)
        parser.add_argument("--clients", type=int, default=2, help="client accounts per broker")
        parser.add_argument("--instruments", type=int, default=3)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--timeout", type=float, default=900.0, help="seconds to wait for any one stage")

    def say(self, message: str) -> None:
        self.stdout.write(f"[{time.monotonic() - self.t0:7.1f} s] {message}")
        self.stdout.flush()

    def wait(self, what: str, done: Any) -> Any:
        deadline = time.monotonic() + self.timeout
        while not (result := done()):
            if time.monotonic() > deadline:
                raise CommandError(f"timed out waiting for {what}")
            time.sleep(POLL_SECONDS)
        return result

    def handle(self, *args: Any, **options: Any) -> None:
        logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request drowns the progress
        self.t0, self.timeout = time.monotonic(), options["timeout"]
        rng = random.Random(options["seed"])  # noqa: S311 - a reproducible trading day, not secrets
        run = f"{options['seed']}-{uuid.uuid4().hex[:6]}"
        base = options["url"]
        self.say(f"scenario {run} against {base}")

        # 1. real reference data
        if options["treasury_csv"]:
            call_command("import_treasury_auctions", str(options["treasury_csv"]), stdout=self.stdout)
        if options["lei_file"]:
            call_command("import_lei", str(options["lei_file"]), kind="broker", stdout=self.stdout)
        lei_filter = set()
        if options["lei_file"]:
            from issuance.importers import read_lei_file

            lei_filter = {row.key for row in read_lei_file(options["lei_file"]) if row.key}
        operator = login(base, options["operator"], options["password"])

        # 2. brokers, their users, client accounts and cash
        organisations = operator.pages("/organisations/?kind=broker")
        if lei_filter:
            organisations = [o for o in organisations if o["lei"] in lei_filter] or organisations
        organisations = organisations[: options["brokers"]]
        if len(organisations) < 2:
            raise CommandError("the scenario needs at least two broker organisations (import a LEI file)")
        brokers: list[Broker] = []
        cash_expected: dict[str, Decimal] = defaultdict(Decimal)  # broker LEI → USD on chain at the end
        with NodeClient(list(settings.GLOAM_NODE_URLS)) as node:
            usd = self._usd_token()
            for org in organisations:
                key = operator.call("POST", f"/organisations/{org['id']}/chain-account/")["chain_public_key"]
                address = contract_abi.account_address(bytes.fromhex(key.removeprefix("0x")))
                cash_expected[org["lei"]] = (
                    Decimal(contract_abi.decode_u64(node.query_contract(usd, "balance_of", address))) / 100
                )
        for index, org in enumerate(organisations):
            operator.call("POST", f"/organisations/{org['id']}/chain-account/")
            users = {}
            for role in ("broker_trader", "broker_back_office"):
                username = f"sc-{run}-{index}-{role}"
                operator.call(
                    "POST",
                    "/users/",
                    {
                        "organisation_id": org["id"],
                        "username": username,
                        "email": f"{username}@scenario.gloam.invalid",
                        "password": SCENARIO_PASSWORD,
                        "roles": [role],
                    },
                )
                users[role] = login(base, username, SCENARIO_PASSWORD)
            clients = []
            for c in range(options["clients"]):
                reference = f"SC{run[-6:]}-{c}"
                users["broker_back_office"].call(
                    "POST",
                    "/client-accounts/",
                    {
                        "account_reference": reference,
                        "name": f"{org['legal_name'][:40]} client {c}",
                        "holder_type": "natural_person",
                    },
                )
                clients.append(reference)
            operator.call(
                "POST", "/cash-issuances/", {"lei": org["lei"], "currency": "USD", "amount": "50000000.00"}
            )
            cash_expected[org["lei"]] += Decimal(50_000_000)
            brokers.append(Broker(org, users["broker_trader"], clients))
        self.say(f"onboarded {len(brokers)} brokers, {options['clients']} client accounts and USD 50m each")

        # 3. tokenized Treasuries, maker-checker, deployment, primary allocation
        today = datetime.date.today()
        later = str(today + datetime.timedelta(days=400))
        candidates = [
            i
            for i in operator.pages("/instruments/?currency=USD&kind=fixed_rate_bond")
            if i["maturity_date"]
            and i["maturity_date"] > later
            and (i["is_reference_data"] or i["status"] == "live")
        ]
        # notes an earlier run already took up come first, so that runs can follow each other
        notes = sorted(candidates, key=lambda i: (i["status"] != "live", i["isin"]))[: options["instruments"]]
        if not notes:
            raise CommandError("no Treasury note to tokenize: import the Treasury auctions first")
        treasury_id = notes[0]["issuer"]
        operator.call("POST", f"/organisations/{treasury_id}/chain-account/")
        makers = {}
        for role in ("issuer_admin", "issuer_approver"):
            username = f"sc-{run}-treasury-{role}"
            operator.call(
                "POST",
                "/users/",
                {
                    "organisation_id": treasury_id,
                    "username": username,
                    "email": f"{username}@scenario.gloam.invalid",
                    "password": SCENARIO_PASSWORD,
                    "roles": [role],
                },
            )
            makers[role] = login(base, username, SCENARIO_PASSWORD)
        admin, approver = makers["issuer_admin"], makers["issuer_approver"]
        for note in notes:
            if note["status"] == "live":
                continue
            admin.call("POST", f"/instruments/{note['id']}/tokenize/")
            admin.call("POST", f"/instruments/{note['id']}/submit/")
            approver.call("POST", f"/instruments/{note['id']}/approve/")
        self.wait(
            "the deployments to be Final",
            lambda: all(admin.call("GET", f"/instruments/{n['id']}/")["status"] == "live" for n in notes),
        )
        instruments = [admin.call("GET", f"/instruments/{n['id']}/") for n in notes]
        self.say(f"deployed {len(instruments)} Treasury notes: {', '.join(i['isin'] for i in instruments)}")
        holdings: dict[tuple[str, str, str], Decimal] = defaultdict(
            Decimal
        )  # (isin, broker lei, client) → nominal
        primary = Decimal(1_000_000)
        for instrument in instruments:
            rows = [
                {
                    "broker_lei": b.org["lei"],
                    "client_account": client,
                    "quantity": str(primary),
                    "price": "100",
                }
                for b in brokers
                for client in b.clients
            ]
            admin.call("POST", f"/instruments/{instrument['id']}/allocations/", {"rows": rows})
            for b in brokers:
                for client in b.clients:
                    holdings[(instrument["isin"], b.org["lei"], client)] += primary
                    cash_expected[b.org["lei"]] -= primary  # at par, no accrued interest

        def allocated() -> bool:
            statuses = [
                a["status"] for i in instruments for a in admin.pages(f"/instruments/{i['id']}/allocations/?")
            ]
            if "failed" in statuses:
                raise CommandError("a primary allocation failed")
            return all(s == "settled" for s in statuses)

        self.wait("the primary allocations to settle", allocated)
        accounts = sum(len(b.clients) for b in brokers)
        self.say(f"allocated {primary:,} nominal of each note to each of {accounts} client accounts")

        # 4. the day's trades, both sides through the API
        trade_date = today if today.weekday() < 5 else today - datetime.timedelta(days=today.weekday() - 4)
        submitted, start = 0, time.monotonic()
        for n in range(options["trades"]):
            instrument = rng.choice(instruments)
            seller, buyer = rng.sample(brokers, 2)
            seller_client, buyer_client = rng.choice(seller.clients), rng.choice(buyer.clients)
            denomination = Decimal(instrument["minimum_denomination"])
            quantity = denomination * rng.randint(1, 500)
            price = (Decimal(100) + Decimal(rng.gauss(0, 0.3))).quantize(Decimal("0.001"))
            common = {
                "isin": instrument["isin"],
                "quantity": str(quantity),
                "price": str(price),
                "trade_date": str(trade_date),
            }
            seller.trader.call(
                "POST",
                "/settlement-instructions/",
                {
                    **common,
                    "reference": f"{run}-{n}-S",
                    "side": "sell",
                    "counterparty_lei": buyer.org["lei"],
                    "client_account": seller_client,
                },
            )
            buyer.trader.call(
                "POST",
                "/settlement-instructions/",
                {
                    **common,
                    "reference": f"{run}-{n}-B",
                    "side": "buy",
                    "counterparty_lei": seller.org["lei"],
                    "client_account": buyer_client,
                },
            )
            submitted += 2
            if (n + 1) % max(1, options["trades"] // 10) == 0:
                self.say(f"submitted {n + 1}/{options['trades']} trades")
        submit_seconds = time.monotonic() - start
        self.say(f"{submitted} instructions in {submit_seconds:.1f} s: {submitted / submit_seconds:.0f} /s")

        # 5. netting cycles until nothing more settles
        def mine() -> list[dict[str, Any]]:
            """This run's instructions, as their brokers see them."""
            return [
                i
                for b in brokers
                for i in b.trader.pages("/settlement-instructions/?")
                if i["reference"].startswith(run)
            ]

        due = None
        cycles = []
        for attempt in range(4):
            before = sum(i["status"] == "settled" for i in mine())
            due = max((i["intended_settlement_date"] for i in mine()), default=str(trade_date))
            cycle = operator.call("POST", "/netting-cycles/", {"cycle_date": due})
            if cycle is not None:
                cycles.append(cycle["id"])
                final = self.wait(
                    f"cycle {cycle['id']}",
                    lambda c=cycle["id"]: (
                        (r := operator.call("GET", f"/netting-cycles/{c}/"))["status"]
                        in ("settled", "failed")
                        and r
                    ),
                )
                self.say(f"cycle {attempt + 1}: {final['status']}, report {final['report']}")
            self.wait(
                "the cycles the platform runs on its own",
                lambda: (
                    not any(
                        i["status"] == "pending" and "in netting cycle" in i["status_reason"] for i in mine()
                    )
                ),
            )
            if sum(i["status"] == "settled" for i in mine()) == before and attempt:
                break
        instructions = mine()

        # 6. reconcile with the chain and the read models
        settled = [i for i in instructions if i["status"] == "settled"]
        by_reference = {i["reference"]: i for i in instructions}
        for i in settled:
            sign = 1 if i["side"] == "buy" else -1
            holdings[(i["isin"], i["broker_lei"], i["client_account"])] += sign * Decimal(i["quantity"])
            cash_expected[i["broker_lei"]] -= sign * Decimal(i["settlement_amount"])
        deadline = time.monotonic() + 60  # the read models follow Final blocks a few seconds behind
        while True:
            mismatches = self._reconcile(brokers, instruments, holdings, operator)
            mismatches += self._reconcile_cash(brokers, cash_expected, operator)
            if not mismatches or time.monotonic() > deadline:
                break
            time.sleep(POLL_SECONDS)
        latencies = sorted(
            (
                datetime.datetime.fromisoformat(i["settled_at"])
                - datetime.datetime.fromisoformat(i["created_at"])
            ).total_seconds()
            for i in settled
        )
        elapsed = time.monotonic() - self.t0
        trades = len(instructions) // 2
        settled_trades = len(
            {r.rsplit("-", 1)[0] for r in by_reference if by_reference[r]["status"] == "settled"}
        )
        reports = [operator.call("GET", f"/netting-cycles/{c}/")["report"] for c in cycles]
        gross = sum(r.get("gross_cash_cents", 0) for r in reports) / 100
        net = sum(r.get("net_cash_cents", 0) for r in reports) / 100
        failed = [i for i in instructions if i["status"] != "settled"]
        self.stdout.write("\n== scenario summary ==")
        self.stdout.write(
            f"trades: {trades}  matched: {sum(i['status'] != 'unmatched' for i in instructions) // 2}"
        )
        self.stdout.write(f"settled (Final): {settled_trades}  not settled: {len(failed) // 2}")
        reasons: dict[str, int] = defaultdict(int)
        for i in failed:
            reasons[f"{i['status']} {i['pending_reason'] or i['status_reason']}"] += 1
        for reason, count in sorted(reasons.items()):
            self.stdout.write(f"  {reason}: {count} instructions")
        efficiency = 0 if not gross else 100 * (gross - net) / gross
        self.stdout.write(
            f"gross cash obligations: {gross:,.2f}  net: {net:,.2f}  netting efficiency: {efficiency:.2f} %"
        )
        if latencies:
            p95 = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))]
            self.stdout.write(
                f"settlement latency (submission to Final): median {statistics.median(latencies):.1f} s, "
                f"p95 {p95:.1f} s"
            )
        self.stdout.write(
            f"API submissions: {submitted / submit_seconds:.0f} /s; "
            f"throughput: {settled_trades / elapsed:.2f} trades settled/s over {elapsed:.0f} s"
        )
        self.stdout.write(f"reconciliation: {'exact' if not mismatches else f'{len(mismatches)} mismatches'}")
        for line in mismatches[:20]:
            self.stdout.write(f"  {line}")
        if mismatches:
            raise CommandError("holdings or cash do not reconcile with the chain")

    @staticmethod
    def _usd_token() -> str:
        tokens = get_cash_tokens()
        if "USD" not in tokens:
            raise CommandError("the chain has no USD cash token")
        return tokens["USD"]

    def _reconcile_cash(
        self, brokers: list[Broker], expected: dict[str, Decimal], operator: Api
    ) -> list[str]:
        """Every broker's USD: chain ``balance_of`` against the expectation and the platform's
        Final cash balances."""
        mismatches = []
        balances = {
            (c["lei"], c["currency"]): Decimal(c["amount"]) for c in operator.call("GET", "/cash-balances/")
        }
        with NodeClient(list(settings.GLOAM_NODE_URLS)) as node:
            usd = self._usd_token()
            for b in brokers:
                key = operator.call("GET", f"/organisations/{b.org['id']}/")["chain_public_key"]
                address = contract_abi.account_address(bytes.fromhex(key.removeprefix("0x")))
                on_chain = (
                    Decimal(contract_abi.decode_u64(node.query_contract(usd, "balance_of", address))) / 100
                )
                lei = b.org["lei"]
                if on_chain != expected[lei]:
                    mismatches.append(f"USD {lei}: chain {on_chain} expected {expected[lei]}")
                if balances.get((lei, "USD")) != on_chain:
                    mismatches.append(f"USD {lei}: platform {balances.get((lei, 'USD'))} chain {on_chain}")
        return mismatches

    def _reconcile(
        self,
        brokers: list[Broker],
        instruments: list[dict[str, Any]],
        holdings: dict[tuple[str, str, str], Decimal],
        operator: Api,
    ) -> list[str]:
        """Every client's holding of every note: chain ``balance_of`` against the scenario's
        own expectation and the platform's register."""
        mismatches = []
        with NodeClient(list(settings.GLOAM_NODE_URLS)) as node:
            for instrument in instruments:
                register = operator.call("GET", f"/instruments/{instrument['id']}/register/")
                on_register = {
                    h["address"].removeprefix("0x"): Decimal(h["quantity"]) for h in register["holders"]
                }
                for b in brokers:
                    accounts = {a["account_reference"]: a for a in b.trader.pages("/client-accounts/?")}
                    for client in b.clients:
                        key = accounts[client]["chain_public_key"]
                        address = contract_abi.account_address(bytes.fromhex(key.removeprefix("0x")))
                        units = contract_abi.decode_u64(
                            node.query_contract(instrument["contract_id"], "balance_of", address)
                        )
                        on_chain = units * Decimal(instrument["minimum_denomination"])
                        expected = holdings[(instrument["isin"], b.org["lei"], client)]
                        if on_chain != expected:
                            mismatches.append(
                                f"{instrument['isin']} {client}: chain {on_chain} expected {expected}"
                            )
                        registered = on_register.get(address.hex(), Decimal(0))
                        if registered != on_chain:
                            mismatches.append(
                                f"{instrument['isin']} {client}: register {registered} chain {on_chain}"
                            )
        return mismatches
