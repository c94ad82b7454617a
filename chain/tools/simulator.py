"""A deterministic consensus simulator: N provisioners, a virtual clock and a seeded
scheduler, with injected faults, checking safety invariants after every event.

Each simulated node runs the real code: a ``MemoryStore`` committed from one genesis, a
``ChainConsensusContext`` and a ``ConsensusEngine``. The network is an event queue ordered by
virtual time; the seed drives every random choice (delays, losses, crash times, who
equivocates), so the same seed gives the same run.

Faults: message delay and loss, crash and restart (a restarted node resynchronises from a
live peer and verifies every block it takes), network partitions that heal, and Byzantine
provisioners that equivocate (sign two different validation votes).

Fork choice (reference §1.7): a node replaces its tip when its engine outputs ``Revert`` or
when a peer it synchronises from holds a lower-iteration block on the same parent, through
the node's own code (``ChainConsensusContext.replace_tip``); each node labels its chain with
``chain.node.labels.ChainLabels``, as a node process does.

Invariants (rolling finality, §1.7), checked whenever a node's labels move:

- never two different Final blocks at one height, across all nodes;
- every node's Final chain is a prefix of every other's;
- state roots agree at every Final height;
- liveness: once partitions have healed and crashed nodes restarted (loss and equivocation
  go on), every node makes a new block Final within ``finality_bound + 2·P`` rounds, P the
  largest PNI of any block committed in the run (§1.7: a block of PNI p is Confirmed only
  after 2·p stable blocks, and the labels above it wait for it).

Non-Final blocks may differ between nodes for a while: that is what fork choice resolves.
"""

from __future__ import annotations

import functools
import hashlib
import heapq
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from chain.consensus.aggregator import VoteMessage
from chain.consensus.engine import (
    ConsensusEngine,
    Decided,
    Fault,
    MemorySigningRecord,
    Message,
    Output,
    Revert,
    Send,
    get_message_address,
)
from chain.consensus.finality import is_better_candidate
from chain.consensus.quorum import compute_vote_signing_bytes
from chain.consensus.timeouts import TimeoutParams
from chain.crypto import bls12_381 as bls
from chain.node.commit import commit_genesis
from chain.node.consensus_context import ChainConsensusContext
from chain.node.exceptions import ReplaceRefused
from chain.node.labels import ChainLabels, compute_header_pni
from chain.state.memory import MemoryStore
from chain.transition.exceptions import InvalidBlock
from chain.transition.genesis import parse_genesis_config
from chain.transition.roots import compute_block_hash
from chain.types.blocks import Block, BlockHeader, decode_block
from chain.types.consensus import Attestation, Vote, VoteKind
from chain.types.primitives import BlsSecretKey, Hash32, Height

UNIT = 10**9


@dataclass(frozen=True)
class SimConfig:
    nodes: int = 4
    seed: int = 1
    rounds: int = 50
    """Stop once the shortest live chain reaches this height (or at ``max_time``)."""
    max_time: float = 3_600.0
    min_delay: float = 0.01
    max_delay: float = 0.2
    loss: float = 0.0
    """Probability that one delivery is lost."""
    crashes: int = 0
    """Crash-and-restart events to inject."""
    partitions: int = 0
    """Partition-and-heal events to inject."""
    byzantine: int = 0
    """Provisioners that equivocate; keep their stake under a third."""
    fault_window: float = 0.5
    """Faults are injected during the first ``fault_window`` of the expected run time."""
    finality_bound: int = 10
    """Liveness: rounds after the last fault, on top of twice the largest PNI seen, within
    which every node makes a new block Final (the run goes on until they are played, within
    ``max_time``)."""
    block_time: float = 1.0
    timing: TimeoutParams = field(
        default_factory=lambda: TimeoutParams(min_timeout=0.5, max_timeout=4.0, increment=0.5, rounding=0.1)
    )


@dataclass
class SimReport:
    seed: int
    heights: list[int]
    virtual_time: float
    events: int
    blocks_committed: int
    iterations_failed: int
    faults_injected: dict[str, int]
    evidence_found: int
    max_iteration: int
    max_pni: int
    final_heights: list[int]
    reverts: int
    """Tips replaced by fork choice (§1.7), all nodes."""
    reverts_refused: dict[str, int]
    faults_carried: int
    """Fault evidence carried by the Final blocks of the most advanced node (§1.8)."""
    violations: list[str]

    def line(self) -> str:
        faults = ", ".join(f"{k} {v}" for k, v in sorted(self.faults_injected.items()) if v) or "none"
        return (
            f"seed {self.seed:>4}: height {min(self.heights):>4}..{max(self.heights):<4} "
            f"final {min(self.final_heights):>4} "
            f"commits {self.blocks_committed:>5} reverts {self.reverts:>2} "
            f"failed iterations {self.iterations_failed:>4} "
            f"max iteration {self.max_iteration:>2} max PNI {self.max_pni:>2} "
            f"faults [{faults}] evidence {self.evidence_found} carried {self.faults_carried} "
            f"t={self.virtual_time:.0f}s {'OK' if not self.violations else 'VIOLATION'}"
        )


class SimNode:
    def __init__(self, index: int, secret: BlsSecretKey, genesis_bytes: bytes, sim: Simulator) -> None:
        self.index = index
        self.secret = secret
        self.public = bls.SkToPk(secret)
        self.sim = sim
        self.store = MemoryStore()
        self.alive = True
        self.byzantine = False
        self._genesis_bytes = genesis_bytes
        self.signing_record = MemorySigningRecord()
        """Kept across a simulated restart, as a node keeps it on disk."""
        commit_genesis(self.store, self.sim.genesis)
        self.boot()

    def boot(self) -> None:
        self.context = ChainConsensusContext(
            store=self.store, params=self.sim.genesis.params, secret_key=self.secret, entropy=self.sim.entropy
        )
        self.engine = ConsensusEngine(
            secret_key=self.secret,
            context=self.context,
            timing=self.sim.config.timing,
            min_block_time=self.sim.config.block_time,
            signing_record=self.signing_record,
        )
        self.labels = ChainLabels(self.store)

    @property
    def height(self) -> int:
        return int(self.context.tip.height)

    @property
    def final_height(self) -> int:
        return self.labels.final_height


class Simulator:
    """Runs one seeded scenario; see the module docstring."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.random = random.Random(config.seed)  # noqa: S311 - a reproducible schedule, not crypto
        self._entropy_counter = 0
        secrets = [
            bls.KeyGen(hashlib.sha256(f"sim-{config.seed}-{i}".encode()).digest())
            for i in range(config.nodes)
        ]
        self.genesis = parse_genesis_config(
            {
                "chain_id": 99,
                "timestamp": 0,
                "params": {"min_block_time": 1, "epoch_length": 10, "minimum_stake": UNIT},
                "provisioners": [
                    {"public_key": "0x" + bls.SkToPk(s).hex(), "stake": 1_000 * UNIT} for s in secrets
                ],
            }
        )
        self.now = 0.0
        self._queue: list[tuple[float, int, Callable[[], None]]] = []
        self._sequence = 0
        self.nodes = [SimNode(i, s, b"", self) for i, s in enumerate(secrets)]
        self.partition: set[int] | None = None
        self.final_blocks: dict[int, Hash32] = {}
        """The Final block at each height, as the first node to label it Final saw it."""
        self.final_roots: dict[int, Hash32] = {}
        self._checked_final = [0] * config.nodes
        self.quiet_height: int | None = None
        """The highest tip once the last fault is over (liveness)."""
        self.reverts = 0
        self.reverts_refused: dict[str, int] = {}
        self.violations: list[str] = []
        self.faults = {"crash": 0, "partition": 0, "equivocation": 0, "loss": 0}
        self.evidence = 0
        self.events = 0
        self.blocks = 0
        self.max_iteration = 0
        self.max_pni = 0

    # -- plumbing -------------------------------------------------------------------
    def entropy(self, n: int) -> bytes:
        self._entropy_counter += 1
        return hashlib.shake_256(f"{self.config.seed}:{self._entropy_counter}".encode()).digest(n)

    def at(self, time: float, action: Callable[[], None]) -> None:
        self._sequence += 1
        heapq.heappush(self._queue, (time, self._sequence, action))

    def _schedule_timer(self, node: SimNode) -> None:
        deadline = node.engine.deadline
        if deadline is not None and node.alive:
            engine = node.engine
            self.at(max(deadline, self.now), lambda: self._fire(node, engine))

    def _fire(self, node: SimNode, engine: ConsensusEngine) -> None:
        if node.alive and node.engine is engine:
            self._handle(node, engine.on_timer(self.now))

    def _reachable(self, a: int, b: int) -> bool:
        if self.partition is None:
            return True
        return (a in self.partition) == (b in self.partition)

    def _broadcast(self, sender: SimNode, message: Message) -> None:
        for node in self.nodes:
            if node is sender:
                continue
            if self.random.random() < self.config.loss:
                self.faults["loss"] += 1
                continue
            delay = self.random.uniform(self.config.min_delay, self.config.max_delay)
            self.at(self.now + delay, functools.partial(self._deliver, sender.index, node, message))

    def _deliver(self, sender: int, node: SimNode, message: Message) -> None:
        if not node.alive or not self._reachable(sender, node.index):
            return
        ahead = get_message_address(message)[0] > node.height + 1
        self._handle(node, node.engine.on_message(message, self.now))
        if ahead:
            self._sync(node)

    def _handle(self, node: SimNode, outputs: Sequence[Output]) -> None:
        self.events += 1
        for output in outputs:
            if isinstance(output, Send):
                self._broadcast(node, output.message)
                if node.byzantine and isinstance(output.message, VoteMessage):
                    self._equivocate(node, output.message)
            elif isinstance(output, Decided):
                self._commit(node, output)
            elif isinstance(output, Revert):
                if self._replace(node, output.block, output.attestation):
                    self._handle(node, node.engine.on_block_committed(self.now))
            elif isinstance(output, Fault):
                self.evidence += 1
                node.context.add_fault_evidence(output.evidence)
        self._schedule_timer(node)

    def _equivocate(self, node: SimNode, vote: VoteMessage) -> None:
        """Sign a second, different vote in the same step and send it too."""
        other = (
            Vote(VoteKind.NO_CANDIDATE)
            if vote.vote.kind is not VoteKind.NO_CANDIDATE
            else Vote(VoteKind.INVALID, Hash32(b"\x0b" * 32))
        )
        signature = bls.Sign(node.secret, compute_vote_signing_bytes(vote.header, vote.step, other))
        self.faults["equivocation"] += 1
        self._broadcast(node, replace(vote, vote=other, signature=signature))

    def _commit(self, node: SimNode, decided: Decided) -> None:
        node.context.commit_decided(decided, now=self.now)
        self.blocks += 1
        self._observe(decided.block.header)
        node.labels.add(node.context.tip)
        self._check_finality(node)
        self._handle(node, node.engine.on_block_committed(self.now))

    def _replace(self, node: SimNode, block: Block, attestation: Attestation) -> bool:
        """Fork choice (§1.7) through the node's own code; refusals are counted by reason."""
        try:
            node.context.replace_tip(block, attestation, now=self.now, last_final_height=node.final_height)
        except ReplaceRefused as exc:
            self.reverts_refused[exc.reason] = self.reverts_refused.get(exc.reason, 0) + 1
            return False
        self.reverts += 1
        self._observe(block.header)
        node.labels.rebuild(node.height)
        self._check_finality(node)
        return True

    def _observe(self, header: BlockHeader) -> None:
        self.max_iteration = max(self.max_iteration, int(header.iteration))
        self.max_pni = max(self.max_pni, compute_header_pni(header))

    def _check_finality(self, node: SimNode) -> None:
        """Check the blocks ``node`` newly labelled Final against every node's (§1.7)."""
        for height in range(self._checked_final[node.index] + 1, node.final_height + 1):
            block_hash = node.store.get_block_hash(Height(height))
            header = decode_block(node.store.get_block_bytes(Height(height)) or b"").header
            assert block_hash is not None  # Final blocks are committed
            self._check_final(height, block_hash, header.state_root, node)
        self._checked_final[node.index] = max(self._checked_final[node.index], node.final_height)

    def _check_final(self, height: int, block_hash: Hash32, state_root: Hash32, node: SimNode) -> None:
        known = self.final_blocks.setdefault(height, block_hash)
        if known != block_hash:
            self.violations.append(
                f"t={self.now:.2f}: node {node.index} made another block Final at height {height}"
            )
        root = self.final_roots.setdefault(height, state_root)
        if root != state_root:
            self.violations.append(f"t={self.now:.2f}: state roots differ at Final height {height}")

    def _check_final_prefixes(self) -> None:
        """Every node's Final chain is a prefix of every other's (read from their stores)."""
        chains = [[n.store.get_block_hash(Height(h)) for h in range(n.final_height + 1)] for n in self.nodes]
        for a, first in enumerate(chains):
            for b, second in enumerate(chains[a + 1 :], start=a + 1):
                shorter = min(len(first), len(second))
                if first[:shorter] != second[:shorter]:
                    self.violations.append(f"the Final chains of nodes {a} and {b} diverge")

    def _sync(self, node: SimNode) -> None:
        """Take the blocks a live, reachable peer has above our last Final one, as a node
        process does: blocks we have are skipped, a lower-iteration block on the same parent
        as ours replaces our chain from there (§1.7), the rest is committed in order."""
        peers = [p for p in self.nodes if p.alive and p is not node and self._reachable(p.index, node.index)]
        if not peers:
            return
        source = max(peers, key=lambda p: p.height)
        synced = False
        for height in range(node.final_height + 1, source.height + 1):
            block = decode_block(source.store.get_block_bytes(Height(height)) or b"")
            attestation = source.context.get_block_attestation(Height(height))
            if height <= node.height:
                ours = decode_block(node.store.get_block_bytes(Height(height)) or b"").header
                if compute_block_hash(ours) == compute_block_hash(block.header):
                    continue
                if is_better_candidate(block.header, ours) and self._replace(node, block, attestation):
                    synced = True
                    continue
                break  # the chains part with a block that does not win: keep ours
            try:
                node.context.commit_decided(Decided(block, attestation), now=self.now)
            except InvalidBlock:
                break
            self._observe(block.header)
            node.labels.add(node.context.tip)
            self._check_finality(node)
            synced = True
        if synced:
            self._handle(node, node.engine.on_block_committed(self.now))

    # -- faults ---------------------------------------------------------------------
    def _crash(self, node: SimNode, downtime: float) -> None:
        if not node.alive:
            return
        node.alive = False
        self.faults["crash"] += 1
        self.at(self.now + downtime, lambda: self._restart(node))

    def _restart(self, node: SimNode) -> None:
        node.alive = True
        node.boot()  # a fresh engine over the node's own committed store
        self._sync(node)
        self._handle(node, node.engine.start(self.now))

    def _split(self, duration: float) -> None:
        members = list(range(len(self.nodes)))
        self.random.shuffle(members)
        self.partition = set(members[: len(members) // 2])
        self.faults["partition"] += 1
        self.at(self.now + duration, self._heal)

    def _heal(self) -> None:
        self.partition = None
        for node in self.nodes:
            if node.alive:
                self._sync(node)

    # -- run ------------------------------------------------------------------------
    def run(self) -> SimReport:
        config = self.config
        for index in self.random.sample(range(len(self.nodes)), config.byzantine):
            self.nodes[index].byzantine = True
        window = config.rounds * config.block_time * 2 * config.fault_window
        quiet = 0.0
        for _ in range(config.crashes):
            victim = self.random.choice(self.nodes)
            when, downtime = self.random.uniform(1, window), self.random.uniform(1, 10)
            self.at(when, functools.partial(self._crash, victim, downtime))
            quiet = max(quiet, when + downtime)
        for _ in range(config.partitions):
            when, duration = self.random.uniform(1, window), self.random.uniform(1, 10)
            self.at(when, functools.partial(self._split, duration))
            quiet = max(quiet, when + duration)
        self.at(quiet, self._mark_quiet)
        for node in self.nodes:
            self._handle(node, node.engine.start(0.0))
        while self._queue:
            time, _, action = heapq.heappop(self._queue)
            if time > config.max_time:
                break
            self.now = time
            action()
            if self.violations or self._is_done():
                break
        self._check_final_prefixes()
        self._check_liveness()
        return SimReport(
            seed=config.seed,
            heights=[n.height for n in self.nodes],
            virtual_time=self.now,
            events=self.events,
            blocks_committed=self.blocks,
            iterations_failed=sum(n.engine.stats.iterations_failed for n in self.nodes),
            faults_injected=dict(self.faults),
            evidence_found=self.evidence,
            max_iteration=self.max_iteration,
            max_pni=self.max_pni,
            final_heights=[n.final_height for n in self.nodes],
            reverts=self.reverts,
            reverts_refused=dict(self.reverts_refused),
            faults_carried=self._count_faults_carried(),
            violations=self.violations,
        )

    def _count_faults_carried(self) -> int:
        node = max(self.nodes, key=lambda n: n.final_height)
        return sum(
            len(decode_block(node.store.get_block_bytes(Height(height)) or b"").faults)
            for height in range(1, node.final_height + 1)
        )

    def _mark_quiet(self) -> None:
        """The last partition has healed and the last crashed node restarted."""
        self.quiet_height = max(n.height for n in self.nodes)

    def _is_done(self) -> bool:
        lowest = min(n.height for n in self.nodes)
        if self.quiet_height is None:
            return False
        return lowest >= max(self.config.rounds, self.quiet_height + self._liveness_rounds())

    def _liveness_rounds(self) -> int:
        return self.config.finality_bound + 2 * self.max_pni

    def _check_liveness(self) -> None:
        """After the last fault, every node made a new block Final within the bound."""
        if self.violations:
            return
        if self.quiet_height is None:
            self.violations.append(f"t={self.now:.2f}: the faults were not over by the end of the run")
            return
        for node in self.nodes:
            if node.final_height <= self.quiet_height:
                self.violations.append(
                    f"t={self.now:.2f}: liveness: node {node.index} has made nothing Final above height "
                    f"{self.quiet_height} (Final {node.final_height}, tip {node.height}) within "
                    f"{self._liveness_rounds()} rounds of the last fault"
                )


def run_simulation(config: SimConfig) -> SimReport:
    """Run one scenario and return its report."""
    return Simulator(config).run()
