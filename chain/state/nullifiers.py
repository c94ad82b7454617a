"""The nullifier set: the Phoenix nullifiers spent on this chain, beside the note tree
(issue 18; docs/zk.md "Nullifier set").

Source: reference/dusk-protocol.md §2.3 ("Nullifier = Poseidon([npk'.u, npk'.v, pos])"; a
transaction names 1 to 4 nullifiers, ``nullifiers[1..4]``) and §3 (the genesis transfer
contract's state holds the nullifier set; it refuses a transaction naming a nullifier it holds
already, a double spend, and answers ``existing_nullifiers``; the reference's pointer is
dusk-network contracts ``genesis/transfer/src/state.rs``, not re-read for this module).
Refusing a batch that names one nullifier twice is Gloam's own rule: the proof of a Dusk
transaction derives each nullifier from a distinct note position, and the set makes it
explicit rather than rely on the circuit.

Definition:

- A nullifier is a BLS12-381 scalar, 32 bytes little-endian, canonical (< r), as the note
  tree's leaves are. Anything else is refused (:class:`InvalidNullifier`), never reduced: two
  encodings of one scalar would be two distinct rows, and so a second spend of the same note.
- :meth:`NullifierSet.spend` takes 1 to 4 nullifiers (Dusk's inputs per transaction) and is
  atomic: if one is malformed, appears twice in the batch or is already spent, it raises and
  writes nothing; else it records all of them with the block height.

Storage (:mod:`chain.state.keys`): one row per spent nullifier,
``b"nulf" ‖ nullifier[32]`` → ``height:u64LE`` (the block that spent it). The rows are state
rows like every other, so the state root commits to them, a rolled-back snapshot (a failed
call) and a reverted block (``StoreAPI.revert_head``, a fork switch) take them back, and both
stores persist them. Nothing is ever deleted by the chain: a spent nullifier stays spent.

The set hides nothing: a nullifier is public once spent (that is its purpose). What keeps a
spend unlinkable to its note is the proof that derives the nullifier, which is not built here
(docs/zk.md "Phoenix transfer circuit").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from chain.crypto.exceptions import InvalidFieldElement
from chain.crypto.poseidon import scalar_from_bytes
from chain.state.exceptions import (
    DuplicateNullifier,
    InvalidNullifier,
    InvalidNullifierCount,
    InvalidStateValue,
    NullifierAlreadySpent,
    StateDecodeError,
)
from chain.state.keys import compute_nullifier_key
from chain.state.state import State

MAX_NULLIFIERS_PER_SPEND: Final = 4
"""Dusk's Phoenix transaction spends 1 to 4 input notes (reference §2.3, ``TxCircuit<17, I>``,
I = 1–4)."""
NULLIFIER_BYTES: Final = 32

__all__ = ["MAX_NULLIFIERS_PER_SPEND", "NULLIFIER_BYTES", "NullifierSet", "check_nullifier"]


def check_nullifier(nullifier: bytes) -> bytes:
    """``nullifier`` itself if it is a canonical 32-byte little-endian BLS12-381 scalar.

    Raises
    ------
    InvalidNullifier
        ``not_bytes``, ``wrong_length``, ``out_of_range`` (>= r).
    """
    if not isinstance(nullifier, bytes):
        raise InvalidNullifier(f"a nullifier is 32 bytes, not {type(nullifier).__name__}", reason="not_bytes")
    try:
        scalar_from_bytes(nullifier)
    except InvalidFieldElement as exc:
        raise InvalidNullifier(f"nullifier: {exc}", reason=exc.reason) from exc
    return nullifier


class NullifierSet:
    """The nullifier set stored in ``state`` (module docstring): reads go through the overlay,
    writes into it. Every refusal raises before anything is written."""

    __slots__ = ("_state",)

    def __init__(self, state: State) -> None:
        if not isinstance(state, State):
            raise InvalidStateValue(f"NullifierSet needs a State, not {type(state).__name__}")
        self._state = state

    def spent_height(self, nullifier: bytes) -> int | None:
        """The height of the block that spent ``nullifier``, or ``None`` if it is unspent.

        Raises
        ------
        InvalidNullifier
            ``nullifier`` is not a canonical 32-byte scalar.
        StateDecodeError
            The stored row is not 8 bytes (a corrupt store).
        """
        raw = self._state.get_nullifier_row(compute_nullifier_key(check_nullifier(nullifier)))
        if raw is None:
            return None
        if len(raw) != 8:
            raise StateDecodeError(f"nullifier row of {len(raw)} bytes", reason="invalid_value")
        return int.from_bytes(raw, "little")

    def is_spent(self, nullifier: bytes) -> bool:
        """Whether ``nullifier`` is in the set. Raises as :meth:`spent_height`."""
        return self.spent_height(nullifier) is not None

    def spend(self, nullifiers: Sequence[bytes], *, height: int) -> None:
        """Record every one of ``nullifiers`` (1 to 4) as spent in the block at ``height``, or
        none of them.

        Raises
        ------
        InvalidNullifierCount
            Fewer than 1 or more than ``MAX_NULLIFIERS_PER_SPEND``.
        InvalidNullifier
            One is not a canonical 32-byte scalar.
        DuplicateNullifier
            One appears twice.
        NullifierAlreadySpent
            One is in the set already (a double spend); ``nullifier`` on the exception.
        InvalidStateValue
            ``height`` is not a u64.
        """
        if isinstance(nullifiers, (bytes, str)) or not 1 <= len(nullifiers) <= MAX_NULLIFIERS_PER_SPEND:
            raise InvalidNullifierCount(f"a spend names 1 to {MAX_NULLIFIERS_PER_SPEND} nullifiers")
        if type(height) is not int or not 0 <= height < 2**64:
            raise InvalidStateValue("height must be a u64")
        checked = [check_nullifier(n) for n in nullifiers]
        if len(set(checked)) != len(checked):
            raise DuplicateNullifier("a nullifier appears twice in one spend")
        for nullifier in checked:
            if self.spent_height(nullifier) is not None:
                error = NullifierAlreadySpent(f"nullifier 0x{nullifier.hex()} is spent already")
                error.nullifier = nullifier
                raise error
        row = height.to_bytes(8, "little")
        for nullifier in checked:
            self._state.set_nullifier_row(compute_nullifier_key(nullifier), row)
