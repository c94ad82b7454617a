"""Property tests: the arkworks engine and the py_ecc reference agree on random inputs.

House style 11: a readable reference beside every optimized path, tested against each other.
py_ecc costs 0.1–0.7 s per signing or verification, so the py_ecc-heavy properties run a
handful of examples each (``SLOW``); the cheap ones run more (``FAST``). No example database
is written (``database=None``): the repository stays clean and runs do not depend on history.
"""

from __future__ import annotations

from typing import Final

from hypothesis import given, settings
from hypothesis import strategies as st

from chain.crypto.bls12_381 import get_backend
from chain.crypto.bls12_381.ciphersuite import CURVE_ORDER
from chain.types.primitives import BlsPublicKey, BlsSecretKey, BlsSignature

ARKWORKS: Final = get_backend("arkworks")
PY_ECC: Final = get_backend("py_ecc")

FAST = settings(max_examples=40, deadline=None, database=None)
SLOW = settings(max_examples=5, deadline=None, database=None)

secret_keys = st.integers(min_value=1, max_value=CURVE_ORDER - 1).map(
    lambda n: BlsSecretKey(n.to_bytes(32, "big"))
)
messages = st.binary(max_size=48)
entropies = st.binary(min_size=16, max_size=40)


@FAST
@given(ikm=st.binary(min_size=32, max_size=80), key_info=st.binary(max_size=24))
def test_KeyGen_agrees(ikm: bytes, key_info: bytes) -> None:
    assert ARKWORKS.KeyGen(ikm, key_info) == PY_ECC.KeyGen(ikm, key_info)


@FAST
@given(sk=secret_keys)
def test_SkToPk_agrees(sk: BlsSecretKey) -> None:
    pk = ARKWORKS.SkToPk(sk)
    assert pk == PY_ECC.SkToPk(sk)
    assert ARKWORKS.KeyValidate(pk)
    assert PY_ECC.KeyValidate(pk)


@SLOW
@given(sk=secret_keys, message=messages)
def test_Sign_and_Verify_agree(sk: BlsSecretKey, message: bytes) -> None:
    signature = ARKWORKS.Sign(sk, message)
    assert signature == PY_ECC.Sign(sk, message)
    pk = ARKWORKS.SkToPk(sk)
    assert ARKWORKS.Verify(pk, message, signature)
    assert PY_ECC.Verify(pk, message, signature)


@settings(max_examples=12, deadline=None, database=None)
@given(
    sk=secret_keys,
    message=messages,
    target=st.sampled_from(["pk", "message", "signature"]),
    position=st.integers(min_value=0, max_value=95),
    flip=st.integers(min_value=1, max_value=255),
)
def test_Verify_agrees_on_corrupted_input(
    sk: BlsSecretKey, message: bytes, target: str, position: int, flip: int
) -> None:
    pk, signature = ARKWORKS.SkToPk(sk), ARKWORKS.Sign(sk, message)
    if target == "pk":
        pk = BlsPublicKey(_flip(pk, position % 48, flip))
    elif target == "signature":
        signature = BlsSignature(_flip(signature, position, flip))
    else:
        message = _flip(message + b"\x00", position % (len(message) + 1), flip)
    expected = ARKWORKS.Verify(pk, message, signature)
    assert expected is False
    assert PY_ECC.Verify(pk, message, signature) is expected


@SLOW
@given(pairs=st.lists(st.tuples(secret_keys, messages), min_size=1, max_size=4))
def test_Aggregate_agrees(pairs: list[tuple[BlsSecretKey, bytes]]) -> None:
    signatures = [ARKWORKS.Sign(sk, message) for sk, message in pairs]
    aggregate = ARKWORKS.Aggregate(signatures)
    assert aggregate == PY_ECC.Aggregate(signatures)
    pks = [ARKWORKS.SkToPk(sk) for sk, _ in pairs]
    assert ARKWORKS.AggregateVerify(pks, [message for _, message in pairs], aggregate)


@settings(max_examples=4, deadline=None, database=None)
@given(sks=st.lists(secret_keys, min_size=1, max_size=3), message=messages, drop_last=st.booleans())
def test_FastAggregateVerify_agrees(sks: list[BlsSecretKey], message: bytes, drop_last: bool) -> None:
    pks = [ARKWORKS.SkToPk(sk) for sk in sks]
    aggregate = ARKWORKS.Aggregate([ARKWORKS.Sign(sk, message) for sk in sks])
    if drop_last and len(pks) > 1:
        pks = pks[:-1]
    expected = ARKWORKS.FastAggregateVerify(pks, message, aggregate)
    assert expected is (not drop_last or len(sks) == 1)
    assert PY_ECC.FastAggregateVerify(pks, message, aggregate) is expected
    assert ARKWORKS.AggregatePKs(pks) == PY_ECC.AggregatePKs(pks)


@settings(max_examples=3, deadline=None, database=None)
@given(sk=secret_keys)
def test_PopProve_and_PopVerify_agree(sk: BlsSecretKey) -> None:
    proof = ARKWORKS.PopProve(sk)
    assert proof == PY_ECC.PopProve(sk)
    pk = ARKWORKS.SkToPk(sk)
    assert ARKWORKS.PopVerify(pk, proof)
    assert PY_ECC.PopVerify(pk, proof)


@SLOW
@given(message=messages, dst=st.binary(min_size=1, max_size=64))
def test_hash_to_G2_agrees(message: bytes, dst: bytes) -> None:
    assert ARKWORKS.hash_to_G2(message, dst) == PY_ECC.hash_to_G2(message, dst)


@settings(max_examples=4, deadline=None, database=None)
@given(
    pairs=st.lists(st.tuples(secret_keys, st.sampled_from([b"", b"vote", b"block"])), min_size=1, max_size=3),
    corrupt=st.booleans(),
    entropy=entropies,
)
def test_batch_verify_agrees(pairs: list[tuple[BlsSecretKey, bytes]], corrupt: bool, entropy: bytes) -> None:
    triples = [(ARKWORKS.SkToPk(sk), message, ARKWORKS.Sign(sk, message)) for sk, message in pairs]
    if corrupt:  # the first signature signs another message
        pk, message, _ = triples[0]
        triples[0] = (pk, message, ARKWORKS.Sign(pairs[0][0], message + b"!"))
    expected = ARKWORKS.batch_verify(triples, entropy=entropy)
    assert expected is (not corrupt)
    assert PY_ECC.batch_verify(triples, entropy=entropy) is expected


def _flip(data: bytes, position: int, mask: int) -> bytes:
    """``data`` with byte ``position`` XORed with the non-zero ``mask``."""
    changed = bytearray(data)
    changed[position] ^= mask
    return bytes(changed)
