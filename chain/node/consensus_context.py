"""The chain side of consensus for one node: answers the engine from committed state and
commits decided blocks (the composition of ``chain.consensus.engine.ChainContext``).

Used by the node process and, with a memory store, by the simulator, so both run the same
code path: committing decided blocks (:meth:`ChainConsensusContext.commit_decided`) and fork
choice (:meth:`ChainConsensusContext.replace_tip`, reference §1.7).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from chain.consensus.engine import Decided, verify_block_attestation
from chain.consensus.exceptions import ConsensusError
from chain.consensus.faults import FaultEvidence, compute_fault_digest, decode_fault, validate_fault
from chain.consensus.finality import is_better_candidate, is_revert_allowed
from chain.consensus.incentives import (
    compute_consensus_effects,
    encode_block_fault,
    verify_failed_iteration,
)
from chain.consensus.sortition import Provisioners, get_eligible_provisioners
from chain.node.commit import commit_executed_block, get_head_attestation
from chain.node.exceptions import ReplaceRefused
from chain.state.abc import StoreAPI
from chain.state.keys import STAKE_PREFIX
from chain.state.stakes import decode_stake
from chain.state.state import State
from chain.transition.consensus_effects import ConsensusEffects
from chain.transition.exceptions import InvalidBlock
from chain.transition.params import ChainParams
from chain.transition.process import assemble_block, state_transition
from chain.transition.roots import compute_block_hash, compute_fault_leaf, compute_transaction_id
from chain.types.blocks import MAX_BLOCK_FAULTS, Block, BlockHeader, FailedIteration, Fault, decode_block
from chain.types.consensus import EMPTY_ATTESTATION, Attestation
from chain.types.primitives import BlsPublicKey, BlsSecretKey, Hash32, Height, Timestamp
from chain.types.receipts import Receipt
from chain.types.transactions import Transaction

_Execution = tuple[list[Receipt], dict[bytes, bytes | None]]
#: Rounds remembered for fork choice; older blocks are Final long before on a live chain.
MAX_REMEMBERED_ROUNDS = 256


@dataclass(frozen=True, slots=True)
class TipReplaced:
    """What :meth:`ChainConsensusContext.replace_tip` did."""

    reverted: tuple[Block, ...]
    """Our blocks from the better block's height to the former tip, now off the chain."""
    committed: Block
    """The better block, now the tip."""
    orphaned: tuple[Transaction, ...]
    """The reverted blocks' transactions that the committed block does not carry, in block
    order: the caller returns them to the mempool."""


class ChainConsensusContext:
    """Implements ``ChainContext`` over a store.

    Parameters
    ----------
    candidates
        Returns the transactions to propose (e.g. the mempool's ``iter_for_block``).
    entropy
        Random bytes for batched signature checks (``os.urandom`` in a node, seeded in the
        simulator).
    is_verified
        Whether a transaction's exact bytes were verified on entry (the mempool's
        ``is_verified``): its signature is not checked again in block validation.
    """

    def __init__(
        self,
        *,
        store: StoreAPI,
        params: ChainParams,
        secret_key: BlsSecretKey,
        candidates: Callable[[], Sequence[Transaction]] = list,
        entropy: Callable[[int], bytes] = os.urandom,
        is_verified: Callable[[Transaction], bool] | None = None,
    ) -> None:
        self.store = store
        self.params = params
        self.secret_key = secret_key
        self.candidates = candidates
        self.entropy = entropy
        self.is_verified = is_verified
        self._executed: dict[Hash32, _Execution] = {}
        """Receipts and state writes of blocks built or validated on the current tip."""
        head = store.head()
        if head is None:
            raise InvalidBlock("the store has no genesis", reason="no_genesis")
        raw = store.get_block_bytes(head.height)
        if raw is None:
            raise InvalidBlock("the head block is missing", reason="no_head_block")
        self.tip: BlockHeader = decode_block(raw).header
        self.tip_attestation: Attestation = get_head_attestation(store) or EMPTY_ATTESTATION
        """The attestation of the tip, carried by the next header: stored with the tip, so
        kept across a restart (unknown only for a store written before it was kept, until a
        quorum message or the next block brings it)."""
        self.tip_round: tuple[Provisioners, bytes] | None = None
        """Provisioners and seed of the round that made the tip (see :meth:`get_tip_round`)."""
        self._rounds: dict[int, tuple[Provisioners, bytes]] = {}
        """The round (provisioners, seed) of each recent block this context committed, by
        height: restored as ``tip_round`` when fork choice reverts to that block (missing
        after a restart: :meth:`get_tip_round` then recovers it from the store)."""
        self.rejected_candidates: dict[str, int] = {}
        self.fault_evidence: dict[Hash32, FaultEvidence] = {}
        """Equivocation evidence seen and not yet carried by a committed block (§1.8)."""

    def add_fault_evidence(self, evidence: FaultEvidence) -> None:
        """Keep ``evidence`` (from the engine's ``Fault`` output) for a block this node generates."""
        self.fault_evidence[compute_fault_digest(evidence)] = evidence

    def _select_faults(self, state: State) -> tuple[Fault, ...]:
        """Up to 100 pending faults still reportable in the next round (§1.4, §1.8); evidence
        that is too old or already carried is dropped."""
        selected: list[Fault] = []
        for digest, evidence in list(self.fault_evidence.items()):
            try:
                validate_fault(
                    evidence, current_round=int(self.tip.height) + 1, epoch_length=self.params.epoch_length
                )
            except ConsensusError:
                del self.fault_evidence[digest]
                continue
            if state.get_fault_report(digest) is not None:
                del self.fault_evidence[digest]
            elif len(selected) < MAX_BLOCK_FAULTS:
                selected.append(encode_block_fault(evidence))
        return tuple(selected)

    def get_tip_round(self) -> tuple[Provisioners, bytes]:
        """Provisioners and seed of the tip's round: what its attestation is checked against
        and its voters are drawn from (reference §1.6). After a restart they are recovered
        from the parent's stakes (the current ones overlaid with the tip's undo record)."""
        if self.tip_round is not None:
            return self.tip_round
        if int(self.tip.height) == 0:
            return self.get_provisioners(), bytes(self.tip.seed)
        parent = decode_block(self.store.get_block_bytes(Height(int(self.tip.height) - 1)) or b"").header
        with self.store.read_view() as view:
            stakes = dict(State(view).iter_stakes())
        for key, value in (self.store.get_head_previous_rows() or {}).items():
            if key.startswith(STAKE_PREFIX):
                provisioner = BlsPublicKey(key[len(STAKE_PREFIX) :])
                if value is None:
                    stakes.pop(provisioner, None)
                else:
                    stakes[provisioner] = decode_stake(value)
        ordered = sorted(stakes.items(), key=lambda item: bytes(item[0]))
        provisioners = get_eligible_provisioners(
            ordered, int(self.tip.height), int(self.params.minimum_stake)
        )
        self.tip_round = (provisioners, bytes(parent.seed))
        return self.tip_round

    def compute_effects(self, header: BlockHeader, faults: Sequence[Fault]) -> ConsensusEffects:
        """Rewards and slashes of a block on the tip (:func:`compute_consensus_effects`);
        raises ``ConsensusError`` for a wrong failed iteration or fault."""
        tip_provisioners, tip_seed = self.get_tip_round()
        return compute_consensus_effects(
            header,
            faults,
            round_provisioners=self.get_provisioners(),
            round_seed=bytes(self.tip.seed),
            tip=self.tip,
            tip_provisioners=tip_provisioners,
            tip_seed=tip_seed,
            epoch_length=self.params.epoch_length,
        )

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
        failed_iterations = self._keep_verifiable(failed_iterations)
        with self.store.read_view() as view:
            state = State(view)
            faults = self._select_faults(state)
            assembled = assemble_block(
                state,
                parent=self.tip,
                candidates=list(self.candidates()),
                params=self.params,
                timestamp=Timestamp(timestamp),
                generator_key=self.secret_key,
                iteration=iteration,
                prev_block_cert=self.tip_attestation,
                failed_iterations=failed_iterations,
                faults=faults,
                compute_effects=lambda header: self.compute_effects(header, faults),
            )
            self._executed[compute_block_hash(assembled.block.header)] = (
                assembled.receipts,
                dict(state.pending_writes()),
            )
        return assembled.block

    def _keep_verifiable(
        self, failed_iterations: tuple[FailedIteration | None, ...]
    ) -> tuple[FailedIteration | None, ...]:
        """The engine's failed iterations with every entry whose attestation would not
        verify (e.g. a Fail quorum seen without its validation votes) left as unknown
        (``None``), so that validators accept the candidate (§1.4, §2.1)."""
        provisioners, seed = self.get_provisioners(), bytes(self.tip.seed)
        kept: list[FailedIteration | None] = []
        for iteration, entry in enumerate(failed_iterations):
            if entry is not None:
                try:
                    verify_failed_iteration(
                        entry,
                        iteration,
                        round=int(self.tip.height) + 1,
                        prev_hash=compute_block_hash(self.tip),
                        provisioners=provisioners,
                        seed=seed,
                    )
                except ConsensusError:
                    entry = None
            kept.append(entry)
        return tuple(kept)

    def is_valid_candidate(self, block: Block, *, now: float) -> bool:
        if compute_block_hash(block.header) in self._executed:
            return True  # built or validated on this tip already
        if int(self.tip.height) > 0:
            try:
                self.verify_tip_attestation(block.header.prev_block_cert)
            except ConsensusError as exc:
                self._count(f"prev_block_cert:{exc.reason}")
                return False
        try:
            self._execute(block, now=now)
        except ConsensusError as exc:
            self._count(exc.reason)
            return False
        except InvalidBlock as exc:
            self._count(exc.reason)
            return False
        return True

    def _execute(self, block: Block, *, now: float) -> _Execution:
        """Derive the block's effects and execute it on the tip; the result is kept for
        :meth:`commit_decided`. Raises ``ConsensusError`` or ``InvalidBlock``."""
        effects = self.compute_effects(block.header, block.faults)
        with self.store.read_view() as view:
            state = State(view)
            receipts = state_transition(
                state,
                block,
                parent=self.tip,
                params=self.params,
                now=Timestamp(int(now)),
                entropy=self.entropy(32),
                effects=effects,
                is_verified=self.is_verified,
            )
            execution = (receipts, dict(state.pending_writes()))
        self._executed[compute_block_hash(block.header)] = execution
        return execution

    def verify_tip_attestation(self, attestation: Attestation) -> None:
        """Check that ``attestation`` attests the tip (raises ``ConsensusError``)."""
        provisioners, seed = self.get_tip_round()
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
        """Commit a decided block, executed again unless this node built or validated it on
        the same tip; returns its transactions (for the mempool).

        Raises ``InvalidBlock`` if the block does not apply (which a 2/3 honest committee
        makes impossible); nothing is written then.
        """
        block = decided.block
        round_provisioners = self.get_provisioners()  # before the block changes the stakes
        execution = self._executed.get(compute_block_hash(block.header))
        if execution is None or block.header.prev_block_hash != compute_block_hash(self.tip):
            try:
                # A decided block's timestamp was checked by its committee against their clocks.
                execution = self._execute(block, now=now + 3600)
            except ConsensusError as exc:
                raise InvalidBlock(f"consensus effects: {exc}", reason=exc.reason) from exc
        receipts, writes = execution
        commit_executed_block(self.store, block, receipts, writes, attestation=decided.attestation)
        self.tip_round = (round_provisioners, bytes(self.tip.seed))
        self._rounds[int(block.header.height)] = self.tip_round
        for old in [h for h in self._rounds if h <= int(block.header.height) - MAX_REMEMBERED_ROUNDS]:
            del self._rounds[old]
        self.tip = block.header
        self.tip_attestation = decided.attestation
        self._executed.clear()
        for fault in block.faults:
            self.fault_evidence.pop(compute_fault_leaf(fault), None)
        return list(block.transactions)

    def replace_tip(
        self, block: Block, attestation: Attestation, *, now: float, last_final_height: int
    ) -> TipReplaced:
        """Fork choice (reference §1.7): ``block`` has the same parent as our block at its
        height and a lower iteration, so it wins: revert our chain to the common ancestor
        (``block``'s parent) and commit ``block`` as :meth:`commit_decided` does. The state
        afterwards is exactly as if ``block`` had been committed on the ancestor directly;
        the caller then synchronises ``block``'s successors.

        Parameters
        ----------
        block
            A block at a height from 1 to the tip's, on our block's parent at that height,
            with a lower iteration than ours.
        attestation
            A Success attestation of ``block``, checked against its round (§1.6): the
            provisioners after the ancestor and the ancestor's seed.
        now
            Seconds, the caller's clock (as for :meth:`commit_decided`).
        last_final_height
            The caller's last Final height (rolling finality): the ancestor must be at or
            above it, so no Final block is reverted.

        Raises
        ------
        ReplaceRefused
            ``not_better``, ``tip_is_final`` (a block to revert is Final), ``no_undo_record``,
            ``bad_attestation``: nothing changed. ``does_not_apply``: our blocks were put
            back.
        """
        height = int(block.header.height)
        if not 0 < height <= int(self.tip.height):
            raise ReplaceRefused(f"no block of ours at height {height} to compare", reason="not_better")
        ours = decode_block(self.store.get_block_bytes(Height(height)) or b"")
        if not is_better_candidate(block.header, ours.header):
            raise ReplaceRefused("the block is not a lower-iteration rival of ours", reason="not_better")
        if not is_revert_allowed(ancestor_height=height - 1, last_final_height=last_final_height):
            raise ReplaceRefused(f"block {height} is Final", reason="tip_is_final")
        if int(self.store.undo_floor()) > height:
            raise ReplaceRefused(f"block {height} can no longer be reverted", reason="no_undo_record")
        known_round = self._rounds.get(height)
        if known_round is not None:  # the round is shared with our block: check before reverting
            self._verify_replacement(block, attestation, known_round)
        reverted = [
            (
                decode_block(self.store.get_block_bytes(Height(h)) or b""),
                self.get_block_attestation(Height(h)),
            )
            for h in range(height, int(self.tip.height) + 1)
        ]
        saved = (self.tip, self.tip_round, self.tip_attestation, dict(self._rounds))
        for undone, _ in reversed(reverted):
            self.store.revert_head(expected_hash=compute_block_hash(undone.header))
        self.tip = decode_block(self.store.get_block_bytes(Height(height - 1)) or b"").header
        self.tip_attestation = ours.header.prev_block_cert
        self.tip_round = self._rounds.get(height - 1)  # None: recovered from the store
        self._executed.clear()
        try:
            if known_round is None:
                self._verify_replacement(block, attestation, (self.get_provisioners(), bytes(self.tip.seed)))
            transactions = self.commit_decided(Decided(block, attestation), now=now)
        except (ReplaceRefused, InvalidBlock) as exc:
            for again, again_attestation in reverted:
                self.commit_decided(Decided(again, again_attestation), now=now)
            self.tip, self.tip_round, self.tip_attestation, self._rounds = saved
            if isinstance(exc, ReplaceRefused):
                raise
            raise ReplaceRefused(f"the block does not apply: {exc}", reason="does_not_apply") from exc
        blocks = tuple(undone for undone, _ in reverted)
        for undone in blocks:  # evidence the better block does not carry stays pending
            for fault in undone.faults:
                if fault not in block.faults:
                    self.add_fault_evidence(decode_fault(bytes([int(fault.kind)]) + fault.evidence))
        kept = {compute_transaction_id(tx) for tx in transactions}
        orphaned = tuple(
            tx for undone in blocks for tx in undone.transactions if compute_transaction_id(tx) not in kept
        )
        return TipReplaced(reverted=blocks, committed=block, orphaned=orphaned)

    def _verify_replacement(
        self, block: Block, attestation: Attestation, round_: tuple[Provisioners, bytes]
    ) -> None:
        provisioners, seed = round_
        try:
            verify_block_attestation(attestation, block=block.header, provisioners=provisioners, seed=seed)
        except ConsensusError as exc:
            raise ReplaceRefused(str(exc), reason="bad_attestation") from exc
