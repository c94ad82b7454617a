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

   with ``--shielded-cash`` (the platform's shielded currency must be USD:
   ``GLOAM_SHIELDED_CURRENCY=USD`` before its devnet is made), each broker's back office first
   shields USD into several Phoenix notes, and a share of the trades (``--shielded-share``)
   is instructed ``cash_leg: shielded``: each settles gross, its cash a Phoenix payment proved
   by the proving worker (docs/settlement.md "Shielded DvP");
5. runs netting cycles until nothing more settles, waiting for finality;
6. reconciles every client's holding and every broker's cash against the chain (the nodes'
   RPC) and the platform's read models, and prints the summary; with ``--shielded-cash`` also
   every broker's shielded balance against the scenario's expectation (no note left pending),
   and the phoenix contract's public USD against the sum of every broker's notes.

With ``--days N`` (N ≥ 2; the platform under ``GLOAM_BUSINESS_CLOCK=manual``) steps 4–6 run
over N settlement days instead, on a note no earlier run holds: the operator rolls the business
date (``/api/v1/business-date/``) to a start date such that the N business days of the note's
calendar span its next coupon's record and payment date, then one day per step. Each day a
share of the ``--trades`` is submitted with that day as trade and intended settlement date and
netted; then the corporate actions beat runs (``/api/v1/corporate-actions/run-beat/``): it
proposes the coupon, which the issuer admin submits and a second approver approves, takes the
record checkpoint on the record date and pays on the payment date. At the end every holder's
entitlement is checked against its holding at the checkpoint as the scenario computes it from
the trades it settled (by block height), Σ net against the issuer's USD decrease and each
holder's increase on chain; a mismatch is a non-zero exit.

Every call except the imports and the chain reads goes through ``/api/v1/``.
"""

from __future__ import annotations

import datetime
import itertools
import logging
import random
import re
import statistics
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import Any

import httpx
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tenacity import retry, retry_if_exception_type, stop_after_delay, wait_exponential

from chain.node.client import NodeClient, contract_abi
from config.env import env
from identity.demo import DEFAULT_DEMO_PASSWORD
from ledger.chain import get_cash_tokens
from settlement.waiting import Waiter, WaitTimeout, node_heads

#: An instruction's status reason while a cycle holds it (settlement.netting, settlement.shielded_dvp).
IN_CYCLE = re.compile(r"in (netting|shielded DvP) cycle ")
SCENARIO_PASSWORD = "scenario-password-7f3"  # noqa: S105 - users the scenario makes for itself
TERMINAL = {"settled", "failed", "cancelled", "rejected"}


@dataclass
class Broker:
    org: dict[str, Any]
    trader: Api
    clients: list[str]
    back_office: Api


#: With --shielded-cash: the notes each broker shields before trading, and each one's amount.
SHIELDED_NOTES, SHIELDED_NOTE_USD = 6, Decimal(1_000_000)


#: HTTP statuses that mean the web process is restarting or a proxy lost it: asked again.
RETRY_STATUSES = frozenset({502, 503, 504})
#: How long one API call keeps trying while the web process is down (seconds).
API_RETRY_SECONDS = 120.0


class _WebUnavailable(Exception):
    """The web process did not answer (connection refused or reset, 502/503/504)."""


class Api:
    """The platform's REST API as one user (token authentication).

    A call that finds the web process down (it crashed and its supervisor is starting it
    again) is sent again, with backoff, for up to :data:`API_RETRY_SECONDS`; a write keeps
    its ``Idempotency-Key`` across the attempts, so the platform performs it once
    (docs/api.md).
    """

    def __init__(self, base: str, token: str | None = None) -> None:
        headers = {"Authorization": f"Token {token}"} if token else {}
        self.http = httpx.Client(base_url=base.rstrip("/") + "/api/v1", headers=headers, timeout=60)

    def call(
        self, method: str, path: str, body: Any = None, *, ok: tuple[int, ...] = (200, 201, 202, 204)
    ) -> Any:
        headers = {"Idempotency-Key": str(uuid.uuid4())} if method != "GET" else {}

        @retry(
            retry=retry_if_exception_type(_WebUnavailable),
            stop=stop_after_delay(API_RETRY_SECONDS),
            wait=wait_exponential(multiplier=0.25, max=4.0),
            reraise=True,
        )
        def attempt() -> httpx.Response:
            try:
                answer = self.http.request(method, path, json=body, headers=headers)
            except httpx.TransportError as exc:
                raise _WebUnavailable(f"{method} {path}: {type(exc).__name__}") from exc
            if answer.status_code in RETRY_STATUSES:
                raise _WebUnavailable(f"{method} {path}: HTTP {answer.status_code}")
            return answer

        try:
            response = attempt()
        except _WebUnavailable as exc:
            raise CommandError(f"the platform did not answer for {API_RETRY_SECONDS:.0f} s: {exc}") from exc
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
        parser.add_argument(
            "--shielded-cash",
            action="store_true",
            help="pay a share of the trades with shielded USD (Phoenix notes; the platform's shielded "
            "currency must be USD)",
        )
        parser.add_argument(
            "--shielded-share",
            type=float,
            default=0.25,
            help="with --shielded-cash: the share of trades whose cash leg is shielded",
        )
        parser.add_argument(
            "--days",
            type=int,
            default=0,
            help="settlement days across a coupon's record and payment date (0: one day, today's)",
        )

    def say(self, message: str) -> None:
        self.stdout.write(f"[{time.monotonic() - self.t0:7.1f} s] {message}")
        self.stdout.flush()

    def handle(self, *args: Any, **options: Any) -> None:
        logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request drowns the progress
        self.t0, self.timeout = time.monotonic(), options["timeout"]
        self.shielded_share = options["shielded_share"] if options["shielded_cash"] else 0.0
        if not 0 <= self.shielded_share <= 1:
            raise CommandError("--shielded-share is between 0 and 1")
        # broker LEI → shielded USD (unspent notes) expected at the end
        self.shielded_expected: dict[str, Decimal] = defaultdict(Decimal)
        # every wait: a progress line at least every 10 s; on timeout, what was pending and
        # which of the configured nodes was behind (settlement.waiting)
        self.waiter = Waiter(self.say, self.timeout, nodes=lambda: node_heads(list(settings.GLOAM_NODE_URLS)))
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
            brokers.append(Broker(org, users["broker_trader"], clients, users["broker_back_office"]))
        self.say(f"onboarded {len(brokers)} brokers, {options['clients']} client accounts and USD 50m each")
        if self.shielded_share:
            self._shield(operator, brokers, cash_expected)

        # 3. tokenized Treasuries, maker-checker, deployment, primary allocation
        clock = operator.call("GET", "/business-date/")
        today = datetime.date.fromisoformat(clock["business_date"])
        if options["days"] and clock["clock"] != "manual":
            raise CommandError(
                "--days rolls the business date: start the platform with GLOAM_BUSINESS_CLOCK=manual"
            )
        later = str(today + datetime.timedelta(days=400))
        candidates = [
            i
            for i in operator.pages("/instruments/?currency=USD&kind=fixed_rate_bond")
            if i["maturity_date"]
            and i["maturity_date"] > later
            and (i["is_reference_data"] or i["status"] == "live")
        ]
        # notes an earlier run already took up come first, so that runs can follow each other
        # (with --days, notes no run holds yet come first: every holder is then this run's own)
        fresh_first = bool(options["days"])
        notes = sorted(candidates, key=lambda i: ((i["status"] == "live") == fresh_first, i["isin"]))[
            : options["instruments"]
        ]
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

        def deployed() -> tuple[list[dict[str, Any]] | None, str]:
            current = [admin.call("GET", f"/instruments/{n['id']}/") for n in notes]
            pending = [i for i in current if i["status"] != "live"]
            details = "; ".join(
                f"{i['isin']}: {i['status']}"
                + (f", deployment error {i['deployment_error']}" if i["deployment_error"] else "")
                for i in pending
            )
            status = f"{len(current) - len(pending)} of {len(current)} Final" + (
                f" ({details})" if details else ""
            )
            return (None if pending else current), status

        instruments = self.waiter.until(f"{len(notes)} deployments to become Final", deployed)
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

        def allocated() -> tuple[bool | None, str]:
            statuses = Counter(
                a["status"] for i in instruments for a in admin.pages(f"/instruments/{i['id']}/allocations/?")
            )
            if statuses["failed"]:
                raise CommandError("a primary allocation failed")
            others = ", ".join(f"{n} {s}" for s, n in sorted(statuses.items()) if s != "settled")
            status = f"{statuses['settled']} of {statuses.total()} settled" + (
                f" ({others})" if others else ""
            )
            return (True if statuses["settled"] == statuses.total() else None), status

        self.waiter.until("the primary allocations to settle", allocated)
        accounts = sum(len(b.clients) for b in brokers)
        self.say(f"allocated {primary:,} nominal of each note to each of {accounts} client accounts")

        if options["days"]:
            self._run_days(
                options,
                rng,
                run,
                operator,
                admin,
                approver,
                brokers,
                instruments,
                holdings,
                cash_expected,
                today,
            )
            return

        # 4. the day's trades, both sides through the API, settling the same day: a netting
        # cycle may not be dated after the business date (docs/settlement.md), and on the system
        # clock this run cannot roll it to T+1
        trade_date = today if today.weekday() < 5 else today - datetime.timedelta(days=today.weekday() - 4)
        submitted, submit_seconds = self._submit_trades(
            rng,
            run,
            brokers,
            instruments,
            options["trades"],
            trade_date=trade_date,
            settlement_date=trade_date,
        )

        # 5. netting cycles until nothing more settles
        instructions, cycles = self._settle(operator, brokers, run, default_due=str(trade_date))

        # 6. reconcile with the chain and the read models
        settled = [i for i in instructions if i["status"] == "settled"]
        by_reference = {i["reference"]: i for i in instructions}
        self._apply_settled(settled, holdings, cash_expected, self.shielded_expected)
        mismatches = self._reconcile_all(brokers, instruments, holdings, cash_expected, operator)
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
        shielded_trades = sum(i.get("cash_leg") == "shielded" for i in settled) // 2
        reports = [operator.call("GET", f"/netting-cycles/{c}/")["report"] for c in cycles]
        gross_cents: dict[str, int] = defaultdict(int)
        net_cents: dict[str, int] = defaultdict(int)
        for report in reports:
            for currency, line in report.get("cash", {}).items():
                gross_cents[currency] += line["gross_cents"]
                net_cents[currency] += line["net_cents"]
        failed = [i for i in instructions if i["status"] != "settled"]
        self.stdout.write("\n== scenario summary ==")
        self.stdout.write(
            f"trades: {trades}  matched: {sum(i['status'] != 'unmatched' for i in instructions) // 2}"
        )
        self.stdout.write(f"settled (Final): {settled_trades}  not settled: {len(failed) // 2}")
        if self.shielded_share:
            self.stdout.write(f"  of which against shielded cash (Phoenix payments): {shielded_trades}")
        reasons: dict[str, int] = defaultdict(int)
        for i in failed:
            reasons[f"{i['status']} {i['pending_reason'] or i['status_reason']}"] += 1
        for reason, count in sorted(reasons.items()):
            self.stdout.write(f"  {reason}: {count} instructions")
        for currency in sorted(gross_cents):
            gross, net = gross_cents[currency] / 100, net_cents[currency] / 100
            efficiency = 0 if not gross else 100 * (gross - net) / gross
            self.stdout.write(
                f"gross cash obligations: {gross:,.2f} {currency}  net: {net:,.2f} {currency}  "
                f"netting efficiency: {efficiency:.2f} %"
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

    def _run_days(
        self,
        options: dict[str, Any],
        rng: random.Random,
        run: str,
        operator: Api,
        admin: Api,
        approver: Api,
        brokers: list[Broker],
        instruments: list[dict[str, Any]],
        holdings: dict[tuple[str, str, str], Decimal],
        cash_expected: dict[str, Decimal],
        today: datetime.date,
    ) -> None:
        """``--days N``: N settlement days across the next coupon of the first note, rolling
        the business date; the coupon approved with maker-checker, paid, and reconciled."""
        from corporate_actions.services import compute_business_day, compute_record_and_ex_date

        count = options["days"]
        if count < 2:
            raise CommandError(
                "--days is 0 (one day) or at least 2, to span a record date and a payment date"
            )
        note = instruments[0]
        calendar = note.get("calendar") or ""
        record, payment, days = self._plan_days(
            admin, note, today, count, compute_business_day, compute_record_and_ex_date
        )
        self.say(
            f"{note['isin']}: coupon paid {payment}, record date {record}; "
            f"{count} settlement days {days[0]} … {days[-1]} ({calendar or 'weekends only'} calendar)"
        )
        if days[0] > today:
            operator.call("POST", "/business-date/", {"business_date": str(days[0])})
            self.say(f"business date rolled from {today} to {days[0]}")

        addresses = self._client_addresses(brokers)  # address → (broker LEI, client)
        treasury = operator.call("GET", f"/organisations/{note['issuer']}/")
        issuer_address = contract_abi.account_address(
            bytes.fromhex(treasury["chain_public_key"].removeprefix("0x"))
        ).hex()
        cash_before = self._usd_balances([issuer_address, *addresses])
        at_start = dict(holdings)
        shares = [options["trades"] // count + (k < options["trades"] % count) for k in range(count)]
        per_day: list[tuple[datetime.date, int, int]] = []
        action: dict[str, Any] | None = None
        for k, day in enumerate(days):
            if k:
                operator.call("POST", "/business-date/", {"business_date": str(day)})
            mark = {record: " (record date)", payment: " (payment date)"}.get(day, "")
            self.say(f"== day {k + 1}/{count}: business date {day}{mark}, {shares[k]} trades")
            self._submit_trades(
                rng, f"{run}-d{k}", brokers, instruments, shares[k], trade_date=day, settlement_date=day
            )
            instructions, _ = self._settle(operator, brokers, f"{run}-d{k}-", default_due=str(day))
            settled_today = sum(i["status"] == "settled" for i in instructions) // 2
            per_day.append((day, shares[k], settled_today))
            self.say(f"day {day}: {settled_today}/{shares[k]} trades settled")
            if action is None:
                action = self._coupon_approved(operator, admin, approver, note, payment, record)
            if day >= record and action["status"] in ("approved", "recording", "recorded"):
                action = self._beat_until(operator, admin, action, {"entitled"})
                self.say(
                    f"coupon recorded at checkpoint {action['checkpoint_number']} "
                    f"(height {action['checkpoint_height']}) and entitled"
                )
            if day >= payment and action["status"] in ("entitled", "paying"):
                action = self._beat_until(operator, admin, action, {"paid"})
                self.say(f"coupon paid (Final at height {action['paid_height']})")
        assert action is not None  # noqa: S101 - set on the first day
        if action["status"] != "paid":
            raise CommandError(f"the coupon is {action['status']} after the last day, not paid")

        # reconcile: the run's every settled trade, the record checkpoint, the cash on chain
        instructions = [
            i
            for b in brokers
            for i in b.trader.pages("/settlement-instructions/?")
            if i["reference"].startswith(f"{run}-d")
        ]
        settled = [i for i in instructions if i["status"] == "settled"]
        self._apply_settled(settled, holdings, cash_expected, self.shielded_expected)
        checkpoint = int(action["checkpoint_height"])
        # chain order: a netting batch and the checkpoint can share a block
        record_position = (checkpoint, int(action["checkpoint_tx_index"]))

        def before_record(i: dict[str, Any]) -> bool:
            return (int(i["settled_height"]), int(i["settled_tx_index"])) < record_position

        at_record: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal, at_start)
        self._apply_settled(
            [i for i in settled if before_record(i)], at_record, defaultdict(Decimal), defaultdict(Decimal)
        )
        mismatches = self._reconcile_all(brokers, instruments, holdings, cash_expected, operator)
        mismatches += self._reconcile_coupon(
            admin, action, note, addresses, issuer_address, cash_before, at_record, holdings
        )
        after_record = [
            i for i in settled if datetime.date.fromisoformat(i["intended_settlement_date"]) > record
        ]
        late = [i for i in after_record if before_record(i)]
        mismatches += [
            f"{i['reference']} settled after the record date but before the checkpoint" for i in late
        ]
        on_record_after = [
            i for i in settled if i["intended_settlement_date"] == str(record) and not before_record(i)
        ]

        entitlements = admin.pages(f"/entitlements/?action={action['id']}")
        gross = sum((Decimal(e["gross"]) for e in entitlements), Decimal(0))
        withheld = sum((Decimal(e["withheld"]) for e in entitlements), Decimal(0))
        net = sum((Decimal(e["net"]) for e in entitlements), Decimal(0))
        changed = sum(
            holdings[key] != at_record[key] for key in at_record if key[0] == note["isin"] and at_record[key]
        )
        self.stdout.write("\n== scenario summary (--days) ==")
        for day, trades, settled_count in per_day:
            mark = {record: "  record date", payment: "  payment date"}.get(day, "")
            self.stdout.write(f"{day}: trades {trades}  settled (Final) {settled_count}{mark}")
        if self.shielded_share:
            shielded_trades = sum(i.get("cash_leg") == "shielded" for i in settled) // 2
            self.stdout.write(f"trades settled against shielded cash, all days: {shielded_trades}")
        self.stdout.write(
            f"coupon {note['isin']} {action['currency']} paid {action['payment_date']} "
            f"(record {action['record_date']}, checkpoint {action['checkpoint_number']} "
            f"at height {checkpoint}): "
            f"{action['amount_per_unit']} per unit"
        )
        self.stdout.write(
            f"holders: {len(entitlements)}  gross: {gross:,.2f}  withheld: {withheld:,.2f}  "
            f"net: {net:,.2f}  remainder: {Decimal(action['remainder']):,.6f}  "
            f"declared: {Decimal(action['declared_total']):,.6f}"
        )
        self.stdout.write(
            f"trades settled after the record checkpoint: {(len(after_record) + len(on_record_after)) // 2} "
            f"(holders whose holding they changed: {changed}; entitlements unchanged)"
        )
        if on_record_after:
            self.stdout.write(
                f"  of which {len(on_record_after) // 2} of the record date itself: the beat took the "
                "checkpoint on the record date before they settled (docs/corporate-actions.md)"
            )
        self.stdout.write(f"reconciliation: {'exact' if not mismatches else f'{len(mismatches)} mismatches'}")
        for line in mismatches[:20]:
            self.stdout.write(f"  {line}")
        self.stdout.write(f"duration: {time.monotonic() - self.t0:.0f} s")
        if mismatches:
            raise CommandError("the coupon, holdings or cash do not reconcile with the chain")

    def _plan_days(
        self,
        admin: Api,
        note: dict[str, Any],
        today: datetime.date,
        count: int,
        business_day: Any,
        record_and_ex_date: Any,
    ) -> tuple[datetime.date, datetime.date, list[datetime.date]]:
        """The next coupon of ``note`` whose days start on or after ``today``: its record
        date, payment date and ``count`` business days of the note's calendar, the record
        date the ``(count - 1) // 2``-th after the first (so some days come before it)."""
        calendar = note.get("calendar") or ""
        coupons = admin.call("GET", f"/instruments/{note['id']}/schedule/")["coupons"]
        for coupon in coupons[:-1]:  # the last is the redemption's
            payment = datetime.date.fromisoformat(coupon["payment_date"])
            record, _ = record_and_ex_date(calendar, payment)
            start = business_day(calendar, record, -((count - 1) // 2))
            if start < today:
                continue
            days = [start] + [business_day(calendar, start, k) for k in range(1, count)]
            if payment not in days:
                raise CommandError(f"{count} days from {start} do not reach the payment date {payment}")
            return record, payment, days
        raise CommandError(f"{note['isin']} has no coupon left after {today}")

    def _coupon_approved(
        self,
        operator: Api,
        admin: Api,
        approver: Api,
        note: dict[str, Any],
        payment: datetime.date,
        record: datetime.date,
    ) -> dict[str, Any]:
        """The beat proposes the coupon (run now through the API); the issuer admin submits
        it and a second issuer approver approves it (maker-checker)."""

        def proposed() -> dict[str, Any] | None:
            for a in admin.pages(f"/corporate-actions/?isin={note['isin']}&kind=coupon"):
                if a["payment_date"] == str(payment) and a["status"] not in ("failed", "cancelled"):
                    return a
            return None

        action = self._beat_until(operator, admin, None, set(), found=proposed)
        if action["record_date"] != str(record):
            raise CommandError(f"the platform's record date {action['record_date']} is not {record}")
        if action["status"] == "draft":
            admin.call("POST", f"/corporate-actions/{action['id']}/submit/")
        if action["status"] in ("draft", "pending_approval"):
            action = approver.call("POST", f"/corporate-actions/{action['id']}/approve/")
        self.say(
            f"coupon {action['id']} proposed by the beat, submitted by the issuer admin, "
            f"approved by a second approver: {action['status']}"
        )
        return action

    def _beat_until(
        self,
        operator: Api,
        admin: Api,
        action: dict[str, Any] | None,
        statuses: set[str],
        found: Any = None,
    ) -> dict[str, Any]:
        """Run the corporate actions beat (``POST /corporate-actions/run-beat/``) every few
        seconds until the event is in one of ``statuses`` (or ``found()`` finds it)."""

        polls = itertools.count()

        def current() -> tuple[dict[str, Any] | None, str]:
            if next(polls) % 5 == 0:  # the beat every 5 polls
                operator.call("POST", "/corporate-actions/run-beat/")
            if found is not None:
                event = found()
            else:
                assert action is not None  # noqa: S101 - one of the two is given
                event = admin.call("GET", f"/corporate-actions/{action['id']}/")
            if event is None:
                return None, "not proposed yet"
            if event["status"] == "failed":
                raise CommandError(f"the coupon failed: {event['failure_reason']}")
            done = found is not None or event["status"] in statuses
            return (event if done else None), f"coupon {event['id'][:8]} {event['status']}"

        what = "the beat to propose the coupon" if found is not None else "the coupon to be "
        if found is None:
            what += " or ".join(sorted(statuses))
        return self.waiter.until(what, current)

    def _client_addresses(self, brokers: list[Broker]) -> dict[str, tuple[str, str]]:
        addresses = {}
        for b in brokers:
            accounts = {a["account_reference"]: a for a in b.trader.pages("/client-accounts/?")}
            for client in b.clients:
                key = bytes.fromhex(accounts[client]["chain_public_key"].removeprefix("0x"))
                addresses[contract_abi.account_address(key).hex()] = (b.org["lei"], client)
        return addresses

    def _usd_balances(self, addresses: list[str]) -> dict[str, Decimal]:
        """USD on chain (``balance_of``), in dollars, of each address (hex)."""
        with NodeClient(list(settings.GLOAM_NODE_URLS)) as node:
            usd = self._usd_token()
            return {
                a: Decimal(contract_abi.decode_u64(node.query_contract(usd, "balance_of", bytes.fromhex(a))))
                / 100
                for a in addresses
            }

    def _reconcile_coupon(
        self,
        admin: Api,
        action: dict[str, Any],
        note: dict[str, Any],
        addresses: dict[str, tuple[str, str]],
        issuer_address: str,
        cash_before: dict[str, Decimal],
        at_record: dict[tuple[str, str, str], Decimal],
        holdings: dict[tuple[str, str, str], Decimal],
    ) -> list[str]:
        """Each holder's entitlement against its holding at the record checkpoint (from the
        trades the scenario settled), the amounts, and the cash that moved on chain."""
        mismatches = []
        entitlements = {
            e["holder"].removeprefix("0x").lower(): e
            for e in admin.pages(f"/entitlements/?action={action['id']}")
        }
        expected = {
            address: at_record[(note["isin"], *owner)]
            for address, owner in addresses.items()
            if at_record[(note["isin"], *owner)]
        }
        amount = Decimal(action["amount_per_unit"])
        for holder in sorted(set(entitlements) | set(expected)):
            e = entitlements.get(holder)
            if e is None:
                mismatches.append(
                    f"holder {holder[:16]}… of {expected[holder]} at the record date has no entitlement"
                )
                continue
            position = Decimal(e["position"])
            if holder not in expected:
                mismatches.append(
                    f"entitlement of {e['holder_name']} ({position}), not a holder at the record date"
                )
            elif position != expected[holder]:
                mismatches.append(
                    f"{e['holder_name']}: entitled on {position}, held {expected[holder]} at the record date"
                )
            gross = (position * amount).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
            if Decimal(e["gross"]) != gross:
                mismatches.append(
                    f"{e['holder_name']}: gross {e['gross']}, position × rate rounded down {gross}"
                )
            if Decimal(e["gross"]) - Decimal(e["withheld"]) != Decimal(e["net"]):
                mismatches.append(f"{e['holder_name']}: gross − withheld ≠ net")
        gross_total = sum((Decimal(e["gross"]) for e in entitlements.values()), Decimal(0))
        withheld_total = sum((Decimal(e["withheld"]) for e in entitlements.values()), Decimal(0))
        net_total = gross_total - withheld_total
        if gross_total != Decimal(action["paid_total"]) or withheld_total != Decimal(
            action["withheld_total"]
        ):
            mismatches.append(
                f"event paid/withheld {action['paid_total']}/{action['withheld_total']}, "
                f"Σ gross/withheld {gross_total}/{withheld_total}"
            )
        if gross_total + Decimal(action["remainder"]) != Decimal(action["declared_total"]):
            mismatches.append(
                f"Σ gross {gross_total} + remainder {action['remainder']} "
                f"≠ declared {action['declared_total']}"
            )
        cash_after = self._usd_balances(list(cash_before))
        issuer_paid = cash_before[issuer_address] - cash_after[issuer_address]
        if issuer_paid != net_total:
            mismatches.append(f"the issuer's USD fell by {issuer_paid} on chain, Σ net is {net_total}")
        for address in addresses:
            received = cash_after[address] - cash_before[address]
            net = Decimal(entitlements[address]["net"]) if address in entitlements else Decimal(0)
            if received != net:
                mismatches.append(
                    f"client {addresses[address][1]} of {addresses[address][0]}: "
                    f"received {received} on chain, net {net}"
                )
        return mismatches

    def _submit_trades(
        self,
        rng: random.Random,
        prefix: str,
        brokers: list[Broker],
        instruments: list[dict[str, Any]],
        count: int,
        *,
        trade_date: datetime.date,
        settlement_date: datetime.date | None = None,
    ) -> tuple[int, float]:
        """``count`` trades between the brokers' clients, prices near par, both sides through
        the API (references ``{prefix}-{n}-S`` and ``-B``); the intended settlement date is
        ``settlement_date``, or the platform's default (T+1). Returns instructions, seconds."""
        submitted, start = 0, time.monotonic()
        for n in range(count):
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
            if settlement_date is not None:
                common["intended_settlement_date"] = str(settlement_date)
            if self.shielded_share and rng.random() < self.shielded_share:
                common["cash_leg"] = "shielded"
            seller.trader.call(
                "POST",
                "/settlement-instructions/",
                {
                    **common,
                    "reference": f"{prefix}-{n}-S",
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
                    "reference": f"{prefix}-{n}-B",
                    "side": "buy",
                    "counterparty_lei": seller.org["lei"],
                    "client_account": buyer_client,
                },
            )
            submitted += 2
            if (n + 1) % max(1, count // 10) == 0:
                self.say(f"submitted {n + 1}/{count} trades")
        submit_seconds = max(time.monotonic() - start, 1e-6)
        self.say(f"{submitted} instructions in {submit_seconds:.1f} s: {submitted / submit_seconds:.0f} /s")
        return submitted, submit_seconds

    def _settle(
        self, operator: Api, brokers: list[Broker], prefix: str, *, default_due: str
    ) -> tuple[list[dict[str, Any]], list[str]]:
        """Netting cycles over the instructions whose reference starts with ``prefix`` until
        nothing more settles, waiting for finality. Returns those instructions and the cycles."""

        def mine() -> list[dict[str, Any]]:
            """These instructions, as their brokers see them."""
            return [
                i
                for b in brokers
                for i in b.trader.pages("/settlement-instructions/?")
                if i["reference"].startswith(prefix)
            ]

        cycles = []
        for attempt in range(4):
            before = sum(i["status"] == "settled" for i in mine())
            due = max((i["intended_settlement_date"] for i in mine()), default=default_due)
            cycle = operator.call("POST", "/netting-cycles/", {"cycle_date": due})
            if cycle is not None:
                cycles.append(cycle["id"])

                def settled_or_failed(c: str = cycle["id"]) -> tuple[dict[str, Any] | None, str]:
                    r = operator.call("GET", f"/netting-cycles/{c}/")
                    status = (
                        f"status {r['status']} (attempt {r['attempt']}), {r['instructions']} instructions, "
                        f"{len(r['excluded'] or [])} taken out"
                    )
                    return (r if r["status"] in ("settled", "failed") else None), status

                final = self.waiter.until(f"netting cycle {cycle['id'][:8]} to settle", settled_or_failed)
                self.say(f"cycle {attempt + 1}: {final['status']}, report {final['report']}")

            def platform_cycles_done() -> tuple[bool | None, str]:
                current = mine()
                in_cycle = [
                    i for i in current if i["status"] == "pending" and IN_CYCLE.match(i["status_reason"])
                ]
                names = sorted({i["status_reason"].rsplit(" ", 1)[-1][:8] for i in in_cycle})
                settled = sum(i["status"] == "settled" for i in current)
                status = (
                    f"{len(in_cycle)} instructions in netting cycles {', '.join(names) or '-'}, "
                    f"{settled} of {len(current)} settled"
                )
                return (None if in_cycle else True), status

            self.waiter.until("the netting cycles the platform runs on its own", platform_cycles_done)
            if sum(i["status"] == "settled" for i in mine()) == before and attempt:
                break
        return mine(), cycles

    @staticmethod
    def _apply_settled(
        settled: list[dict[str, Any]],
        holdings: dict[tuple[str, str, str], Decimal],
        cash_expected: dict[str, Decimal],
        shielded_expected: dict[str, Decimal],
    ) -> None:
        """Settled instructions move their client's holding and their broker's cash: public,
        or shielded for a shielded cash leg."""
        for i in settled:
            sign = 1 if i["side"] == "buy" else -1
            holdings[(i["isin"], i["broker_lei"], i["client_account"])] += sign * Decimal(i["quantity"])
            cash = shielded_expected if i.get("cash_leg") == "shielded" else cash_expected
            cash[i["broker_lei"]] -= sign * Decimal(i["settlement_amount"])

    def _reconcile_all(
        self,
        brokers: list[Broker],
        instruments: list[dict[str, Any]],
        holdings: dict[tuple[str, str, str], Decimal],
        cash_expected: dict[str, Decimal],
        operator: Api,
    ) -> list[str]:
        last: list[str] = []

        def reconciled() -> tuple[bool | None, str]:
            last[:] = self._reconcile(brokers, instruments, holdings, operator)
            last.extend(self._reconcile_cash(brokers, cash_expected, operator))
            if self.shielded_share:
                last.extend(self._reconcile_shielded(brokers, operator))
            return (None if last else True), f"{len(last)} mismatches (first: {last[0] if last else '-'})"

        try:  # the read models follow Final blocks a few seconds behind
            self.waiter.until("the holdings and cash to reconcile", reconciled, timeout=60)
        except WaitTimeout as exc:
            self.say(str(exc))
        return last

    def _shielded_balances(self, operator: Api) -> dict[str, dict[str, Any]]:
        return {b["lei"]: b for b in operator.call("GET", "/shielded-balances/")}

    def _shield(self, operator: Api, brokers: list[Broker], cash_expected: dict[str, Decimal]) -> None:
        """``--shielded-cash``: each broker's back office shields ``SHIELDED_NOTES`` notes of
        ``SHIELDED_NOTE_USD`` (several notes, so that its payments can be proved at once);
        wait until the scanner has found them all in Final blocks."""
        balances = self._shielded_balances(operator)
        currency = next(iter(balances.values()), {}).get("currency")
        if currency != "USD":
            raise CommandError(
                f"--shielded-cash needs the platform's shielded currency to be USD, not {currency!r}: "
                "GLOAM_SHIELDED_CURRENCY=USD before its devnet is made"
            )

        def funded() -> tuple[bool | None, str]:
            public = {
                c["lei"]: Decimal(c["amount"])
                for c in operator.call("GET", "/cash-balances/")
                if c["currency"] == "USD"
            }
            done = sum(public.get(b.org["lei"], Decimal(0)) >= cash_expected[b.org["lei"]] for b in brokers)
            return (True if done == len(brokers) else None), f"{done} of {len(brokers)} brokers funded"

        self.waiter.until("the brokers' USD to be Final", funded)
        for b in brokers:
            lei = b.org["lei"]
            start = balances[lei]
            if Decimal(start["pending"]):
                raise CommandError(f"{lei} has shielded notes pending from an earlier run")
            self.shielded_expected[lei] = Decimal(start["unspent"])
            for _ in range(SHIELDED_NOTES):
                b.back_office.call("POST", "/shielded-transfers/shield/", {"amount": str(SHIELDED_NOTE_USD)})
                self.shielded_expected[lei] += SHIELDED_NOTE_USD
                cash_expected[lei] -= SHIELDED_NOTE_USD

        def shielded() -> tuple[bool | None, str]:
            now = self._shielded_balances(operator)
            done = [
                b
                for b in brokers
                if Decimal(now[b.org["lei"]]["unspent"]) == self.shielded_expected[b.org["lei"]]
            ]
            return (True if len(done) == len(brokers) else None), f"{len(done)} of {len(brokers)} brokers"

        self.waiter.until("the shielded notes to be Final and found", shielded)
        self.say(f"each broker shielded {SHIELDED_NOTES} notes of USD {SHIELDED_NOTE_USD:,}")

    def _reconcile_shielded(self, brokers: list[Broker], operator: Api) -> list[str]:
        """Every broker's shielded USD (Final notes, none pending) against the expectation, and
        the phoenix contract's public USD against the sum of every broker's notes."""
        mismatches = []
        balances = self._shielded_balances(operator)
        for b in brokers:
            line, lei = balances[b.org["lei"]], b.org["lei"]
            if Decimal(line["unspent"]) != self.shielded_expected[lei] or Decimal(line["pending"]):
                mismatches.append(
                    f"shielded USD {lei}: platform {line['unspent']} (pending {line['pending']}) "
                    f"expected {self.shielded_expected[lei]}"
                )
        with NodeClient(list(settings.GLOAM_NODE_URLS)) as node:
            phoenix = node.get_genesis_contracts()["phoenix"]
            pool = contract_abi.contract_address(bytes.fromhex(phoenix.removeprefix("0x")))
            held = (
                Decimal(contract_abi.decode_u64(node.query_contract(self._usd_token(), "balance_of", pool)))
                / 100
            )
        notes = sum((Decimal(x["unspent"]) + Decimal(x["pending"]) for x in balances.values()), Decimal(0))
        if held != notes:
            mismatches.append(f"the phoenix contract holds USD {held}, the brokers' notes are {notes}")
        return mismatches

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
