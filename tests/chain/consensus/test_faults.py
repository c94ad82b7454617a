"""Fault evidence (reference §1.8): encoding, digest and validation."""

from __future__ import annotations

import dataclasses

import pytest

from chain.consensus.exceptions import InvalidFault
from chain.consensus.faults import (
    DoubleCandidate,
    DoubleRatificationVote,
    DoubleValidationVote,
    FaultKind,
    SignedCandidate,
    SignedVote,
    compute_fault_digest,
    decode_fault,
    encode_fault,
    validate_fault,
)
from chain.consensus.quorum import ConsensusHeader, compute_vote_signing_bytes, encode_consensus_header
from chain.consensus.sortition import StepKind
from chain.crypto import bls12_381 as bls
from chain.crypto.hashes import sha3_256
from chain.types.consensus import Vote, VoteKind
from chain.types.primitives import Hash32, Height, Iteration
from tests.chain.consensus.helpers import provisioner

HEADER = ConsensusHeader(Hash32(b"\x33" * 32), Height(100), Iteration(3))
SIGNER = provisioner(0)
OTHER = provisioner(1)


def vote_side(vote: Vote, step: StepKind, header: ConsensusHeader = HEADER, who: int = 0) -> SignedVote:
    keys = provisioner(who)
    signature = bls.Sign(keys.secret, compute_vote_signing_bytes(header, step, vote))
    return SignedVote(header, vote, keys.public, signature)


def candidate_side(block_hash: bytes, header: ConsensusHeader = HEADER) -> SignedCandidate:
    return SignedCandidate(header, Hash32(block_hash), SIGNER.public, bls.Sign(SIGNER.secret, block_hash))


def double_validation() -> DoubleValidationVote:
    return DoubleValidationVote(
        vote_side(Vote(VoteKind.VALID, Hash32(b"\x01" * 32)), StepKind.VALIDATION),
        vote_side(Vote(VoteKind.INVALID, Hash32(b"\x01" * 32)), StepKind.VALIDATION),
    )


def double_ratification() -> DoubleRatificationVote:
    return DoubleRatificationVote(
        vote_side(Vote(VoteKind.NO_QUORUM), StepKind.RATIFICATION),
        vote_side(Vote(VoteKind.NO_CANDIDATE), StepKind.RATIFICATION),
    )


def double_candidate() -> DoubleCandidate:
    return DoubleCandidate(candidate_side(b"\x0a" * 32), candidate_side(b"\x0b" * 32))


@pytest.mark.parametrize("make", [double_validation, double_ratification, double_candidate])
def test_fault_round_trip_and_validation(make: object) -> None:
    evidence = make()  # type: ignore[operator]
    encoded = encode_fault(evidence)
    assert decode_fault(encoded) == evidence
    assert compute_fault_digest(evidence) == sha3_256(encoded)
    validate_fault(evidence, current_round=101, epoch_length=2160)


def test_fault_layout() -> None:
    evidence = double_candidate()
    encoded = encode_fault(evidence)
    side = encode_consensus_header(HEADER) + SIGNER.public + evidence.first.signature + b"\x0a" * 32
    assert encoded[0] == FaultKind.DOUBLE_CANDIDATE == 0
    assert encoded[1 : 1 + len(side)] == side
    assert len(encoded) == 1 + 2 * (41 + 48 + 96 + 32)
    assert encode_fault(double_ratification())[0] == FaultKind.DOUBLE_RATIFICATION_VOTE == 1
    assert encode_fault(double_validation())[0] == FaultKind.DOUBLE_VALIDATION_VOTE == 2


def test_invalid_fault_same_content() -> None:
    side = vote_side(Vote(VoteKind.NO_QUORUM), StepKind.VALIDATION)
    with pytest.raises(InvalidFault) as exc:
        validate_fault(DoubleValidationVote(side, side), current_round=101, epoch_length=2160)
    assert exc.value.reason == "same_content"


def test_invalid_fault_different_context() -> None:
    other_header = dataclasses.replace(HEADER, iteration=Iteration(4))
    evidence = DoubleValidationVote(
        vote_side(Vote(VoteKind.NO_QUORUM), StepKind.VALIDATION),
        vote_side(Vote(VoteKind.NO_CANDIDATE), StepKind.VALIDATION, other_header),
    )
    with pytest.raises(InvalidFault) as exc:
        validate_fault(evidence, current_round=101, epoch_length=2160)
    assert exc.value.reason == "different_context"
    two_signers = DoubleValidationVote(
        vote_side(Vote(VoteKind.NO_QUORUM), StepKind.VALIDATION),
        vote_side(Vote(VoteKind.NO_CANDIDATE), StepKind.VALIDATION, who=1),
    )
    with pytest.raises(InvalidFault) as exc:
        validate_fault(two_signers, current_round=101, epoch_length=2160)
    assert exc.value.reason == "different_context"


def test_invalid_fault_signature() -> None:
    evidence = double_validation()
    # A ratification signature presented as a validation vote does not verify.
    wrong = vote_side(evidence.second.vote, StepKind.RATIFICATION)
    with pytest.raises(InvalidFault) as exc:
        validate_fault(dataclasses.replace(evidence, second=wrong), current_round=101, epoch_length=2160)
    assert exc.value.reason == "invalid_signature"
    candidate = double_candidate()
    forged = dataclasses.replace(candidate.second, signature=candidate.first.signature)
    with pytest.raises(InvalidFault) as exc:
        validate_fault(dataclasses.replace(candidate, second=forged), current_round=101, epoch_length=2160)
    assert exc.value.reason == "invalid_signature"


@pytest.mark.parametrize(
    ("current_round", "reason"),
    [(99, "fault_in_future"), (100 + 2160, "fault_too_old")],
)
def test_invalid_fault_window(current_round: int, reason: str) -> None:
    with pytest.raises(InvalidFault) as exc:
        validate_fault(double_validation(), current_round=current_round, epoch_length=2160)
    assert exc.value.reason == reason
    validate_fault(double_validation(), current_round=100 + 2159, epoch_length=2160)


def test_invalid_fault_at_genesis_or_in_emergency() -> None:
    genesis = dataclasses.replace(HEADER, round=Height(0))
    evidence = DoubleValidationVote(
        vote_side(Vote(VoteKind.NO_QUORUM), StepKind.VALIDATION, genesis),
        vote_side(Vote(VoteKind.NO_CANDIDATE), StepKind.VALIDATION, genesis),
    )
    with pytest.raises(InvalidFault) as exc:
        validate_fault(evidence, current_round=5, epoch_length=2160)
    assert exc.value.reason == "fault_at_genesis"
    emergency = dataclasses.replace(HEADER, iteration=Iteration(255))
    evidence = DoubleValidationVote(
        vote_side(Vote(VoteKind.NO_QUORUM), StepKind.VALIDATION, emergency),
        vote_side(Vote(VoteKind.NO_CANDIDATE), StepKind.VALIDATION, emergency),
    )
    with pytest.raises(InvalidFault) as exc:
        validate_fault(evidence, current_round=101, epoch_length=2160)
    assert exc.value.reason == "fault_in_emergency"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x07" + bytes(10),
        encode_fault(double_candidate())[:-1],
        encode_fault(double_candidate()) + b"\x00",
    ],
)
def test_invalid_fault_bytes(data: bytes) -> None:
    with pytest.raises(InvalidFault) as exc:
        decode_fault(data)
    assert exc.value.reason == "malformed"
