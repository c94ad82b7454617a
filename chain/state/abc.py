"""Interfaces of ``chain.state``: what ``State`` reads, and what a node's store offers.

Two implementations sit behind them: :class:`~chain.state.memory.MemoryStore` (tests) and
:class:`~chain.state.lmdb_store.LmdbStore` (nodes). The node composes a store; the transition
layer only ever sees a :class:`~chain.state.state.State` over a read view
(py-evm ``eth/abc.py`` style, split per package; house-style anchors §3).
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from chain.types.primitives import Hash32, Height


@dataclass(frozen=True, slots=True)
class Head:
    """The last committed block."""

    height: Height
    """Its height (genesis is 0)."""

    block_hash: Hash32
    """Its SHA3-256 hash (reference §2.1)."""


@dataclass(frozen=True, slots=True)
class StoredReceipt:
    """A receipt as stored, found by its transaction id."""

    height: Height
    """Height of the block that included the transaction."""

    index: int
    """The transaction's position in that block (0-based)."""

    receipt: bytes
    """The encoded receipt, as given to ``commit_block``."""


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event of the global log."""

    sequence: int
    """Position in the log: 1, 2, 3 … without gaps, across all blocks."""

    event: bytes
    """The event bytes, as given to ``commit_block``."""


class StateReadAPI(ABC):
    """Read access to committed state rows and the commitment tree.

    State rows are raw ``key → value`` byte pairs (namespaces in :mod:`chain.state.keys`).
    The tree holds the 4,096 bucket hashes (level 0) and the internal nodes up to the root
    (level 12) of :mod:`chain.state.commitment`.
    """

    @abstractmethod
    def get(self, key: bytes) -> bytes | None:
        """The value stored under ``key``, or ``None`` if absent."""

    @abstractmethod
    def iter_bucket(self, bucket: int) -> Iterator[tuple[bytes, bytes]]:
        """All ``(key, value)`` rows of ``bucket`` (0..4095), sorted by key."""

    def iter_bucket_leaves(self, bucket: int) -> Iterator[tuple[bytes, bytes]]:
        """All ``(key, leaf)`` pairs of ``bucket``, sorted by key, where
        ``leaf = SHA3-256(key) ‖ SHA3-256(value)`` (64 bytes, :mod:`chain.state.commitment`).

        This default hashes every row; stores override it with leaves they keep beside the
        rows, so that rehashing a bucket costs one hash per *changed* row only.
        """
        for key, value in self.iter_bucket(bucket):
            yield key, hashlib.sha3_256(key).digest() + hashlib.sha3_256(value).digest()

    @abstractmethod
    def iter_prefix(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        """All ``(key, value)`` rows whose key starts with ``prefix``, sorted by key."""

    @abstractmethod
    def get_tree_node(self, level: int, index: int) -> Hash32:
        """Node ``index`` of ``level`` (0 = bucket hashes, 12 = root); an empty subtree
        reads as ``commitment.ZERO_HASHES[level]``."""


class StateViewAPI(StateReadAPI):
    """A consistent read view of one committed state (a read transaction). Close it."""

    @abstractmethod
    def close(self) -> None:
        """Release the view; later reads raise :class:`~chain.state.exceptions.StoreClosed`."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class StoreAPI(StateReadAPI):
    """A node's block and state store: one atomic ``commit_block`` per block, plus reads.

    The ``StateReadAPI`` methods read the latest committed state (each call on its own);
    :meth:`read_view` pins one committed state for the duration of a block.
    """

    @abstractmethod
    def read_view(self) -> StateViewAPI:
        """A read view pinned to the state as of the current head."""

    @abstractmethod
    def commit_block(
        self,
        *,
        height: Height,
        block_hash: Hash32,
        block_bytes: bytes,
        state_writes: Mapping[bytes, bytes | None],
        receipts: Sequence[tuple[Hash32, bytes]],
        events: Sequence[bytes],
        state_root: Hash32,
        head_attestation: bytes = b"",
    ) -> None:
        """Commit one block atomically: block, indexes, state, tree, receipts, events, head
        and the head's attestation.

        Parameters
        ----------
        height
            Must be head + 1, or 0 on an empty store.
        block_hash
            SHA3-256 block hash (reference §2.1); must be new to the store.
        block_bytes
            The encoded block, stored opaquely.
        state_writes
            ``key → value`` (``None`` deletes), as :meth:`State.pending_writes` gives them.
        receipts
            ``(tx_id, receipt bytes)`` in block order; the position is the receipt's index.
        events
            Event bytes in emission order; numbered ``event_sequence_head() + 1`` onwards.
        state_root
            The root the block claims; the store recomputes it over its rows plus
            ``state_writes`` and refuses the block on a mismatch.
        head_attestation
            Opaque bytes (at most 4 KiB): the encoded attestation that decided this block
            (reference §1.6), kept as :meth:`get_head_attestation` until the next commit or
            revert. It is in no header until the next block carries it as
            ``prev_block_cert``, so a node that restarts needs it from here to propose that
            block. Empty when there is none (genesis, a single authority).

        Raises
        ------
        HeightMismatch, StateRootMismatch, DuplicateEntry, InvalidStateKey, InvalidStateValue
            Nothing is written.
        StoreClosed
            After :meth:`close`.
        """

    @abstractmethod
    def revert_head(self, *, expected_hash: Hash32) -> Head:
        """Undo the head block atomically and return the new head (its parent).

        Fork choice (reference §1.7) reverts one head at a time down to the common ancestor.
        In one atomic step this restores every state row the block wrote to its previous
        value (or absence), restores the commitment tree nodes it changed (so the stored root
        is the parent's again), and deletes the block, its height and hash indexes, its
        receipts and the events it appended. The event sequence head goes back by the
        block's event count, and the next block reuses those sequence numbers: a feed client
        whose cursor is above :meth:`event_sequence_head` read events that no longer exist
        and must rewind its cursor to :meth:`event_sequence_head` (and drop what it derived
        from the reverted events).

        ``commit_block`` keeps an undo record per height (except genesis) for this;
        :meth:`prune_undo` drops the records of Final blocks, which can then never be
        reverted.

        Parameters
        ----------
        expected_hash
            The hash of the block the caller means to revert; must be the head's.

        Returns
        -------
        Head
            The new head: the reverted block's parent.

        Raises
        ------
        RevertRefused
            ``wrong_head``: ``expected_hash`` is not the head's hash (or the store is empty);
            ``cannot_revert_genesis``: the head is at height 0; ``no_undo_record``: the
            head's undo record was pruned (or never written). Nothing is written.
        InvalidStateValue
            ``expected_hash`` is not a :class:`Hash32`.
        StoreClosed
            After :meth:`close`.
        """

    @abstractmethod
    def get_head_previous_rows(self) -> Mapping[bytes, bytes | None] | None:
        """The state rows the head block wrote, each with its value before the block (``None``:
        absent): the parent's state is the current state overlaid with them. Read from the
        head's undo record; ``None`` if it has none (genesis, pruned, or an empty store).

        Consensus uses it to recover the provisioners of the tip's round after a restart
        (reference §1.6: an attestation is checked against the set from before its block).

        Raises
        ------
        StoreClosed
            After :meth:`close`.
        """

    @abstractmethod
    def get_head_attestation(self) -> bytes:
        """The ``head_attestation`` committed with the head block; empty if none was given
        or the head was reached by :meth:`revert_head` (the parent's attestation is then in
        the reverted block's header).

        Raises
        ------
        StoreClosed
            After :meth:`close`.
        """

    @abstractmethod
    def prune_undo(self, below_height: Height) -> int:
        """Drop the undo records of every block below ``below_height`` (they became Final).

        Afterwards :meth:`revert_head` refuses those heights (``no_undo_record``), so the
        store can never be reverted past ``below_height - 1``. The floor only rises: a lower
        ``below_height`` than an earlier call's is a no-op.

        Parameters
        ----------
        below_height
            At most head + 1 (0 on an empty store): only committed blocks can be Final.

        Returns
        -------
        int
            The number of undo records dropped.

        Raises
        ------
        InvalidStateValue
            ``below_height`` is not a :class:`Height` or is above head + 1. Nothing is written.
        StoreClosed
            After :meth:`close`.
        """

    @abstractmethod
    def undo_floor(self) -> Height:
        """The lowest height that may still be reverted: the highest ``prune_undo`` argument
        (0 if never pruned; at least 1 in practice, genesis is never reverted)."""

    @abstractmethod
    def head(self) -> Head | None:
        """The last committed block, or ``None`` on an empty store."""

    @abstractmethod
    def get_block_bytes(self, height: Height) -> bytes | None:
        """The block at ``height``, or ``None``."""

    @abstractmethod
    def get_block_hash(self, height: Height) -> Hash32 | None:
        """The hash of the block at ``height``, or ``None``."""

    @abstractmethod
    def get_block_bytes_by_hash(self, block_hash: Hash32) -> bytes | None:
        """The block with hash ``block_hash``, or ``None``."""

    @abstractmethod
    def get_height_by_hash(self, block_hash: Hash32) -> Height | None:
        """The height of the block with hash ``block_hash``, or ``None``."""

    @abstractmethod
    def get_receipt(self, tx_id: Hash32) -> StoredReceipt | None:
        """``(height, index, receipt bytes)`` of transaction ``tx_id``, or ``None``."""

    @abstractmethod
    def iter_events(self, after_sequence: int, limit: int) -> list[StoredEvent]:
        """Up to ``limit`` events with sequence > ``after_sequence``, ascending.

        A cursor feed: passing the last sequence received as ``after_sequence`` next time
        misses and repeats nothing. Sequences start at 1 and have no gaps.

        :meth:`revert_head` removes the reverted block's events: afterwards the feed ends at
        the lower :meth:`event_sequence_head` and later blocks reuse the sequence numbers. A
        client whose cursor is above :meth:`event_sequence_head` must rewind to it.
        """

    @abstractmethod
    def event_sequence_head(self) -> int:
        """The sequence number of the last event (0 if there is none)."""

    @abstractmethod
    def close(self) -> None:
        """Close the store; idempotent. Later calls raise ``StoreClosed``."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
