"""The Citadel licence tree: a Poseidon Merkle tree of arity 4 and depth 17 in chain state
whose leaves are licence hashes, appended by licence providers and **revoked** by them
(docs/zk.md "Citadel on chain").

Source: reference/dusk-protocol.md §6 (Citadel: a licence is issued by appending
``H(ctx(LICENSE_HASH), lpk)`` to the licence tree; ``use_license`` proves membership under a
root the contract accepts); dusk-network/citadel at b379be431277e23524aadb79264a1579903fabc5,
``core/src/zk/gadgets.rs`` (``LicenseCircuit<17>``: a 4-ary Poseidon opening of depth 17). The
circuit's opening is :func:`chain.crypto.poseidon_merkle.verify_opening` (docs/zk.md "Citadel
licence circuit", relation 8), so the tree has the note tree's definition exactly: leaves are
BLS12-381 scalars, an empty subtree is 0 and not hashed, a filled node is ``merkle4_hash`` of
its 4 children (module docstring of :mod:`chain.state.note_tree`). The storage and the root
history are the shared :class:`~chain.state.poseidon_tree.PoseidonTree` under ``b"lict"``.

What differs from the note tree:

- **Leaves are never 0** (``InvalidLicenceLeaf``, ``zero_leaf``): 0 is what a revoked position
  holds, and a 0 leaf would open at an empty neighbour position (the caveat of Dusk's rule).
- **Revocation.** :meth:`LicenceTree.revoke` sets a position's leaf to 0 and recomputes its
  path (the position stays filled: its parent is still a hash, emptiness being presence). An
  opening of the revoked licence against the new root fails, since its leaf is no longer
  ``H(lpk)``.
- **Known roots after a revocation.** A root counts as known for a proof checked in block
  ``h`` only if it was the tree's root at the end of a block ``e`` with
  ``h − 4,320 ≤ e ≤ h − 1`` **and** no revocation happened after block ``e``, i.e.
  ``e ≥ r`` where ``r`` is the height of the block of the last revocation (row
  ``b"lict" ‖ b"r"``). Without that rule a revoked licence could still open a new session for
  4,320 blocks against a root from before its revocation. Consequences: after a revocation in
  block ``r`` no session can be opened in the rest of block ``r`` (every known root ended a
  block ``< r``); from block ``r + 1`` on, the root at the end of block ``r`` is known. Holders
  whose proof names an older root must prove again against a newer one. A revocation does not
  touch sessions already opened (the contract's business: docs/contracts.md "citadel").
"""

from __future__ import annotations

from typing import Final

from chain.state.exceptions import (
    InvalidLicenceLeaf,
    InvalidStateValue,
    LicenceAlreadyRevoked,
    LicencePositionNotFound,
    LicenceTreeFull,
    StateDecodeError,
)
from chain.state.keys import LICENCE_REVOCATION_KEY, LICENCE_TREE_PREFIX
from chain.state.poseidon_tree import ROOT_HISTORY_BLOCKS, TREE_ARITY, TREE_DEPTH, PoseidonTree

LICENCE_TREE_DEPTH: Final = TREE_DEPTH
"""Levels of branching (``LicenseCircuit<17>``; ``chain.crypto.citadel.LICENSE_TREE_DEPTH``)."""
LICENCE_TREE_ARITY: Final = TREE_ARITY

__all__ = ["LICENCE_TREE_ARITY", "LICENCE_TREE_DEPTH", "ROOT_HISTORY_BLOCKS", "LicenceTree"]


class LicenceTree(PoseidonTree):
    """The licence tree stored in ``state`` (module docstring), under ``b"lict"``. Its
    authority is the contract allowed to append and revoke (the ``citadel`` contract named by
    the genesis file's ``licence_authority``); with none, any contract may (test chains).

    Refusals raise before anything is written: ``InvalidLicenceLeaf``, ``LicenceTreeFull``,
    ``LicencePositionNotFound``, ``LicenceAlreadyRevoked``, ``InvalidStateValue``.
    """

    __slots__ = ()

    PREFIX = LICENCE_TREE_PREFIX
    NAME = "licence tree"
    _invalid_leaf = InvalidLicenceLeaf
    _full = LicenceTreeFull
    _not_found = LicencePositionNotFound

    def _get_row(self, key: bytes) -> bytes | None:
        return self._state.get_licence_tree_row(key)

    def _set_row(self, key: bytes, value: bytes | None) -> None:
        self._state.set_licence_tree_row(key, value)

    def _leaf_value(self, leaf: bytes) -> int:
        value = super()._leaf_value(leaf)
        if value == 0:
            raise InvalidLicenceLeaf(
                "a licence leaf is never 0 (0 marks a revoked position)", reason="zero_leaf"
            )
        return value

    def last_revocation(self) -> int | None:
        """The height of the block of the last revocation, or ``None`` if none happened."""
        raw = self._get_row(LICENCE_REVOCATION_KEY)
        if raw is None:
            return None
        if len(raw) != 8:
            raise StateDecodeError(f"licence revocation row of {len(raw)} bytes", reason="invalid_value")
        return int.from_bytes(raw, "little")

    def stale_before(self) -> int:
        """The block of the last revocation (0 if none): roots that ended an earlier block are
        not known any more (module docstring)."""
        revoked = self.last_revocation()
        return 0 if revoked is None else revoked

    def is_revoked(self, position: int) -> bool:
        """Whether the licence at ``position`` was revoked (its leaf is 0).

        Raises
        ------
        LicencePositionNotFound
            ``position`` is not in ``[0, size)``.
        """
        return self.leaf(position) == bytes(32)

    def revoke(self, position: int, *, height: int) -> None:
        """Revoke the licence at ``position`` in the block at ``height``: its leaf becomes 0,
        its path is recomputed (``depth`` Merkle4 hashes, up to ``3·depth`` sibling reads), the
        last-revocation row is set to ``height`` and, at a block's first change, the root
        before it is recorded as the end-of-block root of ``height − 1``.

        Raises
        ------
        LicencePositionNotFound
            ``position`` is not in ``[0, size)``.
        LicenceAlreadyRevoked
            The leaf is already 0.
        InvalidStateValue
            ``height`` is not a u64 or is below the last change's block.
        """
        size = self._check_position(position)
        if self._stored(0, position) == 0:
            raise LicenceAlreadyRevoked(f"the licence at position {position} is already revoked")
        if type(height) is not int or not 0 <= height < 2**64:
            raise InvalidStateValue("height must be a u64")
        self._begin_change(height)
        self._write_path(position, 0, size)
        self._write_meta(size, height)
        self._set_row(LICENCE_REVOCATION_KEY, height.to_bytes(8, "little"))
