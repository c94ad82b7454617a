"""The mechanism shared by the chain's Poseidon Merkle trees stored in state: the note tree
(:mod:`chain.state.note_tree`, append-only) and the Citadel licence tree
(:mod:`chain.state.licence_tree`, append and revoke).

Source: reference/dusk-protocol.md §2.3 "Notes tree" (Poseidon, arity 4, depth 17, domain
Merkle4, empty subtree = 0; 4,320 recent roots) and §6 (Citadel's licence tree has the same
shape: ``LicenseCircuit<17>`` opens a 4-ary Poseidon tree); the tree is dusk-merkle's
``Tree<Item<T>, 17, 4>`` with poseidon-merkle's ``Item`` aggregation. The definition (nodes,
emptiness as presence, the root) is :mod:`chain.state.note_tree`'s docstring; openings and their
pure verification are :mod:`chain.crypto.poseidon_merkle`.

A tree lives in the rows of one 4-byte namespace ``prefix`` (:mod:`chain.state.keys`):

- ``n ‖ level:u8 ‖ index:u64BE`` → a filled node (32-byte scalar LE);
- ``m`` → ``size:u64LE ‖ height:u64LE``, the height being that of the block of the last
  change (an append, or for the licence tree a revocation too);
- ``a`` → the authority's contract id (32 bytes), written once at genesis;
- ``h ‖ slot:u16BE`` → ``height:u64LE ‖ root[32]``, slot = height mod 4,320, and
  ``k ‖ root[32]`` → ``height:u64LE``: the root history. The first change of a block at height
  ``h`` (after earlier changes at ``h' < h``) records the root before it as the end-of-block
  root of block ``h − 1`` (it was the root at the end of every block ``h' … h − 1``).

:meth:`PoseidonTree.is_known_root` answers Dusk's ``root_exists`` for a proof checked in block
``height``: the root at the end of one of the blocks ``height − 4,320 … height − 1``, and not
before :meth:`PoseidonTree.stale_before` (0 for the note tree; the licence tree's last
revocation, :mod:`chain.state.licence_tree`).
"""

from __future__ import annotations

from typing import ClassVar, Final

from chain.crypto.exceptions import InvalidFieldElement
from chain.crypto.poseidon import MODULUS, SCALAR_BYTES, scalar_from_bytes
from chain.crypto.poseidon_merkle import (
    ARITY,
    EMPTY_NODE,
    PHOENIX_TREE_DEPTH,
    NoteOpening,
    compute_digits,
    compute_parent,
)
from chain.state.exceptions import InvalidStateValue, StateDecodeError, StateError
from chain.state.keys import (
    compute_tree_authority_key,
    compute_tree_known_root_key,
    compute_tree_meta_key,
    compute_tree_node_key,
    compute_tree_root_slot_key,
)
from chain.state.state import State
from chain.types.primitives import ContractId

TREE_DEPTH: Final = PHOENIX_TREE_DEPTH
"""Levels of branching of both trees (reference §2.3 and §6: depth 17)."""
TREE_ARITY: Final = ARITY
ROOT_HISTORY_BLOCKS: Final = 4_320
"""How many recent end-of-block roots count as known (reference §2.3, transfer ``MAX_ROOTS``)."""


class PoseidonTree:
    """A 4-ary Poseidon tree stored in ``state`` under a subclass's namespace (module
    docstring): reads go through the overlay, writes into it, so a rolled-back snapshot takes
    every change back. ``depth`` is 17 on chain; tests use smaller trees. Every refusal raises
    before anything is written.

    Subclasses set ``PREFIX`` and ``NAME``, the exception classes ``_invalid_leaf``,
    ``_full`` and ``_not_found``, and implement ``_get_row`` / ``_set_row`` over the state's
    accessors of their namespace.
    """

    __slots__ = ("_state", "_depth")

    PREFIX: ClassVar[bytes]
    NAME: ClassVar[str]
    _invalid_leaf: ClassVar[type[StateError]]
    _full: ClassVar[type[StateError]]
    _not_found: ClassVar[type[StateError]]

    def __init__(self, state: State, *, depth: int = TREE_DEPTH) -> None:
        if not isinstance(state, State):
            raise InvalidStateValue(f"{type(self).__name__} needs a State, not {type(state).__name__}")
        if type(depth) is not int or not 1 <= depth <= TREE_DEPTH:
            raise InvalidStateValue(f"depth must be 1 to {TREE_DEPTH}")
        self._state = state
        self._depth = depth

    # -- rows (the subclass's namespace) -------------------------------------------------

    def _get_row(self, key: bytes) -> bytes | None:
        raise NotImplementedError

    def _set_row(self, key: bytes, value: bytes | None) -> None:
        raise NotImplementedError

    # -- reads -------------------------------------------------------------------------

    @property
    def depth(self) -> int:
        """Levels of branching (17 on chain)."""
        return self._depth

    @property
    def capacity(self) -> int:
        """``4^depth`` leaves."""
        return 1 << (2 * self._depth)

    def size(self) -> int:
        """The number of leaves (the next position)."""
        return self._meta()[0]

    def last_height(self) -> int | None:
        """The height of the block of the last change, or ``None`` for an empty tree."""
        size, height = self._meta()
        return None if size == 0 else height

    def root(self) -> bytes:
        """The root as 32 bytes little-endian (``bytes(32)`` for the empty tree)."""
        return _scalar_bytes(self._root_value())

    def leaf(self, position: int) -> bytes:
        """The leaf at ``position`` (32 bytes).

        Raises
        ------
        NotePositionNotFound, LicencePositionNotFound
            ``position`` is not in ``[0, size)`` (the subclass's class).
        """
        self._check_position(position)
        return _scalar_bytes(self._stored(0, position))

    def opening(self, position: int) -> NoteOpening:
        """The opening of the leaf at ``position`` against :meth:`root` (``3·depth`` reads at
        most; empty siblings are known from the size and not read).

        Raises
        ------
        NotePositionNotFound, LicencePositionNotFound
            ``position`` is not in ``[0, size)``.
        """
        size = self._check_position(position)
        siblings = []
        index = position
        for level in range(self._depth):
            first = index - index % TREE_ARITY
            siblings.append(
                tuple(
                    self._node(level, child, size)
                    for child in range(first, first + TREE_ARITY)
                    if child != index
                )
            )
            index //= TREE_ARITY
        return NoteOpening(
            self._stored(0, position),
            tuple(siblings),  # type: ignore[arg-type]  # 3 per level by construction
            compute_digits(position, self._depth),
        )

    def stale_before(self) -> int:
        """Roots that ended a block below this height are not known, whatever the window
        (0 here: nothing makes an old root stale; the licence tree overrides it)."""
        return 0

    def is_known_root(self, root: bytes, *, height: int) -> bool:
        """Whether ``root`` (32 bytes) was the root at the end of one of the blocks
        ``max(height − ROOT_HISTORY_BLOCKS, stale_before()) … height − 1``: what a proof checked
        in block ``height`` may refer to (Dusk's ``root_exists`` over the ring of
        ``MAX_ROOTS``). The root of a block in progress (after changes at ``height``) is not
        known yet, as in Dusk, where ``update_root`` runs after the block's transactions.

        Raises
        ------
        InvalidStateValue
            ``height`` is below the height of the last change (the question is about a state
            this one has moved past), or is not an int; ``root`` is not 32 bytes.
        """
        if type(height) is not int or height < 0:
            raise InvalidStateValue("height must be a non-negative int")
        key = compute_tree_known_root_key(self.PREFIX, root)
        size, last = self._meta()
        if size > 0 and height < last:
            raise InvalidStateValue(f"height {height} is below the last change's block {last}")
        if height == 0:
            return False  # no block ended before genesis
        ended: int | None = None
        if (size == 0 or last < height) and root == self.root():
            ended = height - 1  # the root at the end of block height − 1
        else:
            raw = self._get_row(key)
            if raw is not None:
                ended = _decode_u64(raw, "known root")
        if ended is None:
            return False
        return max(height - ROOT_HISTORY_BLOCKS, self.stale_before()) <= ended < height

    # -- the authority -----------------------------------------------------------------

    def authority(self) -> ContractId | None:
        """The one contract allowed to change the tree (named by the genesis file), or
        ``None`` when the chain has none: then any contract may (test chains)."""
        raw = self._get_row(compute_tree_authority_key(self.PREFIX))
        if raw is None:
            return None
        if len(raw) != 32:
            raise StateDecodeError(f"{self.NAME} authority row of {len(raw)} bytes", reason="invalid_value")
        return ContractId(raw)

    def set_authority(self, contract_id: ContractId) -> None:
        """Name the one contract that may change the tree; genesis only.

        Raises
        ------
        InvalidStateValue
            ``contract_id`` is not a :class:`ContractId`, or an authority is already set (it
            never changes: a second contract could write leaves the first one honours).
        """
        if not isinstance(contract_id, ContractId):
            raise InvalidStateValue(f"the {self.NAME} authority must be a ContractId")
        key = compute_tree_authority_key(self.PREFIX)
        if self._get_row(key) is not None:
            raise InvalidStateValue(f"the {self.NAME} authority is set once, at genesis")
        self._set_row(key, bytes(contract_id))

    def allows(self, contract_id: ContractId) -> bool:
        """Whether ``contract_id`` may change the tree: it is the authority, or the chain has
        none."""
        authority = self.authority()
        return authority is None or authority == contract_id

    # -- the writes --------------------------------------------------------------------

    def append(self, leaf: bytes, *, height: int) -> int:
        """Append ``leaf`` (a canonical 32-byte little-endian scalar) in the block at
        ``height``; returns its position. Writes the leaf, the ``depth`` nodes of its path
        (root included), the size row and, at a block's first change, the root history rows
        (module docstring).

        Raises
        ------
        InvalidNoteLeaf, InvalidLicenceLeaf
            ``not_bytes``, ``wrong_length``, ``out_of_range`` (>= r); the licence tree also
            ``zero_leaf``.
        NoteTreeFull, LicenceTreeFull
            The tree holds ``4^depth`` leaves.
        InvalidStateValue
            ``height`` is not an int >= 0 or is below the last change's block.
        """
        value = self._leaf_value(leaf)
        size, _ = self._meta()
        if size >= self.capacity:
            raise self._full(f"the {self.NAME} holds {size} leaves, its capacity")
        self._begin_change(height)
        self._write_path(size, value, size + 1)
        self._write_meta(size + 1, height)
        return size

    # -- internals ---------------------------------------------------------------------

    def _leaf_value(self, leaf: bytes) -> int:
        if not isinstance(leaf, bytes):
            raise self._invalid_leaf(f"a leaf is 32 bytes, not {type(leaf).__name__}", reason="not_bytes")
        try:
            return scalar_from_bytes(leaf)
        except InvalidFieldElement as exc:
            raise self._invalid_leaf(f"leaf: {exc}", reason=exc.reason) from exc

    def _begin_change(self, height: int) -> None:
        """Check ``height`` and, at a block's first change, record the root before it as the
        root at the end of block ``height − 1``. Raises ``InvalidStateValue``; writes only
        once every check passed."""
        if type(height) is not int or not 0 <= height < 2**64:
            raise InvalidStateValue("height must be a u64")
        size, last = self._meta()
        if size > 0 and height < last:
            raise InvalidStateValue(f"height {height} is below the last change's block {last}")
        if height > (last if size > 0 else 0):
            # the root so far (the empty root before the first append) ended block height − 1
            self._record_end_of_block_root(self.root(), height - 1)

    def _write_path(self, position: int, value: int, size: int) -> None:
        """Write leaf ``position`` as ``value`` and recompute the ``depth`` nodes above it in a
        tree of ``size`` leaves (siblings beyond ``size`` are empty and not read)."""
        self._write_node(0, position, value)
        node, index = value, position
        for level in range(1, self._depth + 1):
            digit = index % TREE_ARITY
            first = index - digit
            siblings = [
                self._node(level - 1, child, size)
                for child in range(first, first + TREE_ARITY)
                if child != index
            ]
            node = compute_parent(node, digit, siblings)
            index //= TREE_ARITY
            self._write_node(level, index, node)

    def _write_meta(self, size: int, height: int) -> None:
        self._set_row(
            compute_tree_meta_key(self.PREFIX), size.to_bytes(8, "little") + height.to_bytes(8, "little")
        )

    def _meta(self) -> tuple[int, int]:
        raw = self._get_row(compute_tree_meta_key(self.PREFIX))
        if raw is None:
            return 0, 0
        if len(raw) != 16:
            raise StateDecodeError(f"{self.NAME} size row of {len(raw)} bytes", reason="invalid_value")
        return int.from_bytes(raw[:8], "little"), int.from_bytes(raw[8:], "little")

    def _check_position(self, position: int) -> int:
        size = self.size()
        if type(position) is not int or not 0 <= position < size:
            raise self._not_found(f"position {position!r} is not in the {self.NAME} (size {size})")
        return size

    def _root_value(self) -> int:
        return EMPTY_NODE if self.size() == 0 else self._stored(self._depth, 0)

    def _node(self, level: int, index: int, size: int) -> int:
        """Node ``(level, index)``: 0 if its subtree holds no filled position, else stored."""
        if index << (2 * level) >= size:
            return EMPTY_NODE
        return self._stored(level, index)

    def _stored(self, level: int, index: int) -> int:
        raw = self._get_row(compute_tree_node_key(self.PREFIX, level, index))
        if raw is None:
            raise StateDecodeError(f"{self.NAME} node ({level}, {index}) is missing", reason="invalid_value")
        try:
            return scalar_from_bytes(raw)
        except InvalidFieldElement as exc:
            raise StateDecodeError(
                f"{self.NAME} node ({level}, {index}): {exc}", reason="out_of_range"
            ) from exc

    def _write_node(self, level: int, index: int, value: int) -> None:
        self._set_row(compute_tree_node_key(self.PREFIX, level, index), _scalar_bytes(value))

    def _record_end_of_block_root(self, root: bytes, height: int) -> None:
        slot_key = compute_tree_root_slot_key(self.PREFIX, height % ROOT_HISTORY_BLOCKS)
        previous = self._get_row(slot_key)
        if previous is not None:
            if len(previous) != 40:
                raise StateDecodeError(
                    f"{self.NAME} root slot of {len(previous)} bytes", reason="invalid_value"
                )
            old_key = compute_tree_known_root_key(self.PREFIX, previous[8:])
            old_ended = self._get_row(old_key)
            if old_ended is not None and old_ended == previous[:8]:
                self._set_row(old_key, None)
        ended = height.to_bytes(8, "little")
        self._set_row(slot_key, ended + root)
        self._set_row(compute_tree_known_root_key(self.PREFIX, root), ended)


def _scalar_bytes(value: int) -> bytes:
    if type(value) is not int or not 0 <= value < MODULUS:
        raise InvalidFieldElement("a field element must be an int in [0, p)", reason="out_of_range")
    return value.to_bytes(SCALAR_BYTES, "little")


def _decode_u64(raw: bytes, what: str) -> int:
    if len(raw) != 8:
        raise StateDecodeError(f"{what} row of {len(raw)} bytes", reason="invalid_value")
    return int.from_bytes(raw, "little")
