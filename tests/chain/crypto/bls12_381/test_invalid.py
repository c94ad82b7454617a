"""Negative cases, on both backends: verification says False, production raises a typed error.

Each test takes the ``backend`` fixture and so runs once on arkworks and once on py_ecc.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

import pytest

from chain.crypto.bls12_381 import BlsBackendAPI, get_backend
from chain.crypto.bls12_381.ciphersuite import CIPHERSUITE_ID, CURVE_ORDER
from chain.crypto.exceptions import CryptoError, InvalidInput, InvalidKey, InvalidSignature
from chain.types.primitives import BlsPublicKey, BlsSecretKey, BlsSignature
from tests.chain.crypto.bls12_381.keys import (
    ARKWORKS,
    INFINITY_PK,
    INFINITY_SIGNATURE,
    g1_point_outside_subgroup,
    g2_point_outside_subgroup,
    negate,
    signers,
)

ENTROPY = b"\x5a" * 32


def test_valid_signature_is_accepted(backend: BlsBackendAPI) -> None:
    """The positive control for the tests below: the unaltered signature verifies."""
    alice = signers()[0]
    assert backend.Verify(alice.pk, alice.message, alice.signature) is True


def test_invalid_wrong_message(backend: BlsBackendAPI) -> None:
    alice = signers()[0]
    assert backend.Verify(alice.pk, alice.message + b".", alice.signature) is False


def test_invalid_wrong_key(backend: BlsBackendAPI) -> None:
    alice, bob = signers()[:2]
    assert backend.Verify(bob.pk, alice.message, alice.signature) is False


@pytest.mark.parametrize(
    ("position", "mask"),
    [(0, 0x20), (47, 0x01), (95, 0x01)],
    ids=["sign-flag-negates", "x-c1-low-bit", "x-c0-low-bit"],
)
def test_invalid_tampered_signature(backend: BlsBackendAPI, position: int, mask: int) -> None:
    alice = signers()[0]
    tampered = bytearray(alice.signature)
    tampered[position] ^= mask
    assert backend.Verify(alice.pk, alice.message, BlsSignature(bytes(tampered))) is False


def test_invalid_infinity_public_key(backend: BlsBackendAPI) -> None:
    alice = signers()[0]
    assert backend.bytes_to_public_key(INFINITY_PK) == INFINITY_PK  # decodes: it is a point
    assert backend.KeyValidate(INFINITY_PK) is False  # but not a key (draft-05 §2.5)
    # e(0, H(m)) == e(G1, 0): without KeyValidate the identity pair would "verify" anything.
    assert backend.Verify(INFINITY_PK, alice.message, INFINITY_SIGNATURE) is False
    assert backend.PopVerify(INFINITY_PK, INFINITY_SIGNATURE) is False
    assert backend.FastAggregateVerify([alice.pk, INFINITY_PK], alice.message, alice.signature) is False
    assert backend.AggregateVerify([INFINITY_PK], [alice.message], INFINITY_SIGNATURE) is False
    triples = [(alice.pk, alice.message, alice.signature), (INFINITY_PK, b"x", INFINITY_SIGNATURE)]
    assert backend.batch_verify(triples, entropy=ENTROPY) is False
    with pytest.raises(InvalidKey) as error:
        backend.AggregatePKs([alice.pk, INFINITY_PK])
    assert error.value.reason == "infinity"


def test_invalid_fast_aggregate_verify_keys_summing_to_identity(backend: BlsBackendAPI) -> None:
    """pk + (−pk) is the identity; with the identity signature the pairing equation holds, but
    CoreVerify's KeyValidate on the aggregate key rejects it (draft-05 §3.3.4, §2.7)."""
    alice = signers()[0]
    minus_alice = BlsPublicKey(negate(alice.pk))
    assert backend.KeyValidate(minus_alice) is True
    assert backend.FastAggregateVerify([alice.pk, minus_alice], alice.message, INFINITY_SIGNATURE) is False


def test_invalid_public_key_not_in_subgroup(backend: BlsBackendAPI) -> None:
    alice = signers()[0]
    outside = g1_point_outside_subgroup()
    with pytest.raises(InvalidKey) as error:
        backend.bytes_to_public_key(outside)
    assert error.value.reason == "not_in_subgroup"
    assert backend.KeyValidate(outside) is False
    assert backend.Verify(outside, alice.message, alice.signature) is False
    assert backend.FastAggregateVerify([alice.pk, outside], alice.message, alice.signature) is False
    with pytest.raises(InvalidKey) as error:
        backend.AggregatePKs([outside])
    assert error.value.reason == "not_in_subgroup"


def test_invalid_signature_not_in_subgroup(backend: BlsBackendAPI) -> None:
    alice = signers()[0]
    outside = g2_point_outside_subgroup()
    with pytest.raises(InvalidSignature) as error:
        backend.bytes_to_signature(outside)
    assert error.value.reason == "not_in_subgroup"
    assert backend.Verify(alice.pk, alice.message, outside) is False
    with pytest.raises(InvalidSignature) as error:
        backend.Aggregate([alice.signature, outside])
    assert error.value.reason == "not_in_subgroup"


@pytest.mark.parametrize(
    "first_byte_and_rest",
    [(0xC0, b"\x01"), (0xE0, b"\x00"), (0xC1, b"\x00")],
    ids=["payload-after-infinity", "infinity-with-sign-flag", "x-bits-after-infinity"],
)
def test_invalid_non_canonical_infinity(
    backend: BlsBackendAPI, first_byte_and_rest: tuple[int, bytes]
) -> None:
    """arkworks alone would read all three as the identity; the ZCash format rejects them."""
    first, tail = first_byte_and_rest
    pk = BlsPublicKey(bytes([first]) + bytes(46) + tail)
    signature = BlsSignature(bytes([first]) + bytes(94) + tail)
    with pytest.raises(InvalidKey) as key_error:
        backend.bytes_to_public_key(pk)
    with pytest.raises(InvalidSignature) as signature_error:
        backend.bytes_to_signature(signature)
    assert key_error.value.reason == signature_error.value.reason == "invalid_encoding"
    alice = signers()[0]
    assert backend.Verify(alice.pk, alice.message, signature) is False


def test_invalid_batch_with_one_bad_signature(backend: BlsBackendAPI) -> None:
    triples = [(s.pk, s.message, s.signature) for s in signers()]
    assert backend.batch_verify(triples, entropy=ENTROPY) is True  # positive control
    pk, message, _ = triples[2]
    triples[2] = (pk, message, signers()[3].signature)  # a valid signature, of something else
    assert backend.batch_verify(triples, entropy=ENTROPY) is False


@pytest.mark.parametrize(
    "make_bad",
    [g2_point_outside_subgroup, lambda: BlsSignature(bytes(96))],
    ids=["not-in-subgroup", "no-compression-flag"],
)
def test_invalid_batch_with_one_malformed_signature(
    backend: BlsBackendAPI, make_bad: Callable[[], BlsSignature]
) -> None:
    triples = [(s.pk, s.message, s.signature) for s in signers()[:2]]
    pk, message, _ = triples[1]
    triples[1] = (pk, message, make_bad())
    assert backend.batch_verify(triples, entropy=ENTROPY) is False


def test_invalid_batch_with_offsetting_signatures(backend: BlsBackendAPI) -> None:
    """sig_1 + D and sig_2 − D: the *sum* still verifies, so a naive batch check (r_i = 1, or
    AggregateVerify) accepts two invalid signatures. The random scalars reject them."""
    alice, bob, carol = signers()[:3]
    offset = carol.signature  # any point of G2
    alice_bad = ARKWORKS.Aggregate([alice.signature, offset])
    bob_bad = ARKWORKS.Aggregate([bob.signature, BlsSignature(negate(offset))])
    assert ARKWORKS.Verify(alice.pk, alice.message, alice_bad) is False
    pks, messages = [alice.pk, bob.pk], [alice.message, bob.message]
    assert backend.AggregateVerify(pks, messages, backend.Aggregate([alice_bad, bob_bad])) is True
    triples = [(alice.pk, alice.message, alice_bad), (bob.pk, bob.message, bob_bad)]
    assert backend.batch_verify(triples, entropy=ENTROPY) is False


def test_invalid_batch_same_message_with_offsetting_signatures(backend: BlsBackendAPI) -> None:
    """The same attack when both sign one message (the grouped, committee-vote path)."""
    alice, bob, carol = signers()[:3]
    vote = b"vote: block 7, iteration 0"
    alice_bad = ARKWORKS.Aggregate([ARKWORKS.Sign(alice.sk, vote), carol.signature])
    bob_bad = ARKWORKS.Aggregate([ARKWORKS.Sign(bob.sk, vote), BlsSignature(negate(carol.signature))])
    triples = [(alice.pk, vote, alice_bad), (bob.pk, vote, bob_bad)]
    assert backend.batch_verify(triples, entropy=ENTROPY) is False
    honest = [(alice.pk, vote, ARKWORKS.Sign(alice.sk, vote)), (bob.pk, vote, ARKWORKS.Sign(bob.sk, vote))]
    assert backend.batch_verify(honest, entropy=ENTROPY) is True


def test_invalid_batch_empty(backend: BlsBackendAPI) -> None:
    assert backend.batch_verify([], entropy=ENTROPY) is False


@pytest.mark.parametrize("entropy", [b"", b"\x00" * 15], ids=["empty", "15-bytes"])
def test_invalid_batch_entropy_too_short(backend: BlsBackendAPI, entropy: bytes) -> None:
    alice = signers()[0]
    with pytest.raises(InvalidInput) as error:
        backend.batch_verify([(alice.pk, alice.message, alice.signature)], entropy=entropy)
    assert error.value.reason == "entropy_too_short"


@pytest.mark.parametrize(
    "scalar",
    [0, CURVE_ORDER, CURVE_ORDER + 1, 2**256 - 1],
    ids=["zero", "r", "r-plus-1", "all-ones"],
)
def test_invalid_secret_key_out_of_range(backend: BlsBackendAPI, scalar: int) -> None:
    sk = BlsSecretKey(scalar.to_bytes(32, "big"))
    for produce in (backend.SkToPk, lambda key: backend.Sign(key, b"m"), backend.PopProve):
        with pytest.raises(InvalidKey) as error:
            produce(sk)
        assert error.value.reason == "secret_key_out_of_range"


def test_invalid_secret_key_length(backend: BlsBackendAPI) -> None:
    with pytest.raises(InvalidKey) as error:
        backend.Sign(cast(BlsSecretKey, b"\x01" * 31), b"m")
    assert error.value.reason == "wrong_length"


def test_invalid_keygen_short_ikm(backend: BlsBackendAPI) -> None:
    with pytest.raises(InvalidKey) as error:
        backend.KeyGen(b"\x07" * 31)
    assert error.value.reason == "ikm_too_short"


def test_invalid_aggregate_inputs(backend: BlsBackendAPI) -> None:
    with pytest.raises(InvalidInput) as empty:
        backend.Aggregate([])
    assert empty.value.reason == "empty"
    with pytest.raises(InvalidInput) as empty_keys:
        backend.AggregatePKs([])
    assert empty_keys.value.reason == "empty"
    with pytest.raises(InvalidSignature) as short:
        backend.Aggregate([signers()[0].signature, cast(BlsSignature, b"\xa0" * 95)])
    assert short.value.reason == "wrong_length"
    with pytest.raises(InvalidSignature) as garbage:
        backend.Aggregate([BlsSignature(b"\xff" * 96)])
    assert garbage.value.reason == "invalid_encoding"


def test_invalid_proof_of_possession(backend: BlsBackendAPI) -> None:
    alice, bob = signers()[:2]
    assert backend.PopVerify(alice.pk, ARKWORKS.PopProve(alice.sk)) is True  # positive control
    # A plain signature over the key's bytes is not a proof: the POP tag separates the domains.
    assert backend.PopVerify(alice.pk, ARKWORKS.Sign(alice.sk, alice.pk)) is False
    assert backend.PopVerify(bob.pk, ARKWORKS.PopProve(alice.sk)) is False


def test_invalid_aggregate_verifications(backend: BlsBackendAPI) -> None:
    alice, bob = signers()[:2]
    vote = b"vote"
    aggregate = ARKWORKS.Aggregate([ARKWORKS.Sign(alice.sk, vote), ARKWORKS.Sign(bob.sk, vote)])
    assert backend.FastAggregateVerify([alice.pk], vote, aggregate) is False  # a signer missing
    assert backend.FastAggregateVerify([], vote, INFINITY_SIGNATURE) is False
    assert backend.AggregateVerify([alice.pk, bob.pk], [vote], aggregate) is False  # lengths differ
    assert backend.AggregateVerify([], [], INFINITY_SIGNATURE) is False


def test_invalid_non_bytes_input(backend: BlsBackendAPI) -> None:
    alice = signers()[0]
    text = cast(bytes, alice.message.decode())
    assert backend.Verify(alice.pk, text, alice.signature) is False
    assert backend.Verify(cast(BlsPublicKey, list(alice.pk)), alice.message, alice.signature) is False
    assert backend.KeyValidate(cast(BlsPublicKey, alice.pk.hex())) is False
    with pytest.raises(InvalidInput) as error:
        backend.Sign(alice.sk, text)
    assert error.value.reason == "not_bytes"


def test_invalid_hash_to_G2_dst_too_long(backend: BlsBackendAPI) -> None:
    with pytest.raises(InvalidInput) as error:
        backend.hash_to_G2(b"m", CIPHERSUITE_ID * 6)
    assert error.value.reason == "dst_too_long"


def test_invalid_backend_name() -> None:
    with pytest.raises(InvalidInput) as error:
        get_backend("blst")  # type: ignore[arg-type]
    assert error.value.reason == "unknown_backend"
    assert isinstance(error.value, CryptoError)
