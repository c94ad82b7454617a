"""Runs Succinct Attestation in a node process: the asyncio adapter around the sans-I/O
``ConsensusEngine``, the network and the node's store and mempool.

- Network messages are decoded and fed to the engine; its outputs are broadcast, decided
  blocks committed (re-executed, one LMDB transaction), fault evidence logged.
- The engine's deadline drives one timer task; nothing in the engine reads the clock.
- Transactions admitted by the RPC are gossiped (topic ``TX``) so that every generator
  sees them; gossiped ones are admitted in batches, their signatures checked together off
  the event loop, and block validation skips signatures its mempool already checked.
- A node that hears of a later round than its own asks that peer for the blocks above its
  last Final one (``GET_BLOCKS``) and applies each one after checking its attestation.
- Fork choice (reference §1.7): on the engine's ``Revert``, or a synced block that has the
  same parent as ours at its height and a lower iteration, with a valid attestation, our
  chain is reverted to the common ancestor and the better block committed
  (``ChainConsensusContext.replace_tip``), never past a Final block; the reverted blocks'
  other transactions go back to the mempool.
- Labels follow rolling finality (reference §1.7, ``chain.node.labels.ChainLabels``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence

from chain.consensus.engine import (
    ConsensusEngine,
    Decided,
    Fault,
    Output,
    Revert,
    Send,
    verify_block_attestation,
)
from chain.consensus.exceptions import ConsensusError
from chain.consensus.finality import Label, is_better_candidate
from chain.consensus.timeouts import TimeoutParams
from chain.network.abc import BroadcastAPI
from chain.network.consensus_wire import decode_message, encode_message
from chain.network.messages import Envelope, Topic
from chain.network.tcp import TcpBroadcast
from chain.node.consensus_context import ChainConsensusContext
from chain.node.exceptions import MempoolRejected, NodeError, ReplaceRefused
from chain.node.labels import ChainLabels
from chain.node.node import ChainNode, Finality
from chain.node.verify import SignatureVerifier
from chain.transition.exceptions import InvalidBlock
from chain.transition.roots import compute_block_hash, compute_transaction_id
from chain.types.blocks import Block, decode_block
from chain.types.codec import Reader, Writer
from chain.types.consensus import Attestation, decode_attestation, encode_attestation
from chain.types.exceptions import ChainTypesError
from chain.types.primitives import U64, BlsPublicKey, BlsSecretKey, Height
from chain.types.transactions import Transaction, compute_signing_bytes, decode_transaction

log = logging.getLogger("chain.consensus")

MAX_SYNC_BLOCKS = 64
#: Gossiped transactions are admitted in batches: one batched signature check per window.
GOSSIP_BATCH_SECONDS = 0.05
MAX_GOSSIP_BATCH = 5_000
_LABELS = {
    Label.ACCEPTED: Finality.ACCEPTED,
    Label.ATTESTED: Finality.ATTESTED,
    Label.CONFIRMED: Finality.CONFIRMED,
    Label.FINAL: Finality.FINAL,
}


class ConsensusRunner:
    def __init__(
        self,
        *,
        node: ChainNode,
        secret_key: BlsSecretKey,
        network_id: int,
        listen: tuple[str, int],
        peers: Sequence[tuple[BlsPublicKey, str, int]],
        timing: TimeoutParams,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.node = node
        self.clock = clock
        self.context = ChainConsensusContext(
            store=node.store,
            params=node.params,
            secret_key=secret_key,
            candidates=lambda: list(node.mempool.iter_for_block()),
            is_verified=node.mempool.is_verified,
        )
        self.engine = ConsensusEngine(
            secret_key=secret_key,
            context=self.context,
            timing=timing,
            min_block_time=float(node.params.min_block_time),
        )
        self.network: BroadcastAPI = TcpBroadcast(
            network_id=network_id,
            node_secret=secret_key,
            node_key=self.engine.public_key,
            listen=listen,
            peers=peers,
            on_message=self._on_envelope,
        )
        self.labels = ChainLabels(node.store)
        self.reverts = 0
        """Tips replaced by fork choice (§1.7)."""
        self.reverts_refused: dict[str, int] = {}
        """Replacements refused, by ``ReplaceRefused`` reason (``tip_is_final``, ...)."""
        node.finality_source = self.finality_of
        node.consensus_status = self.status
        self._timer: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self.faults: list[Fault] = []
        self.verifier = SignatureVerifier(1)
        self._gossip_batch: list[Transaction] = []
        self._gossip_task: asyncio.Future[None] | None = None

    # -- finality --------------------------------------------------------------------
    def finality_of(self, height: Height) -> Finality:
        label = self.labels.label_of(int(height))
        return Finality.ACCEPTED if label is None else _LABELS[label]

    def status(self) -> dict[str, object]:
        """Round, iteration, last Final height and the engine's counters (rejected messages
        by reason, timeouts, failed iterations), fault evidence seen, and fork choice: tips
        replaced and replacements refused by reason."""
        stats = self.engine.stats
        return {
            "round": self.engine.round,
            "iteration": self.engine.iteration,
            "final_height": self.labels.final_height,
            "rejected_messages": stats.rejected_messages,
            "rejections": dict(stats.rejections),
            "timeouts": stats.timeouts,
            "iterations_failed": stats.iterations_failed,
            "fault_evidence": len(self.faults),
            "reverts": self.reverts,
            "reverts_refused": dict(self.reverts_refused),
            "peers": len(self.network.connected_peers()),
        }

    # -- lifecycle -------------------------------------------------------------------
    async def start(self) -> None:
        await self.network.start()
        self._handle(self.engine.start(self.clock()))
        self._timer = asyncio.create_task(self._run_timer())

    async def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._timer
        await self.network.close()
        if self._gossip_task is not None:
            self._gossip_task.cancel()
        self.verifier.close()

    async def _run_timer(self) -> None:
        while True:
            deadline = self.engine.deadline
            delay = 0.5 if deadline is None else max(0.0, min(deadline - self.clock(), 0.5))
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)
            try:
                self._handle(self.engine.on_timer(self.clock()))
            except Exception:  # noqa: BLE001 - consensus must outlive one bad step
                log.exception("consensus timer step failed")

    # -- outputs ---------------------------------------------------------------------
    def _handle(self, outputs: Sequence[Output]) -> None:
        for output in outputs:
            if isinstance(output, Send):
                asyncio.ensure_future(self.network.broadcast(encode_message(output.message)))
            elif isinstance(output, Decided):
                self._commit(output)
            elif isinstance(output, Revert):
                if self._replace(output.block, output.attestation):
                    self._handle(self.engine.on_block_committed(self.clock()))
            else:
                self.faults.append(output)
                self.context.add_fault_evidence(output.evidence)
                log.warning("fault evidence: %s", type(output.evidence).__name__)
        self._wake.set()

    def _commit(self, decided: Decided) -> None:
        now = self.clock()
        try:
            transactions = self.context.commit_decided(decided, now=now)
        except InvalidBlock:
            log.exception("a decided block does not apply")
            return
        self.node.head_header = self.context.tip
        self.node.mempool.remove({compute_transaction_id(tx) for tx in transactions})
        self.labels.add(self.context.tip)
        log.info(
            "block %d iteration %d committed (%d transactions)",
            decided.block.header.height,
            decided.block.header.iteration,
            len(transactions),
        )
        self._handle(self.engine.on_block_committed(now))

    def _replace(self, block: Block, attestation: Attestation) -> bool:
        """Fork choice (§1.7): replace the tip by ``block`` unless refused (counted and
        logged); the caller restarts the engine's round. Returns whether it was replaced."""
        now = self.clock()
        try:
            replaced = self.context.replace_tip(
                block, attestation, now=now, last_final_height=self.labels.final_height
            )
        except ReplaceRefused as exc:
            self.reverts_refused[exc.reason] = self.reverts_refused.get(exc.reason, 0) + 1
            log.warning("fork choice refused at height %d: %s", block.header.height, exc)
            return False
        self.reverts += 1
        self.node.head_header = self.context.tip
        self.node.mempool.remove({compute_transaction_id(tx) for tx in block.transactions})
        for tx in replaced.orphaned:
            with contextlib.suppress(MempoolRejected):
                self.node.mempool.add(tx, now=now, check_signature=False)
        self.labels.rebuild(int(self.context.tip.height))
        log.info(
            "fork choice: %d block(s) from %d (iteration %d) replaced by iteration %d "
            "(%d transactions to the mempool)",
            len(replaced.reverted),
            block.header.height,
            replaced.reverted[0].header.iteration,
            block.header.iteration,
            len(replaced.orphaned),
        )
        return True

    def gossip_transaction(self, raw: bytes) -> None:
        """Send a transaction the RPC admitted to every peer."""
        asyncio.ensure_future(self.network.broadcast(Envelope(Topic.TX, raw)))

    # -- inputs ----------------------------------------------------------------------
    async def _on_envelope(self, peer: BlsPublicKey, envelope: Envelope) -> None:
        try:
            if envelope.topic is Topic.TX:
                self._on_transaction(envelope.payload)
            elif envelope.topic is Topic.GET_BLOCKS:
                await self._on_get_blocks(peer, envelope.payload)
            elif envelope.topic is Topic.BLOCKS:
                self._on_blocks(envelope.payload)
            else:
                message = decode_message(envelope)
                before = self.engine.round
                self._handle(self.engine.on_message(message, self.clock()))
                if self.engine.stats.buffered_messages and self.engine.round == before:
                    await self.network.send_to(peer, Envelope(Topic.GET_BLOCKS, self._sync_request()))
        except (ChainTypesError, ConsensusError) as exc:
            log.debug("message from %s rejected: %s", peer.hex()[:12], exc)

    def _on_transaction(self, raw: bytes) -> None:
        """Queue a gossiped transaction; its signature is checked with the others of the
        next :data:`GOSSIP_BATCH_SECONDS` in one batch, off the event loop."""
        with contextlib.suppress(ChainTypesError):
            tx = decode_transaction(raw)
            if self.node.mempool.is_verified(tx) or len(self._gossip_batch) >= MAX_GOSSIP_BATCH:
                return
            self._gossip_batch.append(tx)
            if self._gossip_task is None:
                self._gossip_task = asyncio.ensure_future(self._admit_gossip())

    async def _admit_gossip(self) -> None:
        await asyncio.sleep(GOSSIP_BATCH_SECONDS)
        batch, self._gossip_batch, self._gossip_task = self._gossip_batch, [], None
        try:
            verified = await self.verifier.verify(
                [(tx.sender, compute_signing_bytes(tx), tx.signature) for tx in batch]
            )
        except NodeError:
            log.exception("gossiped transactions dropped: signatures cannot be checked")
            return
        now = self.clock()
        for tx, signature_ok in zip(batch, verified, strict=True):
            if signature_ok:
                with contextlib.suppress(MempoolRejected):
                    self.node.mempool.add(tx, now=now, check_signature=False)

    def _sync_request(self) -> bytes:
        """From the first block that is not Final: a peer's better block at any height above
        the last Final one replaces ours and everything after it (§1.7)."""
        start = self.labels.final_height + 1
        return Writer().uint(U64(start)).u32(MAX_SYNC_BLOCKS).to_bytes()

    async def _on_get_blocks(self, peer: BlsPublicKey, payload: bytes) -> None:
        reader = Reader(payload)
        start, count = int(reader.uint(U64)), min(reader.u32(), MAX_SYNC_BLOCKS)
        reader.finish()
        writer = Writer()
        items = []
        for height in range(start, min(start + count, int(self.node.head_header.height) + 1)):
            raw = self.node.store.get_block_bytes(Height(height))
            attestation = self.context.get_block_attestation(Height(height))
            attestation_writer = Writer()
            encode_attestation(attestation_writer, attestation)
            items.append((raw or b"", attestation_writer.to_bytes()))
        writer.u32(len(items))
        for raw, attestation_bytes in items:
            writer.var_bytes(raw, max_length=2**21).var_bytes(attestation_bytes, max_length=2**12)
        await self.network.send_to(peer, Envelope(Topic.BLOCKS, writer.to_bytes()))

    def _on_blocks(self, payload: bytes) -> None:
        reader = Reader(payload)
        count = reader.u32()
        committed = False
        for _ in range(min(count, MAX_SYNC_BLOCKS)):
            block = decode_block(reader.var_bytes(max_length=2**21))
            attestation_reader = Reader(reader.var_bytes(max_length=2**12))
            attestation = decode_attestation(attestation_reader)
            height = int(block.header.height)
            if height <= int(self.context.tip.height):
                ours = decode_block(self.node.store.get_block_bytes(Height(height)) or b"").header
                if compute_block_hash(ours) == compute_block_hash(block.header):
                    continue  # a block we have
                if is_better_candidate(block.header, ours) and self._replace(block, attestation):
                    committed = True
                    continue
                return  # the peer's chain parts from ours with a block that does not win
            if height != int(self.context.tip.height) + 1:
                return
            try:
                verify_block_attestation(
                    attestation,
                    block=block.header,
                    provisioners=self.context.get_provisioners(),
                    seed=bytes(self.context.tip.seed),
                )
                self.context.commit_decided(Decided(block, attestation), now=self.clock())
            except (InvalidBlock, ConsensusError) as exc:
                log.warning("synced block %d rejected: %s", block.header.height, exc.reason)
                return
            self.node.head_header = self.context.tip
            self.labels.add(self.context.tip)
            committed = True
        if committed:
            self._handle(self.engine.on_block_committed(self.clock()))
