"""The chain side of consensus for one node: answers the engine from committed state and
commits decided blocks (the composition of ``chain.consensus.engine.ChainContext``).

Used by the node process and, with a memory store, by the simulator, so both run the same
code path.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from chain.consensus.engine import Decided, verify_block_attestation
from chain.consensus.exceptions import ConsensusError
from chain.consensus.sortition import Provisioners, get_eligible_provisioners
from chain.node.commit import commit_executed_block
from chain.state.abc import StoreAPI
from chain.state.state import State
from chain.transition.exceptions import InvalidBlock
from chain.transition.params import ChainParams
from chain.transition.process import assemble_block, state_transition
from chain.types.blocks import Block, BlockHeader, FailedIteration, decode_block
from chain.types.consensus import EMPTY_ATTESTATION, Attestation
from chain.types.primitives import BlsSecretKey, Height, Timestamp
from chain.types.transactions import Transaction


class ChainConsensusContext:
    """Implements ``ChainContext`` over a store.

    Parameters
    ----------
    candidates
        Returns the transactions to propose (e.g. the mempool's ``iter_for_block``).
    entropy
        Random bytes for batched signature checks (``os.urandom`` in a node, seeded in the
        simulator).
    """

    def __init__(
        self,
        *,
        store: StoreAPI,
        params: ChainParams,
        secret_key: BlsSecretKey,
        candidates: Callable[[], Sequence[Transaction]] = list,
        entropy: Callable[[int], bytes] = os.urandom,
    ) -> None:
        self.store = store
        self.params = params
        self.secret_key = secret_key
        self.candidates = candidates
        self.entropy = entropy
        head = store.head()
        if head is None:
            raise InvalidBlock("the store has no genesis", reason="no_genesis")
        raw = store.get_block_bytes(head.height)
        if raw is None:
            raise InvalidBlock("the head block is missing", reason="no_head_block")
        self.tip: BlockHeader = decode_block(raw).header
        self.tip_attestation: Attestation = EMPTY_ATTESTATION
        """The attestation of the tip, carried by the next header (unknown after a restart
        until a quorum message or the next block brings it)."""
        self.tip_round: tuple[Provisioners, bytes] | None = None
        """Provisioners and seed of the round that made the tip: what its attestation is
        checked against. After a restart, re-derived from the current stakes."""
        self.rejected_candidates: dict[str, int] = {}

    # -- ChainContext ----------------------------------------------------------------
    def get_tip(self) -> BlockHeader:
        return self.tip

    def get_provisioners(self) -> Provisioners:
        with self.store.read_view() as view:
            stakes = list(State(view).iter_stakes())
        return get_eligible_provisioners(stakes, int(self.tip.height) + 1, int(self.params.minimum_stake))

    def build_candidate(
        self, *, iteration: int, failed_iterations: tuple[FailedIteration | None, ...], timestamp: int
    ) -> Block:
        with self.store.read_view() as view:
            assembled = assemble_block(
                State(view),
                parent=self.tip,
                candidates=list(self.candidates()),
                params=self.params,
                timestamp=Timestamp(timestamp),
                generator_key=self.secret_key,
                iteration=iteration,
                prev_block_cert=self.tip_attestation,
                failed_iterations=failed_iterations,
            )
        return assembled.block

    def is_valid_candidate(self, block: Block, *, now: float) -> bool:
        if int(self.tip.height) > 0:
            try:
                self.verify_tip_attestation(block.header.prev_block_cert)
            except ConsensusError as exc:
                self._count(f"prev_block_cert:{exc.reason}")
                return False
        try:
            with self.store.read_view() as view:
                state_transition(
                    State(view),
                    block,
                    parent=self.tip,
                    params=self.params,
                    now=Timestamp(int(now)),
                    entropy=self.entropy(32),
                )
        except InvalidBlock as exc:
            self._count(exc.reason)
            return False
        return True

    def verify_tip_attestation(self, attestation: Attestation) -> None:
        """Check that ``attestation`` attests the tip (raises ``ConsensusError``)."""
        if self.tip_round is not None:
            provisioners, seed = self.tip_round
        else:
            parent = self.store.get_block_bytes(Height(int(self.tip.height) - 1))
            provisioners = self.get_provisioners()
            seed = bytes(decode_block(parent).header.seed) if parent else bytes(self.tip.seed)
        verify_block_attestation(attestation, block=self.tip, provisioners=provisioners, seed=seed)

    def get_block_attestation(self, height: Height) -> Attestation:
        """The attestation of the committed block at ``height``: the next header's
        ``prev_block_cert``, or the tip's own attestation for the tip."""
        following = self.store.get_block_bytes(Height(int(height) + 1))
        return decode_block(following).header.prev_block_cert if following else self.tip_attestation

    def _count(self, reason: str) -> None:
        self.rejected_candidates[reason] = self.rejected_candidates.get(reason, 0) + 1

    # -- committing ------------------------------------------------------------------
    def commit_decided(self, decided: Decided, *, now: float) -> list[Transaction]:
        """Re-execute and commit a decided block; returns its transactions (for the mempool).

        Raises ``InvalidBlock`` if the block does not apply (which a 2/3 honest committee
        makes impossible); nothing is written then.
        """
        block = decided.block
        round_provisioners = self.get_provisioners()  # before the block changes the stakes
        with self.store.read_view() as view:
            state = State(view)
            receipts = state_transition(
                state,
                block,
                parent=self.tip,
                params=self.params,
                now=Timestamp(int(now) + 3600),
                entropy=self.entropy(32),
            )
            writes = state.pending_writes()
        commit_executed_block(self.store, block, receipts, writes)
        self.tip_round = (round_provisioners, bytes(self.tip.seed))
        self.tip = block.header
        self.tip_attestation = decided.attestation
        return list(block.transactions)
