"""The instrument's KYC mode in the compiled rules (docs/kyc.md "Citadel"): ``citadel``
replaces the receiver's requirements (and the sender's, if any) with a Citadel session for
this token; ``both`` adds it as an alternative (OR); what a session cannot prove is refused;
the evaluator has the contract's semantics for the session condition."""

from __future__ import annotations

import pytest

from chain.node.client import contract_abi as abi
from compliance import rules
from compliance.rules import Party, RuleTerms, TokenState

CITADEL = b"\x0c" * 32
SESSION = (abi.citadel_condition(CITADEL),)
KYC = abi.Condition(abi.ClaimTopic.KYC_VERIFIED, abi.ConditionKind.HAS_CLAIM)


def compile_(**kw: object) -> rules.CompiledRules:
    terms = RuleTerms(citadel=CITADEL, **kw)  # type: ignore[arg-type]
    return rules.compile_rules(terms, issue_units=1_000)[0]


def test_claims_mode_is_unchanged_and_citadel_replaces_the_receiver_requirement():
    claims = compile_(kyc_required=True, allowed_jurisdictions=("DE",))
    assert all(c.kind != abi.ConditionKind.CITADEL_SESSION for r in claims.receiver for c in r)
    citadel = compile_(kyc_mode="citadel", kyc_required=True, allowed_jurisdictions=("DE", "FR"))
    assert citadel.receiver == (SESSION,)
    assert citadel.sender == ()
    with_sender = compile_(
        kyc_mode="citadel",
        allowed_jurisdictions=("DE",),
        sender=(({"topic": "kyc_verified", "kind": "has_claim"},),),
    )
    assert with_sender.sender == (SESSION,)


def test_both_is_claims_or_a_session():
    both = compile_(kyc_mode="both", kyc_required=True, allowed_jurisdictions=("DE",))
    assert len(both.receiver) == 2
    assert both.receiver[1] == SESSION
    assert KYC in both.receiver[0]
    token = TokenState(supply=1_000, timestamp=1)
    sender = Party(b"\x00" + b"\x01" * 48, balance=10)
    outsider = Party(b"\x00" + b"\x02" * 48)
    failures = rules.evaluate_transfer(both, token, sender=sender, receiver=outsider, amount=1)
    assert [f.code for f in failures] == [abi.TransferCode.RECEIVER_CONDITIONS]
    assert "no Citadel session" in failures[0].explanation
    proved = Party(outsider.address, citadel_sessions=frozenset({CITADEL}))
    assert rules.evaluate_transfer(both, token, sender=sender, receiver=proved, amount=1) == []
    elsewhere = Party(outsider.address, citadel_sessions=frozenset({b"\x0d" * 32}))
    assert rules.evaluate_transfer(both, token, sender=sender, receiver=elsewhere, amount=1) != []


@pytest.mark.parametrize(
    ("terms", "field"),
    [
        ({}, "allowed_jurisdictions"),
        (
            {"allowed_jurisdictions": ("DE", "FR", "IT", "ES", "PT", "NL", "BE", "LU", "AT")},
            "allowed_jurisdictions",
        ),
        ({"denied_jurisdictions": ("RU",)}, "denied_jurisdictions"),
        ({"allowed_jurisdictions": ("DE",), "allowed_categories": ("professional",)}, "allowed_categories"),
        ({"allowed_jurisdictions": ("DE",), "kyc_mode": "sometimes"}, "kyc_mode"),
    ],
)
def test_invalid_citadel_policies_are_refused(terms, field):
    terms = {"kyc_mode": "citadel", **terms}
    with pytest.raises(rules.RuleSetInvalid) as refused:
        compile_(**terms)
    assert field in [p.field for p in refused.value.problems]
