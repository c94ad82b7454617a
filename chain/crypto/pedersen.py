"""Pedersen value commitments on Jubjub, as Dusk's Phoenix makes them.

``commit(v, b) = [v]·G + [b]·G'`` with ``G`` = :data:`~chain.crypto.jubjub.GENERATOR` (the value)
and ``G'`` = :data:`~chain.crypto.jubjub.GENERATOR_NUMS` (the blinder), ``v`` a u64 and ``b`` a
Jubjub scalar. Hiding because ``b`` is uniform and no discrete logarithm between ``G`` and
``G'`` is known; binding for the same reason. Additively homomorphic:
``commit(v1, b1) + commit(v2, b2) = commit(v1 + v2, b1 + b2 mod r_J)`` (while ``v1 + v2`` stays
below ``r_J``), which is what lets a transfer circuit check Σ in = Σ out.

Source: dusk-network/phoenix ``core/src/lib.rs`` at 3f57c8adb7a1fa5ce3eb2338f1d4a788e3a745c3,
``value_commitment`` (``GENERATOR_EXTENDED * JubJubScalar::from(value) + GENERATOR_NUMS_EXTENDED
* blinding_factor``) and ``transparent_value_commitment`` (the same with no blinder, i.e.
``blinder = 0`` here); the circuit (``circuits/src/circuit_impl.rs``, same commit) multiplies the
value by ``GENERATOR`` and the blinder by ``GENERATOR_NUMS`` in the same order.

The blinder is an argument: this module draws no randomness (the caller derives it, e.g. from the
sender's secret and the note, or draws it where randomness is allowed).
"""

from __future__ import annotations

from typing import Final

from chain.crypto.exceptions import InvalidScalar
from chain.crypto.jubjub import GENERATOR, GENERATOR_NUMS, Point, check_scalar

#: Committed values are Phoenix note values: unsigned 64-bit integers (Dusk's ``u64``, in LUX).
MAX_VALUE: Final = (1 << 64) - 1


def value_commitment(value: int, blinder: int) -> Point:
    """``[value]·GENERATOR + [blinder]·GENERATOR_NUMS`` (Phoenix ``value_commitment``).

    ``value``: int in ``[0, 2^64)``; ``blinder``: int in ``[0, r_J)``. Returns a point of the
    prime-order subgroup (encode it with :meth:`Point.to_bytes`, 32 bytes).

    Raises :class:`InvalidScalar`: ``not_int`` (bools refused), ``value_out_of_range``,
    ``scalar_out_of_range`` for the blinder.
    """
    if type(value) is not int:
        raise InvalidScalar(f"value must be an int, got {type(value).__name__}", reason="not_int")
    if not 0 <= value <= MAX_VALUE:
        raise InvalidScalar("value is not a u64", reason="value_out_of_range")
    check_scalar(blinder, name="blinder")
    return GENERATOR * value + GENERATOR_NUMS * blinder
