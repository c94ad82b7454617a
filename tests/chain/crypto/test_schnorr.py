"""Dusk's Schnorr signatures (chain.crypto.schnorr) against dusk-network/jubjub-schnorr.

Fixed vectors: dusk-network/jubjub-schnorr at commit 2cbc616d41194ac932ca480c26a54deab67ea4c4,
``tests/serde.rs`` pins the base58 (bs58) JSON form of a key pair and of a single and a double
signature, each made from ``StdRng::seed_from_u64(2321)``: ``SecretKey::random`` (64 bytes mod
r_J), ``BlsScalar::random`` for the message (64 bytes mod q), then ``sign``/``sign_double``,
whose hedged nonce draws 64 more bytes. ``StdRng`` in rand 0.8 is ChaCha12 (RFC 8439's block
function with 12 rounds, 64-bit block counter, stream 0) keyed by rand_core's
``seed_from_u64`` (a PCG32 step per 4 key bytes); the test rebuilds that byte stream so the
upstream vectors check the whole path: key, hedged nonce, challenge, ``u`` and the encoding.

``tests/common/mod.rs`` (same commit) builds the "adaptive secondary key" attack on the legacy
double challenge (which omitted PK'); :func:`test_double_challenge_binds_the_secondary_key`
rebuilds it and the verifier must refuse it, as upstream's ``adaptive_secondary_key_is_rejected``.
"""

from __future__ import annotations

import random as stdlib_random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chain.crypto import schnorr
from chain.crypto.exceptions import (
    CryptoError,
    InvalidFieldElement,
    InvalidInput,
    InvalidKey,
    InvalidSignature,
)
from chain.crypto.jubjub import GENERATOR, GENERATOR_NUMS, R_J, Point, Q
from chain.crypto.poseidon import MODULUS, Domain, hash_truncated
from chain.crypto.schnorr import Signature, SignatureDouble
from tests.chain.crypto.dusk_stdrng import StdRng

# -- bs58, to read upstream's seeded vectors (the StdRng replay: tests/chain/crypto/dusk_stdrng.py) --

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def _b58decode(text: str) -> bytes:
    n = 0
    for ch in text:
        n = n * 58 + _B58.index(ch)
    zeros = len(text) - len(text.lstrip("1"))
    return b"\0" * zeros + (n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b"")


# Upstream tests/serde.rs, seed 2321.
SERDE_SECRET_KEY = "kTCLvwPCUa18aowCBXYNLuPVjHoonZYzyJGaSn6xsrP"
SERDE_PUBLIC_KEY = "DpZLY4DYeQfPL1buDu8mD6ksNms6Egs98dSSFnFaSbRy"
SERDE_PUBLIC_KEY_DOUBLE = (
    "4otCV6kFoJ6PXxwcFM1z9AFyiqwGHp3VPj3rUBCD25TcyNJWtMqSfNndztYMjG6RodvSpTvnZQjpMEvD1dCodKZd"
)
SERDE_SIGNATURE = "4Ck7MhW5SJrdKAuR6REJBQLNcPr3uBBVPkipXvDfhFfXwUdyokH3ZMKsPEcbzmNmPBpriBmKq3kugjs3oCztFixs"
SERDE_SIGNATURE_DOUBLE = (
    "23RrLejtpfZ3KbG9ddZeHWXmt7CtexrvHKZEkDDdgwSZgFXspEVqK9WSRYM9u4Yddd5vTPPpBqXG9MfFXRFjwvcYjiJm"
    "U8uqL8W9FBsuKCM1fvfqaae6G4oJ6v4MkMPhjQy3"
)


def _upstream_draws(seed: int = 2321) -> tuple[int, int, bytes]:
    """(sk, message, nonce randomness) as upstream's serde tests draw them."""
    rng = StdRng(seed)
    sk = int.from_bytes(rng(64), "little") % R_J
    message = int.from_bytes(rng(64), "little") % MODULUS
    return sk, message, rng(64)


def test_rng_replay_matches_upstream_keys() -> None:
    sk, _, _ = _upstream_draws()
    assert schnorr.secret_key_to_bytes(sk) == _b58decode(SERDE_SECRET_KEY)
    assert schnorr.public_key(sk).to_bytes() == _b58decode(SERDE_PUBLIC_KEY)
    pk_double = schnorr.public_key_double(sk)
    assert schnorr.public_key_double_to_bytes(pk_double) == _b58decode(SERDE_PUBLIC_KEY_DOUBLE)
    assert schnorr.secret_key_from_bytes(_b58decode(SERDE_SECRET_KEY)) == sk
    assert schnorr.public_key_double_from_bytes(_b58decode(SERDE_PUBLIC_KEY_DOUBLE)) == pk_double


def test_upstream_signature_vector() -> None:
    sk, message, random = _upstream_draws()
    expected = _b58decode(SERDE_SIGNATURE)
    signature = schnorr.sign(sk, message, random)
    assert signature.to_bytes() == expected
    decoded = Signature.from_bytes(expected)
    assert decoded == signature
    assert schnorr.verify(schnorr.public_key_from_bytes(_b58decode(SERDE_PUBLIC_KEY)), decoded, message)
    assert not schnorr.verify(schnorr.public_key(sk), decoded, (message + 1) % MODULUS)


def test_upstream_double_signature_vector() -> None:
    sk, message, random = _upstream_draws()
    expected = _b58decode(SERDE_SIGNATURE_DOUBLE)
    signature = schnorr.sign_double(sk, message, random)
    assert signature.to_bytes() == expected
    decoded = SignatureDouble.from_bytes(expected)
    assert decoded == signature
    assert schnorr.verify_double(schnorr.public_key_double(sk), decoded, message)
    assert not schnorr.verify_double(schnorr.public_key_double(sk), decoded, (message + 1) % MODULUS)


def test_formulas_spelled_out() -> None:
    """The nonce, challenge and ``u`` are exactly upstream's transcripts (input order included)."""
    sk, message, random = 0x1234567, 42, bytes(range(64))
    rand = int.from_bytes(random, "little") % R_J
    pk = GENERATOR * sk
    r = hash_truncated([rand, sk, 1, message], Domain.OTHER)
    R = GENERATOR * r  # noqa: N806
    c = hash_truncated([*R.affine(), *pk.affine(), message], Domain.OTHER)
    assert schnorr.sign(sk, message, random) == Signature((r - c * sk) % R_J, R)

    r2 = hash_truncated([rand, sk, 2, message], Domain.OTHER)
    R2, R2p = GENERATOR * r2, GENERATOR_NUMS * r2  # noqa: N806
    pkp = GENERATOR_NUMS * sk
    tag = int.from_bytes(b"JJSCHDBL", "big")
    c2 = hash_truncated(
        [tag, *R2.affine(), *R2p.affine(), *pk.affine(), *pkp.affine(), message], Domain.OTHER
    )
    assert schnorr.sign_double(sk, message, random) == SignatureDouble((r2 - c2 * sk) % R_J, R2, R2p)


def test_double_challenge_binds_the_secondary_key() -> None:
    """Upstream's legacy fixture: with the old challenge (no PK'), an attacker solves for a PK'
    that satisfies the second equation; the current challenge makes it fail."""
    sk, message, nonce = 17, 23, 31
    pk = GENERATOR * sk
    R, R_prime = GENERATOR * nonce, GENERATOR_NUMS * 37  # noqa: N806
    legacy = hash_truncated([*R.affine(), *R_prime.affine(), *pk.affine(), message], Domain.OTHER)
    u = (nonce - legacy * sk) % R_J
    pk_prime = (R_prime - GENERATOR_NUMS * u) * pow(legacy, -1, R_J)
    assert pk_prime.is_prime_order()
    # The legacy equations hold, so only the challenge can refuse it.
    assert GENERATOR * u + pk * legacy == R
    assert GENERATOR_NUMS * u + pk_prime * legacy == R_prime
    signature = SignatureDouble.from_bytes(u.to_bytes(32, "little") + R.to_bytes() + R_prime.to_bytes())
    assert not schnorr.verify_double((pk, pk_prime), signature, message)


# -- properties ------------------------------------------------------------------------------------

secret_keys = st.integers(min_value=1, max_value=R_J - 1)
messages = st.integers(min_value=0, max_value=MODULUS - 1)
randoms = st.binary(min_size=64, max_size=64)


@settings(max_examples=15, deadline=None)
@given(secret_keys, messages, randoms)
def test_sign_verify_round_trip_and_tampering(sk: int, message: int, random: bytes) -> None:
    pk = schnorr.public_key(sk)
    signature = schnorr.sign(sk, message, random)
    assert schnorr.verify(pk, signature, message)
    assert Signature.from_bytes(signature.to_bytes()) == signature
    assert not schnorr.verify(pk, signature, (message + 1) % MODULUS)
    assert not schnorr.verify(pk + GENERATOR, signature, message)
    assert not schnorr.verify(pk, Signature((signature.u + 1) % R_J, signature.R), message)
    assert not schnorr.verify(pk, Signature(signature.u, signature.R + GENERATOR), message)


@settings(max_examples=8, deadline=None)
@given(secret_keys, messages, randoms)
def test_double_round_trip_and_tampering(sk: int, message: int, random: bytes) -> None:
    pk, pk_prime = schnorr.public_key_double(sk)
    signature = schnorr.sign_double(sk, message, random)
    assert schnorr.verify_double((pk, pk_prime), signature, message)
    assert SignatureDouble.from_bytes(signature.to_bytes()) == signature
    assert not schnorr.verify_double((pk, pk_prime), signature, (message + 1) % MODULUS)
    assert not schnorr.verify_double((pk, pk_prime + GENERATOR_NUMS), signature, message)
    assert not schnorr.verify_double((pk + GENERATOR, pk_prime), signature, message)
    u, R, Rp = signature.u, signature.R, signature.R_prime  # noqa: N806
    assert not schnorr.verify_double((pk, pk_prime), SignatureDouble((u + 1) % R_J, R, Rp), message)
    assert not schnorr.verify_double((pk, pk_prime), SignatureDouble(u, R, Rp + GENERATOR_NUMS), message)
    # A single signature's (u, R) is not a double signature's, nor the reverse.
    assert not schnorr.verify(pk, Signature(u, R), message)


def test_hedged_nonce_survives_a_repeated_random() -> None:
    """Upstream tests/nonce_reuse.rs: a constant RNG must not repeat the nonce across messages
    or across the single and double variants, so ``sk = Δu / Δc`` recovers nothing."""
    sk, stuck = 0xBEEF1234, bytes([0x42]) * 64
    pk = schnorr.public_key(sk)
    one, two = schnorr.sign(sk, 100, stuck), schnorr.sign(sk, 200, stuck)
    assert schnorr.verify(pk, one, 100)
    assert schnorr.verify(pk, two, 200)
    assert one.R != two.R
    c1, c2 = schnorr.challenge(one.R, pk, 100), schnorr.challenge(two.R, pk, 200)
    assert (one.u - two.u) * pow(c2 - c1, -1, R_J) % R_J != sk

    double = schnorr.sign_double(sk, 100, stuck)
    assert double.R != one.R
    c_double = schnorr.challenge_double(double.R, double.R_prime, schnorr.public_key_double(sk), 100)
    assert (one.u - double.u) * pow(c_double - c1, -1, R_J) % R_J != sk
    # Deterministic in its arguments: the same random gives the same signature.
    assert schnorr.sign(sk, 100, stuck) == one


def test_identity_and_off_subgroup_points_never_verify() -> None:
    identity = Point.identity()
    sk, message = 5, 9
    signature = schnorr.sign(sk, message, bytes(64))
    assert not schnorr.verify(identity, signature, message)
    # A forged (u, R = identity) for PK = identity would satisfy u·G + c·PK == R with u = 0.
    assert not schnorr.verify(identity, Signature(0, identity), message)
    torsion = Point.from_bytes(bytes(31) + b"\x80", subgroup=False)  # (0, -1), order 2
    assert not schnorr.verify(schnorr.public_key(sk) + torsion, signature, message)
    assert not schnorr.verify(schnorr.public_key(sk), Signature(signature.u, signature.R + torsion), message)
    assert not schnorr.verify_double((identity, identity), SignatureDouble(0, identity, identity), message)


@pytest.mark.parametrize(
    "args",
    [
        ("pk", "sig", 1),
        (GENERATOR, Signature(R_J, GENERATOR), 1),
        (GENERATOR, Signature(-1, GENERATOR), 1),
        (GENERATOR, Signature(True, GENERATOR), 1),
        (GENERATOR, Signature(1, GENERATOR), MODULUS),
        (GENERATOR, Signature(1, GENERATOR), -1),
        (GENERATOR, Signature(1, GENERATOR), "1"),
        (GENERATOR, SignatureDouble(1, GENERATOR, GENERATOR), 1),
    ],
)
def test_verify_returns_false_on_bad_arguments(args: tuple[object, object, object]) -> None:
    assert schnorr.verify(*args) is False  # type: ignore[arg-type]


def test_verify_double_returns_false_on_bad_arguments() -> None:
    sig = SignatureDouble(1, GENERATOR, GENERATOR_NUMS)
    for pk in [GENERATOR, (GENERATOR,), (GENERATOR, "x"), [GENERATOR, GENERATOR_NUMS]]:
        assert schnorr.verify_double(pk, sig, 1) is False  # type: ignore[arg-type]
    assert schnorr.verify_double((GENERATOR, GENERATOR_NUMS), Signature(1, GENERATOR), 1) is False  # type: ignore[arg-type]
    assert schnorr.verify_double((GENERATOR, GENERATOR_NUMS), sig, MODULUS) is False


# -- refusals --------------------------------------------------------------------------------------

_VALID = schnorr.sign(7, 11, bytes(64)).to_bytes()
_U, _R = _VALID[:32], _VALID[32:]


def _y_bytes(y: int, sign: int = 0) -> bytes:
    return (sign << 255 | y).to_bytes(32, "little")


def _off_curve_y() -> int:
    y = 2
    while True:
        try:
            Point.from_bytes(_y_bytes(y), subgroup=False)
        except Exception:  # noqa: BLE001 - searching for the first y with no point
            return y
        y += 1


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ("x" * 64, "not_bytes"),
        (None, "not_bytes"),
        (_VALID[:63], "wrong_length"),
        (_VALID + b"\0", "wrong_length"),
        (R_J.to_bytes(32, "little") + _R, "scalar_out_of_range"),
        (b"\xff" * 32 + _R, "scalar_out_of_range"),
        (_U + _y_bytes(Q), "non_canonical"),
        (_U + _y_bytes(1, sign=1), "non_canonical"),  # x = 0 with the sign bit (ZIP 216)
        (_U + _y_bytes(_off_curve_y()), "not_on_curve"),
        (_U + _y_bytes(Q - 1), "not_in_subgroup"),  # (0, -1), of order 2
    ],
)
def test_signature_decoding_refusals(data: object, reason: str) -> None:
    with pytest.raises(InvalidSignature) as info:
        Signature.from_bytes(data)  # type: ignore[arg-type]
    assert info.value.reason == reason


def test_double_signature_and_key_decoding_refusals() -> None:
    double = schnorr.sign_double(7, 11, bytes(64)).to_bytes()
    with pytest.raises(InvalidSignature) as info:
        SignatureDouble.from_bytes(double[:64] + _y_bytes(Q - 1))
    assert info.value.reason == "not_in_subgroup"
    with pytest.raises(InvalidSignature) as info:
        SignatureDouble.from_bytes(_VALID)
    assert info.value.reason == "wrong_length"
    for data, reason in [
        (_y_bytes(Q), "non_canonical"),
        (_y_bytes(Q - 1), "not_in_subgroup"),
        (b"\0" * 31, "wrong_length"),
        (bytearray(31), "wrong_length"),
        ("k" * 32, "not_bytes"),
    ]:
        with pytest.raises(InvalidKey) as key_info:
            schnorr.public_key_from_bytes(data)  # type: ignore[arg-type]
        assert key_info.value.reason == reason
    with pytest.raises(InvalidKey) as key_info:
        schnorr.public_key_double_from_bytes(_R + _y_bytes(Q - 1))
    assert key_info.value.reason == "not_in_subgroup"
    for data, reason in [
        (bytes(32), "secret_key_out_of_range"),
        (R_J.to_bytes(32, "little"), "scalar_out_of_range"),
        (bytes(33), "wrong_length"),
    ]:
        with pytest.raises(InvalidKey) as key_info:
            schnorr.secret_key_from_bytes(data)
        assert key_info.value.reason == reason


@pytest.mark.parametrize(
    ("sk", "message", "random", "error", "reason"),
    [
        (0, 1, bytes(64), InvalidKey, "secret_key_out_of_range"),
        (R_J, 1, bytes(64), InvalidKey, "secret_key_out_of_range"),
        (True, 1, bytes(64), InvalidKey, "not_int"),
        ("1", 1, bytes(64), InvalidKey, "not_int"),
        (1, MODULUS, bytes(64), InvalidFieldElement, "out_of_range"),
        (1, 1.0, bytes(64), InvalidFieldElement, "not_int"),
        (1, 1, bytes(63), InvalidInput, "wrong_length"),
        (1, 1, "r" * 64, InvalidInput, "not_bytes"),
    ],
)
def test_sign_refuses_bad_input(
    sk: object, message: object, random: object, error: type[CryptoError], reason: str
) -> None:
    for signer in (schnorr.sign, schnorr.sign_double):
        with pytest.raises(error) as info:
            signer(sk, message, random)  # type: ignore[arg-type]
        assert info.value.reason == reason
    with pytest.raises(InvalidInput) as tag_info:
        schnorr.hedged_nonce(1, 1, bytes(64), 3)
    assert tag_info.value.reason == "invalid_tag"


def test_fuzzed_bytes_decode_to_a_typed_refusal_or_fail_verification() -> None:
    """2,000 random 64-byte strings (seeded), then 200 single-byte mutations of a valid
    signature: each either raises InvalidSignature or decodes to something verify refuses;
    nothing else is raised."""
    rng = stdlib_random.Random(0x5C4)  # noqa: S311 - a seeded fuzz, not a secret
    pk, message = schnorr.public_key(7), 11
    reasons: dict[str, int] = {}
    decoded = 0
    candidates = [rng.randbytes(64) for _ in range(2000)]
    for _ in range(200):
        mutated = bytearray(_VALID)
        mutated[rng.randrange(64)] ^= 1 << rng.randrange(8)
        candidates.append(bytes(mutated))
    for data in candidates:
        try:
            signature = Signature.from_bytes(data)
        except InvalidSignature as exc:
            reasons[exc.reason] = reasons.get(exc.reason, 0) + 1
            continue
        decoded += 1
        assert schnorr.verify(pk, signature, message) is False
    assert decoded > 0
    assert set(reasons) <= {"scalar_out_of_range", "non_canonical", "not_on_curve", "not_in_subgroup"}
    assert {"scalar_out_of_range", "not_on_curve", "not_in_subgroup"} <= set(reasons)
