"""Codec: every container round-trips byte-exactly; truncated, extended, mutated and random
inputs raise only ``DecodeError`` with a stable reason."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chain.types.blocks import Block, decode_block, decode_header, encode_block, encode_header
from chain.types.codec import Reader, Writer
from chain.types.consensus import EMPTY_ATTESTATION, Vote, VoteKind, decode_attestation, encode_attestation
from chain.types.exceptions import DecodeError, OutOfRange
from chain.types.primitives import U8, BlsPublicKey, Hash32, Lux
from chain.types.receipts import decode_event_record, decode_receipt, encode_event_record, encode_receipt
from chain.types.transactions import (
    MAX_MEMO_BYTES,
    Memo,
    compute_signing_bytes,
    decode_transaction,
    encode_transaction,
)
from tests.chain.types import strategies as S


def _attestation_bytes(a: Any) -> bytes:
    writer = Writer()
    encode_attestation(writer, a)
    return writer.to_bytes()


def _decode_attestation_exact(data: bytes) -> Any:
    reader = Reader(data)
    value = decode_attestation(reader)
    reader.finish()
    return value


CODECS: list[tuple[str, Any, Callable[[Any], bytes], Callable[[bytes], Any]]] = [
    ("transaction", S.transactions, encode_transaction, decode_transaction),
    ("header", S.headers, encode_header, decode_header),
    ("block", S.blocks, encode_block, decode_block),
    ("receipt", S.receipts, encode_receipt, decode_receipt),
    ("event_record", S.event_records, encode_event_record, decode_event_record),
    ("attestation", S.attestations, _attestation_bytes, _decode_attestation_exact),
]
IDS = [c[0] for c in CODECS]
REASONS = {"short_input", "trailing_bytes", "unknown_tag", "out_of_range", "invalid_value"}


@pytest.mark.parametrize(("name", "strategy", "encode", "decode"), CODECS, ids=IDS)
def test_round_trip(name, strategy, encode, decode):
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(strategy)
    def check(value: Any) -> None:
        encoded = encode(value)
        assert decode(encoded) == value
        assert encode(decode(encoded)) == encoded

    check()


@pytest.mark.parametrize(("name", "strategy", "encode", "decode"), CODECS, ids=IDS)
def test_invalid_truncated_and_extended_inputs(name, strategy, encode, decode):
    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(strategy, st.data())
    def check(value: Any, data: st.DataObject) -> None:
        encoded = encode(value)
        cut = data.draw(st.integers(0, len(encoded) - 1))
        with pytest.raises(DecodeError) as short:
            decode(encoded[:cut])
        assert short.value.reason in {"short_input", "out_of_range", "unknown_tag", "invalid_value"}
        with pytest.raises(DecodeError) as long:
            decode(encoded + data.draw(st.binary(min_size=1, max_size=8)))
        assert long.value.reason in {"trailing_bytes", "out_of_range", "unknown_tag", "invalid_value"}

    check()


@pytest.mark.parametrize(("name", "strategy", "encode", "decode"), CODECS, ids=IDS)
def test_invalid_mutated_inputs_raise_only_decode_errors(name, strategy, encode, decode):
    @settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(strategy, st.data())
    def check(value: Any, data: st.DataObject) -> None:
        encoded = bytearray(encode(value))
        for _ in range(data.draw(st.integers(1, 4))):
            position = data.draw(st.integers(0, len(encoded) - 1))
            encoded[position] = data.draw(st.integers(0, 255))
        try:
            decoded = decode(bytes(encoded))
        except DecodeError as error:
            assert error.reason in REASONS
        else:  # a mutation inside a free field still decodes, and re-encodes to the same bytes
            assert encode(decoded) == bytes(encoded)

    check()


@pytest.mark.parametrize(("name", "strategy", "encode", "decode"), CODECS, ids=IDS)
@settings(max_examples=150, deadline=None)
@given(raw=st.binary(max_size=600))
def test_invalid_random_bytes_raise_only_decode_errors(name, strategy, encode, decode, raw):
    try:
        decode(raw)
    except DecodeError as error:
        assert error.reason in {
            "short_input",
            "trailing_bytes",
            "unknown_tag",
            "out_of_range",
            "invalid_value",
        }


@settings(max_examples=20, deadline=None)
@given(S.transactions)
def test_transaction_layout_is_fixed_and_little_endian(tx):
    encoded = encode_transaction(tx)
    assert encoded[0] == tx.chain_id
    assert encoded[1:49] == tx.sender
    assert encoded[97:105] == int(tx.value).to_bytes(8, "little")
    assert encoded[-96:] == tx.signature


@settings(max_examples=20, deadline=None)
@given(S.transactions)
def test_signing_bytes_exclude_signature_and_include_domain(tx):
    signing = compute_signing_bytes(tx)
    assert signing.startswith(b"GLOAM-MOONLIGHT-TX-V1")
    assert signing[len(b"GLOAM-MOONLIGHT-TX-V1") :] == encode_transaction(tx)[:-96]


@settings(max_examples=20, deadline=None)
@given(S.transactions)
def test_invalid_unknown_data_tag(tx):
    encoded = bytearray(encode_transaction(tx))
    tag_offset = 1 + 48 + 48 + 8 + 8 + 8 + 8 + 48 + 8
    encoded[tag_offset] = 9
    with pytest.raises(DecodeError) as error:
        decode_transaction(bytes(encoded))
    assert error.value.reason == "unknown_tag"


@settings(max_examples=5, deadline=None)
@given(S.transactions)
def test_invalid_oversize_memo_is_refused(tx):
    too_big = replace(tx, data=Memo(b"x" * (MAX_MEMO_BYTES + 1)))
    with pytest.raises(OutOfRange):
        encode_transaction(too_big)


def test_invalid_vote_hash_mismatch():
    with pytest.raises(DecodeError):
        Vote(VoteKind.VALID)
    with pytest.raises(DecodeError):
        Vote(VoteKind.NO_QUORUM, Hash32.zero())


def test_invalid_primitives_out_of_range():
    with pytest.raises(OutOfRange):
        Lux(-1)
    with pytest.raises(OutOfRange):
        Lux(2**64)
    with pytest.raises(OutOfRange):
        U8(True)
    with pytest.raises(OutOfRange):
        BlsPublicKey(b"\x00" * 47)


def test_empty_attestation_round_trips():
    assert _decode_attestation_exact(_attestation_bytes(EMPTY_ATTESTATION)) == EMPTY_ATTESTATION


@settings(max_examples=10, deadline=None)
@given(S.headers)
def test_block_with_no_transactions_round_trips(header):
    block = Block(header, ())
    assert decode_block(encode_block(block)) == block
