"""The security token (chain/contracts/security_token, docs/contracts.md) on the real host,
with the identity registry it asks for claims: the token interface, agents' functions, every
transfer rule and its failure code, conditions over claims (allow and deny lists, expiry,
revocation, trusted issuers), limits, checkpoints and events."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from chain.state.memory import MemoryStore
from chain.state.state import State
from chain.types.primitives import ContractId
from chain.vm.exceptions import CallFailed
from tests.chain.helpers import Keypair, keypair
from tests.chain.vm.abi import account, contract_address, read_u32, read_u64, u16, u32, u64
from tests.chain.vm.securities import (
    ALLOW,
    CATEGORY,
    DENY,
    HAS,
    JURISDICTION,
    KYC,
    PROFESSIONAL,
    RETAIL,
    T0,
    Chain,
    claim_args,
    condition,
    condition_list,
    conditions,
    country,
    decode_codes,
    decode_holders,
    limits,
    panic_code,
    requirement,
)

ADMIN, KYC_CO, BANK = keypair("st-admin"), keypair("st-kyc"), keypair("st-bank")
ISSUER, COMPLIANCE = keypair("st-issuer"), keypair("st-compliance")
ALICE, BOB, CAROL, DAVE = (keypair(f"st-{n}") for n in ("alice", "bob", "carol", "dave"))
A_, B_, C_, D_ = (account(k.public) for k in (ALICE, BOB, CAROL, DAVE))
YEAR = 365 * 86_400
ISIN = b"DE000A0B1C23"
TERMS = bytes(range(32))


@dataclass
class Env:
    chain: Chain
    registry: ContractId
    token: ContractId

    def call(self, fn: str, args: bytes, caller: Keypair) -> None:
        self.chain.call(self.token, fn, args, caller.public)

    def q(self, fn: str, args: bytes = b"") -> bytes:
        return self.chain.query(self.token, fn, args)

    def balance(self, who: bytes) -> int:
        return read_u64(self.q("balance_of", who))

    def holders(self) -> int:
        return read_u32(self.q("holder_count"))

    def check(self, frm: bytes, to: bytes, amount: int) -> list[str]:
        return decode_codes(self.q("check_transfer", frm + to + u64(amount)))

    def refused(self, code: str, fn: str, args: bytes, caller: Keypair) -> None:
        with pytest.raises(CallFailed) as error:
            self.call(fn, args, caller)
        assert panic_code(error.value) == code, str(error.value)

    def claim(
        self, subject: bytes, topic: int, value: int, issuer: Keypair = KYC_CO, expiry: int = T0 + YEAR
    ) -> None:
        self.chain.call(self.registry, "add_claim", claim_args(subject, topic, value, expiry), issuer.public)


@pytest.fixture
def env() -> Iterator[Env]:
    store = MemoryStore()
    with store.read_view() as view:
        chain = Chain(State(view))
        registry = chain.deploy("identity_registry", ADMIN.public, bytes(ADMIN.public))
        topics = 1 << KYC | 1 << JURISDICTION | 1 << CATEGORY
        chain.call(registry, "add_trusted_issuer", bytes(KYC_CO.public) + u32(topics), ADMIN.public)
        init = bytes(ISSUER.public) + bytes(COMPLIANCE.public) + bytes(registry) + ISIN + TERMS + bytes([2])
        token = chain.deploy("security_token", ISSUER.public, init)
        e = Env(chain, registry, token)
        for who, land, category in ((A_, "DE", PROFESSIONAL), (B_, "FR", RETAIL), (C_, "US", PROFESSIONAL)):
            e.claim(who, KYC, 1)
            e.claim(who, JURISDICTION, country(land))
            e.claim(who, CATEGORY, category)
        yield e


def topics(e: Env) -> list[tuple[str, bytes]]:
    return [(ev.topic, ev.data) for ev in e.chain.events]


# ---- token interface --------------------------------------------------------------------


def test_issue_balances_info_and_events(env: Env) -> None:
    env.call("issue", A_ + u64(1_000), ISSUER)
    assert topics(env) == [("issue", A_ + u64(1_000))]
    env.call("issue", B_ + u64(500), ISSUER)
    assert env.balance(A_) == 1_000
    assert env.balance(B_) == 500
    assert env.balance(D_) == 0
    assert read_u64(env.q("total_supply")) == 1_500
    assert env.holders() == 2
    info = env.q("info")
    assert info == ISIN + TERMS + bytes([2, 0]) + u32(2) + u64(1_500)
    env.refused("not_authorised", "issue", A_ + u64(1), ALICE)
    env.refused("invalid_amount", "issue", A_ + u64(0), ISSUER)


def test_transfer_approve_allowance_transfer_from(env: Env) -> None:
    env.call("issue", A_ + u64(1_000), ISSUER)
    env.call("transfer", B_ + u64(300), ALICE)
    assert topics(env) == [("transfer", A_ + B_ + u64(300))]
    assert (env.balance(A_), env.balance(B_)) == (700, 300)
    env.call("approve", C_ + u64(250), ALICE)
    assert topics(env) == [("approval", A_ + C_ + u64(250))]
    assert read_u64(env.q("allowance", A_ + C_)) == 250
    codes = decode_codes(env.q("check_transfer_from", C_ + A_ + B_ + u64(251)))
    assert codes == ["insufficient_allowance"]
    assert decode_codes(env.q("check_transfer_from", C_ + A_ + B_ + u64(200))) == []
    env.refused("insufficient_allowance", "transfer_from", A_ + B_ + u64(251), CAROL)
    env.call("transfer_from", A_ + B_ + u64(200), CAROL)
    assert topics(env) == [("transfer", A_ + B_ + u64(200))]
    assert read_u64(env.q("allowance", A_ + C_)) == 50
    assert (env.balance(A_), env.balance(B_)) == (500, 500)
    with pytest.raises(CallFailed) as error:
        env.q("transfer", B_ + u64(1))
    assert panic_code(error.value) == "no_caller"


def test_a_contract_spender_address(env: Env) -> None:
    """A contract's Address (tag 1) can hold an allowance (DvP)."""
    dvp = contract_address(ContractId(bytes([9]) * 32))
    env.call("issue", A_ + u64(10), ISSUER)
    env.call("approve", dvp + u64(10), ALICE)
    assert read_u64(env.q("allowance", A_ + dvp)) == 10
    assert decode_codes(env.q("check_transfer_from", dvp + A_ + B_ + u64(10))) == []
    env.refused("invalid_address", "approve", dvp[:-1] + b"\x01" + u64(1), ALICE)


def test_redeem_and_burn(env: Env) -> None:
    env.call("issue", A_ + u64(100), ISSUER)
    env.call("redeem", A_ + u64(30), ISSUER)
    assert topics(env) == [("redeem", A_ + u64(30))]
    env.refused("not_authorised", "redeem", A_ + u64(1), ALICE)
    env.refused("insufficient_balance", "redeem", A_ + u64(71), ISSUER)
    env.call("burn", u64(20), ALICE)
    assert topics(env) == [("burn", A_ + u64(20))]
    env.refused("insufficient_balance", "burn", u64(51), ALICE)
    assert env.balance(A_) == 50
    assert read_u64(env.q("total_supply")) == 50
    env.call("burn", u64(50), ALICE)
    assert env.holders() == 0


# ---- rules ------------------------------------------------------------------------------


def test_paused(env: Env) -> None:
    env.call("issue", A_ + u64(100), ISSUER)
    env.refused("not_authorised", "pause", b"", ALICE)
    env.call("pause", b"", ISSUER)
    assert topics(env) == [("paused", b"")]
    assert env.q("info")[45] == 1
    assert env.check(A_, B_, 10) == ["paused"]
    env.refused("paused", "transfer", B_ + u64(10), ALICE)
    env.call("unpause", b"", ISSUER)
    assert topics(env) == [("unpaused", b"")]
    env.call("transfer", B_ + u64(10), ALICE)


def test_frozen_sender_and_receiver(env: Env) -> None:
    env.call("issue", A_ + u64(100), ISSUER)
    env.call("issue", B_ + u64(100), ISSUER)
    env.refused("not_authorised", "freeze", A_ + b"\x01", ISSUER)
    env.call("freeze", A_ + b"\x01", COMPLIANCE)
    assert topics(env) == [("freeze", A_ + b"\x01")]
    assert env.q("is_frozen", A_) == b"\x01"
    assert env.check(A_, B_, 10) == ["sender_frozen"]
    assert env.check(B_, A_, 10) == ["receiver_frozen"]
    env.refused("sender_frozen", "transfer", B_ + u64(10), ALICE)
    env.refused("receiver_frozen", "transfer", A_ + u64(10), BOB)
    env.refused("receiver_frozen", "issue", A_ + u64(10), ISSUER)
    env.call("freeze", A_ + b"\x00", COMPLIANCE)
    env.call("transfer", B_ + u64(10), ALICE)


def test_balance_amount_and_self_transfer(env: Env) -> None:
    env.call("issue", A_ + u64(100), ISSUER)
    assert env.check(A_, B_, 101) == ["insufficient_balance"]
    assert env.check(A_, B_, 0) == ["invalid_amount"]
    assert env.check(A_, A_, 10) == ["self_transfer"]
    env.refused("insufficient_balance", "transfer", B_ + u64(101), ALICE)
    env.refused("invalid_amount", "transfer", B_ + u64(0), ALICE)
    env.refused("self_transfer", "transfer", A_ + u64(1), ALICE)
    assert env.check(D_, B_, 1) == ["insufficient_balance"]


def eu_conditions() -> bytes:
    """Sender: KYC and not in the US. Receiver: (KYC and professional) or (jurisdiction DE or FR)."""
    sender = condition_list(requirement(condition(KYC, HAS), condition(JURISDICTION, DENY, (country("US"),))))
    receiver = condition_list(
        requirement(condition(KYC, HAS), condition(CATEGORY, ALLOW, (PROFESSIONAL,))),
        requirement(condition(JURISDICTION, ALLOW, (country("DE"), country("FR")))),
    )
    return conditions(sender, receiver)


def test_conditions_jurisdiction_lists_and_investor_categories(env: Env) -> None:
    for who in (A_, B_, C_):
        env.call("issue", who + u64(100), ISSUER)
    env.refused("not_authorised", "set_conditions", eu_conditions(), ALICE)
    env.call("set_conditions", eu_conditions(), ISSUER)
    assert topics(env) == [("conditions", eu_conditions())]
    assert env.check(A_, B_, 10) == []  # DE professional -> FR retail (FR allowed)
    assert env.check(B_, C_, 10) == []  # -> US professional (first requirement)
    assert env.check(C_, A_, 10) == ["sender_conditions"]  # US is on the sender deny list
    assert env.check(A_, D_, 10) == ["receiver_conditions"]  # no claims at all
    env.refused("sender_conditions", "transfer", A_ + u64(10), CAROL)
    env.refused("receiver_conditions", "transfer", D_ + u64(10), ALICE)
    env.refused("receiver_conditions", "issue", D_ + u64(10), ISSUER)
    env.claim(D_, JURISDICTION, country("IT"))
    env.claim(D_, CATEGORY, RETAIL)
    assert env.check(A_, D_, 10) == ["receiver_conditions"]  # IT retail
    env.claim(D_, CATEGORY, PROFESSIONAL)
    assert env.check(A_, D_, 10) == ["receiver_conditions"]  # professional but no KYC
    env.claim(D_, KYC, 1)
    assert env.check(A_, D_, 10) == []
    env.call("transfer", D_ + u64(10), ALICE)
    # a sender without KYC fails the sender list
    env.call("set_conditions", conditions(), ISSUER)
    env.call("transfer", B_ + u64(5), DAVE)
    assert env.check(D_, B_, 1) == []


def test_an_expired_claim_fails_its_condition(env: Env) -> None:
    env.call("issue", A_ + u64(100), ISSUER)
    env.claim(D_, KYC, 1, expiry=T0 + 50)
    env.call("set_conditions", conditions(receiver=condition_list(requirement(condition(KYC, HAS)))), ISSUER)
    assert env.check(A_, D_, 1) == []
    env.chain.timestamp = T0 + 50
    assert env.check(A_, D_, 1) == ["receiver_conditions"]
    env.refused("receiver_conditions", "transfer", D_ + u64(1), ALICE)


def test_a_revoked_claim_fails_its_condition(env: Env) -> None:
    env.call("issue", A_ + u64(100), ISSUER)
    env.call("set_conditions", conditions(sender=condition_list(requirement(condition(KYC, HAS)))), ISSUER)
    assert env.check(A_, B_, 1) == []
    env.chain.call(env.registry, "revoke_claim", A_ + bytes([KYC]), KYC_CO.public)
    assert env.check(A_, B_, 1) == ["sender_conditions"]
    env.refused("sender_conditions", "transfer", B_ + u64(1), ALICE)


def test_a_claim_from_an_issuer_no_longer_trusted_fails(env: Env) -> None:
    env.call("issue", A_ + u64(100), ISSUER)
    env.call(
        "set_conditions", conditions(receiver=condition_list(requirement(condition(CATEGORY, HAS)))), ISSUER
    )
    assert env.check(A_, B_, 1) == []
    env.chain.call(env.registry, "remove_trusted_issuer", bytes(KYC_CO.public), ADMIN.public)
    assert env.check(A_, B_, 1) == ["receiver_conditions"]


def test_a_condition_on_one_issuer_ignores_other_issuers_claims(env: Env) -> None:
    env.chain.call(env.registry, "add_trusted_issuer", bytes(BANK.public) + u32(1 << CATEGORY), ADMIN.public)
    env.call("issue", A_ + u64(100), ISSUER)
    by_bank = condition(CATEGORY, ALLOW, (PROFESSIONAL,), issuer=bytes(BANK.public))
    env.call("set_conditions", conditions(receiver=condition_list(requirement(by_bank))), ISSUER)
    assert env.check(A_, C_, 1) == ["receiver_conditions"]  # KYC_CO's category claim
    env.claim(C_, CATEGORY, PROFESSIONAL, issuer=BANK)
    assert env.check(A_, C_, 1) == []


def test_invalid_conditions_are_refused(env: Env) -> None:
    too_many = condition_list(*[requirement(condition(KYC, HAS))] * 5)
    env.refused("invalid_conditions", "set_conditions", conditions(too_many), ISSUER)
    env.refused(
        "invalid_conditions", "set_conditions", conditions(condition_list(requirement())) + b"x", ISSUER
    )
    bad_kind = condition(KYC, 4)
    env.refused(
        "invalid_conditions", "set_conditions", conditions(condition_list(requirement(bad_kind))), ISSUER
    )


def test_max_holders(env: Env) -> None:
    env.call("issue", A_ + u64(100), ISSUER)
    env.call("issue", B_ + u64(100), ISSUER)
    env.refused("not_authorised", "set_limits", limits(max_holders=2), ALICE)
    env.call("set_limits", limits(max_holders=2), ISSUER)
    assert topics(env) == [("limits", limits(max_holders=2))]
    assert env.check(A_, C_, 10) == ["max_holders"]
    env.refused("max_holders", "issue", C_ + u64(10), ISSUER)
    assert env.check(A_, C_, 100) == []  # alice leaves as carol arrives
    assert env.check(A_, B_, 10) == []  # no new holder
    env.refused("max_holders", "transfer", C_ + u64(10), ALICE)
    env.call("transfer", C_ + u64(100), ALICE)
    assert env.holders() == 2


def test_max_ownership(env: Env) -> None:
    env.call("issue", A_ + u64(900), ISSUER)
    env.call("issue", B_ + u64(100), ISSUER)
    env.call("set_limits", limits(max_ownership_bps=2_000), ISSUER)  # 20% of 1,000 = 200
    assert env.check(A_, B_, 100) == []
    assert env.check(A_, B_, 101) == ["max_ownership"]
    env.refused("max_ownership", "transfer", B_ + u64(101), ALICE)
    env.call("transfer", B_ + u64(100), ALICE)
    # issuing 50 to carol: 50 of 1,050 is fine; 300 of 1,300 is not
    env.call("issue", C_ + u64(50), ISSUER)
    env.refused("max_ownership", "issue", C_ + u64(300), ISSUER)


def test_lockup_applies_to_transfers_not_issuance(env: Env) -> None:
    env.call("set_limits", limits(lockup_until=T0 + 1_000), ISSUER)
    env.call("issue", A_ + u64(100), ISSUER)
    assert env.check(A_, B_, 10) == ["lockup"]
    env.refused("lockup", "transfer", B_ + u64(10), ALICE)
    env.chain.timestamp = T0 + 1_000
    env.call("transfer", B_ + u64(10), ALICE)


def test_min_holding(env: Env) -> None:
    env.call("issue", A_ + u64(100), ISSUER)
    env.call("set_limits", limits(min_holding=20), ISSUER)
    assert env.check(A_, B_, 10) == ["min_holding"]  # bob would hold 10
    assert env.check(A_, B_, 90) == ["min_holding"]  # alice would keep 10
    assert env.check(A_, B_, 100) == []  # alice leaves entirely
    assert env.check(A_, B_, 20) == []
    env.refused("min_holding", "transfer", B_ + u64(10), ALICE)
    env.refused("min_holding", "issue", C_ + u64(5), ISSUER)


def test_check_transfer_returns_every_failing_code_at_once(env: Env) -> None:
    env.call("issue", A_ + u64(100), ISSUER)
    env.call("issue", B_ + u64(100), ISSUER)
    env.call("set_conditions", eu_conditions(), ISSUER)
    env.call(
        "set_limits",
        limits(max_holders=2, max_ownership_bps=1_000, lockup_until=T0 + 10, min_holding=500),
        ISSUER,
    )
    env.call("pause", b"", ISSUER)
    env.call("freeze", C_ + b"\x01", COMPLIANCE)
    env.call("freeze", D_ + b"\x01", COMPLIANCE)
    every = [
        "paused",
        "sender_frozen",
        "receiver_frozen",
        "insufficient_balance",
        "sender_conditions",
        "receiver_conditions",
        "max_holders",
        "max_ownership",
        "lockup",
        "min_holding",
    ]
    assert env.check(C_, D_, 400) == every
    codes = decode_codes(env.q("check_transfer_from", B_ + C_ + D_ + u64(400)))
    assert codes == every[:4] + ["insufficient_allowance"] + every[4:]
    assert env.check(A_, A_, 0) == ["paused", "lockup", "invalid_amount", "self_transfer"]
    env.refused("paused", "transfer", D_ + u64(400), CAROL)


# ---- agents -----------------------------------------------------------------------------


def test_force_transfer_by_the_compliance_agent_only_ignores_the_rules(env: Env) -> None:
    env.call("issue", A_ + u64(100), ISSUER)
    env.call("set_conditions", conditions(receiver=condition_list(requirement(condition(KYC, HAS)))), ISSUER)
    env.call("pause", b"", ISSUER)
    env.call("freeze", A_ + b"\x01", COMPLIANCE)
    args = A_ + D_ + u64(40) + u16(7)
    env.refused("not_authorised", "force_transfer", args, ISSUER)
    env.refused("not_authorised", "force_transfer", args, ALICE)
    env.call("force_transfer", args, COMPLIANCE)
    assert topics(env) == [("forced_transfer", args)]
    assert (env.balance(A_), env.balance(D_)) == (60, 40)
    assert env.holders() == 2
    env.refused("insufficient_balance", "force_transfer", A_ + D_ + u64(61) + u16(7), COMPLIANCE)


# ---- checkpoints and holders ------------------------------------------------------------


def test_holder_count_across_emptying_and_new_holdings(env: Env) -> None:
    assert env.holders() == 0
    env.call("issue", A_ + u64(100), ISSUER)
    assert env.holders() == 1
    env.call("transfer", B_ + u64(40), ALICE)
    assert env.holders() == 2
    env.call("transfer", C_ + u64(60), ALICE)  # alice empties, carol arrives
    assert env.holders() == 2
    env.call("transfer", C_ + u64(40), BOB)  # bob empties
    assert env.holders() == 1
    env.call("transfer", A_ + u64(1), CAROL)  # alice again
    assert env.holders() == 2
    assert env.q("info")[46:50] == u32(2)


def test_checkpoints_keep_exact_balances_and_holders(env: Env) -> None:
    env.refused("not_authorised", "checkpoint", b"", ALICE)
    env.call("issue", A_ + u64(100), ISSUER)
    env.call("issue", B_ + u64(50), ISSUER)
    result = env.chain.call(env.token, "checkpoint", b"", ISSUER.public)
    assert read_u32(result.data) == 1
    assert topics(env) == [("checkpoint", u32(1) + u64(150) + u32(2))]
    env.call("transfer", C_ + u64(30), ALICE)
    env.call("transfer", C_ + u64(50), BOB)  # bob empties
    assert read_u32(env.chain.call(env.token, "checkpoint", b"", ISSUER.public).data) == 2
    env.call("transfer", B_ + u64(10), ALICE)
    env.call("transfer", D_ + u64(5), CAROL)
    env.call("issue", A_ + u64(1), ISSUER)

    def at(who: bytes, cp: int) -> int:
        return read_u64(env.q("balance_at", who + u32(cp)))

    assert [at(w, 1) for w in (A_, B_, C_, D_)] == [100, 50, 0, 0]
    assert [at(w, 2) for w in (A_, B_, C_, D_)] == [70, 0, 80, 0]
    assert [at(w, 0) for w in (A_, B_, C_, D_)] == [61, 10, 75, 5]

    def holders_at(cp: int, offset: int = 0, limit: int = 100) -> list[tuple[bytes, int]]:
        return decode_holders(env.q("holders_at", u32(cp) + u32(offset) + u16(limit)))

    assert holders_at(1) == [(A_, 100), (B_, 50)]
    assert holders_at(2) == [(A_, 70), (C_, 80)]
    assert holders_at(0) == [(A_, 61), (B_, 10), (C_, 75), (D_, 5)]
    assert holders_at(0, offset=1, limit=2) == [(B_, 10), (C_, 75)]
    assert holders_at(0, offset=4) == []
    with pytest.raises(CallFailed) as error:
        env.q("balance_at", A_ + u32(3))
    assert panic_code(error.value) == "invalid_checkpoint"
    # a checkpoint with no change since keeps the current balances
    env.call("checkpoint", b"", ISSUER)
    assert holders_at(3) == holders_at(0)


def test_a_transfer_writes_few_pages(env: Env) -> None:
    env.call("set_conditions", eu_conditions(), ISSUER)
    env.call("issue", A_ + u64(100), ISSUER)
    env.call("issue", B_ + u64(100), ISSUER)
    env.call("checkpoint", b"", ISSUER)
    spent = env.chain.call(env.token, "transfer", B_ + u64(10), ALICE.public).gas_spent
    assert spent < 5 * 262_144


# ---- stock split and reverse split (docs/contracts.md, "split") ----------------------------


def holders_at(env: Env, cp: int) -> list[tuple[bytes, int]]:
    return decode_holders(env.q("holders_at", u32(cp) + u32(0) + u16(100)))


def supply(env: Env) -> int:
    return read_u64(env.q("total_supply"))


def test_split_takes_the_record_checkpoint_and_scales_every_balance_down_to_whole_units(env: Env) -> None:
    env.call("issue", A_ + u64(7), ISSUER)
    env.call("issue", B_ + u64(5), ISSUER)
    env.call("issue", C_ + u64(1), ISSUER)
    env.chain.events.clear()
    result = env.chain.call(env.token, "split", u32(3) + u32(2), ISSUER.public)  # 3 for 2
    assert read_u32(result.data) == 1
    # 7 → 10.5 → 10, 5 → 7.5 → 7, 1 → 1.5 → 1: the fractions leave the token (paid in cash)
    assert [env.balance(w) for w in (A_, B_, C_)] == [10, 7, 1]
    assert supply(env) == 18
    assert holders_at(env, 1) == [(A_, 7), (B_, 5), (C_, 1)]  # the record checkpoint: before
    assert topics(env) == [
        ("checkpoint", u32(1) + u64(13) + u32(3)),
        ("split", u32(1) + u32(3) + u32(2) + u64(18) + u32(3)),
    ]


def test_reverse_split_can_empty_a_holding(env: Env) -> None:
    env.call("issue", A_ + u64(25), ISSUER)
    env.call("issue", B_ + u64(3), ISSUER)
    env.call("checkpoint", b"", ISSUER)
    env.call("split", u32(1) + u32(10), ISSUER)  # 1 for 10
    assert [env.balance(w) for w in (A_, B_)] == [2, 0]
    assert env.holders() == 1
    assert supply(env) == 2
    assert holders_at(env, 2) == [(A_, 25), (B_, 3)]
    assert holders_at(env, 1) == [(A_, 25), (B_, 3)]
    assert holders_at(env, 0) == [(A_, 2)]


@pytest.mark.parametrize(
    ("ratio", "code"),
    [
        ((0, 1), "invalid_ratio"),
        ((2, 0), "invalid_ratio"),
        ((0, 0), "invalid_ratio"),
        ((4, 4), "invalid_ratio"),
    ],
)
def test_split_refuses_a_zero_or_unit_ratio_and_changes_nothing(
    env: Env, ratio: tuple[int, int], code: str
) -> None:
    env.call("issue", A_ + u64(10), ISSUER)
    env.refused(code, "split", u32(ratio[0]) + u32(ratio[1]), ISSUER)
    assert env.balance(A_) == 10
    assert supply(env) == 10


def test_split_by_the_issuer_agent_only_and_refuses_overflow(env: Env) -> None:
    env.call("issue", A_ + u64(2**62), ISSUER)
    env.refused("not_authorised", "split", u32(2) + u32(1), ALICE)
    env.refused("invalid_args", "split", u32(2), ISSUER)
    env.refused("invalid_ratio", "split", u32(8) + u32(1), ISSUER)  # 2^65 units
    assert env.balance(A_) == 2**62
    env.call("split", u32(3) + u32(1), ISSUER)
    assert env.balance(A_) == 3 * 2**62
