"""The circom Schnorr verification gadgets (circuits/src/schnorr.circom) against
chain.crypto.schnorr.

``schnorr_verify`` (public [c, pk.x, pk.y, m], witness u and R): signatures made by
:func:`chain.crypto.schnorr.sign` must give a witness whose challenge is
:func:`chain.crypto.schnorr.challenge`; a tampered message, key, ``u`` or ``R``, and keys or
nonces outside the prime-order subgroup or equal to the identity, must make the witness
generator refuse (the circuit is unsatisfiable for them).

``schnorr_double_verify`` (public [c, pk.x, pk.y, pk'.x, pk'.y, m], witness u, R and R'): the
same for :func:`chain.crypto.schnorr.sign_double` and :func:`~chain.crypto.schnorr.verify_double`
(Dusk's double variant, which also checks ``u·G' + c·PK' == R'``); a tampered ``u``, ``R``,
``R'``, ``PK'`` or message, and a ``PK'`` of another key, must be refused.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Final

import pytest

from chain.crypto.jubjub import GENERATOR, GENERATOR_NUMS, R_J, Point, Q
from chain.crypto.poseidon import MODULUS
from chain.crypto.schnorr import (
    Signature,
    SignatureDouble,
    challenge,
    challenge_double,
    public_key,
    public_key_double,
    sign,
    sign_double,
    verify,
    verify_double,
)
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


# -- the double variant ----------------------------------------------------------------------------


def _double_inputs(pk: tuple[Point, Point], sig: SignatureDouble, m: int) -> dict[str, object]:
    return {
        "pk": list(pk[0].affine()),
        "pkPrime": list(pk[1].affine()),
        "r": list(sig.R.affine()),
        "rPrime": list(sig.R_prime.affine()),
        "u": sig.u,
        "m": m,
    }


def _double_signed(rng: random.Random) -> tuple[int, tuple[Point, Point], int, SignatureDouble]:
    sk = rng.randrange(1, R_J)
    m = rng.randrange(MODULUS)
    return sk, public_key_double(sk), m, sign_double(sk, m, rng.randbytes(64))


def test_double_constraint_count() -> None:
    """One public output (c), 5 public inputs (PK, PK', m), 5 private (R, R', u); 8,763
    constraints (schnorr.circom's estimate: 4 x 19 + 3 x 305 + 511 + 253 + 2 x 750 + 2 x 2,745
    + 2 x 6 = 8,757, plus circom's non-linear leftovers)."""
    assert r1cs_header("schnorr_double_verify")[1:] == (1, 5, 5, 8763)


@needs_snarkjs
def test_reference_double_signatures_verify_in_the_circuit(tmp_path: Path) -> None:
    rng = random.Random(8)  # noqa: S311 - seeded test data, not keys
    for _ in range(2):
        _, pk, m, sig = _double_signed(rng)
        assert verify_double(pk, sig, m)
        values = witness(tmp_path, "schnorr_double_verify", _double_inputs(pk, sig, m))
        assert values[1] == challenge_double(sig.R, sig.R_prime, pk, m)
        assert values[2:7] == [*pk[0].affine(), *pk[1].affine(), m]


@needs_snarkjs
@pytest.mark.parametrize(
    "tamper",
    ["message", "u", "u_plus_one", "R", "R_prime", "R_prime_swapped", "pk_prime", "pk_prime_other_key"],
)
def test_tampered_double_signatures_are_unsatisfiable(tmp_path: Path, tamper: str) -> None:
    rng = random.Random(tamper)  # noqa: S311 - seeded test data, not keys
    sk, pk, m, sig = _double_signed(rng)
    if tamper == "message":
        m = (m + 1) % MODULUS
    elif tamper == "u":
        sig = SignatureDouble(rng.randrange(R_J), sig.R, sig.R_prime)
    elif tamper == "u_plus_one":
        sig = SignatureDouble((sig.u + 1) % R_J, sig.R, sig.R_prime)
    elif tamper == "R":
        sig = SignatureDouble(sig.u, sig.R + GENERATOR, sig.R_prime)
    elif tamper == "R_prime":
        sig = SignatureDouble(sig.u, sig.R, sig.R_prime + GENERATOR_NUMS)
    elif tamper == "R_prime_swapped":
        sig = SignatureDouble(sig.u, sig.R_prime, sig.R)
    elif tamper == "pk_prime":
        pk = (pk[0], pk[1] + GENERATOR_NUMS)
    else:
        # PK' of another secret key: the two keys no longer share a discrete logarithm
        pk = (pk[0], public_key_double(sk % (R_J - 1) + 1)[1])
    assert not verify_double(pk, sig, m)
    with pytest.raises(WitnessFailed):
        witness(tmp_path, "schnorr_double_verify", _double_inputs(pk, sig, m))


@needs_snarkjs
def test_only_the_g_equation_holding_is_refused(tmp_path: Path) -> None:
    """A signer who knows sk but uses another nonce for R' (R = r·G, R' = r'·G', r' != r) makes
    u·G + c·PK == R hold and u·G' + c·PK' == R' fail: the second check alone refuses it."""
    rng = random.Random(81)  # noqa: S311 - seeded test data, not keys
    sk, pk, m, _ = _double_signed(rng)
    r = rng.randrange(1, R_J)
    big_r, big_r_prime = GENERATOR * r, GENERATOR_NUMS * (r + 1)
    c = challenge_double(big_r, big_r_prime, pk, m)
    sig = SignatureDouble((r - c * sk) % R_J, big_r, big_r_prime)
    assert GENERATOR * sig.u + pk[0] * c == sig.R
    assert not verify_double(pk, sig, m)
    with pytest.raises(WitnessFailed):
        witness(tmp_path, "schnorr_double_verify", _double_inputs(pk, sig, m))


@needs_snarkjs
def test_double_keys_and_nonces_outside_the_subgroup_are_refused(tmp_path: Path) -> None:
    rng = random.Random(82)  # noqa: S311 - seeded test data, not keys
    _, pk, m, sig = _double_signed(rng)
    with pytest.raises(WitnessFailed):
        witness(tmp_path, "schnorr_double_verify", _double_inputs((pk[0], pk[1] + ORDER_TWO), sig, m))
    bad = SignatureDouble(sig.u, sig.R, sig.R_prime + ORDER_TWO)
    with pytest.raises(WitnessFailed):
        witness(tmp_path, "schnorr_double_verify", _double_inputs(pk, bad, m))
