"""The native stake contract, eligibility epochs and slashing (reference §1.1, §1.8, §3)."""

from __future__ import annotations

import os

import pytest

from chain.crypto import bls12_381 as bls
from chain.state.memory import MemoryStore
from chain.state.stakes import Stake, StakeAmount
from chain.state.state import State
from chain.transition.exceptions import InvalidGenesis
from chain.transition.genesis import apply_genesis, parse_genesis_config
from chain.transition.params import (
    BASE_TRANSACTION_GAS,
    DEFAULT_MINIMUM_STAKE,
    GAS_PER_DATA_BYTE,
    STAKE_CALL_GAS,
    UNSTAKE_CALL_GAS,
    ChainParams,
)
from chain.transition.process import BlockContext, assemble_block, process_transaction, state_transition
from chain.transition.rewards import apply_block_rewards, compute_emission
from chain.transition.roots import compute_block_hash
from chain.transition.staking import (
    STAKE_ARGS_BYTES,
    StakeArgs,
    UnstakeArgs,
    WithdrawArgs,
    apply_hard_slash,
    apply_soft_slash,
    compute_eligibility,
    compute_next_epoch,
    compute_stake_signing_bytes,
    encode_stake_args,
    encode_unstake_args,
    encode_withdraw_args,
    get_stake_owner,
    is_eligible,
)
from chain.types.blocks import encode_block
from chain.types.primitives import U8, BlsPublicKey, BlsSignature, ChainId, Height, Lux, Timestamp
from chain.types.receipts import STAKE_CONTRACT, Receipt, ReceiptStatus
from chain.types.transactions import Call, Transaction
from tests.chain.helpers import CHAIN_ID, GENESIS_TIME, Keypair, keypair, transfer

OWNER, PROV, OTHER, AUTHORITY = (keypair(n) for n in ("owner", "provisioner", "other", "authority"))
GENESIS_PROV = keypair("genesis-provisioner")
START = 10**16
MIN = DEFAULT_MINIMUM_STAKE
GAS_LIMIT = 200_000
STAKE_GAS = BASE_TRANSACTION_GAS + GAS_PER_DATA_BYTE * (32 + len("stake") + STAKE_ARGS_BYTES) + STAKE_CALL_GAS


def _genesis_raw(**params: object) -> dict[str, object]:
    return {
        "chain_id": CHAIN_ID,
        "timestamp": GENESIS_TIME,
        "params": {"min_block_time": 1, **params},
        "accounts": [{"public_key": "0x" + k.public.hex(), "balance": START} for k in (OWNER, PROV, OTHER)],
        "provisioners": [{"public_key": "0x" + GENESIS_PROV.public.hex(), "stake": MIN}],
    }


@pytest.fixture
def state() -> State:
    """Genesis applied to an empty store (uncommitted); mainnet staking parameters."""
    state = State(MemoryStore())
    apply_genesis(state, parse_genesis_config(_genesis_raw()))
    return state


PARAMS = parse_genesis_config(_genesis_raw()).params


def _context(height: int, params: ChainParams = PARAMS) -> BlockContext:
    return BlockContext(params, Height(height), Timestamp(GENESIS_TIME + height))


def _stake_tx(
    owner: Keypair,
    provisioner: Keypair,
    value: int,
    *,
    nonce: int,
    deposit: int | None = None,
    pop: BlsSignature | None = None,
    consent_owner: BlsPublicKey | None = None,
    tx_value: int = 0,
    gas_limit: int = GAS_LIMIT,
) -> Transaction:
    message = compute_stake_signing_bytes(
        ChainId(CHAIN_ID), provisioner.public, consent_owner or owner.public, Lux(value)
    )
    args = StakeArgs(
        provisioner.public,
        Lux(value),
        pop if pop is not None else bls.PopProve(provisioner.secret),
        bls.Sign(provisioner.secret, message),
    )
    call = Call(STAKE_CONTRACT, "stake", encode_stake_args(args))
    return transfer(
        owner,
        owner.public,
        value=tx_value,
        nonce=nonce,
        deposit=value if deposit is None else deposit,
        gas_limit=gas_limit,
        data=call,
    )


def _unstake_tx(owner: Keypair, provisioner: BlsPublicKey, value: int, *, nonce: int) -> Transaction:
    call = Call(STAKE_CONTRACT, "unstake", encode_unstake_args(UnstakeArgs(provisioner, Lux(value))))
    return transfer(owner, owner.public, value=0, nonce=nonce, gas_limit=GAS_LIMIT, data=call)


def _withdraw_tx(owner: Keypair, provisioner: BlsPublicKey, value: int, *, nonce: int) -> Transaction:
    call = Call(STAKE_CONTRACT, "withdraw", encode_withdraw_args(WithdrawArgs(provisioner, Lux(value))))
    return transfer(owner, owner.public, value=0, nonce=nonce, gas_limit=GAS_LIMIT, data=call)


def _apply(state: State, tx: Transaction, height: int = 5, params: ChainParams = PARAMS) -> Receipt:
    return process_transaction(state, tx, _context(height, params))


def _balance(state: State, key: Keypair) -> int:
    return int(state.get_account(key.public).balance)


def _assert_failed_and_only_charged(state: State, tx: Transaction, error: str, height: int = 5) -> Receipt:
    """Apply ``tx``; it must fail with ``error``, and only the sender's nonce and balance (the
    fee, which joins the block reward after the transactions) may change."""
    before = dict(state.pending_writes())
    sender_before = state.get_account(tx.sender)
    receipt = _apply(state, tx, height)
    assert receipt.status is ReceiptStatus.FAILED
    assert receipt.error == error
    assert receipt.events == ()
    after = dict(state.pending_writes())
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert changed <= {b"acct" + tx.sender}
    sender = state.get_account(tx.sender)
    assert sender.nonce == sender_before.nonce + 1
    assert sender.balance == sender_before.balance - receipt.fee_paid
    return receipt


# -- eligibility epochs (reference §1.1) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("height", "epoch", "next_epoch", "eligibility"),
    [
        (0, 2160, 2160, 4320),
        (1, 2160, 2160, 4320),
        (2159, 2160, 2160, 4320),
        (2160, 2160, 4320, 6480),
        (5000, 2160, 6480, 8640),
        (0, 10, 10, 20),
        (9, 10, 10, 20),
        (10, 10, 20, 30),
        (23, 10, 30, 40),
    ],
)
def test_next_epoch_and_eligibility(height: int, epoch: int, next_epoch: int, eligibility: int) -> None:
    assert compute_next_epoch(Height(height), epoch) == next_epoch
    assert compute_eligibility(Height(height), epoch) == eligibility


@pytest.mark.parametrize("epoch", [2160, 10])
def test_eligibility_is_one_to_two_epochs_away(epoch: int) -> None:
    waits = {compute_eligibility(Height(h), epoch) - h for h in range(3 * epoch)}
    # reference §1.1: "2,160–4,320 blocks" for 2,160 (strictly more than one epoch)
    assert waits == set(range(epoch + 1, 2 * epoch + 1))


# -- stake ----------------------------------------------------------------------------------------


def test_stake_creates_a_stake_owned_by_the_sender(state: State) -> None:
    tx = _stake_tx(OWNER, PROV, MIN, nonce=1)
    receipt = _apply(state, tx, height=5)
    assert receipt.status is ReceiptStatus.SUCCESS, receipt.error
    assert receipt.gas_spent == STAKE_GAS
    assert state.get_stake(PROV.public) == Stake(
        StakeAmount(Lux(MIN), Lux(0), Height(4320)), Lux(0), U8(0), U8(0)
    )
    assert state.get_stake_owner(PROV.public) == OWNER.public
    # the deposit is claimed: value + fee leave the account, the unused gas returns
    assert _balance(state, OWNER) == START - MIN - receipt.fee_paid
    [event] = receipt.events
    assert (event.source, event.topic) == (STAKE_CONTRACT, "stake")
    assert event.data == bytes(PROV.public) + bytes(OWNER.public) + MIN.to_bytes(8, "little")


def test_stake_by_the_provisioner_key_itself_records_no_owner(state: State) -> None:
    receipt = _apply(state, _stake_tx(PROV, PROV, MIN, nonce=1))
    assert receipt.status is ReceiptStatus.SUCCESS
    assert state.get_stake_owner(PROV.public) is None
    assert get_stake_owner(state, PROV.public) == PROV.public


def test_stake_eligibility_on_a_devnet_epoch(state: State) -> None:
    params = ChainParams(ChainId(CHAIN_ID), epoch_length=10, minimum_stake=Lux(1_000))
    receipt = _apply(state, _stake_tx(OWNER, PROV, 1_000, nonce=1), height=23, params=params)
    assert receipt.status is ReceiptStatus.SUCCESS
    stake = state.get_stake(PROV.public)
    assert stake is not None
    assert stake.amount is not None
    assert stake.amount.eligibility == 40
    assert not is_eligible(stake, Height(39), params)
    assert is_eligible(stake, Height(40), params)


def test_top_up_before_eligibility_adds_everything(state: State) -> None:
    _apply(state, _stake_tx(OWNER, PROV, MIN, nonce=1), height=5)
    receipt = _apply(state, _stake_tx(OWNER, PROV, 555, nonce=2), height=6)
    assert receipt.status is ReceiptStatus.SUCCESS
    assert state.get_stake(PROV.public) == Stake(
        StakeAmount(Lux(MIN + 555), Lux(0), Height(4320)), Lux(0), U8(0), U8(0)
    )


def test_top_up_of_an_eligible_stake_locks_ten_percent(state: State) -> None:
    _apply(state, _stake_tx(OWNER, PROV, MIN, nonce=1), height=5)
    receipt = _apply(state, _stake_tx(OWNER, PROV, 1_005, nonce=2), height=4320)
    assert receipt.status is ReceiptStatus.SUCCESS
    amount = state.get_stake(PROV.public).amount  # type: ignore[union-attr]
    assert amount == StakeAmount(Lux(MIN + 905), Lux(100), Height(4320))  # ⌊10% of 1,005⌋ locked


def test_top_up_skips_the_proof_of_possession(state: State) -> None:
    _apply(state, _stake_tx(OWNER, PROV, MIN, nonce=1))
    receipt = _apply(state, _stake_tx(OWNER, PROV, 7, nonce=2, pop=BlsSignature(bytes(96))))
    assert receipt.status is ReceiptStatus.SUCCESS


def test_stake_runs_in_a_block(state: State) -> None:
    """A stake assembled into a block replays identically through ``state_transition``."""
    store = MemoryStore()
    config = parse_genesis_config(_genesis_raw())
    with store.read_view() as view:
        genesis_state = State(view)
        genesis = apply_genesis(genesis_state, config)
        writes = genesis_state.pending_writes()
    store.commit_block(
        height=Height(0),
        block_hash=compute_block_hash(genesis.header),
        block_bytes=encode_block(genesis),
        state_writes=writes,
        receipts=(),
        events=(),
        state_root=genesis.header.state_root,
    )
    tx = _stake_tx(OWNER, PROV, MIN, nonce=1)
    producer = State(store)
    assembled = assemble_block(
        producer,
        parent=genesis.header,
        candidates=[tx],
        params=config.params,
        timestamp=Timestamp(GENESIS_TIME + 1),
        generator_key=AUTHORITY.secret,
    )
    assert assembled.rejected == []
    verifier = State(store)
    receipts = state_transition(
        verifier,
        assembled.block,
        parent=genesis.header,
        params=config.params,
        now=Timestamp(GENESIS_TIME + 1),
        entropy=os.urandom(32),
    )
    assert receipts == assembled.receipts
    assert receipts[0].status is ReceiptStatus.SUCCESS
    assert verifier.get_stake(PROV.public) == producer.get_stake(PROV.public)
    assert verifier.get_stake(PROV.public).amount.eligibility == 2160 * 2  # type: ignore[union-attr]


def test_invalid_stake_below_minimum(state: State) -> None:
    _assert_failed_and_only_charged(state, _stake_tx(OWNER, PROV, MIN - 1, nonce=1), "below_minimum")


def test_invalid_stake_bad_proof_of_possession(state: State) -> None:
    wrong_pop = bls.PopProve(OTHER.secret)
    _assert_failed_and_only_charged(state, _stake_tx(OWNER, PROV, MIN, nonce=1, pop=wrong_pop), "bad_pop")


def test_invalid_stake_consent_signed_for_another_owner(state: State) -> None:
    tx = _stake_tx(OWNER, PROV, MIN, nonce=1, consent_owner=OTHER.public)
    _assert_failed_and_only_charged(state, tx, "bad_stake_signature")


def test_invalid_stake_consent_replayed_by_another_sender(state: State) -> None:
    signed_for_owner = _stake_tx(OWNER, PROV, MIN, nonce=1)
    assert isinstance(signed_for_owner.data, Call)
    tx = transfer(
        OTHER, OTHER.public, value=0, nonce=1, deposit=MIN, gas_limit=GAS_LIMIT, data=signed_for_owner.data
    )
    _assert_failed_and_only_charged(state, tx, "bad_stake_signature")


def test_invalid_top_up_by_another_sender(state: State) -> None:
    _apply(state, _stake_tx(OWNER, PROV, MIN, nonce=1))
    _assert_failed_and_only_charged(state, _stake_tx(OTHER, PROV, MIN, nonce=1), "wrong_owner")


@pytest.mark.parametrize(
    ("deposit", "tx_value", "error"), [(MIN - 1, 0, "deposit_mismatch"), (MIN, 1, "value_not_accepted")]
)
def test_invalid_stake_funding(state: State, deposit: int, tx_value: int, error: str) -> None:
    tx = _stake_tx(OWNER, PROV, MIN, nonce=1, deposit=deposit, tx_value=tx_value)
    _assert_failed_and_only_charged(state, tx, error)


def test_invalid_stake_zero_value_top_up(state: State) -> None:
    _apply(state, _stake_tx(OWNER, PROV, MIN, nonce=1))
    _assert_failed_and_only_charged(state, _stake_tx(OWNER, PROV, 0, nonce=2), "zero_value")


def test_invalid_stake_out_of_gas_spends_the_limit(state: State) -> None:
    tx = _stake_tx(OWNER, PROV, MIN, nonce=1, gas_limit=STAKE_GAS - 1)
    receipt = _assert_failed_and_only_charged(state, tx, "out_of_gas")
    assert receipt.gas_spent == STAKE_GAS - 1


@pytest.mark.parametrize(
    ("fn_name", "args", "error"),
    [
        ("stake", bytes(STAKE_ARGS_BYTES - 1), "bad_arguments"),
        ("unstake", bytes(57), "bad_arguments"),
        ("withdraw", bytes(55), "bad_arguments"),
        ("slash", b"", "unknown_function"),
    ],
)
def test_invalid_stake_calls(state: State, fn_name: str, args: bytes, error: str) -> None:
    tx = transfer(
        OWNER, OWNER.public, value=0, nonce=1, gas_limit=GAS_LIMIT, data=Call(STAKE_CONTRACT, fn_name, args)
    )
    _assert_failed_and_only_charged(state, tx, error)


# -- unstake ----------------------------------------------------------------------------------------


def _staked_with_lock(state: State) -> None:
    """OWNER stakes MIN + 905 value and 100 locked on PROV."""
    _apply(state, _stake_tx(OWNER, PROV, MIN, nonce=1), height=5)
    _apply(state, _stake_tx(OWNER, PROV, 1_005, nonce=2), height=4320)


def test_unstake_takes_from_value_then_locked(state: State) -> None:
    _staked_with_lock(state)
    balance = _balance(state, OWNER)
    receipt = _apply(state, _unstake_tx(OWNER, PROV.public, 950, nonce=3), height=4400)
    assert receipt.status is ReceiptStatus.SUCCESS, receipt.error
    assert receipt.gas_spent == BASE_TRANSACTION_GAS + GAS_PER_DATA_BYTE * (32 + 7 + 56) + UNSTAKE_CALL_GAS
    assert state.get_stake(PROV.public).amount == StakeAmount(  # type: ignore[union-attr]
        Lux(MIN - 45), Lux(100), Height(4320)
    )
    assert _balance(state, OWNER) == balance + 950 - receipt.fee_paid
    assert [e.topic for e in receipt.events] == ["unstake"]


def test_unstake_beyond_the_value_takes_from_locked(state: State) -> None:
    devnet = ChainParams(ChainId(CHAIN_ID), epoch_length=10, minimum_stake=Lux(10))
    _apply(state, _stake_tx(OWNER, PROV, 1_000, nonce=1), height=5, params=devnet)
    _apply(state, _stake_tx(OWNER, PROV, 1_000, nonce=2), height=20, params=devnet)
    assert state.get_stake(PROV.public).amount == StakeAmount(  # type: ignore[union-attr]
        Lux(1_900), Lux(100), Height(20)
    )
    receipt = _apply(state, _unstake_tx(OWNER, PROV.public, 1_950, nonce=3), height=21, params=devnet)
    assert receipt.status is ReceiptStatus.SUCCESS, receipt.error
    assert state.get_stake(PROV.public).amount == StakeAmount(  # type: ignore[union-attr]
        Lux(0), Lux(50), Height(20)
    )


def test_unstake_everything_removes_the_amount_and_keeps_the_owner(state: State) -> None:
    _staked_with_lock(state)
    balance = _balance(state, OWNER)
    receipt = _apply(state, _unstake_tx(OWNER, PROV.public, MIN + 1_005, nonce=3))
    assert receipt.status is ReceiptStatus.SUCCESS
    assert state.get_stake(PROV.public) == Stake(None, Lux(0), U8(0), U8(0))
    assert _balance(state, OWNER) == balance + MIN + 1_005 - receipt.fee_paid
    # staking again is a new stake: the minimum applies, and only the same owner may
    _assert_failed_and_only_charged(state, _stake_tx(OTHER, PROV, MIN, nonce=1), "wrong_owner")
    _assert_failed_and_only_charged(state, _stake_tx(OWNER, PROV, MIN - 1, nonce=4), "below_minimum")
    assert _apply(state, _stake_tx(OWNER, PROV, MIN, nonce=5), height=9000).status is ReceiptStatus.SUCCESS
    assert state.get_stake(PROV.public).amount.eligibility == 2160 * 6  # type: ignore[union-attr]


def test_unstake_of_a_genesis_provisioner_by_its_own_key(state: State) -> None:
    genesis_funded = transfer(OWNER, GENESIS_PROV.public, value=10**9, nonce=1)
    _apply(state, genesis_funded)
    receipt = _apply(state, _unstake_tx(GENESIS_PROV, GENESIS_PROV.public, MIN, nonce=1))
    assert receipt.status is ReceiptStatus.SUCCESS
    assert _balance(state, GENESIS_PROV) == 10**9 + MIN - receipt.fee_paid


def test_invalid_unstake_by_another_account(state: State) -> None:
    _staked_with_lock(state)
    _assert_failed_and_only_charged(state, _unstake_tx(OTHER, PROV.public, 10, nonce=1), "wrong_owner")


def test_invalid_unstake_leaving_dust(state: State) -> None:
    _staked_with_lock(state)
    tx = _unstake_tx(OWNER, PROV.public, 1_006, nonce=3)  # leaves MIN - 1
    _assert_failed_and_only_charged(state, tx, "remainder_below_minimum")


@pytest.mark.parametrize(("value", "error"), [(MIN + 1_006, "insufficient_stake"), (0, "zero_value")])
def test_invalid_unstake_amount(state: State, value: int, error: str) -> None:
    _staked_with_lock(state)
    _assert_failed_and_only_charged(state, _unstake_tx(OWNER, PROV.public, value, nonce=3), error)


def test_invalid_unstake_without_a_stake(state: State) -> None:
    _assert_failed_and_only_charged(state, _unstake_tx(OWNER, PROV.public, 1, nonce=1), "no_stake")


# -- withdraw ---------------------------------------------------------------------------------------


def _with_reward(state: State, provisioner: BlsPublicKey, reward: int) -> None:
    stake = state.get_stake(provisioner)
    assert stake is not None
    state.set_stake(provisioner, Stake(stake.amount, Lux(reward), stake.faults, stake.hard_faults))


def test_withdraw_pays_the_reward_to_the_owner(state: State) -> None:
    _apply(state, _stake_tx(OWNER, PROV, MIN, nonce=1))
    _with_reward(state, PROV.public, 5_000)
    balance = _balance(state, OWNER)
    receipt = _apply(state, _withdraw_tx(OWNER, PROV.public, 3_000, nonce=2))
    assert receipt.status is ReceiptStatus.SUCCESS, receipt.error
    assert _balance(state, OWNER) == balance + 3_000 - receipt.fee_paid
    assert state.get_stake(PROV.public).reward == 2_000  # type: ignore[union-attr]
    assert state.get_stake(PROV.public).amount.value == MIN  # type: ignore[union-attr]
    assert [e.topic for e in receipt.events] == ["withdraw"]


def test_withdrawn_block_rewards_grow_the_supply(state: State) -> None:
    """Rewards are minted (reference §1.9): after a withdrawal the accounts hold the emission
    on top of what they held."""
    _apply(state, _stake_tx(OWNER, PROV, MIN, nonce=1))
    keys = (OWNER, PROV, OTHER, AUTHORITY)
    supply = sum(_balance(state, k) for k in keys) + sum(
        int(s.amount.value) + int(s.amount.locked) for _, s in state.iter_stakes() if s.amount
    )
    split = apply_block_rewards(
        state,
        height=Height(6),
        generator=PROV.public,
        fees=Lux(0),
        voters=[(PROV.public, 128)],
        prev_attestation_credits=128,
        treasury=OTHER.public,
    )
    earned = int(state.get_stake(PROV.public).reward)  # type: ignore[union-attr]
    assert earned == split.generator + split.voters[0][1] == compute_emission(Height(6)) * 9 // 10
    receipt = _apply(state, _withdraw_tx(OWNER, PROV.public, earned, nonce=2))
    assert receipt.status is ReceiptStatus.SUCCESS
    after = sum(_balance(state, k) for k in keys) + sum(
        int(s.amount.value) + int(s.amount.locked) for _, s in state.iter_stakes() if s.amount
    )
    # The withdrawal's fee left the accounts: it joins the block reward after the transactions.
    assert after == supply + earned - receipt.fee_paid


def test_invalid_withdraw_nothing(state: State) -> None:
    _apply(state, _stake_tx(OWNER, PROV, MIN, nonce=1))
    _assert_failed_and_only_charged(
        state, _withdraw_tx(OWNER, PROV.public, 1, nonce=2), "nothing_to_withdraw"
    )


@pytest.mark.parametrize(
    ("sender", "value", "error"),
    [(OTHER, 1, "wrong_owner"), (OWNER, 5_001, "insufficient_reward"), (OWNER, 0, "zero_value")],
)
def test_invalid_withdraw(state: State, sender: Keypair, value: int, error: str) -> None:
    _apply(state, _stake_tx(OWNER, PROV, MIN, nonce=1))
    _with_reward(state, PROV.public, 5_000)
    nonce = 2 if sender is OWNER else 1
    _assert_failed_and_only_charged(state, _withdraw_tx(sender, PROV.public, value, nonce=nonce), error)


def test_invalid_withdraw_unknown_key(state: State) -> None:
    _assert_failed_and_only_charged(state, _withdraw_tx(OWNER, OTHER.public, 1, nonce=1), "no_stake")


# -- slashing (reference §1.8) ----------------------------------------------------------------------


def _stake_at(state: State, value: int, eligibility: int = 4320) -> None:
    state.set_stake(
        PROV.public, Stake(StakeAmount(Lux(value), Lux(0), Height(eligibility)), Lux(0), U8(0), U8(0))
    )


def test_soft_slash_sequence(state: State) -> None:
    _stake_at(state, 10_000)
    # first fault: a warning only
    first = apply_soft_slash(state, PROV.public, height=Height(5000), params=PARAMS)
    assert first == Stake(StakeAmount(Lux(10_000), Lux(0), Height(4320)), Lux(0), U8(1), U8(0))
    # second: eff 1, 10% of value locked, eligible again at next_epoch(5000) + 2160
    second = apply_soft_slash(state, PROV.public, height=Height(5000), params=PARAMS)
    assert second == Stake(StakeAmount(Lux(9_000), Lux(1_000), Height(6480 + 2160)), Lux(0), U8(2), U8(0))
    # third: eff 2, 20% of the remaining value, two epochs
    third = apply_soft_slash(state, PROV.public, height=Height(7000), params=PARAMS)
    assert third == Stake(StakeAmount(Lux(7_200), Lux(2_800), Height(8640 + 2 * 2160)), Lux(0), U8(3), U8(0))
    assert state.get_stake(PROV.public) == third


def test_soft_slash_never_locks_more_than_the_value(state: State) -> None:
    state.set_stake(PROV.public, Stake(StakeAmount(Lux(1_000), Lux(0), Height(0)), Lux(0), U8(12), U8(0)))
    slashed = apply_soft_slash(state, PROV.public, height=Height(10), params=PARAMS)
    assert slashed is not None
    assert slashed.amount == StakeAmount(Lux(0), Lux(1_000), Height(2160 + 12 * 2160))


def test_soft_slash_without_an_amount_does_nothing(state: State) -> None:
    assert apply_soft_slash(state, PROV.public, height=Height(1), params=PARAMS) is None
    state.set_stake(PROV.public, Stake(None, Lux(5), U8(0), U8(0)))
    before = dict(state.pending_writes())
    assert apply_soft_slash(state, PROV.public, height=Height(1), params=PARAMS) is None
    assert dict(state.pending_writes()) == before


def test_hard_slash_burns_and_suspends(state: State) -> None:
    _stake_at(state, 10_000)
    slashed = apply_hard_slash(state, PROV.public, height=Height(100), severity=2, params=PARAMS)
    assert slashed == Stake(StakeAmount(Lux(8_000), Lux(0), Height(2160 + 2 * 2160)), Lux(0), U8(0), U8(2))
    slashed = apply_hard_slash(state, PROV.public, height=Height(100), severity=1, params=PARAMS)
    assert slashed == Stake(StakeAmount(Lux(5_600), Lux(0), Height(2160 + 3 * 2160)), Lux(0), U8(0), U8(3))


# -- genesis -----------------------------------------------------------------------------------------


def test_genesis_without_staking_params_keeps_the_defaults() -> None:
    raw = _genesis_raw()
    params = parse_genesis_config(raw).params
    assert params.minimum_stake == 1_000 * 10**9
    assert params.treasury == BlsPublicKey.zero()


def test_genesis_staking_params_owner_and_pop() -> None:
    raw = _genesis_raw(minimum_stake=500, treasury="0x" + OTHER.public.hex(), epoch_length=10)
    raw["provisioners"] = [
        {
            "public_key": "0x" + PROV.public.hex(),
            "stake": 500,
            "owner": "0x" + OWNER.public.hex(),
            "pop": "0x" + bls.PopProve(PROV.secret).hex(),
        },
        {
            "public_key": "0x" + GENESIS_PROV.public.hex(),
            "stake": 600,
            "owner": "0x" + GENESIS_PROV.public.hex(),
        },
    ]
    config = parse_genesis_config(raw)
    assert config.params.minimum_stake == 500
    assert config.params.treasury == OTHER.public
    assert config.provisioner_owners == ((PROV.public, OWNER.public),)
    state = State(MemoryStore())
    apply_genesis(state, config)
    assert state.get_stake_owner(PROV.public) == OWNER.public
    assert state.get_stake_owner(GENESIS_PROV.public) is None
    assert state.get_stake(PROV.public) == Stake(
        StakeAmount(Lux(500), Lux(0), Height(0)), Lux(0), U8(0), U8(0)
    )


@pytest.mark.parametrize(
    ("entry", "params", "reason"),
    [
        ({"pop": "0x" + bytes(96).hex()}, {}, "bad_pop"),
        ({"pop": "0x00"}, {}, "bad_pop"),
        ({"owner": "0x1234"}, {}, "bad_key"),
        ({"stake": MIN - 1}, {}, "below_minimum"),
        ({}, {"minimum_stake": 0}, "bad_param"),
        ({}, {"treasury": "0xzz"}, "bad_param"),
    ],
)
def test_invalid_genesis_provisioner(
    entry: dict[str, object], params: dict[str, object], reason: str
) -> None:
    raw = _genesis_raw(**params)
    raw["provisioners"] = [{"public_key": "0x" + PROV.public.hex(), "stake": MIN, **entry}]
    with pytest.raises(InvalidGenesis) as error:
        parse_genesis_config(raw)
    assert error.value.reason == reason
