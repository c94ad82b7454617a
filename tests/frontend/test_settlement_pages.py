"""The settlement pages without a chain: instructions (scope per role, filters, match report,
status history, cancel), the netting cycle dashboard and a cycle's page from a cycle row made
here, the fails report and the cash page. Running a cycle needs the nodes: here only who may
ask and what the page says when no node answers (the run itself:
``tests/settlement/test_netting_onchain.py``)."""

from __future__ import annotations

import datetime
import json
import re
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from identity.models import Organisation, User
from identity.roles import Role
from ledger.models import ChainCursor
from settlement.models import (
    CycleStatus,
    InstructionEvent,
    InstructionStatus,
    NettingCycle,
    PendingReason,
    SettlementInstruction,
)
from tests.settlement.conftest import URL, side

pytestmark = pytest.mark.django_db

INSTRUCTIONS = "/settlement/instructions/"
CYCLES = "/settlement/cycles/"
FAILS = "/settlement/fails/"
CASH = "/settlement/cash/"


def _user_of(organisation: Organisation) -> User:
    return User.objects.filter(organisation=organisation).order_by("date_joined").first()  # type: ignore[return-value]


def _submit(parties: dict[str, Any], who: str, **changes: Any) -> SettlementInstruction:
    response = parties[who].post(URL, side(parties, who, **changes), format="json")
    assert response.status_code == 201, response.content
    return SettlementInstruction.objects.get(pk=response.json()["id"])


def _matched(parties: dict[str, Any]) -> tuple[SettlementInstruction, SettlementInstruction]:
    buy, sell = _submit(parties, "a"), _submit(parties, "b")
    buy.refresh_from_db()
    sell.refresh_from_db()
    assert (buy.status, sell.status) == (InstructionStatus.MATCHED, InstructionStatus.MATCHED)
    return buy, sell


def _references(html: str) -> list[str]:
    return re.findall(r'data-testid="instruction-reference">([^<]+)<', html)


def _nav(html: str) -> list[str]:
    nav = html.split('data-testid="main-nav"', 1)[1].split("</ul>", 1)[0]
    return [label.strip() for label in re.findall(r"<a [^>]*>([^<]+)</a>", nav)]


# -- navigation and who may open what --------------------------------------------------------
def test_navigation_per_role(client, make_user, broker_a, regulator, operator, issuer):
    expected = {
        make_user(broker_a, Role.BROKER_TRADER): {"Instructions", "Fails", "Cash"},
        make_user(broker_a, Role.BROKER_BACK_OFFICE): {"Instructions", "Fails", "Cash"},
        regulator: {"Instructions", "Cycles", "Fails"},
        operator: {"Instructions", "Cycles", "Fails", "Cash"},
        make_user(issuer, Role.ISSUER_ADMIN): set(),
    }
    for user, labels in expected.items():
        client.force_login(user)
        nav = set(_nav(client.get("/").content.decode()))
        assert nav & {"Instructions", "Cycles", "Fails", "Cash"} == labels, user.roles


@pytest.mark.parametrize("path", [INSTRUCTIONS, CYCLES, FAILS, CASH])
def test_pages_require_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_invalid_roles_are_refused_each_page(client, make_user, broker_a, issuer, regulator):
    client.force_login(make_user(issuer, Role.ISSUER_ADMIN))
    for path in (INSTRUCTIONS, CYCLES, FAILS, CASH):
        assert client.get(path).status_code == 403, path
    client.force_login(make_user(broker_a, Role.BROKER_TRADER))
    assert client.get(CYCLES).status_code == 403
    client.force_login(regulator)
    assert client.get(CASH).status_code == 403


# -- instructions -----------------------------------------------------------------------------
def test_brokers_see_their_own_instructions_and_operators_all(
    client, bond, parties, broker_a, broker_b, regulator, operator
):
    _matched(parties)
    client.force_login(_user_of(broker_a))
    html = client.get(INSTRUCTIONS).content.decode()
    assert _references(html) == ["A-1"]
    assert "Broker B" in html  # as the counterparty
    client.force_login(_user_of(broker_b))
    assert _references(client.get(INSTRUCTIONS).content.decode()) == ["B-1"]
    for user in (regulator, operator):
        client.force_login(user)
        assert sorted(_references(client.get(INSTRUCTIONS).content.decode())) == ["A-1", "B-1"]


def test_instruction_filters(client, bond, parties, broker_a, broker_b, regulator):
    _matched(parties)
    _submit(
        parties,
        "a",
        reference="A-2",
        side="sell",
        trade_date="2026-09-16",
        intended_settlement_date="2026-09-17",
    )
    client.force_login(regulator)

    def refs(**query: str) -> list[str]:
        response = client.get(INSTRUCTIONS, query)
        assert response.status_code == 200
        return sorted(_references(response.content.decode()))

    assert refs() == ["A-1", "A-2", "B-1"]
    assert refs(status="matched") == ["A-1", "B-1"]
    assert refs(status="unmatched") == ["A-2"]
    assert refs(side="sell") == ["A-2", "B-1"]
    assert refs(isin="xs0000000009") == ["A-1", "A-2", "B-1"]
    assert refs(isin="XS0000000017") == []
    assert refs(counterparty_lei=broker_a.lei) == ["B-1"]
    assert refs(counterparty_lei=broker_b.lei) == ["A-1", "A-2"]
    assert refs(trade_date="2026-09-16") == ["A-2"]
    assert refs(intended_settlement_date="2026-09-16", side="buy") == ["A-1"]
    # the filters stay in the pagination links and the form
    html = client.get(INSTRUCTIONS, {"status": "unmatched"}).content.decode()
    assert '<option value="unmatched" selected>' in html


def test_invalid_instruction_filter_shows_an_error_and_no_rows(client, bond, parties, regulator):
    _matched(parties)
    client.force_login(regulator)
    html = client.get(INSTRUCTIONS, {"status": "bogus", "trade_date": "2026-13-01"}).content.decode()
    assert 'data-testid="filter-error"' in html
    assert _references(html) == []


def test_instructions_are_paginated(client, bond, parties, regulator):
    for number in range(27):
        _submit(parties, "a", reference=f"A-{number}")
    client.force_login(regulator)
    first = client.get(INSTRUCTIONS, {"side": "buy"}).content.decode()
    assert len(_references(first)) == 25
    assert "Page 1 of 2" in first
    assert "?side=buy&page=2" in first
    assert len(_references(client.get(INSTRUCTIONS, {"side": "buy", "page": 2}).content.decode())) == 2


def test_unmatched_instruction_shows_its_status_and_the_fields_that_differ(client, bond, parties, broker_b):
    _submit(parties, "a")
    _submit(parties, "b", quantity="200000")
    client.force_login(_user_of(broker_b))
    html = client.get(INSTRUCTIONS).content.decode()
    assert "Unmatched</span>" in html
    assert re.search(r'data-testid="match-report">Differs on quantity, settlement amount', html)
    instruction = SettlementInstruction.objects.get(reference="B-1")
    detail = client.get(f"{INSTRUCTIONS}{instruction.pk}/").content.decode()
    assert "differs from the counterparty's instruction A-1 on" in detail
    assert "<strong>quantity, settlement amount</strong>" in detail


def test_pending_instruction_shows_its_reason(client, bond, parties, regulator):
    buy, _ = _matched(parties)
    SettlementInstruction.objects.filter(pk=buy.pk).update(
        status=InstructionStatus.PENDING, pending_reason=PendingReason.LACKING_CASH
    )
    client.force_login(regulator)
    html = client.get(INSTRUCTIONS, {"status": "pending"}).content.decode()
    assert _references(html) == ["A-1"]
    assert 'data-testid="pending-reason">Lacking cash<' in html


def test_instruction_detail_shows_the_status_history_and_the_final_block(client, bond, parties, broker_a):
    buy, _ = _matched(parties)
    settled_at = timezone.now()
    SettlementInstruction.objects.filter(pk=buy.pk).update(
        status=InstructionStatus.SETTLED, settled_height=4242, settled_at=settled_at
    )
    InstructionEvent.objects.create(
        instruction=buy, broker=buy.broker, status=InstructionStatus.SETTLED, reason="settled at height 4242"
    )
    client.force_login(_user_of(broker_a))
    html = client.get(f"{INSTRUCTIONS}{buy.pk}/").content.decode()
    events = re.findall(r'data-testid="status-event">.*?<strong>([^<]+)</strong>', html)
    assert events == ["Received", "Unmatched", "Matched", "Settled"]
    assert 'data-testid="settled-height">4242<' in html
    assert timezone.localtime(settled_at).strftime("%Y-%m-%d %H:%M:%S") in html
    assert "Matched with</th><td>B-1<" in html
    assert 'data-testid="cancel-instruction"' not in html


def test_invalid_instruction_detail_of_another_broker_is_not_found(client, bond, parties, broker_b):
    buy, _ = _matched(parties)
    client.force_login(_user_of(broker_b))
    assert client.get(f"{INSTRUCTIONS}{buy.pk}/").status_code == 404
    assert client.get(f"{INSTRUCTIONS}00000000-0000-0000-0000-000000000000/").status_code == 404


def test_broker_cancels_an_unmatched_instruction_from_the_page(client, bond, parties, broker_a):
    instruction = _submit(parties, "a")
    client.force_login(_user_of(broker_a))
    html = client.get(INSTRUCTIONS).content.decode()
    assert 'data-testid="cancel-instruction"' in html
    response = client.post(f"{INSTRUCTIONS}{instruction.pk}/cancel/", follow=True)
    assert response.redirect_chain[-1][0] == f"{INSTRUCTIONS}{instruction.pk}/"
    instruction.refresh_from_db()
    assert instruction.status == InstructionStatus.CANCELLED
    html = response.content.decode()
    assert "Instruction A-1 cancelled." in html
    assert re.findall(r'data-testid="status-event">.*?<strong>([^<]+)</strong>', html)[-1] == "Cancelled"
    assert 'data-testid="cancel-instruction"' not in html


def test_invalid_cancel_of_a_matched_instruction_is_refused_with_a_message(client, bond, parties, broker_a):
    buy, _ = _matched(parties)
    client.force_login(_user_of(broker_a))
    assert 'data-testid="cancel-instruction"' not in client.get(INSTRUCTIONS).content.decode()
    response = client.post(f"{INSTRUCTIONS}{buy.pk}/cancel/", follow=True)
    assert "A matched instruction cannot be cancelled." in response.content.decode()
    buy.refresh_from_db()
    assert buy.status == InstructionStatus.MATCHED


def test_invalid_cancel_by_others_is_refused(client, bond, parties, broker_b, regulator, operator):
    instruction = _submit(parties, "a")
    url = f"{INSTRUCTIONS}{instruction.pk}/cancel/"
    client.force_login(_user_of(broker_b))
    assert client.post(url).status_code == 404
    for user in (regulator, operator):
        client.force_login(user)
        assert 'data-testid="cancel-instruction"' not in client.get(INSTRUCTIONS).content.decode()
        assert client.post(url).status_code == 403
    client.force_login(_user_of(instruction.broker))
    assert client.get(url).status_code == 405
    instruction.refresh_from_db()
    assert instruction.status == InstructionStatus.UNMATCHED


# -- netting cycles ---------------------------------------------------------------------------
EUR_CASH = {"gross_cents": 12_345_678, "net_cents": 2_345_678, "efficiency_percent": "81.00"}


def _settled_cycle(
    buy: SettlementInstruction, sell: SettlementInstruction, cash: dict[str, Any] | None = None
) -> NettingCycle:
    """A cycle as ``settlement.netting`` leaves it once its batch is Final: 2 instructions
    netted, one pair of another broker taken out for lacking cash."""
    cycle = NettingCycle.objects.create(
        cycle_date=datetime.date(2026, 9, 16),
        status=CycleStatus.SETTLED,
        attempt=2,
        report={
            "instructions": 2,
            **(
                cash
                or {
                    "cash": {
                        "EUR": {
                            "gross_cents": 12_345_678,
                            "net_cents": 2_345_678,
                            "efficiency_percent": "81.00",
                        }
                    }
                }
            ),
            "gross_securities_units": 300,
            "net_securities_units": 100,
            "securities_efficiency_percent": "66.67",
            "legs": 2,
        },
        excluded=[
            {
                "reference": "C-9",
                "broker": buy.broker.lei,
                "reason": PendingReason.LACKING_CASH,
                "detail": "batch failed: insufficient_balance",
            }
        ],
        settled_height=777,
    )
    NettingCycle.objects.filter(pk=cycle.pk).update(
        settled_at=cycle.created_at + datetime.timedelta(seconds=12.5)
    )
    SettlementInstruction.objects.filter(pk__in=[buy.pk, sell.pk]).update(
        cycle=cycle, status=InstructionStatus.SETTLED, settled_height=777, settled_at=timezone.now()
    )
    cycle.refresh_from_db()
    return cycle


def test_cycle_dashboard_shows_each_cycle_with_the_chart(client, bond, parties, regulator):
    cycle = _settled_cycle(*_matched(parties))
    NettingCycle.objects.create(cycle_date=datetime.date(2026, 9, 17), status=CycleStatus.SETTLING)
    ChainCursor.objects.create(name="holdings", sequence=40, height=770, final_height=779)
    client.force_login(regulator)
    response = client.get(CYCLES)
    assert response.status_code == 200
    html = response.content.decode()
    assert len(re.findall(r'data-testid="cycle-row"', html)) == 2
    assert f'href="{CYCLES}{cycle.pk}/"' in html
    assert 'data-testid="cycle-settled">2<' in html
    assert 'data-testid="cycle-excluded">1<' in html
    assert 'data-testid="cycle-cash-efficiency"><div>81.00 %</div><' in html
    assert 'data-testid="cycle-latency">12.5 s<' in html
    assert "123456.78 EUR" in html
    assert 'data-testid="indexer-height">770<' in html
    assert 'data-testid="indexer-final-height">779<' in html
    assert 'data-testid="summary-latency">12.5 s<' in html
    chart = json.loads(
        html.split('id="cycles-chart-data" type="application/json">', 1)[1].split("</script>", 1)[0]
    )
    assert chart["labels"] == [f"2026-09-16 #{str(cycle.pk)[:8]}"]  # only cycles with a report
    assert chart["cash"] == [{"unit": "EUR", "gross": [123456.78], "net": [23456.78]}]
    assert chart["securities"] == {"unit": "units", "gross": [300.0], "net": [100.0]}
    assert "/static/frontend/cycles.js" in html
    assert 'data-testid="cycle-run"' not in html  # the regulator does not run cycles


def test_cash_of_two_currencies_is_shown_per_currency_never_added(client, bond, parties, operator):
    cycle = _settled_cycle(
        *_matched(parties),
        cash={
            "cash": {
                "EUR": {"gross_cents": 37_000_000, "net_cents": 1_000_000, "efficiency_percent": "97.30"},
                "USD": {"gross_cents": 691_911, "net_cents": 691_911, "efficiency_percent": "0.00"},
            }
        },
    )
    client.force_login(operator)
    html = client.get(f"{CYCLES}{cycle.pk}/").content.decode()
    assert 'data-testid="gross-cash">370000.00 EUR<' in html
    assert 'data-testid="gross-cash">6919.11 USD<' in html
    assert "376919.11" not in html  # the two currencies added: what the report used to say
    dashboard = client.get(CYCLES).content.decode()
    chart = json.loads(
        dashboard.split('id="cycles-chart-data" type="application/json">', 1)[1].split("</script>", 1)[0]
    )
    assert [series["unit"] for series in chart["cash"]] == ["EUR", "USD"]
    assert "376919.11" not in dashboard


def test_a_report_from_before_per_currency_cash_shows_its_one_currency_or_nothing(
    client, bond, parties, operator
):
    legacy = {"gross_cash_cents": 12_345_678, "net_cash_cents": 2_345_678, "cash_efficiency_percent": "81.00"}
    cycle = _settled_cycle(*_matched(parties), cash=legacy)
    client.force_login(operator)
    html = client.get(f"{CYCLES}{cycle.pk}/").content.decode()
    assert 'data-testid="gross-cash">123456.78 EUR<' in html  # the cycle had euros only
    SettlementInstruction.objects.filter(cycle=cycle).update(currency="USD")
    SettlementInstruction.objects.filter(cycle=cycle, side="buy").update(currency="EUR")
    html = client.get(f"{CYCLES}{cycle.pk}/").content.decode()
    assert "123456.78" not in html  # a mixed sum is not shown under either currency
    assert 'data-testid="gross-cash">—<' in html


def test_cycle_page_shows_the_report_and_the_excluded_instructions(client, bond, parties, operator):
    buy, sell = _matched(parties)
    cycle = _settled_cycle(buy, sell)
    client.force_login(operator)
    html = client.get(f"{CYCLES}{cycle.pk}/").content.decode()
    assert 'data-testid="cycle-status">Settled (Final)<' in html
    assert 'data-testid="cycle-height">777<' in html
    assert 'data-testid="cycle-latency">12.5 s<' in html
    assert 'data-testid="gross-cash">123456.78 EUR<' in html
    assert 'data-testid="net-cash">23456.78 EUR<' in html
    assert 'data-testid="cash-efficiency">81.00 %<' in html
    assert 'data-testid="gross-securities">300 units<' in html
    assert 'data-testid="securities-efficiency">66.67 %<' in html
    assert 'data-testid="cycle-settled">2<' in html
    row = html.split('data-testid="excluded-row">', 1)[1].split("</tr>", 1)[0]
    assert "C-9" in row
    assert buy.broker.legal_name in row
    assert buy.broker.lei in row
    assert 'data-testid="excluded-reason">Lacking cash<' in row
    assert "batch failed: insufficient_balance" in row
    assert f'href="{INSTRUCTIONS}{buy.pk}/"' in html
    assert f'href="{INSTRUCTIONS}{sell.pk}/"' in html


def test_invalid_cycle_pages_for_brokers_and_unknown_cycles(client, bond, parties, broker_a, regulator):
    cycle = _settled_cycle(*_matched(parties))
    client.force_login(_user_of(broker_a))
    assert client.get(f"{CYCLES}{cycle.pk}/").status_code == 403
    # the broker's instruction page names the cycle but does not link a page it cannot open
    html = client.get(
        f"{INSTRUCTIONS}{SettlementInstruction.objects.get(reference='A-1').pk}/"
    ).content.decode()
    assert str(cycle.pk) in html
    assert f'href="{CYCLES}{cycle.pk}/"' not in html
    client.force_login(regulator)
    assert client.get(f"{CYCLES}00000000-0000-0000-0000-000000000000/").status_code == 404


def test_only_the_operator_runs_a_cycle(client, make_user, broker_a, regulator, operator):
    for user in (regulator, make_user(broker_a, Role.BROKER_TRADER)):
        client.force_login(user)
        assert client.post(f"{CYCLES}run/", {"cycle_date": "2026-09-16"}).status_code == 403
    client.force_login(operator)
    html = client.get(CYCLES).content.decode()
    assert 'data-testid="cycle-run"' in html
    assert f'value="{timezone.now().date():%Y-%m-%d}"' in html  # the cycle date defaults to today
    assert client.get(f"{CYCLES}run/").status_code == 405
    assert NettingCycle.objects.count() == 0


def test_run_a_cycle_without_nodes_says_so_and_starts_nothing(client, operator):
    client.force_login(operator)
    response = client.post(f"{CYCLES}run/", {"cycle_date": "2026-09-16"}, follow=True)
    assert response.redirect_chain[-1][0] == CYCLES
    assert "no node URL configured); no cycle was started." in response.content.decode()
    assert NettingCycle.objects.count() == 0


def test_invalid_cycle_date_is_refused(client, operator):
    client.force_login(operator)
    response = client.post(f"{CYCLES}run/", {"cycle_date": "16/09/2026x"})
    assert response.status_code == 400
    assert 'data-testid="cycle-run-errors"' in response.content.decode()
    assert NettingCycle.objects.count() == 0


# -- fails ------------------------------------------------------------------------------------
def _failing(parties: dict[str, Any]) -> tuple[SettlementInstruction, SettlementInstruction]:
    buy, sell = _matched(parties)  # due 2026-09-16
    SettlementInstruction.objects.filter(pk__in=[buy.pk, sell.pk]).update(
        pending_reason=PendingReason.LACKING_SECURITIES
    )
    return buy, sell


def test_fails_report_per_participant_with_days_and_penalties(client, bond, parties, regulator, broker_b):
    _, sell = _failing(parties)
    client.force_login(regulator)
    response = client.get(FAILS, {"date": "2026-09-21"})
    assert response.status_code == 200
    html = response.content.decode()
    # 16, 17, 18 and (after the weekend) 21 September: 3 business days outstanding; other debt
    # (0.20 bp a day) on the clean value at the reference price, the trade's own 99.5 %
    penalty = (sell.quantity * sell.price / 100 * Decimal("0.20") / 10_000 * 3).quantize(Decimal("0.01"))
    sections = html.split('data-testid="fails-participant"')[1:]
    assert len(sections) == 2
    seller = next(s for s in sections if broker_b.lei in s)
    assert 'data-testid="days-outstanding">3<' in seller
    assert 'data-testid="failing-party">Yes<' in seller
    assert f'data-testid="penalty">{penalty} EUR<' in seller
    assert "Lacking securities" in seller
    assert f'data-testid="participant-penalty">{penalty} EUR<' in seller
    buyer = next(s for s in sections if broker_b.lei not in s)
    assert 'data-testid="failing-party">No<' in buyer
    assert 'data-testid="penalty">0 EUR<' in buyer or 'data-testid="penalty">0.00 EUR<' in buyer
    assert 'data-testid="fails-count">2<' in html
    assert f'data-testid="fails-total">{penalty} EUR<' in html
    assert 'value="2026-09-21"' in html


def test_broker_sees_only_its_own_fails(client, bond, parties, broker_a, broker_b):
    _failing(parties)
    client.force_login(_user_of(broker_a))
    html = client.get(FAILS, {"date": "2026-09-21"}).content.decode()
    sections = html.split('data-testid="fails-participant"')[1:]
    assert len(sections) == 1
    assert broker_a.lei in sections[0]
    assert broker_b.lei not in sections[0]


def test_fails_report_defaults_to_today(client, bond, parties, regulator):
    client.force_login(regulator)
    html = client.get(FAILS).content.decode()
    assert f'value="{timezone.now().date():%Y-%m-%d}"' in html
    assert 'data-testid="no-fails"' in html


def test_invalid_fails_date_is_refused(client, regulator):
    client.force_login(regulator)
    response = client.get(FAILS, {"date": "bogus"})
    assert response.status_code == 400
    assert 'data-testid="fails-date-error"' in response.content.decode()


# -- cash -------------------------------------------------------------------------------------
def test_cash_page_says_when_no_node_answers(client, make_user, broker_a, operator):
    for user in (make_user(broker_a, Role.BROKER_BACK_OFFICE), operator):
        client.force_login(user)
        response = client.get(CASH)
        assert response.status_code == 200
        html = response.content.decode()
        assert "The nodes did not answer (The chain" in html
        assert "No Final cash balance yet." in html
