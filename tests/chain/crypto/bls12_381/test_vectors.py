"""The Ethereum BLS vectors (ethereum/bls12-381-tests, 104 files), on both backends.

One test per vector file per backend; every file of every directory runs on both, py_ecc
included: none is left out (all 104 take about 20 s on py_ecc and under 1 s on arkworks).
Each test asserts the file's concrete output: bytes for ``sign`` and ``aggregate``, booleans
for the verifications, affine coordinates for ``hash_to_G2``, and for the deserialization
files whether decoding succeeds, with the ``reason`` of the rejection.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from chain.crypto.bls12_381 import BlsBackendAPI
from chain.crypto.exceptions import CryptoError, InvalidInput, InvalidKey, InvalidSignature
from tests.chain.crypto.bls12_381.vectors import (
    EXPECTED_FILE_COUNTS,
    HASH_TO_G2_DST,
    MISSING,
    VECTOR_ROOT,
    fp2,
    load,
    pk,
    raw,
    sig,
    sk,
    vector_files,
)

ENTROPY = bytes(range(32))

INFINITY_PK = raw("0xc0" + "00" * 47)

# Why each deserialization file fails, as a reason code. Both backends must give the same.
DESERIALIZATION_REASONS = {
    "deserialization_fails_infinity_with_false_b_flag": "invalid_encoding",
    "deserialization_fails_infinity_with_true_b_flag": "invalid_encoding",
    "deserialization_fails_not_in_G1": "not_in_subgroup",
    "deserialization_fails_not_in_G2": "not_in_subgroup",
    "deserialization_fails_not_in_curve": "invalid_encoding",
    "deserialization_fails_too_few_bytes": "wrong_length",
    "deserialization_fails_too_many_bytes": "wrong_length",
    "deserialization_fails_with_b_flag_and_a_flag_true": "invalid_encoding",
    "deserialization_fails_with_b_flag_and_x_nonzero": "invalid_encoding",
    "deserialization_fails_with_mask_bits_001": "invalid_encoding",
    "deserialization_fails_with_mask_bits_011": "invalid_encoding",
    "deserialization_fails_with_mask_bits_111": "invalid_encoding",
    "deserialization_fails_with_wrong_c_flag": "invalid_encoding",
    "deserialization_fails_x_equal_to_modulus": "invalid_encoding",
    "deserialization_fails_x_greater_than_modulus": "invalid_encoding",
    "deserialization_fails_xim_equal_to_modulus": "invalid_encoding",
    "deserialization_fails_xim_greater_than_modulus": "invalid_encoding",
    "deserialization_fails_xre_equal_to_modulus": "invalid_encoding",
    "deserialization_fails_xre_greater_than_modulus": "invalid_encoding",
}


def files(kind: str) -> pytest.MarkDecorator:
    """Parametrize over every vector file of ``kind`` (or one skipped case if absent)."""
    return pytest.mark.parametrize("path", vector_files(kind))


def test_vector_inventory() -> None:
    if not VECTOR_ROOT.is_dir():
        pytest.skip(MISSING)
    counts = {kind: len(list((VECTOR_ROOT / kind).glob("*.json"))) for kind in EXPECTED_FILE_COUNTS}
    assert counts == EXPECTED_FILE_COUNTS


@files("sign")
def test_sign(backend: BlsBackendAPI, path: Path) -> None:
    case = load(path)
    secret, message = sk(case["input"]["privkey"]), raw(case["input"]["message"])
    if case["output"] is None:
        with pytest.raises(InvalidKey) as error:
            backend.Sign(secret, message)
        assert error.value.reason == "secret_key_out_of_range"
    else:
        assert backend.Sign(secret, message).hex() == case["output"].removeprefix("0x")


@files("verify")
def test_verify(backend: BlsBackendAPI, path: Path) -> None:
    case = load(path)
    given = case["input"]
    result = backend.Verify(pk(given["pubkey"]), raw(given["message"]), sig(given["signature"]))
    assert result is case["output"]


@files("aggregate")
def test_aggregate(backend: BlsBackendAPI, path: Path) -> None:
    case = load(path)
    signatures = [sig(item) for item in case["input"]]
    if case["output"] is None:
        with pytest.raises(InvalidInput) as error:
            backend.Aggregate(signatures)
        assert error.value.reason == "empty"
    else:
        assert backend.Aggregate(signatures).hex() == case["output"].removeprefix("0x")


@files("fast_aggregate_verify")
def test_fast_aggregate_verify(backend: BlsBackendAPI, path: Path) -> None:
    case = load(path)
    given = case["input"]
    pks = [pk(item) for item in given["pubkeys"]]
    result = backend.FastAggregateVerify(pks, raw(given["message"]), sig(given["signature"]))
    assert result is case["output"]


@files("aggregate_verify")
def test_aggregate_verify(backend: BlsBackendAPI, path: Path) -> None:
    case = load(path)
    given = case["input"]
    pks = [pk(item) for item in given["pubkeys"]]
    messages = [raw(item) for item in given["messages"]]
    assert backend.AggregateVerify(pks, messages, sig(given["signature"])) is case["output"]


@files("batch_verify")
def test_batch_verify(backend: BlsBackendAPI, path: Path) -> None:
    case = load(path)
    given = case["input"]
    triples = [
        (pk(p), raw(m), sig(s))
        for p, m, s in zip(given["pubkeys"], given["messages"], given["signatures"], strict=True)
    ]
    assert backend.batch_verify(triples, entropy=ENTROPY) is case["output"]


@files("hash_to_G2")
def test_hash_to_G2(backend: BlsBackendAPI, path: Path) -> None:
    case = load(path)
    point = backend.hash_to_G2(case["input"]["msg"].encode("ascii"), HASH_TO_G2_DST)
    assert point.x == fp2(case["output"]["x"])
    assert point.y == fp2(case["output"]["y"])


@files("deserialization_G1")
def test_deserialization_G1(backend: BlsBackendAPI, path: Path) -> None:
    case = load(path)
    data = pk(case["input"]["pubkey"])
    if case["output"]:
        assert backend.bytes_to_public_key(data) == data
    else:
        with pytest.raises(InvalidKey) as error:
            backend.bytes_to_public_key(data)
        assert error.value.reason == DESERIALIZATION_REASONS[path.stem]
    # KeyValidate is deserialization plus "not the identity" (draft-05 §2.5).
    assert backend.KeyValidate(data) is (case["output"] and data != INFINITY_PK)


@files("deserialization_G2")
def test_deserialization_G2(backend: BlsBackendAPI, path: Path) -> None:
    case = load(path)
    data = sig(case["input"]["signature"])
    if case["output"]:
        assert backend.bytes_to_signature(data) == data
        return
    with pytest.raises(InvalidSignature) as error:
        backend.bytes_to_signature(data)
    assert error.value.reason == DESERIALIZATION_REASONS[path.stem]
    with pytest.raises(CryptoError):
        backend.Aggregate([data])
