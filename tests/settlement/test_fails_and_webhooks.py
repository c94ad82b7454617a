"""Fails on the intended settlement date with CSDR-style penalties per participant, and
signed webhooks delivered to a real HTTP server with retries."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import http.server
import json
import threading
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from identity.models import Organisation
from identity.roles import Role
from issuance.models import Instrument
from settlement import fails, webhooks
from settlement.models import InstructionStatus, PendingReason, SettlementInstruction, WebhookDelivery
from tests.settlement.conftest import URL, side


def _matched(parties: dict[str, Any]) -> tuple[SettlementInstruction, SettlementInstruction]:
    parties["a"].post(URL, side(parties, "a"), format="json")
    parties["b"].post(URL, side(parties, "b"), format="json")
    buy, sell = SettlementInstruction.objects.get(side="buy"), SettlementInstruction.objects.get(side="sell")
    assert (buy.status, sell.status) == (InstructionStatus.MATCHED, InstructionStatus.MATCHED)
    return buy, sell


def test_unsettled_instructions_fail_and_accrue_penalties_per_business_day(
    bond, parties, regulator, api_client_for
):
    buy, sell = _matched(parties)  # due 2026-09-16 (Wednesday)
    SettlementInstruction.objects.filter(pk=sell.pk).update(pending_reason=PendingReason.LACKING_SECURITIES)
    SettlementInstruction.objects.filter(pk=buy.pk).update(pending_reason=PendingReason.LACKING_SECURITIES)
    assert fails.fails_mark(today=datetime.date(2026, 9, 16)) == 0  # not late on its own date
    report = api_client_for(regulator).get("/api/v1/settlement-fails/?date=2026-09-21").json()
    # 16, 17, 18 September and (after the weekend) the 21st is the report date: 3 business days
    by_lei = {p["lei"]: p for p in report}
    seller = by_lei[parties["b_lei"]]
    # Other debt: 0.20 bp a day (2017/389 Annex 1(e)) of the clean value at the reference price
    # (the trade's own 99.5 %: no earlier trade), not of the settlement amount with accrued interest.
    expected = (Decimal(100_000) * Decimal("99.5") / 100 * Decimal("0.20") / 10_000 * 3).quantize(
        Decimal("0.01")
    )
    assert expected == Decimal("5.97")
    assert seller["instructions"][0]["days_outstanding"] == 3
    assert seller["instructions"][0]["penalty_class"] == "other_debt"
    assert seller["penalties"] == {"EUR": "5.97"}
    assert seller["instructions"][0]["failing_party"] is True
    assert Decimal(by_lei[parties["a_lei"]]["penalties"]["EUR"]) == 0  # the buyer did not cause it
    sell.refresh_from_db()
    assert (sell.status, sell.failed_on) == (InstructionStatus.FAILED, datetime.date(2026, 9, 16))
    own = parties["a"].get("/api/v1/settlement-fails/?date=2026-09-21").json()
    assert [p["lei"] for p in own] == [parties["a_lei"]]  # a broker sees only its own
    assert parties["a"].get("/api/v1/settlement-fails/?date=bogus").status_code == 400


@pytest.mark.parametrize(
    ("kind", "sector", "liquid", "sme", "klass", "bps"),
    [
        ("equity_share", "other", True, False, "liquid_shares", "1.0"),
        ("equity_share", "other", False, False, "illiquid_shares", "0.5"),
        ("equity_share", "other", False, True, "sme_growth_market_non_debt", "0.25"),
        ("fixed_rate_bond", "sovereign", False, False, "sovereign_debt", "0.10"),
        ("zero_coupon_bond", "sovereign", False, True, "sovereign_debt", "0.10"),
        ("fixed_rate_bond", "other", False, False, "other_debt", "0.20"),
        ("floating_rate_note", "other", False, True, "sme_growth_market_debt", "0.15"),
        ("fund_unit", "other", False, False, "other", "0.5"),
    ],
)
def test_lack_of_securities_rates_are_the_annex_of_2017_389(kind, sector, liquid, sme, klass, bps):
    instrument = Instrument(kind=kind, issuer_sector=sector, liquid_market=liquid, sme_growth_market=sme)
    instruction = SettlementInstruction(
        instrument=instrument, pending_reason=PendingReason.LACKING_SECURITIES
    )
    assert fails.penalty_class(instrument) == klass
    assert fails.compute_penalty_rate_bps(instruction) == Decimal(bps)


def test_lack_of_cash_is_the_central_bank_overnight_rate_floored_at_zero_a_365th_a_day(settings):
    settings.GLOAM_CENTRAL_BANK_OVERNIGHT_RATES = {"EUR": "2.40", "USD": "-0.10"}
    bond = Instrument(kind="fixed_rate_bond")
    eur = SettlementInstruction(instrument=bond, currency="EUR", pending_reason=PendingReason.LACKING_CASH)
    usd = SettlementInstruction(instrument=bond, currency="USD", pending_reason=PendingReason.LACKING_CASH)
    assert fails.compute_penalty_rate_bps(eur) == Decimal("2.40") * 100 / 365  # 0.6575… bp a day
    assert fails.compute_penalty_rate_bps(usd) == 0


def test_a_treasury_fails_at_the_sovereign_rate_on_each_days_reference_price(
    bond, parties, regulator, api_client_for
):
    Instrument.objects.filter(pk=bond.pk).update(issuer_sector="sovereign")
    buy, sell = _matched(parties)  # traded 2026-09-15 at 99.5, due 2026-09-16
    SettlementInstruction.objects.filter(pk__in=[buy.pk, sell.pk]).update(
        pending_reason=PendingReason.LACKING_SECURITIES
    )
    # Another pair trades the bond at 101 on 17 September: the reference price from the 18th.
    parties["a"].post(
        URL,
        side(
            parties,
            "a",
            reference="A-2",
            price="101",
            trade_date="2026-09-17",
            intended_settlement_date="2026-09-18",
        ),
        format="json",
    )
    parties["b"].post(
        URL,
        side(
            parties,
            "b",
            reference="B-2",
            price="101",
            trade_date="2026-09-17",
            intended_settlement_date="2026-09-18",
        ),
        format="json",
    )
    report = api_client_for(regulator).get("/api/v1/settlement-fails/?date=2026-09-18").json()
    seller = next(p for p in report if p["lei"] == parties["b_lei"])
    line = next(i for i in seller["instructions"] if i["reference"] == "B-1")
    # 16 and 17 September at 99.5 % of 100,000; 0.10 bp a day: 0.995 + 0.995 = 1.99
    assert (line["days_outstanding"], line["penalty_class"], Decimal(line["penalty"])) == (
        2,
        "sovereign_debt",
        Decimal("1.99"),
    )
    report = api_client_for(regulator).get("/api/v1/settlement-fails/?date=2026-09-21").json()
    seller = next(p for p in report if p["lei"] == parties["b_lei"])
    line = next(i for i in seller["instructions"] if i["reference"] == "B-1")
    # and the 18th at 101 %: + 1.01 = 3.00 (at the settlement amount and 0.20 bp it was 6.0+)
    assert Decimal(line["penalty"]) == Decimal("3.00")


class _Receiver(http.server.BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []
    answers: list[int] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((dict(self.headers), body))
        self.send_response(self.answers.pop(0) if self.answers else 200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver(settings: Any) -> Iterator[str]:
    # Webhooks to loopback are refused (docs/security.md); this test's receiver is allowed.
    settings.GLOAM_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    _Receiver.received, _Receiver.answers = [], []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()


def test_status_changes_are_posted_signed_and_retried(bond, parties, make_user, api_client_for, receiver):
    created = parties["a"].post("/api/v1/webhook-endpoints/", {"url": receiver}, format="json")
    assert created.status_code == 403  # a trader may not; the back office may
    broker_a = Organisation.objects.get(lei=parties["a_lei"])
    client = api_client_for(make_user(broker_a, Role.BROKER_BACK_OFFICE))
    endpoint = client.post("/api/v1/webhook-endpoints/", {"url": receiver}, format="json").json()
    secret = endpoint["secret"]
    assert "secret" not in client.get("/api/v1/webhook-endpoints/").json()["results"][0]

    _Receiver.answers = [500]  # the first delivery fails, the retry succeeds
    parties["a"].post(URL, side(parties, "a"), format="json")  # received, unmatched
    assert webhooks.webhooks_deliver() == {"delivered": 1, "retry": 1, "failed": 0}
    retry = WebhookDelivery.objects.get(status=WebhookDelivery.Status.PENDING)
    assert retry.attempts == 1
    assert retry.next_attempt_at > timezone.now()
    WebhookDelivery.objects.filter(pk=retry.pk).update(next_attempt_at=timezone.now())
    assert webhooks.webhooks_deliver() == {"delivered": 1, "retry": 0, "failed": 0}
    statuses = []
    for headers, body in _Receiver.received:
        t, v1 = (part.split("=", 1)[1] for part in headers["Gloam-Signature"].split(","))
        assert v1 == hmac.new(secret.encode(), t.encode() + b"." + body, hashlib.sha256).hexdigest()
        statuses.append(json.loads(body)["status"])
    assert sorted(statuses) == ["received", "received", "unmatched"]  # one of them sent twice
    assert not WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING).exists()
