"""The circom Schnorr verification gadget (circuits/src/schnorr.circom) against
chain.crypto.schnorr.

``schnorr_verify`` (public [c, pk.x, pk.y, m], witness u and R): signatures made by
:func:`chain.crypto.schnorr.sign` must give a witness whose challenge is
:func:`chain.crypto.schnorr.challenge`; a tampered message, key, ``u`` or ``R``, and keys or
nonces outside the prime-order subgroup or equal to the identity, must make the witness
generator refuse (the circuit is unsatisfiable for them).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Final

import pytest

from chain.crypto.jubjub import GENERATOR, R_J, Point, Q
from chain.crypto.poseidon import MODULUS
from chain.crypto.schnorr import Signature, challenge, public_key, sign, verify
from tests.chain.crypto.circuit_witness import WitnessFailed, needs_snarkjs, r1cs_header, witness

ORDER_TWO: Final = Point.from_affine(0, Q - 1)


def _inputs(pk: Point, sig: Signature, m: int) -> dict[str, object]:
    return {"pk": list(pk.affine()), "r": list(sig.R.affine()), "u": sig.u, "m": m}


def _signed(rng: random.Random) -> tuple[int, Point, int, Signature]:
    sk = rng.randrange(1, R_J)
    m = rng.randrange(MODULUS)
    sig = sign(sk, m, rng.randbytes(64))
    return sk, public_key(sk), m, sig


def test_constraint_count() -> None:
    """One public output (c), 3 public inputs (pk, m), 3 private (R, u)."""
    assert r1cs_header("schnorr_verify")[1:] == (1, 3, 3, 4914)


@needs_snarkjs
def test_reference_signatures_verify_in_the_circuit(tmp_path: Path) -> None:
    rng = random.Random(7)  # noqa: S311 - seeded test data, not keys
    for _ in range(3):
        _, pk, m, sig = _signed(rng)
        assert verify(pk, sig, m)
        values = witness(tmp_path, "schnorr_verify", _inputs(pk, sig, m))
        assert values[1] == challenge(sig.R, pk, m)
        assert values[2:5] == [*pk.affine(), m]


@needs_snarkjs
def test_edge_messages_verify(tmp_path: Path) -> None:
    rng = random.Random(70)  # noqa: S311 - seeded test data, not keys
    sk = rng.randrange(1, R_J)
    for m in (0, MODULUS - 1):
        sig = sign(sk, m, rng.randbytes(64))
        witness(tmp_path, "schnorr_verify", _inputs(public_key(sk), sig, m))


@needs_snarkjs
@pytest.mark.parametrize("tamper", ["message", "key", "u", "u_plus_one", "R", "R_negated"])
def test_tampered_signatures_are_unsatisfiable(tmp_path: Path, tamper: str) -> None:
    rng = random.Random(tamper)  # noqa: S311 - seeded test data, not keys
    sk, pk, m, sig = _signed(rng)
    if tamper == "message":
        m = (m + 1) % MODULUS
    elif tamper == "key":
        pk = public_key(sk % (R_J - 1) + 1)
    elif tamper == "u":
        sig = Signature(rng.randrange(R_J), sig.R)
    elif tamper == "u_plus_one":
        sig = Signature((sig.u + 1) % R_J, sig.R)
    elif tamper == "R":
        sig = Signature(sig.u, sig.R + GENERATOR)
    else:
        sig = Signature(sig.u, -sig.R)
    assert not verify(pk, sig, m)
    with pytest.raises(WitnessFailed):
        witness(tmp_path, "schnorr_verify", _inputs(pk, sig, m))


@needs_snarkjs
def test_u_plus_r_j_gives_the_same_point(tmp_path: Path) -> None:
    """u is read as a 252-bit integer: u + r_J (still below 2^252) satisfies the circuit too;
    this is malleability of a witness value, not a forgery (documented in schnorr.circom)."""
    rng = random.Random(71)  # noqa: S311 - seeded test data, not keys
    while True:
        _, pk, m, sig = _signed(rng)
        if sig.u + R_J < 1 << 252:
            break
    witness(tmp_path, "schnorr_verify", {**_inputs(pk, sig, m), "u": sig.u + R_J})


@needs_snarkjs
def test_keys_and_nonces_outside_the_subgroup_are_refused(tmp_path: Path) -> None:
    """A key with a torsion component, and R = identity with a matching u, are refused even
    where the group equation could hold."""
    rng = random.Random(72)  # noqa: S311 - seeded test data, not keys
    _, pk, m, sig = _signed(rng)
    with pytest.raises(WitnessFailed):
        witness(tmp_path, "schnorr_verify", _inputs(pk + ORDER_TWO, sig, m))
    with pytest.raises(WitnessFailed):
        witness(tmp_path, "schnorr_verify", _inputs(pk, Signature(sig.u, sig.R + ORDER_TWO), m))
    with pytest.raises(WitnessFailed):
        witness(tmp_path, "schnorr_verify", _inputs(Point.identity(), Signature(0, Point.identity()), m))
