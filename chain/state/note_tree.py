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
"""

from __future__ import annotations

from typing import Final

from chain.crypto.exceptions import InvalidFieldElement
from chain.crypto.poseidon import MODULUS, SCALAR_BYTES, scalar_from_bytes
from chain.crypto.poseidon_merkle import (
    ARITY,
    EMPTY_NODE,
    PHOENIX_TREE_DEPTH,
    NoteOpening,
    compute_digits,
    compute_parent,
    decode_opening,
    encode_opening,
    verify_opening,
)
from chain.state.exceptions import (
    InvalidNoteLeaf,
    InvalidStateValue,
    NotePositionNotFound,
    NoteTreeFull,
    StateDecodeError,
)
from chain.state.keys import (
    NOTE_AUTHORITY_KEY,
    NOTE_TREE_META_KEY,
    compute_note_known_root_key,
    compute_note_node_key,
    compute_note_root_slot_key,
)
from chain.state.state import State
from chain.types.primitives import ContractId

NOTE_TREE_DEPTH: Final = PHOENIX_TREE_DEPTH
"""Levels of branching (reference §2.3; Dusk's ``TxCircuit<17, I>`` and Phoenix notes tree)."""
NOTE_TREE_ARITY: Final = ARITY
ROOT_HISTORY_BLOCKS: Final = 4_320
"""How many recent end-of-block roots count as known (reference §2.3, transfer ``MAX_ROOTS``)."""

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


class NoteTree:
    """The note tree stored in ``state`` (module docstring): reads go through the overlay,
    writes into it, so a rolled-back snapshot takes appends back with everything else.

    ``depth`` is 17 on chain; tests use smaller trees. Every refusal raises before anything is
    written.
    """

    __slots__ = ("_state", "_depth")

    def __init__(self, state: State, *, depth: int = NOTE_TREE_DEPTH) -> None:
        if not isinstance(state, State):
            raise InvalidStateValue(f"NoteTree needs a State, not {type(state).__name__}")
        if type(depth) is not int or not 1 <= depth <= NOTE_TREE_DEPTH:
            raise InvalidStateValue(f"depth must be 1 to {NOTE_TREE_DEPTH}")
        self._state = state
        self._depth = depth

    @property
    def depth(self) -> int:
        """Levels of branching (17 on chain)."""
        return self._depth

    @property
    def capacity(self) -> int:
        """``4^depth`` leaves."""
        return 1 << (2 * self._depth)

    # -- reads -------------------------------------------------------------------------

    def size(self) -> int:
        """The number of leaves (the next position)."""
        return self._meta()[0]

    def last_height(self) -> int | None:
        """The height of the block of the last append, or ``None`` for an empty tree."""
        size, height = self._meta()
        return None if size == 0 else height

    def root(self) -> bytes:
        """The root as 32 bytes little-endian (``bytes(32)`` for the empty tree)."""
        return _scalar_bytes(self._root_value())

    def leaf(self, position: int) -> bytes:
        """The leaf at ``position`` (32 bytes).

        Raises
        ------
        NotePositionNotFound
            ``position`` is not in ``[0, size)``.
        """
        self._check_position(position)
        return _scalar_bytes(self._stored(0, position))

    def opening(self, position: int) -> NoteOpening:
        """The opening of the leaf at ``position`` against :meth:`root` (``3·depth`` reads at
        most; empty siblings are known from the size and not read).

        Raises
        ------
        NotePositionNotFound
            ``position`` is not in ``[0, size)``.
        """
        size = self._check_position(position)
        siblings = []
        index = position
        for level in range(self._depth):
            first = index - index % NOTE_TREE_ARITY
            siblings.append(
                tuple(
                    self._node(level, child, size)
                    for child in range(first, first + NOTE_TREE_ARITY)
                    if child != index
                )
            )
            index //= NOTE_TREE_ARITY
        return NoteOpening(
            self._stored(0, position),
            tuple(siblings),  # type: ignore[arg-type]  # 3 per level by construction
            compute_digits(position, self._depth),
        )

    def is_known_root(self, root: bytes, *, height: int) -> bool:
        """Whether ``root`` (32 bytes) was the root at the end of one of the blocks
        ``height − ROOT_HISTORY_BLOCKS … height − 1``: what a proof checked in block ``height``
        may refer to (Dusk's ``root_exists`` over the ring of ``MAX_ROOTS``). The root of a
        block in progress (after appends at ``height``) is not known yet, as in Dusk, where
        ``update_root`` runs after the block's transactions.

        Raises
        ------
        InvalidStateValue
            ``height`` is below the height of the last append (the question is about a state
            this one has moved past), or is not an int; ``root`` is not 32 bytes.
        """
        if type(height) is not int or height < 0:
            raise InvalidStateValue("height must be a non-negative int")
        key = compute_note_known_root_key(root)
        size, last = self._meta()
        if size > 0 and height < last:
            raise InvalidStateValue(f"height {height} is below the last append's block {last}")
        if height == 0:
            return False  # no block ended before genesis
        if (size == 0 or last < height) and root == self.root():
            return True  # the root at the end of block height − 1
        raw = self._state.get_note_tree_row(key)
        if raw is None:
            return False
        ended = _decode_u64(raw, "known root")
        return height - ROOT_HISTORY_BLOCKS <= ended < height

    # -- the authority -----------------------------------------------------------------

    def authority(self) -> ContractId | None:
        """The contract allowed to append notes and spend nullifiers (the Phoenix transfer
        contract named by the genesis file's ``note_authority``), or ``None`` when the chain
        has none: then any contract may (test chains; docs/zk.md "Note authority")."""
        raw = self._state.get_note_tree_row(NOTE_AUTHORITY_KEY)
        if raw is None:
            return None
        if len(raw) != 32:
            raise StateDecodeError(f"note authority row of {len(raw)} bytes", reason="invalid_value")
        return ContractId(raw)

    def set_authority(self, contract_id: ContractId) -> None:
        """Name the one contract that may append notes and spend nullifiers; genesis only.

        Raises
        ------
        InvalidStateValue
            ``contract_id`` is not a :class:`ContractId`, or an authority is already set (it
            never changes: a second Phoenix contract could mint notes the first one honours).
        """
        if not isinstance(contract_id, ContractId):
            raise InvalidStateValue("the note authority must be a ContractId")
        if self._state.get_note_tree_row(NOTE_AUTHORITY_KEY) is not None:
            raise InvalidStateValue("the note authority is set once, at genesis")
        self._state.set_note_tree_row(NOTE_AUTHORITY_KEY, bytes(contract_id))

    def allows(self, contract_id: ContractId) -> bool:
        """Whether ``contract_id`` may append notes and spend nullifiers: it is the authority,
        or the chain has none."""
        authority = self.authority()
        return authority is None or authority == contract_id

    # -- the write ---------------------------------------------------------------------

    def append(self, leaf: bytes, *, height: int) -> int:
        """Append ``leaf`` (a canonical 32-byte little-endian scalar) in the block at
        ``height``; returns its position. Writes the leaf, the ``depth`` nodes of its path
        (root included), the size row and, at a block's first append, the root history rows
        (module docstring).

        Raises
        ------
        InvalidNoteLeaf
            ``not_bytes``, ``wrong_length``, ``out_of_range`` (>= r).
        NoteTreeFull
            The tree holds ``4^depth`` leaves.
        InvalidStateValue
            ``height`` is not an int >= 0 or is below the last append's block.
        """
        value = _leaf_value(leaf)
        if type(height) is not int or not 0 <= height < 2**64:
            raise InvalidStateValue("height must be a u64")
        size, last = self._meta()
        if size >= self.capacity:
            raise NoteTreeFull(f"the note tree holds {size} leaves, its capacity")
        if size > 0 and height < last:
            raise InvalidStateValue(f"height {height} is below the last append's block {last}")
        if height > (last if size > 0 else 0):
            # the root so far (the empty root before the first append) ended block height − 1
            self._record_end_of_block_root(self.root(), height - 1)
        position = size
        self._write_node(0, position, value)
        node, index = value, position
        for level in range(1, self._depth + 1):
            digit = index % NOTE_TREE_ARITY
            first = index - digit
            # Children left of the path are filled (they precede the new last leaf); those to
            # its right are empty.
            siblings = [self._stored(level - 1, child) for child in range(first, index)]
            siblings += [EMPTY_NODE] * (NOTE_TREE_ARITY - 1 - digit)
            node = compute_parent(node, digit, siblings)
            index //= NOTE_TREE_ARITY
            self._write_node(level, index, node)
        self._state.set_note_tree_row(
            NOTE_TREE_META_KEY, (size + 1).to_bytes(8, "little") + height.to_bytes(8, "little")
        )
        return position

    # -- internals ---------------------------------------------------------------------

    def _meta(self) -> tuple[int, int]:
        raw = self._state.get_note_tree_row(NOTE_TREE_META_KEY)
        if raw is None:
            return 0, 0
        if len(raw) != 16:
            raise StateDecodeError(f"note tree size row of {len(raw)} bytes", reason="invalid_value")
        return int.from_bytes(raw[:8], "little"), int.from_bytes(raw[8:], "little")

    def _check_position(self, position: int) -> int:
        size = self.size()
        if type(position) is not int or not 0 <= position < size:
            raise NotePositionNotFound(f"position {position!r} is not in the tree (size {size})")
        return size

    def _root_value(self) -> int:
        return EMPTY_NODE if self.size() == 0 else self._stored(self._depth, 0)

    def _node(self, level: int, index: int, size: int) -> int:
        """Node ``(level, index)``: 0 if its subtree holds no filled position, else stored."""
        if index << (2 * level) >= size:
            return EMPTY_NODE
        return self._stored(level, index)

    def _stored(self, level: int, index: int) -> int:
        raw = self._state.get_note_tree_row(compute_note_node_key(level, index))
        if raw is None:
            raise StateDecodeError(f"note tree node ({level}, {index}) is missing", reason="invalid_value")
        try:
            return scalar_from_bytes(raw)
        except InvalidFieldElement as exc:
            raise StateDecodeError(
                f"note tree node ({level}, {index}): {exc}", reason="out_of_range"
            ) from exc

    def _write_node(self, level: int, index: int, value: int) -> None:
        self._state.set_note_tree_row(compute_note_node_key(level, index), _scalar_bytes(value))

    def _record_end_of_block_root(self, root: bytes, height: int) -> None:
        slot_key = compute_note_root_slot_key(height % ROOT_HISTORY_BLOCKS)
        previous = self._state.get_note_tree_row(slot_key)
        if previous is not None:
            if len(previous) != 40:
                raise StateDecodeError(f"note root slot of {len(previous)} bytes", reason="invalid_value")
            old_key = compute_note_known_root_key(previous[8:])
            old_ended = self._state.get_note_tree_row(old_key)
            if old_ended is not None and old_ended == previous[:8]:
                self._state.set_note_tree_row(old_key, None)
        ended = height.to_bytes(8, "little")
        self._state.set_note_tree_row(slot_key, ended + root)
        self._state.set_note_tree_row(compute_note_known_root_key(root), ended)


def _leaf_value(leaf: bytes) -> int:
    if not isinstance(leaf, bytes):
        raise InvalidNoteLeaf(f"a leaf is 32 bytes, not {type(leaf).__name__}", reason="not_bytes")
    try:
        return scalar_from_bytes(leaf)
    except InvalidFieldElement as exc:
        raise InvalidNoteLeaf(f"leaf: {exc}", reason=exc.reason) from exc


def _scalar_bytes(value: int) -> bytes:
    if type(value) is not int or not 0 <= value < MODULUS:
        raise InvalidFieldElement("a field element must be an int in [0, p)", reason="out_of_range")
    return value.to_bytes(SCALAR_BYTES, "little")


def _decode_u64(raw: bytes, what: str) -> int:
    if len(raw) != 8:
        raise StateDecodeError(f"{what} row of {len(raw)} bytes", reason="invalid_value")
    return int.from_bytes(raw, "little")
