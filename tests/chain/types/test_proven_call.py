"""Transaction data tag 4, ``ProvenCall`` (chain/types/transactions.py): round trips, the
signed bytes cover the attachment, and every malformed body is a ``DecodeError`` with its
reason (an out-of-range field an ``OutOfRange`` on encoding)."""

from __future__ import annotations

import pytest

from chain.crypto import bls12_381 as bls
from chain.types.exceptions import DecodeError, OutOfRange
from chain.types.primitives import ContractId, Hash32
from chain.types.transactions import (
    MAX_PROOF_PUBLIC_INPUTS,
    TAG_PROVEN_CALL,
    ProvenCall,
    compute_signing_bytes,
    decode_transaction,
    encode_transaction,
)
from tests.chain.helpers import keypair, transfer

ALICE = keypair("proven-alice")
CONTRACT = ContractId(bytes(range(32)))
VK_ID = Hash32(bytes(range(100, 132)))
INPUTS = bytes(range(64))
PROOF = bytes(range(192))


def _tx(data: ProvenCall):
    return transfer(ALICE, ALICE.public, value=0, nonce=1, gas_limit=10_000_000, data=data)


def _call(**changes: object) -> ProvenCall:
    fields: dict[str, object] = {
        "contract": CONTRACT,
        "fn_name": "prove",
        "fn_args": b"\x01\x02",
        "vk_id": VK_ID,
        "public_inputs": INPUTS,
        "proof": PROOF,
    }
    fields.update(changes)
    return ProvenCall(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize("count", [0, 1, 2, MAX_PROOF_PUBLIC_INPUTS])
def test_round_trip(count):
    tx = _tx(_call(public_inputs=bytes(range(32)) * count))
    assert decode_transaction(encode_transaction(tx)) == tx
    assert tx.data.input_count == count
    assert tx.data.statement == bytes(VK_ID) + bytes(range(32)) * count


def test_the_body_layout_is_the_documented_one():
    encoded = encode_transaction(_tx(_call()))
    body = (
        bytes([TAG_PROVEN_CALL])
        + bytes(CONTRACT)
        + (5).to_bytes(4, "little")
        + b"prove"
        + (2).to_bytes(4, "little")
        + b"\x01\x02"
        + bytes(VK_ID)
        + bytes([2])
        + INPUTS
        + PROOF
    )
    assert encoded[-96 - len(body) : -96] == body


@pytest.mark.parametrize("field", ["vk_id", "public_inputs", "proof"])
def test_the_signature_covers_the_attachment(field):
    tx = _tx(_call())
    changed_value = {
        "vk_id": Hash32(bytes(32)),
        "public_inputs": bytes([INPUTS[0] ^ 1]) + INPUTS[1:],
        "proof": PROOF[:-1] + b"\x00",
    }[field]
    changed = _tx(_call(**{field: changed_value}))
    assert compute_signing_bytes(changed) != compute_signing_bytes(tx)
    assert not bls.Verify(ALICE.public, compute_signing_bytes(changed), tx.signature)


def _body_offset(encoded: bytes) -> int:
    return len(encoded) - 96 - (1 + 32 + 4 + 5 + 4 + 2 + 32 + 1 + 64 + 192)


def test_decode_refusals_have_their_reasons():
    encoded = encode_transaction(_tx(_call()))
    start = _body_offset(encoded)
    count_at = start + 1 + 32 + 4 + 5 + 4 + 2 + 32
    name_at = start + 1 + 32 + 4
    cases = {
        "too_many_inputs": (
            encoded[:count_at] + bytes([MAX_PROOF_PUBLIC_INPUTS + 1]) + encoded[count_at + 1 :],
            "out_of_range",
        ),
        "count_beyond_the_end": (encoded[:count_at] + bytes([9]) + encoded[count_at + 1 :], "short_input"),
        "count_short_of_the_end": (
            encoded[:count_at] + bytes([1]) + encoded[count_at + 1 :],
            "trailing_bytes",
        ),
        "truncated_proof": (encoded[: -96 - 1] + encoded[-96:], "short_input"),
        "trailing": (encoded + b"\x00", "trailing_bytes"),
        "bad_fn_name": (encoded[:name_at] + b"pr-ve" + encoded[name_at + 5 :], "invalid_value"),
        "cut_in_the_vk_id": (encoded[: count_at - 10], "short_input"),
        "unknown_tag": (encoded[:start] + bytes([5]) + encoded[start + 1 :], "unknown_tag"),
    }
    for label, (raw, reason) in cases.items():
        with pytest.raises(DecodeError) as error:
            decode_transaction(raw)
        assert error.value.reason == reason, label


@pytest.mark.parametrize(
    "changes",
    [
        {"public_inputs": bytes(31)},
        {"public_inputs": bytes(32 * (MAX_PROOF_PUBLIC_INPUTS + 1))},
        {"proof": bytes(191)},
        {"proof": bytes(193)},
        {"fn_name": "not a name"},
    ],
)
def test_encoding_an_out_of_range_attachment_raises_out_of_range(changes):
    with pytest.raises(OutOfRange):
        encode_transaction(_tx(_call(**changes)))
