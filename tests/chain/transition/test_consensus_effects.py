"""Block rewards and slashes applied by the transition (reference §1.8, §1.9): what consensus
derives from a header (voters, slashes) changes stakes exactly as the rules say, and no fault
is carried twice."""

from __future__ import annotations

import os

import pytest

from chain.node.commit import commit_genesis
from chain.state.memory import MemoryStore
from chain.state.state import State
from chain.transition.consensus_effects import NO_CONSENSUS_EFFECTS, ConsensusEffects, Slash, SlashReason
from chain.transition.exceptions import InvalidBlock
from chain.transition.genesis import parse_genesis_config
from chain.transition.process import assemble_block, state_transition
from chain.transition.rewards import compute_emission
from chain.transition.roots import compute_block_hash, compute_fault_leaf
from chain.types.blocks import Block, BlockHeader, Fault, encode_block
from chain.types.primitives import U8, BlsPublicKey, Height, Timestamp
from tests.chain.helpers import CHAIN_ID, GENESIS_TIME, keypair, transfer

ALICE, BOB, GENERATOR, VOTER_A, VOTER_B, TREASURY = (
    keypair(n) for n in ("alice", "bob", "generator", "voter-a", "voter-b", "treasury")
)
UNIT = 10**9
STAKE = 1_000 * UNIT


CONFIG = parse_genesis_config(
    {
        "chain_id": CHAIN_ID,
        "timestamp": GENESIS_TIME,
        "params": {"min_block_time": 1, "epoch_length": 10, "treasury": "0x" + TREASURY.public.hex()},
        "accounts": [{"public_key": "0x" + ALICE.public.hex(), "balance": 10**15}],
        "provisioners": [
            {"public_key": "0x" + k.public.hex(), "stake": STAKE} for k in (GENERATOR, VOTER_A, VOTER_B)
        ],
    }
)
PARAMS = CONFIG.params


def _store() -> tuple[MemoryStore, BlockHeader]:
    config = CONFIG
    store = MemoryStore()
    block = commit_genesis(store, config)
    return store, block.header


@pytest.fixture
def chain() -> tuple[MemoryStore, BlockHeader]:
    return _store()


def _build(store, parent, *, txs=(), faults=(), effects=NO_CONSENSUS_EFFECTS):
    return assemble_block(
        State(store),
        parent=parent,
        candidates=list(txs),
        params=PARAMS,
        timestamp=Timestamp(int(parent.timestamp) + 1),
        generator_key=GENERATOR.secret,
        faults=tuple(faults),
        compute_effects=lambda header: effects,
    )


def _apply(store, parent, block, effects=NO_CONSENSUS_EFFECTS) -> State:
    state = State(store)
    state_transition(
        state,
        block,
        parent=parent,
        params=PARAMS,
        now=Timestamp(int(block.header.timestamp)),
        entropy=os.urandom(32),
        effects=effects,
    )
    return state


def _reward(state: State, key: BlsPublicKey) -> int:
    stake = state.get_stake(key)
    return 0 if stake is None else int(stake.reward)


def _supply(state: State, keys) -> int:
    total = 0
    for key in keys:
        total += int(state.get_account(key).balance)
        stake = state.get_stake(key)
        if stake is not None:
            total += int(stake.reward)
            if stake.amount is not None:
                total += int(stake.amount.value) + int(stake.amount.locked)
    return total


ALL_KEYS = [k.public for k in (ALICE, BOB, GENERATOR, VOTER_A, VOTER_B, TREASURY)]


def test_fees_and_emission_go_to_stakes_and_the_supply_grows_by_the_emission(chain):
    store, parent = chain
    txs = [transfer(ALICE, BOB.public, value=10, nonce=1 + i, gas_price=7) for i in range(3)]
    assembled = _build(store, parent, txs=txs)
    fees = sum(int(r.fee_paid) for r in assembled.receipts)
    assert fees > 0
    state = _apply(store, parent, assembled.block)
    reward = int(compute_emission(Height(1))) + fees
    # No attestation credits: the generator gets its 70 % only, the treasury the rest (§1.9).
    assert _reward(state, GENERATOR.public) == reward * 70 // 100
    assert _reward(state, TREASURY.public) == reward - reward * 70 // 100
    assert state.get_account(GENERATOR.public).balance == 0
    assert _supply(state, ALL_KEYS) - _supply(State(store), ALL_KEYS) == int(compute_emission(Height(1)))


def test_voters_of_a_full_attestation_share_ten_percent_and_the_generator_earns_the_extra(chain):
    store, parent = chain
    effects = ConsensusEffects(voters=((VOTER_A.public, 64), (VOTER_B.public, 64)))
    block = _build(store, parent, effects=effects).block
    state = _apply(store, parent, block, effects)
    reward = int(compute_emission(Height(1)))
    assert _reward(state, VOTER_A.public) == reward * 10 // 100 * 64 // 128
    assert _reward(state, VOTER_B.public) == _reward(state, VOTER_A.public)
    assert _reward(state, GENERATOR.public) == reward * 70 // 100 + reward * 10 // 100
    paid = sum(_reward(state, k) for k in ALL_KEYS)
    assert paid == reward


def test_invalid_effects_a_block_executed_with_other_voters_has_another_state_root(chain):
    """Validators derive the voters themselves: a generator that pays different voters is
    caught by the state root."""
    store, parent = chain
    claimed = ConsensusEffects(voters=((GENERATOR.public, 128),))
    block = _build(store, parent, effects=claimed).block
    actual = ConsensusEffects(voters=((VOTER_A.public, 64), (VOTER_B.public, 64)))
    with pytest.raises(InvalidBlock) as error:
        _apply(store, parent, block, actual)
    assert error.value.reason == "wrong_state_root"


def test_invalid_effects_more_than_128_credits(chain):
    store, parent = chain
    effects = ConsensusEffects(voters=((VOTER_A.public, 100), (VOTER_B.public, 100)))
    with pytest.raises(InvalidBlock) as error:
        _build(store, parent, effects=effects)
    assert error.value.reason == "invalid_rewards"


def test_slashes_are_soft_the_first_is_a_warning(chain):
    store, parent = chain
    effects = ConsensusEffects(
        slashes=(Slash(VOTER_A.public, SlashReason.MISSED_PROPOSAL), Slash(VOTER_A.public, SlashReason.FAULT))
    )
    block = _build(store, parent, effects=effects).block
    state = _apply(store, parent, block, effects)
    stake = state.get_stake(VOTER_A.public)
    assert stake is not None
    assert stake.amount is not None
    assert stake.faults == 2
    # eff = 1: 10 % moves to locked, eligible again at next_epoch(1) + 1·E = 10 + 10 (§1.8).
    assert stake.amount.value == STAKE - STAKE // 10
    assert stake.amount.locked == STAKE // 10
    assert stake.amount.eligibility == 20
    assert _supply(state, ALL_KEYS) - _supply(State(store), ALL_KEYS) == int(compute_emission(Height(1)))


def _commit(store: MemoryStore, block: Block, state: State) -> None:
    store.commit_block(
        height=block.header.height,
        block_hash=compute_block_hash(block.header),
        block_bytes=encode_block(block),
        state_writes=state.pending_writes(),
        receipts=(),
        events=(),
        state_root=block.header.state_root,
    )


def test_invalid_block_a_fault_carried_twice_is_refused_and_state_untouched(chain):
    store, parent = chain
    fault = Fault(U8(2), b"evidence checked by consensus")
    first = _build(store, parent, faults=[fault]).block
    state = _apply(store, parent, first)
    assert state.get_fault_report(compute_fault_leaf(fault)) == 1
    _commit(store, first, state)
    replica = State(store)
    before = replica.compute_state_root()
    with pytest.raises(InvalidBlock) as error:
        assemble_block(
            replica,
            parent=first.header,
            candidates=[transfer(ALICE, BOB.public, value=1, nonce=1)],
            params=PARAMS,
            timestamp=Timestamp(int(first.header.timestamp) + 1),
            generator_key=GENERATOR.secret,
            faults=(fault,),
        )
    assert error.value.reason == "fault_already_reported"
    assert replica.compute_state_root() == before
    assert replica.pending_writes() == {}
