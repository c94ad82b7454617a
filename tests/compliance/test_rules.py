"""The rule model without a database or a chain: validation lists every reason, compilation
gives the contract's layouts, and the evaluator follows the contract's ``check`` (its
agreement with the chain itself is tested on a devnet in test_rules_onchain.py)."""

from __future__ import annotations

import datetime

import pytest

from chain.node.client import contract_abi as abi
from compliance import rules
from compliance.rules import CompiledRules, Limits, Party, RuleTerms, TokenState

DE, FR, US = (abi.encode_country(c) for c in ("DE", "FR", "US"))
T = abi.TransferCode


def claim(topic: int, value: int = 1, issuer: bytes = b"\x07" * 48) -> abi.Claim:
    return abi.Claim(topic, issuer, value, 2**40)


def party(n: int, balance: int = 0, *claims: abi.Claim, frozen: bool = False) -> Party:
    return Party(bytes([0]) + bytes([n]) * 48, balance, frozen, tuple(claims), f"party {n}")


def problems_of(terms: RuleTerms, issue_units: int = 1000) -> list[tuple[str, str]]:
    with pytest.raises(rules.RuleSetInvalid) as refused:
        rules.compile_rules(terms, issue_units=issue_units)
    return [(p.field, p.code) for p in refused.value.problems]


def test_eligibility_compiles_into_every_receiver_requirement():
    terms = RuleTerms(
        kyc_required=True,
        allowed_jurisdictions=("DE", "FR"),
        allowed_categories=("professional",),
        receiver=(
            ({"topic": "accredited", "kind": "has_claim"},),
            ({"topic": "kyc_verified", "kind": "has_claim"},),
        ),
        max_holders=10,
        max_ownership_bps=2_000,
        min_holding=5,
    )
    compiled, warnings = rules.compile_rules(terms, issue_units=1000)
    assert warnings == []
    assert len(compiled.receiver) == 2
    for requirement in compiled.receiver:
        assert [(c.topic, c.kind, c.values) for c in requirement[:3]] == [
            (1, abi.ConditionKind.HAS_CLAIM, ()),
            (2, abi.ConditionKind.VALUE_IN, (DE, FR)),
            (3, abi.ConditionKind.VALUE_IN, (2,)),
        ]
    assert compiled.sender == ()
    assert compiled.limits == Limits(10, 2_000, 0, 5)
    assert compiled.conditions_bytes() == abi.encode_conditions(receiver=compiled.receiver)
    assert compiled.limits_bytes() == abi.encode_limits(
        max_holders=10, max_ownership_bps=2_000, min_holding=5
    )


def test_lockup_is_the_start_of_the_day_utc():
    day = datetime.date(2099, 1, 2)
    compiled, _ = rules.compile_rules(RuleTerms(lockup_until=day), issue_units=10)
    assert compiled.limits.lockup_until == int(datetime.datetime(2099, 1, 2, tzinfo=datetime.UTC).timestamp())
    _, warnings = rules.compile_rules(RuleTerms(lockup_until=datetime.date(2000, 1, 1)), issue_units=10)
    assert "not in the future" in warnings[0]


def test_invalid_rule_sets_list_every_reason():
    found = problems_of(
        RuleTerms(
            allowed_jurisdictions=("DE", "XX"),
            denied_jurisdictions=("DE",),
            allowed_categories=("sophisticated",),
            receiver=(({"topic": "jurisdiction", "kind": "value_in", "values": []},),),
            min_holding=2000,
        )
    )
    assert ("allowed_jurisdictions", "invalid_country") in found
    assert ("denied_jurisdictions", "contradiction") in found
    assert ("allowed_categories", "invalid_value") in found
    assert ("receiver requirement 1, condition 1", "empty_list") in found
    assert ("min_holding", "unsatisfiable") in found


def test_invalid_ownership_cap_that_cannot_hold_the_issue():
    # 3 holders × 10 % cannot hold 100 %
    assert problems_of(RuleTerms(max_holders=3, max_ownership_bps=1_000)) == [
        ("max_ownership_bps", "unsatisfiable")
    ]
    # 1 bps of 1,000 units is 0 units: no one can hold anything
    assert problems_of(RuleTerms(max_ownership_bps=1)) == [("max_ownership_bps", "unsatisfiable")]
    # a minimum above the cap: no holding meets both
    assert ("min_holding", "contradiction") in problems_of(
        RuleTerms(max_ownership_bps=1_000, min_holding=200)
    )


def test_invalid_beyond_the_contracts_limits():
    nine = ("DE", "FR", "IT", "ES", "NL", "BE", "AT", "PT", "IE")
    assert ("conditions", "too_many_values") in problems_of(RuleTerms(allowed_jurisdictions=nine))
    five = tuple(({"topic": "kyc_verified", "kind": "has_claim"},) for _ in range(5))
    assert ("conditions", "too_many_requirements") in problems_of(RuleTerms(sender=five))
    four = ({"topic": "accredited", "kind": "has_claim"},) * 4
    assert ("conditions", "too_many_conditions") in problems_of(
        RuleTerms(kyc_required=True, receiver=(four,))
    )


def test_invalid_requirement_that_no_one_can_meet():
    requirement = (
        {"topic": "jurisdiction", "kind": "value_in", "values": ["DE"]},
        {"topic": "jurisdiction", "kind": "value_not_in", "values": ["DE", "FR"]},
    )
    assert problems_of(RuleTerms(receiver=(requirement,))) == [("receiver", "unsatisfiable")]


def test_condition_semantics_follow_the_contract():
    allow = abi.Condition(2, abi.ConditionKind.VALUE_IN, (DE, FR))
    deny = abi.Condition(2, abi.ConditionKind.VALUE_NOT_IN, (US,))
    has = abi.Condition(1, abi.ConditionKind.HAS_CLAIM)
    assert rules.condition_holds(allow, [claim(2, DE)])
    assert not rules.condition_holds(allow, [claim(2, US)])
    assert not rules.condition_holds(allow, [])
    assert rules.condition_holds(deny, [])  # no claim at all passes a deny list
    assert not rules.condition_holds(deny, [claim(2, US)])
    assert rules.condition_holds(has, [claim(1)])
    other_issuer = abi.Condition(1, abi.ConditionKind.HAS_CLAIM, (), b"\x09" * 48)
    assert not rules.condition_holds(other_issuer, [claim(1)])
    assert rules.list_holds([], [])
    assert rules.list_holds([[allow], [has]], [claim(1)])


def test_evaluator_lists_every_failing_rule_in_the_contracts_order():
    compiled = CompiledRules(
        sender=((abi.Condition(1, abi.ConditionKind.HAS_CLAIM),),),
        receiver=((abi.Condition(2, abi.ConditionKind.VALUE_IN, (DE, FR)),),),
        limits=Limits(max_holders=2, max_ownership_bps=5_000, lockup_until=2_000, min_holding=30),
    )
    token = TokenState(paused=True, supply=100, holder_count=2, timestamp=1_000)
    sender = party(1, 50, frozen=True)
    receiver = party(2, 0, claim(2, US))
    failures = rules.evaluate_transfer(compiled, token, sender=sender, receiver=receiver, amount=60)
    assert [f.code for f in failures] == [
        T.PAUSED,
        T.SENDER_FROZEN,
        T.INSUFFICIENT_BALANCE,
        T.SENDER_CONDITIONS,
        T.RECEIVER_CONDITIONS,
        T.MAX_HOLDERS,
        T.MAX_OWNERSHIP,
        T.LOCKUP,
    ]
    explained = {f.code: f.explanation for f in failures}
    assert explained[T.RECEIVER_CONDITIONS] == "party 2 has no valid jurisdiction claim in {DE, FR}"
    assert explained[T.SENDER_CONDITIONS] == "party 1 has no valid KYC claim"
    assert explained[T.MAX_OWNERSHIP].startswith("party 2 would hold 60 units, above the cap of 50 units")
    zero = rules.evaluate_transfer(compiled, TokenState(supply=100), sender=sender, receiver=sender, amount=0)
    assert [f.code for f in zero] == [
        T.SENDER_FROZEN,
        T.RECEIVER_FROZEN,
        T.SENDER_CONDITIONS,
        T.RECEIVER_CONDITIONS,
        T.LOCKUP,
        T.INVALID_AMOUNT,
        T.SELF_TRANSFER,
    ]


def test_min_holding_and_max_holders_edge_cases():
    compiled = CompiledRules(limits=Limits(max_holders=2, min_holding=10))
    token = TokenState(supply=100, holder_count=2)
    # the sender leaves (sends everything): the count stays 2
    assert rules.evaluate_transfer(compiled, token, sender=party(1, 10), receiver=party(2), amount=10) == []
    # the sender keeps 5 (below 10) and the receiver would be the third holder
    codes = [
        f.code
        for f in rules.evaluate_transfer(compiled, token, sender=party(1, 15), receiver=party(2), amount=10)
    ]
    assert codes == [T.MAX_HOLDERS, T.MIN_HOLDING]


def test_allowance_as_check_transfer_from():
    token = TokenState(supply=100, holder_count=1)
    failures = rules.evaluate_transfer(
        CompiledRules(), token, sender=party(1, 50), receiver=party(2), amount=10, allowance=5
    )
    assert [(f.code, f.explanation) for f in failures] == [
        (T.INSUFFICIENT_ALLOWANCE, "the allowance is 5 units, 10 are needed")
    ]
    assert (
        rules.evaluate_transfer(CompiledRules(), token, sender=party(1, 50), receiver=party(2), amount=10)
        == []
    )


def test_holdings_at_rest():
    compiled = CompiledRules(
        receiver=((abi.Condition(1, abi.ConditionKind.HAS_CLAIM),),),
        limits=Limits(max_holders=1, max_ownership_bps=5_000, min_holding=10),
    )
    token = TokenState(supply=100, holder_count=3)
    assert [f.code for f in rules.evaluate_holding(compiled, token, party(1, 60))] == [
        T.RECEIVER_CONDITIONS,
        T.MAX_OWNERSHIP,
    ]
    assert [f.code for f in rules.evaluate_holding(compiled, token, party(2, 5, claim(1)))] == [T.MIN_HOLDING]
    assert rules.evaluate_holding(compiled, token, party(3, 20, claim(1))) == []
    count = rules.evaluate_holder_count(compiled, token)
    assert count is not None
    assert count.code == T.MAX_HOLDERS


def test_every_transfer_code_has_a_meaning():
    assert set(rules.CODE_MEANINGS) == set(abi.TransferCode)
