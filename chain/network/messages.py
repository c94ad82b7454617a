"""Network envelopes: ``topic:u8 ‖ len:u32 ‖ payload`` (topic numbers of reference §5,
"Dusk layer"), and their de-duplication id."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final

from chain.crypto.hashes import sha3_256
from chain.types.codec import Reader, Writer
from chain.types.exceptions import DecodeError
from chain.types.primitives import Hash32

MAX_PAYLOAD_BYTES: Final = 2 * 1024 * 1024 - 16


class Topic(enum.IntEnum):
    """Message topics (reference §5: Tx 10, Block 11, Candidate 16, Validation 17,
    Ratification 18, Quorum 19); 30+ are Gloam's synchronisation requests."""

    TX = 10
    BLOCK = 11
    CANDIDATE = 16
    VALIDATION = 17
    RATIFICATION = 18
    QUORUM = 19
    GET_BLOCKS = 30
    BLOCKS = 31


@dataclass(frozen=True, slots=True)
class Envelope:
    topic: Topic
    payload: bytes


def encode_envelope(envelope: Envelope) -> bytes:
    return Writer().u8(envelope.topic).var_bytes(envelope.payload, max_length=MAX_PAYLOAD_BYTES).to_bytes()


def decode_envelope(data: bytes) -> Envelope:
    """Raises ``DecodeError`` (``unknown_tag`` for an unknown topic)."""
    reader = Reader(data)
    raw = reader.u8()
    try:
        topic = Topic(raw)
    except ValueError as exc:
        raise DecodeError(f"unknown topic {raw}", reason="unknown_tag") from exc
    envelope = Envelope(topic, reader.var_bytes(max_length=MAX_PAYLOAD_BYTES))
    reader.finish()
    return envelope


def compute_message_id(envelope: Envelope) -> Hash32:
    """SHA3-256 of the encoded envelope: the id under which duplicates are dropped."""
    return sha3_256(encode_envelope(envelope))
