"""Runs Succinct Attestation in a node process: the asyncio adapter around the sans-I/O
``ConsensusEngine``, the network and the node's store and mempool.

- Network messages are decoded and fed to the engine; its outputs are broadcast, decided
  blocks committed (re-executed, one LMDB transaction), fault evidence logged.
- The engine's deadline drives one timer task; nothing in the engine reads the clock.
- Transactions admitted by the RPC are gossiped (topic ``TX``) so that every generator
  sees them; gossiped ones are admitted in batches, their signatures checked together off
  the event loop, and block validation skips signatures its mempool already checked.
- **Block sync.** Every consensus message names its round, so a node learns each peer's
  height from what the peer sends (even from messages too far ahead to take). While a peer
  is ahead, one request at a time (``GET_BLOCKS``, from the first block that is not Final,
  then on from the tip) asks the peer that is furthest ahead for up to
  :data:`MAX_SYNC_BLOCKS` blocks; each is applied after its attestation is checked against
  its round (§1.6) and executed, yielding to the event loop between blocks. A node more
  than :data:`SYNCING_BLOCKS_BEHIND` blocks behind reports ``syncing`` in its status; it
  takes part in consensus again once caught up (messages of its round are no longer ahead).
- **Restarts.** The tip's attestation is stored with the tip, and the engine's signing
  record (``chain.node.signing_record``) keeps a restarted node from signing twice in an
  iteration of the round it was in.
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
    SigningRecord,
    get_message_address,
    verify_block_attestation,
)
from chain.consensus.exceptions import ConsensusError
from chain.consensus.finality import Label, is_better_candidate
from chain.consensus.timeouts import TimeoutParams
from chain.network.abc import BroadcastAPI
from chain.network.channel import MAX_FRAME_BYTES
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
#: A ``BLOCKS`` reply stays this far under the channel's frame limit (at least one block).
SYNC_REPLY_BYTES = MAX_FRAME_BYTES - 64 * 1024
#: A sync request unanswered after this many seconds is sent again (to the best peer then).
SYNC_REQUEST_TIMEOUT = 5.0
#: Behind the best peer by more than this many blocks, a node reports ``syncing``.
SYNCING_BLOCKS_BEHIND = 2
#: A consensus node whose tip has not moved for this many seconds is not ``producing``.
PRODUCING_WINDOW_SECONDS = 15.0
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
        signing_record: SigningRecord | None = None,
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
            signing_record=signing_record,
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
        node.liveness = self.liveness
        self._timer: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self.faults: list[Fault] = []
        self.verifier = SignatureVerifier(1)
        self._gossip_batch: list[Transaction] = []
        self._gossip_task: asyncio.Future[None] | None = None
        self.peer_heights: dict[BlsPublicKey, int] = {}
        """Each peer's tip height as its latest consensus message showed it (round − 1)."""
        self._sync_wake = asyncio.Event()
        self._sync_task: asyncio.Task[None] | None = None
        self._sync_sent_at: float | None = None
        """When the sync request in flight was sent (``None``: none in flight)."""
        self._sync_from_tip = False
        """The last reply extended the chain: ask on from the tip, not from the last Final."""
        self.synced_blocks = 0
        self._applying = False
        """A sync reply is being applied: the engine's round is stale, so it is left alone."""
        started = clock()
        self._tip_moved_at = started
        self._final_seen = self.labels.final_height
        self._final_moved_at = started

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
            "synced_blocks": self.synced_blocks,
        }

    def liveness(self) -> dict[str, object]:
        """What an operator and a client need to judge this node (the RPC ``get_status``):
        ``final_height``; ``final_age_seconds`` since the last Final height last rose (since
        the start if it has not); ``best_peer_height`` heard from peers; ``behind`` that
        less the tip; ``syncing`` (behind by more than :data:`SYNCING_BLOCKS_BEHIND`);
        ``producing`` (the tip moved in the last :data:`PRODUCING_WINDOW_SECONDS` and not
        syncing). Seconds by the node's clock."""
        now = self.clock()
        self._note_final()
        tip = int(self.context.tip.height)
        best = self.best_known_height()
        syncing = best - tip > SYNCING_BLOCKS_BEHIND
        return {
            "final_height": self.labels.final_height,
            "final_age_seconds": round(now - self._final_moved_at, 3),
            "best_peer_height": best,
            "behind": best - tip,
            "syncing": syncing,
            "producing": not syncing and now - self._tip_moved_at <= PRODUCING_WINDOW_SECONDS,
        }

    def best_known_height(self) -> int:
        """The highest of our tip and the peers' heights their messages showed."""
        return max([int(self.context.tip.height), *self.peer_heights.values()])

    def _note_final(self) -> None:
        if self.labels.final_height > self._final_seen:
            self._final_seen = self.labels.final_height
            self._final_moved_at = self.clock()

    def _on_tip_changed(self) -> None:
        self.node.head_header = self.context.tip
        self._tip_moved_at = self.clock()
        self._note_final()

    # -- lifecycle -------------------------------------------------------------------
    async def start(self) -> None:
        await self.network.start()
        self._handle(self.engine.start(self.clock()))
        self._timer = asyncio.create_task(self._run_timer())
        self._sync_task = asyncio.create_task(self._run_sync())

    async def close(self) -> None:
        for task in (self._timer, self._sync_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
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
            if self._applying:
                continue
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
        self.node.mempool.remove({compute_transaction_id(tx) for tx in transactions})
        self.labels.add(self.context.tip)
        self._on_tip_changed()
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
        self.node.mempool.remove({compute_transaction_id(tx) for tx in block.transactions})
        for tx in replaced.orphaned:
            with contextlib.suppress(MempoolRejected):
                self.node.mempool.add(tx, now=now, check_signature=False)
        self.labels.rebuild(int(self.context.tip.height))
        self._on_tip_changed()
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
                await self._on_blocks(peer, envelope.payload)
            else:
                message = decode_message(envelope)
                round_, _, _ = get_message_address(message)
                self._note_peer_height(peer, round_ - 1)
                if self._applying:
                    return  # behind: the round after the synced blocks starts afterwards
                self._handle(self.engine.on_message(message, self.clock()))
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

    # -- block sync ----------------------------------------------------------------------
    def _note_peer_height(self, peer: BlsPublicKey, height: int) -> None:
        """A message of ``peer`` shows its tip at ``height``: wake the sync if it is ahead."""
        if height > self.peer_heights.get(peer, -1):
            self.peer_heights[peer] = height
        if height > int(self.context.tip.height):
            self._sync_wake.set()

    async def _run_sync(self) -> None:
        """One ``GET_BLOCKS`` in flight at a time while a peer is ahead (module docstring)."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._sync_wake.wait(), timeout=1.0)
            self._sync_wake.clear()
            try:
                await self._sync_step()
            except Exception:  # noqa: BLE001 - sync must outlive one bad step
                log.exception("block sync step failed")

    async def _sync_step(self) -> None:
        now = self.clock()
        if self._sync_sent_at is not None and now - self._sync_sent_at < SYNC_REQUEST_TIMEOUT:
            return  # a request is in flight
        tip = int(self.context.tip.height)
        ahead = {peer: h for peer, h in self.peer_heights.items() if h > tip}
        if not ahead:
            self._sync_sent_at = None
            self._sync_from_tip = False
            return
        peer = max(ahead, key=lambda key: (ahead[key], bytes(key)))
        self._sync_sent_at = now
        await self.network.send_to(peer, Envelope(Topic.GET_BLOCKS, self._sync_request()))

    def _sync_request(self) -> bytes:
        """From the first block that is not Final: a peer's better block at any height above
        the last Final one replaces ours and everything after it (§1.7). Once a reply has
        extended the chain, on from the tip."""
        start = self.labels.final_height + 1
        if self._sync_from_tip:
            start = max(start, int(self.context.tip.height) + 1)
        return Writer().uint(U64(start)).u32(MAX_SYNC_BLOCKS).to_bytes()

    async def _on_get_blocks(self, peer: BlsPublicKey, payload: bytes) -> None:
        reader = Reader(payload)
        start, count = int(reader.uint(U64)), min(reader.u32(), MAX_SYNC_BLOCKS)
        reader.finish()
        writer = Writer()
        items: list[tuple[bytes, bytes]] = []
        size = 0
        for height in range(start, min(start + count, int(self.node.head_header.height) + 1)):
            raw = self.node.store.get_block_bytes(Height(height)) or b""
            attestation = self.context.get_block_attestation(Height(height))
            attestation_writer = Writer()
            encode_attestation(attestation_writer, attestation)
            size += len(raw) + 512
            if items and size > SYNC_REPLY_BYTES:
                break  # the rest in the next request
            items.append((raw, attestation_writer.to_bytes()))
        writer.u32(len(items))
        for raw, attestation_bytes in items:
            writer.var_bytes(raw, max_length=2**21).var_bytes(attestation_bytes, max_length=2**12)
        await self.network.send_to(peer, Envelope(Topic.BLOCKS, writer.to_bytes()))

    async def _on_blocks(self, peer: BlsPublicKey, payload: bytes) -> None:
        """A ``BLOCKS`` reply: apply what extends or betters our chain, then ask on."""
        if self._applying:
            return  # one reply at a time; the sync loop asks again
        tip_before = int(self.context.tip.height)
        self._applying = True
        try:
            committed = await self._apply_blocks(payload)
        finally:
            self._applying = False
            self._sync_sent_at = None
        tip = int(self.context.tip.height)
        self._sync_from_tip = committed and tip > tip_before
        if tip > tip_before:
            best = self.best_known_height()
            log.info(
                "synced blocks %d to %d from %s (best peer height %d)",
                tip_before + 1,
                tip,
                peer.hex()[:12],
                best,
            )
        if tip <= tip_before and self.peer_heights.get(peer, -1) > tip:
            # Nothing taken from a peer that claimed to be ahead: believe it no further.
            self.peer_heights[peer] = tip
        if committed:
            self._handle(self.engine.on_block_committed(self.clock()))
        self._sync_wake.set()

    async def _apply_blocks(self, payload: bytes) -> bool:
        """Apply a ``BLOCKS`` payload; returns whether the tip changed."""
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
                return committed  # the peer's chain parts from ours with a block that does not win
            if height != int(self.context.tip.height) + 1:
                return committed
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
                return committed
            self.node.mempool.remove({compute_transaction_id(tx) for tx in block.transactions})
            self.labels.add(self.context.tip)
            self._on_tip_changed()
            self.synced_blocks += 1
            committed = True
            await asyncio.sleep(0)  # RPC and the network stay served during a long sync
        return committed
