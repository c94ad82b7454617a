"""Fault evidence: a provisioner that signed two different things where it may sign one
(reference/dusk-protocol.md §1.8).

``DoubleCandidate`` (two candidate blocks), ``DoubleValidationVote`` and
``DoubleRatificationVote`` (two different votes in one step): same signer, same
(round, iteration, prev_hash), different content. Evidence is valid only within the last
EPOCH blocks and never for genesis, a future round or the emergency block.

Encoding (integers little-endian)::

    kind:u8 ‖ side ‖ side          kind: 0 DoubleCandidate, 1 DoubleRatificationVote,
                                          2 DoubleValidationVote (rusk: node-data/src/ledger/faults.rs)
    side = consensus_header[41] ‖ signer[48] ‖ signature[96] ‖ content
    content = block_hash[32] (candidate) or the §1.5 vote bytes (votes)

The digest of a fault is SHA3-256 of those bytes (§1.8).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final, TypeAlias

from chain.consensus.exceptions import InvalidFault
from chain.consensus.quorum import (
    ConsensusHeader,
    compute_vote_signing_bytes,
    decode_consensus_header,
    encode_consensus_header,
)
from chain.consensus.sortition import StepKind
from chain.crypto import bls12_381 as bls
from chain.crypto.hashes import sha3_256
from chain.types.codec import Reader, Writer
from chain.types.consensus import Vote, decode_vote, encode_vote
from chain.types.exceptions import ChainTypesError
from chain.types.primitives import BlsPublicKey, BlsSignature, Hash32

EMERGENCY_BLOCK_ITERATION: Final = 255
"""The iteration of an emergency block (§1.4); no fault is reported against it (§1.8)."""


class FaultKind(enum.IntEnum):
    """The tag of an encoded fault (§1.8)."""

    DOUBLE_CANDIDATE = 0
    DOUBLE_RATIFICATION_VOTE = 1
    DOUBLE_VALIDATION_VOTE = 2


@dataclass(frozen=True, slots=True)
class SignedVote:
    """One signed validation or ratification vote (§1.5)."""

    header: ConsensusHeader
    vote: Vote
    signer: BlsPublicKey
    signature: BlsSignature
    """Over :func:`~chain.consensus.quorum.compute_vote_signing_bytes` of the step."""


@dataclass(frozen=True, slots=True)
class SignedCandidate:
    """A candidate block as its generator signed it: the signature is over the block hash (§1.5)."""

    header: ConsensusHeader
    block_hash: Hash32
    signer: BlsPublicKey
    signature: BlsSignature


@dataclass(frozen=True, slots=True)
class DoubleCandidate:
    """A generator that signed two different candidates for one iteration."""

    first: SignedCandidate
    second: SignedCandidate


@dataclass(frozen=True, slots=True)
class DoubleValidationVote:
    """A validation committee member that cast two different votes in one iteration."""

    first: SignedVote
    second: SignedVote


@dataclass(frozen=True, slots=True)
class DoubleRatificationVote:
    """A ratification committee member that cast two different votes in one iteration."""

    first: SignedVote
    second: SignedVote


FaultEvidence: TypeAlias = DoubleCandidate | DoubleValidationVote | DoubleRatificationVote


def get_fault_kind(evidence: FaultEvidence) -> FaultKind:
    """The :class:`FaultKind` tag of ``evidence``."""
    if isinstance(evidence, DoubleCandidate):
        return FaultKind.DOUBLE_CANDIDATE
    if isinstance(evidence, DoubleRatificationVote):
        return FaultKind.DOUBLE_RATIFICATION_VOTE
    return FaultKind.DOUBLE_VALIDATION_VOTE


def _encode_side(writer: Writer, side: SignedVote | SignedCandidate) -> None:
    writer.raw(encode_consensus_header(side.header)).fixed(side.signer).fixed(side.signature)
    if isinstance(side, SignedCandidate):
        writer.fixed(side.block_hash)
    else:
        encode_vote(writer, side.vote)


def encode_fault(evidence: FaultEvidence) -> bytes:
    """The bytes of ``evidence`` (layout in the module docstring, §1.8)."""
    writer = Writer().u8(get_fault_kind(evidence))
    _encode_side(writer, evidence.first)
    _encode_side(writer, evidence.second)
    return writer.to_bytes()


def decode_fault(data: bytes) -> FaultEvidence:
    """Decode :func:`encode_fault` bytes.

    Raises
    ------
    InvalidFault
        ``malformed``: short input, trailing bytes, an unknown kind or vote tag.
    """
    try:
        reader = Reader(data)
        raw_kind = reader.u8()
        try:
            kind = FaultKind(raw_kind)
        except ValueError as exc:
            raise InvalidFault(f"unknown fault kind {raw_kind}", reason="malformed") from exc
        evidence: FaultEvidence
        if kind is FaultKind.DOUBLE_CANDIDATE:
            first_c, second_c = (
                SignedCandidate(
                    decode_consensus_header(reader),
                    signer=reader.fixed(BlsPublicKey),
                    signature=reader.fixed(BlsSignature),
                    block_hash=reader.fixed(Hash32),
                )
                for _ in range(2)
            )
            evidence = DoubleCandidate(first_c, second_c)
        else:
            first_v, second_v = (
                SignedVote(
                    decode_consensus_header(reader),
                    signer=reader.fixed(BlsPublicKey),
                    signature=reader.fixed(BlsSignature),
                    vote=decode_vote(reader),
                )
                for _ in range(2)
            )
            if kind is FaultKind.DOUBLE_VALIDATION_VOTE:
                evidence = DoubleValidationVote(first_v, second_v)
            else:
                evidence = DoubleRatificationVote(first_v, second_v)
        reader.finish()
    except ChainTypesError as exc:
        raise InvalidFault(f"fault bytes: {exc}", reason="malformed") from exc
    return evidence


def compute_fault_digest(evidence: FaultEvidence) -> Hash32:
    """SHA3-256 of :func:`encode_fault` (§1.8); the leaves of the header's ``fault_root``."""
    return sha3_256(encode_fault(evidence))


def validate_fault(
    evidence: FaultEvidence,
    *,
    current_round: int,
    epoch_length: int,
    backend: bls.BlsBackendAPI | None = None,
) -> None:
    """Check that ``evidence`` proves a fault that may be reported in ``current_round`` (§1.8).

    Parameters
    ----------
    evidence
        Two signed sides.
    current_round
        The round of the block that would carry the evidence.
    epoch_length
        EPOCH in blocks (2,160 on Dusk mainnet; ``ChainParams.epoch_length``): evidence older
        than that is refused.
    backend
        A BLS backend; the default one if None.

    Raises
    ------
    InvalidFault
        ``different_context`` (signer, round, iteration or prev_hash differ),
        ``same_content``, ``fault_at_genesis``, ``fault_in_future``, ``fault_too_old``,
        ``fault_in_emergency`` or ``invalid_signature``.
    """
    first, second = evidence.first, evidence.second
    if first.header != second.header or first.signer != second.signer:
        raise InvalidFault(
            "the two sides differ in signer, round, iteration or prev_hash", reason="different_context"
        )
    content_first = first.block_hash if isinstance(first, SignedCandidate) else first.vote
    content_second = second.block_hash if isinstance(second, SignedCandidate) else second.vote
    if content_first == content_second:
        raise InvalidFault("both sides sign the same content", reason="same_content")
    fault_round = int(first.header.round)
    if fault_round == 0:
        raise InvalidFault("no fault is reported at genesis", reason="fault_at_genesis")
    if fault_round > current_round:
        raise InvalidFault(f"round {fault_round} is after {current_round}", reason="fault_in_future")
    if current_round - fault_round >= epoch_length:
        raise InvalidFault(
            f"round {fault_round} is {epoch_length} or more blocks before {current_round}",
            reason="fault_too_old",
        )
    if int(first.header.iteration) == EMERGENCY_BLOCK_ITERATION:
        raise InvalidFault("no fault is reported against the emergency block", reason="fault_in_emergency")
    verify = bls.Verify if backend is None else backend.Verify
    for side in (first, second):
        if isinstance(side, SignedCandidate):
            message = bytes(side.block_hash)
        else:
            step = (
                StepKind.VALIDATION if isinstance(evidence, DoubleValidationVote) else StepKind.RATIFICATION
            )
            message = compute_vote_signing_bytes(side.header, step, side.vote)
        if not verify(side.signer, message, side.signature):
            raise InvalidFault("a side's signature does not verify", reason="invalid_signature")
