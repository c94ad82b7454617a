"""Multilateral netting keeps every participant whole: the net legs a cycle settles move
exactly each (token, address)'s net position of the gross trades, never more than the gross,
never from an address to itself, and the net positions of each token sum to zero (nothing is
created or lost). Properties over random trade sets (hypothesis)."""

from __future__ import annotations

from collections import defaultdict

from hypothesis import given
from hypothesis import strategies as st

from settlement.netting import compute_net_legs, compute_net_positions, compute_report
from tests.settlement.test_netting_cycles import BOND, EUR, NOTE, USD, _pair

trades = st.lists(
    st.tuples(
        st.integers(0, 30),  # seller's client account
        st.integers(0, 30),  # buyer's
        st.integers(0, 5),  # paying broker
        st.integers(0, 5),  # paid broker
        st.sampled_from([(BOND, EUR), (NOTE, USD)]),
        st.integers(1, 10_000),
    ),
    max_size=120,
)


def _pairs(rows):
    return [
        _pair(s, b, p, q, token, units, cash)
        for s, b, p, q, (token, cash), units in rows
        if s != b and p != q
    ]


@given(trades)
def test_net_positions_of_each_token_sum_to_zero(rows):
    totals: dict[str, int] = defaultdict(int)
    for (token, _), value in compute_net_positions(_pairs(rows)).items():
        totals[token] += value
    assert all(total == 0 for total in totals.values())


@given(trades)
def test_the_net_legs_move_exactly_the_net_positions(rows):
    pairs = _pairs(rows)
    net = compute_net_positions(pairs)
    legs = compute_net_legs(net)
    moved: dict[tuple[str, str], int] = defaultdict(int)
    for token, sender, receiver, amount in legs:
        assert amount > 0
        assert sender != receiver
        moved[(token, sender)] -= amount
        moved[(token, receiver)] += amount
    assert {key: value for key, value in moved.items() if value} == net
    for token in {t for t, _ in net}:  # greedy: at most debtors + creditors − 1 legs a token
        parties = sum(1 for t, _ in net if t == token)
        assert sum(1 for leg in legs if leg[0] == token) <= parties - 1


@given(trades)
def test_net_never_exceeds_gross_and_the_report_says_so_per_currency(rows):
    pairs = _pairs(rows)
    legs = compute_net_legs(compute_net_positions(pairs))
    report = compute_report(pairs, legs)
    assert report["instructions"] == 2 * len(pairs)
    assert report["net_securities_units"] <= report["gross_securities_units"] == sum(p.units for p in pairs)
    assert set(report["cash"]) == {p.currency for p in pairs}
    for currency, figures in report["cash"].items():
        assert figures["gross_cents"] == sum(p.cents for p in pairs if p.currency == currency)
        assert 0 <= figures["net_cents"] <= figures["gross_cents"]
        assert 0 <= float(figures["efficiency_percent"]) <= 100


def test_two_opposite_trades_of_the_same_parties_net_to_nothing():
    pairs = [_pair(1, 2, 1, 2, units=7), _pair(2, 1, 2, 1, units=7)]
    assert compute_net_positions(pairs) == {}
    report = compute_report(pairs, compute_net_legs({}))
    assert (report["legs"], report["cash"]["EUR"]["efficiency_percent"]) == (0, "100.00")
