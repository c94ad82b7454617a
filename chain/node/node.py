"""The node's composition root: store, state, mempool and the block producer.

``ChainNode`` is synchronous and sans-I/O apart from its store: the RPC server and the
CLI drive it, passing the clock (``now``) and entropy. One authority produces blocks until
Succinct Attestation replaces :meth:`ChainNode.produce_block` (issue 4); everything else
(apply, commit, query) stays as it is.

Finality. With a single authority there is one signer and no forks, so every committed
block is labelled ``Final`` (``finality_rule = "single_authority"``). Rolling finality
(reference §1.7) replaces this rule with consensus.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from chain.crypto import bls12_381 as bls
from chain.node.commit import commit_executed_block, commit_genesis
from chain.node.exceptions import MempoolRejected, NodeError, NotFound
from chain.node.mempool import Mempool, MempoolLimits
from chain.state.abc import StoreAPI
from chain.state.accounts import Account
from chain.state.memory import MemoryStore
from chain.state.state import State
from chain.state.verifying_keys import list_verifying_keys
from chain.transition.genesis import GenesisConfig, apply_genesis
from chain.transition.params import ChainParams
from chain.transition.process import assemble_block, validate_transaction_proof
from chain.transition.roots import compute_block_hash, compute_transaction_id
from chain.types.blocks import Block, BlockHeader, decode_block
from chain.types.exceptions import DecodeError
from chain.types.primitives import BlsPublicKey, BlsSecretKey, ContractId, Hash32, Height, Timestamp
from chain.types.receipts import (
    EventRecord,
    Receipt,
    decode_event_record,
    decode_receipt,
)
from chain.types.transactions import Transaction, decode_transaction
from chain.vm.exceptions import CallFailed
from chain.vm.ids import compute_contract_id
from chain.vm.session import BlockInfo, VmSession

FINALITY_RULE = "single_authority"


class Finality(StrEnum):
    """Block labels of reference §1.7."""

    ACCEPTED = "Accepted"
    ATTESTED = "Attested"
    CONFIRMED = "Confirmed"
    FINAL = "Final"


class TxStatus(StrEnum):
    PENDING = "pending"
    INCLUDED = "included"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class IncludedTransaction:
    height: Height
    index: int
    block_hash: Hash32
    receipt: Receipt
    finality: Finality


@dataclass(frozen=True, slots=True)
class ProducedBlock:
    block: Block
    block_hash: Hash32
    receipts: list[Receipt]
    rejected: list[tuple[Transaction, str]]


class ChainNode:
    """A node over ``store``: opens (or creates) the chain, admits, produces and serves.

    Parameters
    ----------
    store
        The block and state store; an empty store is initialised from ``genesis``; a
        non-empty one must hold that genesis (``NodeError``, ``genesis_mismatch``).
    genesis
        The chain's genesis configuration (its parameters govern validation).
    generator_key
        The authority's secret key, or ``None`` for a node that does not produce.
    """

    def __init__(
        self,
        *,
        store: StoreAPI,
        genesis: GenesisConfig,
        generator_key: BlsSecretKey | None = None,
        mempool_limits: MempoolLimits | None = None,
    ) -> None:
        self.store = store
        self.genesis = genesis
        self.params: ChainParams = genesis.params
        #: Name → id (0x hex) of each contract of the genesis state, e.g. ``cash_token``.
        self.genesis_contracts: dict[str, str] = {
            contract.name: "0x" + compute_contract_id(contract.bytecode, contract.nonce, contract.owner).hex()
            for contract in genesis.contracts
        }
        self.generator_key = generator_key
        self.generator = bls.SkToPk(generator_key) if generator_key is not None else None
        self.mempool = Mempool(
            self.params, self.get_account, mempool_limits or MempoolLimits(), check_proof=self.check_proof
        )
        if store.head() is None:
            commit_genesis(self.store, self.genesis)
        else:
            self._check_genesis()
        self.head_header = self._load_head_header()
        self.finality_source: Callable[[Height], Finality] | None = None
        """Set by the consensus runner: labels under rolling finality."""
        self.on_transaction_admitted: Callable[[bytes], None] | None = None
        """Set by the consensus runner: gossip each admitted transaction to the peers."""
        self.consensus_status: Callable[[], dict[str, object]] | None = None
        """Set by the consensus runner: round, iteration and counters for ``get_status``."""
        self.liveness: Callable[[], dict[str, object]] | None = None
        """Set by consensus: Final height and age, peers' best height, syncing, producing
        (``ConsensusRunner.liveness``); ``None`` for a single authority."""

    # -- opening ---------------------------------------------------------------------------
    def _check_genesis(self) -> None:
        """The store must hold this genesis: rebuild its block on empty state and compare
        hashes (``genesis_mismatch`` if the store was created from another genesis file)."""
        with MemoryStore().read_view() as empty:
            expected = compute_block_hash(apply_genesis(State(empty), self.genesis).header)
        stored = self.store.get_block_hash(Height(0))
        if stored != expected:
            raise NodeError(
                f"the store's genesis block {stored.hex() if stored else None} is not the configured "
                f"genesis {expected.hex()}",
                reason="genesis_mismatch",
            )

    def _load_head_header(self) -> BlockHeader:
        head = self.store.head()
        if head is None:
            raise NotFound("the store has no head")
        raw = self.store.get_block_bytes(head.height)
        if raw is None:
            raise NotFound(f"head block {head.height} is missing from the store")
        return decode_block(raw).header

    # -- reads ---------------------------------------------------------------------------
    def get_account(self, key: BlsPublicKey) -> Account:
        return State(self.store).get_account(key)

    def check_proof(self, tx: Transaction) -> None:
        """Verify a proven call's proof against the head state's verifying-key registry
        (:func:`~chain.transition.process.validate_transaction_proof`); raises
        ``InvalidTransaction`` (``unknown_verifying_key``, ``proof_refused:<reason>``)."""
        with self.store.read_view() as view:
            validate_transaction_proof(State(view), tx)

    def get_verifying_keys(self) -> list[tuple[Hash32, int]]:
        """Every registered verification key of the head state as ``(vk_id, number of public
        inputs)``, ascending by id (docs/zk.md, "Verification in the chain")."""
        with self.store.read_view() as view:
            return list_verifying_keys(State(view))

    def query_contract(self, contract_id: ContractId, fn_name: str, args: bytes) -> bytes:
        """Run a read-only contract call on the head state (docs/vm-abi.md; no transaction,
        no fee, nothing kept). Raises ``NodeError`` with the VM's reason (e.g.
        ``contract_not_found``, ``function_not_found``, ``panic``, ``out_of_gas``)."""
        header = self.head_header
        block = BlockInfo(int(header.height), int(header.timestamp), int(self.params.chain_id))
        with self.store.read_view() as view:
            try:
                return VmSession(State(view), block).query(contract_id, fn_name, args)
            except CallFailed as exc:
                raise NodeError(str(exc), reason=exc.reason) from exc

    @property
    def head_hash(self) -> Hash32:
        return compute_block_hash(self.head_header)

    def finality_of(self, height: Height) -> Finality:
        """The block's label: from ``finality_source`` under consensus (rolling finality,
        reference §1.7), else Final (a single authority, module docstring)."""
        if height > self.head_header.height:
            raise NotFound(f"no block at height {height}")
        if self.finality_source is not None:
            return self.finality_source(height)
        return Finality.FINAL

    def get_block(self, *, height: Height | None = None, block_hash: Hash32 | None = None) -> Block:
        if (height is None) == (block_hash is None):
            raise NotFound("give exactly one of height and hash")
        raw = (
            self.store.get_block_bytes(height)
            if height is not None
            else self.store.get_block_bytes_by_hash(block_hash)  # type: ignore[arg-type]
        )
        if raw is None:
            raise NotFound("no such block")
        return decode_block(raw)

    def get_transaction(self, tx_id: Hash32) -> tuple[TxStatus, IncludedTransaction | None]:
        stored = self.store.get_receipt(tx_id)
        if stored is not None:
            block_hash = self.store.get_block_hash(stored.height)
            if block_hash is None:
                raise NotFound(f"block {stored.height} is missing")
            return TxStatus.INCLUDED, IncludedTransaction(
                stored.height,
                stored.index,
                block_hash,
                decode_receipt(stored.receipt),
                self.finality_of(stored.height),
            )
        if tx_id in self.mempool:
            return TxStatus.PENDING, None
        return TxStatus.UNKNOWN, None

    def get_events(self, *, after: int, limit: int) -> tuple[list[tuple[int, EventRecord]], int]:
        """Events after the cursor ``after`` (a sequence number), at most ``limit``; returns
        them with the cursor to pass next time. Events of blocks above the last Final one may
        still be reverted (fork choice, reference §1.7), and their sequence numbers then reused:
        a consumer that must never see a reverted event reads only those at or below the
        Final height (``ledger.indexer`` does)."""
        rows = self.store.iter_events(after, limit)
        cursor = rows[-1].sequence if rows else after
        return [(r.sequence, decode_event_record(r.event)) for r in rows], cursor

    # -- writes --------------------------------------------------------------------------
    def submit_transaction(self, raw: bytes, *, now: float) -> Hash32:
        """Decode and admit a transaction; raises ``MempoolRejected`` with a stable reason."""
        try:
            tx = decode_transaction(raw)
        except DecodeError as exc:
            raise MempoolRejected(f"malformed transaction: {exc}", reason=exc.reason) from exc
        if self.store.get_receipt(compute_transaction_id(tx)) is not None:
            raise MempoolRejected("transaction already included", reason="already_included")
        tx_id = self.mempool.add(tx, now=now)
        if self.on_transaction_admitted is not None:
            self.on_transaction_admitted(raw)
        return tx_id

    def produce_block(self, *, now: Timestamp, allow_empty: bool = False) -> ProducedBlock | None:
        """Build, sign and commit the next block from the mempool (single authority).

        Returns ``None`` when there is nothing to include (unless ``allow_empty``) or the
        minimum block time has not passed. ``now`` is the local clock in seconds.
        """
        if self.generator_key is None:
            return None
        parent = self.head_header
        earliest = int(parent.timestamp) + self.params.min_block_time
        if now < earliest:
            return None
        self.mempool.evict_stale(now=now)
        if not len(self.mempool) and not allow_empty:
            return None
        with self.store.read_view() as view:
            state = State(view)
            assembled = assemble_block(
                state,
                parent=parent,
                candidates=list(self.mempool.iter_for_block()),
                params=self.params,
                timestamp=Timestamp(max(earliest, int(now))),
                generator_key=self.generator_key,
            )
            writes = state.pending_writes()
        block = assembled.block
        block_hash = commit_executed_block(self.store, block, assembled.receipts, writes)
        self.head_header = block.header
        # A single authority's blocks are Final at once: nothing will revert them.
        self.store.prune_undo(Height(int(block.header.height) + 1))
        self.mempool.remove({r.tx_id for r in assembled.receipts})
        replayed = {compute_transaction_id(tx) for tx, why in assembled.rejected if why == "nonce_replay"}
        self.mempool.remove(replayed)
        return ProducedBlock(block, block_hash, assembled.receipts, assembled.rejected)
