"""The facade: module functions on the default backend, backend selection, KeyGen and the
batch scalars (``chain.crypto.bls12_381`` and ``.ciphersuite``)."""

from __future__ import annotations

import inspect

import pytest

import chain.crypto.bls12_381 as bls
from chain.crypto.bls12_381 import BlsBackendAPI, get_backend
from chain.crypto.bls12_381.ciphersuite import compute_batch_scalars
from chain.types.primitives import BlsSecretKey
from tests.chain.crypto.bls12_381.keys import signers

# EIP-2333 (https://eips.ethereum.org/EIPS/eip-2333), "Test cases", test case 0: its
# derive_master_SK is HKDF_mod_r, which is the draft-04+ KeyGen with empty key_info.
EIP2333_SEED = bytes.fromhex(
    "c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f"
    "09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04"
)
EIP2333_MASTER_SK = 6083874454709270928345386274498605044986640685124978867557563392430687146096

IETF_FUNCTIONS = [
    "KeyGen",
    "SkToPk",
    "KeyValidate",
    "Sign",
    "Verify",
    "Aggregate",
    "AggregatePKs",
    "FastAggregateVerify",
    "AggregateVerify",
    "PopProve",
    "PopVerify",
    "batch_verify",
    "bytes_to_public_key",
    "bytes_to_signature",
    "hash_to_G2",
]


def test_default_backend_is_arkworks() -> None:
    assert bls.DEFAULT_BACKEND == "arkworks"
    assert get_backend() is get_backend("arkworks")
    assert get_backend().name == "arkworks"
    assert get_backend("py_ecc").name == "py_ecc"
    assert get_backend("py_ecc") is get_backend("py_ecc")
    assert bls.BACKEND_NAMES == ("arkworks", "py_ecc")


@pytest.mark.parametrize("name", IETF_FUNCTIONS)
def test_facade_function_is_documented_with_its_source(name: str) -> None:
    function = getattr(bls, name)
    assert getattr(get_backend(), name)  # every facade function is a backend method
    doc = inspect.getdoc(function) or ""
    assert "Returns\n-------" in doc
    assert "draft-05" in doc or "RFC 9380" in doc


def test_facade_round_trip() -> None:
    sk = bls.KeyGen(b"\x11" * 32)
    pk = bls.SkToPk(sk)
    assert bls.KeyValidate(pk)
    signature = bls.Sign(sk, b"DvP instruction 42")
    assert signature == get_backend("arkworks").Sign(sk, b"DvP instruction 42")
    assert bls.Verify(pk, b"DvP instruction 42", signature)
    assert bls.PopVerify(pk, bls.PopProve(sk))
    assert bls.bytes_to_public_key(bytes(pk)) == pk
    assert bls.bytes_to_signature(bytes(signature)) == signature


def test_facade_aggregation() -> None:
    committee = signers()
    vote = b"vote: block 9"
    aggregate = bls.Aggregate([bls.Sign(s.sk, vote) for s in committee])
    pks = [s.pk for s in committee]
    assert bls.FastAggregateVerify(pks, vote, aggregate)
    assert bls.Verify(bls.AggregatePKs(pks), vote, aggregate)
    assert bls.AggregateVerify(pks, [vote] * len(pks), aggregate)
    triples = [(s.pk, s.message, s.signature) for s in committee]
    assert bls.batch_verify(triples, entropy=b"\x01" * 16)


def test_KeyGen_matches_eip2333_test_case_0(backend: BlsBackendAPI) -> None:
    sk = backend.KeyGen(EIP2333_SEED)
    assert sk == BlsSecretKey(EIP2333_MASTER_SK.to_bytes(32, "big"))


def test_KeyGen_is_deterministic_and_uses_key_info() -> None:
    ikm = bytes(range(32))
    assert bls.KeyGen(ikm) == bls.KeyGen(ikm)
    assert bls.KeyGen(ikm, b"validator 1") != bls.KeyGen(ikm, b"validator 2")


def test_batch_scalars_are_deterministic_in_entropy() -> None:
    triples = [(s.pk, s.message, s.signature) for s in signers()]
    first = compute_batch_scalars(triples, b"\x00" * 32)
    assert first == compute_batch_scalars(triples, b"\x00" * 32)
    assert len(first) == len(triples)
    assert all(1 <= r < 2**64 for r in first)
    assert len(set(first)) == len(first)
    assert compute_batch_scalars(triples, b"\x00" * 31 + b"\x01") != first
    assert compute_batch_scalars(triples, b"\x00" * 33) != first  # the length is bound too
    assert compute_batch_scalars(list(reversed(triples)), b"\x00" * 32) != first[::-1]


def test_batch_verify_is_deterministic_in_entropy(backend: BlsBackendAPI) -> None:
    triples = [(s.pk, s.message, s.signature) for s in signers()[:2]]
    for entropy in (b"\x00" * 16, b"\xff" * 32):
        assert backend.batch_verify(triples, entropy=entropy) is True
        assert backend.batch_verify(triples, entropy=entropy) is True
