"""The note tree: an append-only Poseidon Merkle tree of arity 4 and depth 17 in chain state
(issue 17 item 7; docs/zk.md "Note tree").

Source: reference/dusk-protocol.md §2.3 "Notes tree": "Poseidon, arity 4, depth 17, domain
Merkle4, empty subtree = 0 (rusk: core/src/transfer/phoenix.rs; merkle:
poseidon-merkle/src/lib.rs). The contract accepts any of the last 4,320 roots (contracts:
genesis/transfer/src/state.rs ``MAX_ROOTS``)."

Definition (dusk-merkle's ``Tree<Item<T>, 17, 4>`` with poseidon-merkle's ``Item``
aggregation):

- Leaves are BLS12-381 scalars (``int`` in ``[0, r)``; 32 bytes little-endian on the wire,
  canonical). Leaf ``p`` is the node ``(0, p)``; the tree holds positions ``0 … size − 1``,
  filled in order (append-only), at most ``4^depth``.
- Node ``(l, i)`` for ``1 ≤ l ≤ depth`` covers positions ``[i·4^l, (i+1)·4^l)``. If none of
  them is filled it is the **empty subtree, 0**, and is not hashed (dusk-merkle ``Node::item``:
  a node without children is ``EMPTY_SUBTREE``). Otherwise it is
  ``merkle4_hash(c_0, c_1, c_2, c_3)`` (:func:`chain.crypto.poseidon.merkle4_hash`, Dusk's
  ``Hash::digest(Domain::Merkle4, …)``) with ``c_j`` node ``(l − 1, 4i + j)``, an empty child
  entering as 0. A filled leaf whose value is 0 still makes its parent non-empty: emptiness
  is presence, not value.
- The root is node ``(depth, 0)``; the empty tree's root is 0.

Storage (rows of the ``b"note"`` namespace, :mod:`chain.state.keys`; all covered by the state
commitment like every other row):

- ``n ‖ level ‖ index`` → the node (32 bytes). Only filled nodes have rows. An append writes
  the leaf and the ``depth`` nodes of its path, the root (``(depth, 0)``) included.
- ``m`` → ``size:u64LE ‖ height:u64LE``, the height being that of the block of the last append.
- Root history (Dusk's ring of ``MAX_ROOTS`` roots, one pushed at the end of every block):
  ``ROOT_HISTORY_BLOCKS`` = 4,320 blocks. The first append of a block at height ``h`` (after
  earlier appends at ``h' < h``) records the root before it as the end-of-block root of block
  ``h − 1`` (it was the root at the end of every block ``h' … h − 1``): slot
  ``h − 1 mod 4,320`` → ``height ‖ root`` and ``k ‖ root`` → ``height``, deleting the ``k`` row
  of the entry the slot held before. So the history costs two or three more rows per block
  with appends and never more than 2 × 4,320 rows.

:func:`is_known_root` answers Dusk's ``root_exists`` for a proof checked in block ``height``:
the root at the end of one of the blocks ``height − 4,320 … height − 1``.

Openings (:class:`~chain.crypto.poseidon_merkle.NoteOpening`: per level from the leaf up, 3
siblings and the position's base-4 digit) and their pure verification
(:func:`~chain.crypto.poseidon_merkle.verify_opening`) live in
:mod:`chain.crypto.poseidon_merkle`, re-exported here, so that the node client can verify
without the state package.

The storage and root-history mechanism is shared with the Citadel licence tree
(:class:`chain.state.poseidon_tree.PoseidonTree`); this module is its append-only use under
``b"note"``, with the note authority.
"""

from __future__ import annotations

from typing import Final

from chain.crypto.poseidon_merkle import (
    EMPTY_NODE,
    NoteOpening,
    compute_digits,
    decode_opening,
    encode_opening,
    verify_opening,
)
from chain.state.exceptions import InvalidNoteLeaf, NotePositionNotFound, NoteTreeFull
from chain.state.keys import NOTE_TREE_PREFIX
from chain.state.poseidon_tree import ROOT_HISTORY_BLOCKS, TREE_ARITY, TREE_DEPTH, PoseidonTree

NOTE_TREE_DEPTH: Final = TREE_DEPTH
"""Levels of branching (reference §2.3; Dusk's ``TxCircuit<17, I>`` and Phoenix notes tree)."""
NOTE_TREE_ARITY: Final = TREE_ARITY

__all__ = [
    "EMPTY_NODE",
    "NOTE_TREE_ARITY",
    "NOTE_TREE_DEPTH",
    "ROOT_HISTORY_BLOCKS",
    "NoteOpening",
    "NoteTree",
    "compute_digits",
    "decode_opening",
    "encode_opening",
    "verify_opening",
]


class NoteTree(PoseidonTree):
    """The note tree stored in ``state`` (module docstring): append-only, under ``b"note"``.
    Its authority (:meth:`authority`) is the contract allowed to append notes and spend
    nullifiers (the Phoenix transfer contract named by the genesis file's ``note_authority``;
    docs/zk.md "Note authority"); with none, any contract may (test chains).

    ``depth`` is 17 on chain; tests use smaller trees. Every refusal raises before anything is
    written: ``InvalidNoteLeaf``, ``NoteTreeFull``, ``NotePositionNotFound``.
    """

    __slots__ = ()

    PREFIX = NOTE_TREE_PREFIX
    NAME = "note tree"
    _invalid_leaf = InvalidNoteLeaf
    _full = NoteTreeFull
    _not_found = NotePositionNotFound

    def _get_row(self, key: bytes) -> bytes | None:
        return self._state.get_note_tree_row(key)

    def _set_row(self, key: bytes, value: bytes | None) -> None:
        self._state.set_note_tree_row(key, value)
