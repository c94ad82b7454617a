"""Fork choice in the chain context and the node runner (reference §1.7): replacing the tip
by a lower-iteration block leaves the store exactly as committing that block directly would,
returns the reverted block's other transactions (to the mempool, in the runner), and is
refused for a Final tip, a block that is not better, or a bad attestation, changing nothing.
Over both stores."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from chain.consensus.engine import Decided, Revert
from chain.consensus.sortition import get_generator
from chain.consensus.timeouts import TimeoutParams
from chain.node.commit import commit_genesis
from chain.node.consensus_context import ChainConsensusContext
from chain.node.consensus_runner import ConsensusRunner
from chain.node.exceptions import ReplaceRefused
from chain.node.node import ChainNode, Finality
from chain.state.abc import StoreAPI
from chain.state.lmdb_store import LmdbStore
from chain.state.memory import MemoryStore
from chain.state.state import State
from chain.transition.genesis import parse_genesis_config
from chain.transition.roots import compute_block_hash, compute_transaction_id
from chain.types.blocks import Block, encode_block
from chain.types.codec import Writer
from chain.types.consensus import Attestation, encode_attestation
from chain.types.primitives import Hash32, Height
from chain.types.transactions import Transaction
from tests.chain.consensus.helpers import attest
from tests.chain.helpers import CHAIN_ID, Keypair, keypair, transfer

UNIT = 10**9
PROVISIONERS = [keypair(f"fork-choice-{i}") for i in range(4)]
PAYER = keypair("fork-choice-payer")
GENESIS = parse_genesis_config(
    {
        "chain_id": CHAIN_ID,
        "timestamp": 0,
        "params": {"min_block_time": 1, "epoch_length": 10, "minimum_stake": UNIT},
        "provisioners": [{"public_key": "0x" + k.public.hex(), "stake": 1_000 * UNIT} for k in PROVISIONERS],
        "accounts": [{"public_key": "0x" + PAYER.public.hex(), "balance": 10**15}],
    }
)
NOW = 5.0


@pytest.fixture(params=["memory", "lmdb"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[object]:
    opened: list[StoreAPI] = []

    def make(name: str) -> StoreAPI:
        store: StoreAPI = MemoryStore() if request.param == "memory" else LmdbStore(tmp_path / name)
        commit_genesis(store, GENESIS)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


def _context(
    store: StoreAPI, key: Keypair, transactions: tuple[Transaction, ...] = ()
) -> ChainConsensusContext:
    counter = iter(range(10**6))
    return ChainConsensusContext(
        store=store,
        params=GENESIS.params,
        secret_key=key.secret,
        candidates=lambda: list(transactions),
        entropy=lambda n: hashlib.shake_256(str(next(counter)).encode()).digest(n),
    )


@dataclass
class Rivals:
    """Round 1: ``better`` (iteration 0, carries ``kept``) and ``worse`` (iteration 1, carries
    ``kept`` and ``orphan``), each with a Success attestation."""

    better: Block
    better_attestation: Attestation
    worse: Block
    worse_attestation: Attestation
    kept: Transaction
    orphan: Transaction


def _rivals(store: StoreAPI) -> Rivals:
    base = _context(store, PROVISIONERS[0])
    provisioners, seed = base.get_provisioners(), bytes(base.tip.seed)
    by_key = {bytes(k.public): k for k in PROVISIONERS}
    kept = transfer(PAYER, PROVISIONERS[0].public, value=5, nonce=1)
    orphan = transfer(PAYER, PROVISIONERS[1].public, value=7, nonce=2)
    blocks = []
    for iteration, transactions in ((0, (kept,)), (1, (kept, orphan))):
        generator = by_key[bytes(get_generator(provisioners, seed, iteration))]
        blocks.append(
            _context(store, generator, transactions).build_candidate(
                iteration=iteration, failed_iterations=(None,) * iteration, timestamp=1
            )
        )
    secrets = [k.secret for k in PROVISIONERS]
    better, worse = blocks
    assert len(worse.transactions) == 2
    assert len(better.transactions) == 1
    return Rivals(
        better,
        attest(better, provisioners, seed, secrets),
        worse,
        attest(worse, provisioners, seed, secrets),
        kept,
        orphan,
    )


def _state_root(store: StoreAPI) -> Hash32:
    with store.read_view() as view:
        return State(view).compute_state_root()


def test_replace_leaves_the_store_as_if_the_better_block_had_been_committed(make_store):
    direct_store, replaced_store = make_store("direct"), make_store("replaced")
    rivals = _rivals(direct_store)
    direct = _context(direct_store, PROVISIONERS[0])
    direct.commit_decided(Decided(rivals.better, rivals.better_attestation), now=NOW)

    context = _context(replaced_store, PROVISIONERS[0])
    context.commit_decided(Decided(rivals.worse, rivals.worse_attestation), now=NOW)
    assert _state_root(replaced_store) != _state_root(direct_store)
    result = context.replace_tip(rivals.better, rivals.better_attestation, now=NOW, last_final_height=0)

    assert result.reverted == (rivals.worse,)
    assert result.committed == rivals.better
    assert result.orphaned == (rivals.orphan,)
    assert _state_root(replaced_store) == _state_root(direct_store) == rivals.better.header.state_root
    assert replaced_store.head() == direct_store.head()
    assert replaced_store.get_block_bytes(Height(1)) == direct_store.get_block_bytes(Height(1))
    assert replaced_store.get_receipt(compute_transaction_id(rivals.orphan)) is None
    kept_id = compute_transaction_id(rivals.kept)
    assert replaced_store.get_receipt(kept_id) == direct_store.get_receipt(kept_id)
    assert replaced_store.event_sequence_head() == direct_store.event_sequence_head()
    assert context.tip == direct.tip == rivals.better.header
    assert context.tip_attestation == rivals.better_attestation
    assert context.tip_round == direct.tip_round
    # The next round builds on the replaced tip exactly as on the directly committed one.
    assert context.get_provisioners() == direct.get_provisioners()


def _assert_unchanged(store: StoreAPI, context: ChainConsensusContext, rivals: Rivals, root: Hash32) -> None:
    assert store.get_block_hash(Height(1)) == compute_block_hash(rivals.worse.header)
    assert _state_root(store) == root
    assert context.tip == rivals.worse.header
    assert context.tip_attestation == rivals.worse_attestation


def test_replacing_a_final_tip_is_refused(make_store):
    store = make_store("final")
    rivals = _rivals(store)
    context = _context(store, PROVISIONERS[0])
    context.commit_decided(Decided(rivals.worse, rivals.worse_attestation), now=NOW)
    root = _state_root(store)
    with pytest.raises(ReplaceRefused) as refused:
        context.replace_tip(rivals.better, rivals.better_attestation, now=NOW, last_final_height=1)
    assert refused.value.reason == "tip_is_final"
    _assert_unchanged(store, context, rivals, root)


def test_replacing_with_a_pruned_undo_record_is_refused_by_the_store(make_store):
    """The store's floor backs the label check: a pruned (Final) head cannot be reverted."""
    store = make_store("pruned")
    rivals = _rivals(store)
    context = _context(store, PROVISIONERS[0])
    context.commit_decided(Decided(rivals.worse, rivals.worse_attestation), now=NOW)
    store.prune_undo(Height(2))
    root = _state_root(store)
    with pytest.raises(ReplaceRefused) as refused:
        context.replace_tip(rivals.better, rivals.better_attestation, now=NOW, last_final_height=0)
    assert refused.value.reason == "no_undo_record"
    _assert_unchanged(store, context, rivals, root)


def test_a_block_that_is_not_better_or_badly_attested_is_refused(make_store):
    store = make_store("refused")
    rivals = _rivals(store)
    context = _context(store, PROVISIONERS[0])
    context.commit_decided(Decided(rivals.worse, rivals.worse_attestation), now=NOW)
    root = _state_root(store)
    cases = [
        (rivals.worse, rivals.worse_attestation, "not_better"),
        (rivals.better, rivals.worse_attestation, "bad_attestation"),
    ]
    for block, attestation, reason in cases:
        with pytest.raises(ReplaceRefused) as refused:
            context.replace_tip(block, attestation, now=NOW, last_final_height=0)
        assert refused.value.reason == reason
        _assert_unchanged(store, context, rivals, root)


def _runner(store: StoreAPI) -> ConsensusRunner:
    """A runner over ``store`` whose network is never started, at a fixed clock."""
    node = ChainNode(store=store, genesis=GENESIS)
    return ConsensusRunner(
        node=node,
        secret_key=PROVISIONERS[0].secret,
        network_id=1,
        listen=("127.0.0.1", 0),
        peers=[],
        timing=TimeoutParams(min_timeout=0.5, max_timeout=4.0, increment=0.5, rounding=0.1),
        clock=lambda: 1.5,  # before the next round's minimum block time: the engine stays quiet
    )


def _blocks_payload(block: Block, attestation: Attestation) -> bytes:
    attestation_writer = Writer()
    encode_attestation(attestation_writer, attestation)
    writer = Writer().u32(1)
    writer.var_bytes(encode_block(block), max_length=2**21).var_bytes(
        attestation_writer.to_bytes(), max_length=2**12
    )
    return writer.to_bytes()


def test_runner_replaces_the_tip_from_a_synced_block_and_returns_orphans_to_the_mempool(make_store):
    store = make_store("runner")
    rivals = _rivals(store)
    runner = _runner(store)
    runner._commit(Decided(rivals.worse, rivals.worse_attestation))
    assert runner.node.head_header == rivals.worse.header
    assert len(runner.node.mempool) == 0

    asyncio.run(
        runner._on_blocks(PROVISIONERS[1].public, _blocks_payload(rivals.better, rivals.better_attestation))
    )

    assert runner.reverts == 1
    assert runner.node.head_header == runner.context.tip == rivals.better.header
    assert compute_transaction_id(rivals.orphan) in runner.node.mempool
    assert compute_transaction_id(rivals.kept) not in runner.node.mempool
    assert runner.engine.round == 2
    assert runner.engine.prev_hash == compute_block_hash(rivals.better.header)
    assert runner.finality_of(Height(1)) is Finality.ATTESTED  # PNI 0
    # The same block again is not better than the tip: nothing happens.
    asyncio.run(
        runner._on_blocks(PROVISIONERS[1].public, _blocks_payload(rivals.better, rivals.better_attestation))
    )
    assert runner.reverts == 1


def test_runner_refuses_to_revert_a_final_tip_and_counts_it(make_store):
    store = make_store("runner-final")
    rivals = _rivals(store)
    runner = _runner(store)
    runner._commit(Decided(rivals.worse, rivals.worse_attestation))
    runner.labels.final_height = 1  # as if later blocks had made the tip Final
    runner._handle([Revert(rivals.better, rivals.better_attestation)])
    assert runner.reverts == 0
    assert runner.reverts_refused == {"tip_is_final": 1}
    assert runner.status()["reverts_refused"] == {"tip_is_final": 1}
    assert runner.node.head_header == rivals.worse.header
    assert store.get_block_hash(Height(1)) == compute_block_hash(rivals.worse.header)


def _successor(store: StoreAPI, context: ChainConsensusContext, parent_attestation: Attestation) -> Decided:
    """Block 2 on ``context``'s tip, built by its round's iteration-0 generator and attested."""
    provisioners, seed = context.get_provisioners(), bytes(context.tip.seed)
    by_key = {bytes(k.public): k for k in PROVISIONERS}
    generator = by_key[bytes(get_generator(provisioners, seed, 0))]
    builder = _context(store, generator)
    builder.tip, builder.tip_attestation = context.tip, parent_attestation
    builder.tip_round = context.tip_round
    block = builder.build_candidate(iteration=0, failed_iterations=(), timestamp=2)
    return Decided(block, attest(block, provisioners, seed, [k.secret for k in PROVISIONERS]))


def test_a_better_block_below_the_tip_reverts_to_the_common_ancestor(make_store):
    """§1.7: our chain is worse(1) ← successor(2); the better block at height 1 reverts both
    and leaves the store as committing it on genesis directly would."""
    direct_store, replaced_store = make_store("direct-deep"), make_store("replaced-deep")
    rivals = _rivals(direct_store)
    direct = _context(direct_store, PROVISIONERS[0])
    direct.commit_decided(Decided(rivals.better, rivals.better_attestation), now=NOW)

    context = _context(replaced_store, PROVISIONERS[0])
    context.commit_decided(Decided(rivals.worse, rivals.worse_attestation), now=NOW)
    successor = _successor(replaced_store, context, rivals.worse_attestation)
    context.commit_decided(successor, now=NOW)
    assert int(context.tip.height) == 2

    result = context.replace_tip(rivals.better, rivals.better_attestation, now=NOW, last_final_height=0)
    assert result.reverted == (rivals.worse, successor.block)
    assert result.orphaned == (rivals.orphan,)
    assert replaced_store.head() == direct_store.head()
    assert _state_root(replaced_store) == _state_root(direct_store)
    assert context.tip == direct.tip
    assert context.tip_round == direct.tip_round
    assert replaced_store.get_block_bytes(Height(2)) is None


def test_a_better_block_below_the_tip_is_refused_when_a_block_to_revert_is_final(make_store):
    store = make_store("final-deep")
    rivals = _rivals(store)
    context = _context(store, PROVISIONERS[0])
    context.commit_decided(Decided(rivals.worse, rivals.worse_attestation), now=NOW)
    context.commit_decided(_successor(store, context, rivals.worse_attestation), now=NOW)
    head, root = store.head(), _state_root(store)
    for final_height, reason in ((1, "tip_is_final"), (0, "bad_attestation")):
        attestation = rivals.better_attestation if final_height else rivals.worse_attestation
        with pytest.raises(ReplaceRefused) as refused:
            context.replace_tip(rivals.better, attestation, now=NOW, last_final_height=final_height)
        assert refused.value.reason == reason
        assert store.head() == head
        assert _state_root(store) == root
        assert int(context.tip.height) == 2


def test_after_a_restart_a_badly_attested_rival_below_the_tip_changes_nothing(make_store):
    """Without the round in memory the rival is checked after reverting; a bad attestation
    then puts our blocks back exactly."""
    store = make_store("restart-deep")
    rivals = _rivals(store)
    context = _context(store, PROVISIONERS[0])
    context.commit_decided(Decided(rivals.worse, rivals.worse_attestation), now=NOW)
    context.commit_decided(_successor(store, context, rivals.worse_attestation), now=NOW)
    head, root = store.head(), _state_root(store)
    restarted = _context(store, PROVISIONERS[0])
    with pytest.raises(ReplaceRefused) as refused:
        restarted.replace_tip(rivals.better, rivals.worse_attestation, now=NOW, last_final_height=0)
    assert refused.value.reason == "bad_attestation"
    assert store.head() == head
    assert _state_root(store) == root
    assert restarted.tip == context.tip
    # And with the right attestation the restarted node reverts to the ancestor.
    result = restarted.replace_tip(rivals.better, rivals.better_attestation, now=NOW, last_final_height=0)
    assert len(result.reverted) == 2
    assert restarted.tip == rivals.better.header
