"""A netting cycle's size: the pairs a cycle takes involve at most ``MAX_CYCLE_PARTICIPANTS``
(token, address) participants, first due first, so its net legs fit one ``settle_batch`` (at
most 255 DvP instructions of 8 legs, and the batch's gas); the rest is left, in order, for the
next cycle."""

from __future__ import annotations

from typing import Any, cast

from hypothesis import given
from hypothesis import strategies as st

from chain.node.client import contract_abi
from settlement import netting
from settlement.netting import (
    Pair,
    compute_net_legs,
    compute_net_positions,
    compute_report,
    select_cycle_pairs,
)

BOND, NOTE, EUR, USD = "0x" + "b1" * 32, "0x" + "b2" * 32, "0x" + "ee" * 32, "0x" + "dd" * 32


def _pair(
    seller: int, buyer: int, payer: int, payee: int, token: str = BOND, units: int = 10, cash: str = EUR
) -> Pair:
    return Pair(
        buy=cast(Any, None),
        sell=cast(Any, None),
        token=token,
        cash=cash,
        currency="EUR" if cash == EUR else "USD",
        units=units,
        cents=units * 100,
        seller=f"c{seller:04d}",
        buyer=f"c{buyer:04d}",
        payer=f"b{payer:02d}",
        payee=f"b{payee:02d}",
    )


def test_a_cycle_stops_before_the_pair_that_would_exceed_the_participants():
    pairs = [_pair(1, 2, 1, 2), _pair(3, 4, 1, 2), _pair(1, 3, 2, 1), _pair(5, 6, 1, 2)]
    taken, left = select_cycle_pairs(pairs, max_participants=8)
    # participants: bond c1 c2 c3 c4 (4), EUR b1 b2 (2); the third adds none; the fourth two more
    assert (taken, left) == (pairs, [])
    taken, left = select_cycle_pairs(pairs, max_participants=7)
    assert (taken, left) == (pairs[:3], pairs[3:])
    assert select_cycle_pairs([], max_participants=4) == ([], [])


def test_the_default_cap_keeps_a_cycle_within_one_settle_batch():
    assert netting.MAX_CYCLE_PARTICIPANTS < contract_abi.MAX_BATCH * contract_abi.MAX_LEGS


@given(
    st.lists(
        st.tuples(
            st.integers(0, 400),
            st.integers(0, 400),
            st.integers(0, 9),
            st.integers(0, 9),
            st.sampled_from([BOND, NOTE]),
            st.integers(1, 1_000),
        ),
        max_size=300,
    ),
    st.integers(4, 200),
)
def test_the_net_legs_of_a_capped_cycle_never_outnumber_its_participants(trades, cap):
    pairs = [_pair(s, b, p, q, token, units) for s, b, p, q, token, units in trades if s != b and p != q]
    taken, left = select_cycle_pairs(pairs, max_participants=cap)
    assert taken + left == pairs
    legs = compute_net_legs(compute_net_positions(taken))
    assert len(legs) <= cap
    if left:  # the first pair left would have crossed the cap
        participants = {(p.token, a) for p in taken + left[:1] for a in (p.seller, p.buyer)}
        participants |= {(p.cash, a) for p in taken + left[:1] for a in (p.payer, p.payee)}
        assert len(participants) > cap


def test_the_cycle_report_never_adds_amounts_of_different_currencies():
    # Broker 1 pays broker 2 for 10 bond units in EUR (1,000 cents) and 30 in USD (3,000 cents);
    # broker 2 pays broker 1 for 4 units in EUR (400 cents).
    pairs = [
        _pair(1, 2, 1, 2, units=10),
        _pair(3, 4, 1, 2, NOTE, units=30, cash=USD),
        _pair(2, 1, 2, 1, units=4),
    ]
    report = compute_report(pairs, compute_net_legs(compute_net_positions(pairs)))
    assert report["cash"] == {
        "EUR": {"gross_cents": 1_400, "net_cents": 600, "efficiency_percent": "57.14"},
        "USD": {"gross_cents": 3_000, "net_cents": 3_000, "efficiency_percent": "0.00"},
    }
    assert "gross_cash_cents" not in report
    assert "net_cash_cents" not in report
