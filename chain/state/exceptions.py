"""Errors of ``chain.state``: one tree, each with a stable ``reason`` code.

``reason`` is machine-readable and never changes meaning; messages are for humans.
A call that raises one of these leaves the :class:`~chain.state.state.State` overlay and the
store exactly as they were.
"""

from __future__ import annotations

from chain.types.exceptions import ReasonError


class StateError(ReasonError):
    """Root of the ``chain.state`` errors. ``reason`` is a stable machine-readable code."""

    reason: str = "state_error"


class StateDecodeError(StateError, ValueError):
    """Stored bytes (an account, a stake, a proof, a store row) that do not decode.

    Reasons: ``short_input``, ``trailing_bytes``, ``unknown_tag``, ``out_of_range``,
    ``invalid_value`` (the codes of :class:`chain.types.exceptions.DecodeError`).
    """

    reason = "malformed"


class InvalidStateValue(StateError, ValueError):
    """A value of the wrong type or range handed to a state accessor or container."""

    reason = "invalid_value"


class InvalidStateKey(StateError, ValueError):
    """A raw state key that is not bytes, is empty or is longer than ``MAX_KEY_BYTES``."""

    reason = "invalid_key"


class UnknownVerifyingKey(StateError, LookupError):
    """A ``vk_id`` with no registered verification key (:mod:`chain.state.verifying_keys`)."""

    reason = "unknown_verifying_key"


class SnapshotError(StateError):
    """``rollback``/``release`` of a snapshot id that is unknown or not the innermost one.

    Reasons: ``unknown_snapshot``, ``not_innermost``.
    """

    reason = "unknown_snapshot"


class StoreError(StateError):
    """Root of the store errors (commit rejected, store closed or corrupt)."""

    reason = "store_error"


class HeightMismatch(StoreError):
    """``commit_block`` with a height other than head + 1 (or 0 on an empty store)."""

    reason = "height_mismatch"


class StateRootMismatch(StoreError):
    """``commit_block`` whose recomputed state root differs from the claimed one."""

    reason = "state_root_mismatch"


class DuplicateEntry(StoreError):
    """``commit_block`` with a block hash or transaction id the store already holds.

    Reasons: ``duplicate_block``, ``duplicate_receipt``.
    """

    reason = "duplicate"


class RevertRefused(StoreError):
    """``revert_head`` that cannot undo the head; nothing is written.

    Reasons: ``wrong_head`` (``expected_hash`` is not the head's hash, or the store is
    empty), ``cannot_revert_genesis`` (the head is at height 0), ``no_undo_record`` (the head
    has no undo record: it was pruned by ``prune_undo`` because the block is Final, or the
    block was committed by a store format without undo records).
    """

    reason = "wrong_head"


class StoreClosed(StoreError):
    """An operation on a store (or read view) after ``close()``."""

    reason = "store_closed"


class StoreCorrupt(StoreError):
    """The store's own bookkeeping is inconsistent (e.g. a head without its block)."""

    reason = "store_corrupt"


class StoreFull(StoreError):
    """The LMDB map is full and cannot grow while read views are open in this process."""

    reason = "map_full"


# -- the note tree (chain/state/note_tree.py) ----------------------------------------------------


class NoteTreeError(StateError):
    """Root of the note tree's refusals (:mod:`chain.state.note_tree`). Nothing is written."""

    reason = "note_tree_error"


class InvalidNoteLeaf(NoteTreeError, ValueError):
    """A leaf that is not a canonical 32-byte BLS12-381 scalar (little-endian, < r).

    Reasons: ``not_bytes``, ``wrong_length``, ``out_of_range`` (the value is >= r; it is
    refused, never reduced).
    """

    reason = "invalid_leaf"


class NoteTreeFull(NoteTreeError):
    """An append to a tree that holds 4^depth leaves already (``tree_full``)."""

    reason = "tree_full"


class NotePositionNotFound(NoteTreeError, LookupError):
    """An opening asked for a position at or beyond the tree's size, or a negative or
    non-integer one (``position_not_found``)."""

    reason = "position_not_found"


# -- the licence tree (chain/state/licence_tree.py) ----------------------------------------------


class LicenceTreeError(StateError):
    """Root of the licence tree's refusals (:mod:`chain.state.licence_tree`). Nothing is written."""

    reason = "licence_tree_error"


class InvalidLicenceLeaf(LicenceTreeError, ValueError):
    """A leaf that is not a canonical, non-zero 32-byte BLS12-381 scalar (little-endian, < r).

    Reasons: ``not_bytes``, ``wrong_length``, ``out_of_range`` (>= r, never reduced),
    ``zero_leaf`` (0 is what a revoked position holds).
    """

    reason = "invalid_leaf"


class LicenceTreeFull(LicenceTreeError):
    """An append to a tree that holds 4^depth leaves already (``tree_full``)."""

    reason = "tree_full"


class LicencePositionNotFound(LicenceTreeError, LookupError):
    """A position at or beyond the tree's size, or a negative or non-integer one
    (``position_not_found``)."""

    reason = "position_not_found"


class LicenceAlreadyRevoked(LicenceTreeError):
    """A revocation of a position whose leaf is already 0 (``already_revoked``)."""

    reason = "already_revoked"


# -- the nullifier set (chain/state/nullifiers.py) -----------------------------------------------


class NullifierError(StateError):
    """Root of the nullifier set's refusals (:mod:`chain.state.nullifiers`). Nothing is written."""

    reason = "nullifier_error"


class InvalidNullifier(NullifierError, ValueError):
    """A nullifier that is not a canonical 32-byte BLS12-381 scalar (little-endian, < r).

    Reasons: ``not_bytes``, ``wrong_length``, ``out_of_range`` (the value is >= r; it is
    refused, never reduced: two encodings of one scalar would otherwise be two nullifiers).
    """

    reason = "invalid_nullifier"


class InvalidNullifierCount(NullifierError, ValueError):
    """A spend of no nullifiers or of more than 4 (Dusk's transfer takes 1 to 4 inputs)."""

    reason = "invalid_count"


class DuplicateNullifier(NullifierError, ValueError):
    """The same nullifier twice in one spend (``duplicate_nullifier``)."""

    reason = "duplicate_nullifier"


class NullifierAlreadySpent(NullifierError):
    """A nullifier that the set holds already: a double spend (``double_spend``)."""

    reason = "double_spend"
    nullifier: bytes = b""
    """The first nullifier of the spend found in the set."""
