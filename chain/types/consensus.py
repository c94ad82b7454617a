"""Votes and attestations (reference/dusk-protocol.md §1.5, §1.6), with Gloam's signature
sizes: aggregate signatures are 96-byte G2 points (DESIGN.md, Signatures)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final

from chain.types.codec import Reader, Writer
from chain.types.exceptions import DecodeError
from chain.types.primitives import U64, BlsSignature, Hash32

#: The compressed G2 point at infinity: the aggregate of no signatures.
INFINITY_SIGNATURE: Final = BlsSignature(b"\xc0" + bytes(95))


class VoteKind(enum.IntEnum):
    """Vote byte (reference §1.5)."""

    NO_CANDIDATE = 0
    VALID = 1
    INVALID = 2
    NO_QUORUM = 3


@dataclass(frozen=True, slots=True)
class Vote:
    """A vote; ``block_hash`` is set exactly for ``VALID`` and ``INVALID``."""

    kind: VoteKind
    block_hash: Hash32 | None = None

    def __post_init__(self) -> None:
        needs_hash = self.kind in (VoteKind.VALID, VoteKind.INVALID)
        if needs_hash != (self.block_hash is not None):
            raise DecodeError(f"{self.kind.name} vote with a wrong hash field", reason="invalid_value")


class ResultTag(enum.IntEnum):
    """Attestation result tag (reference §1.6)."""

    FAIL = 0
    SUCCESS = 1


@dataclass(frozen=True, slots=True)
class StepVotes:
    """``bitset:u64 ‖ aggregate_signature[96]``: bit j set if committee member j voted."""

    bitset: U64
    aggregate_signature: BlsSignature


EMPTY_STEP_VOTES: Final = StepVotes(U64(0), INFINITY_SIGNATURE)


@dataclass(frozen=True, slots=True)
class Attestation:
    """The result of an iteration and the step votes that attest it (reference §1.6)."""

    result: ResultTag
    vote: Vote
    validation: StepVotes
    ratification: StepVotes


#: Carried by the first block after genesis, which has no attested predecessor.
EMPTY_ATTESTATION: Final = Attestation(
    ResultTag.FAIL, Vote(VoteKind.NO_CANDIDATE), EMPTY_STEP_VOTES, EMPTY_STEP_VOTES
)


def encode_vote(writer: Writer, vote: Vote) -> None:
    writer.u8(vote.kind)
    if vote.block_hash is not None:
        writer.fixed(vote.block_hash)


def decode_vote(reader: Reader) -> Vote:
    raw = reader.u8()
    try:
        kind = VoteKind(raw)
    except ValueError as exc:
        raise DecodeError(f"unknown vote kind {raw}", reason="unknown_tag") from exc
    block_hash = reader.fixed(Hash32) if kind in (VoteKind.VALID, VoteKind.INVALID) else None
    return Vote(kind, block_hash)


def encode_attestation(writer: Writer, attestation: Attestation) -> None:
    writer.u8(attestation.result)
    encode_vote(writer, attestation.vote)
    for step in (attestation.validation, attestation.ratification):
        writer.uint(step.bitset).fixed(step.aggregate_signature)


def decode_attestation(reader: Reader) -> Attestation:
    raw = reader.u8()
    try:
        result = ResultTag(raw)
    except ValueError as exc:
        raise DecodeError(f"unknown attestation result {raw}", reason="unknown_tag") from exc
    vote = decode_vote(reader)
    validation = StepVotes(reader.uint(U64), reader.fixed(BlsSignature))
    ratification = StepVotes(reader.uint(U64), reader.fixed(BlsSignature))
    return Attestation(result, vote, validation, ratification)
