"""Quorums (reference/dusk-protocol.md §1.3), signed vote bytes (§1.5) and attestation
verification (§1.6) with real BLS signatures on the default (arkworks) backend."""

from __future__ import annotations

import dataclasses

import pytest

from chain.consensus.exceptions import InvalidAttestation, InvalidParameter, InvalidStepVotes
from chain.consensus.quorum import (
    ConsensusHeader,
    compute_majority,
    compute_quorum_threshold,
    compute_supermajority,
    compute_vote_signing_bytes,
    decode_consensus_header,
    encode_consensus_header,
    verify_attestation,
    verify_step_votes,
)
from chain.consensus.sortition import Committee, StepKind, get_step_committee
from chain.crypto import bls12_381 as bls
from chain.types.codec import Reader
from chain.types.consensus import (
    EMPTY_STEP_VOTES,
    Attestation,
    ResultTag,
    StepVotes,
    Vote,
    VoteKind,
)
from chain.types.primitives import U64, Hash32, Height, Iteration, Seed
from tests.chain.consensus.helpers import provisioner, secret_of, stake_list

PREV = Hash32(bytes(range(32)))
ROUND = 7
ITERATION = 2
SEED = Seed(bytes([9] * 96))
HEADER = ConsensusHeader(PREV, Height(ROUND), Iteration(ITERATION))
BLOCK = Hash32(b"\xab" * 32)
VALID = Vote(VoteKind.VALID, BLOCK)

# -- §1.3 thresholds ------------------------------------------------------------------------------


def test_thresholds_of_64_credits() -> None:
    assert compute_supermajority(64) == 43
    assert compute_majority(64) == 33
    assert compute_quorum_threshold(VoteKind.VALID, 64) == 43
    for kind in (VoteKind.INVALID, VoteKind.NO_CANDIDATE, VoteKind.NO_QUORUM):
        assert compute_quorum_threshold(kind, 64) == 33


@pytest.mark.parametrize(
    ("n", "supermajority", "majority"),
    [(1, 1, 1), (2, 2, 2), (3, 2, 2), (4, 3, 3), (6, 4, 4), (7, 5, 4), (10, 7, 6), (63, 42, 32)],
)
def test_thresholds_of_small_committees(n: int, supermajority: int, majority: int) -> None:
    assert compute_supermajority(n) == supermajority
    assert compute_majority(n) == majority


def test_invalid_threshold_of_empty_committee() -> None:
    with pytest.raises(InvalidParameter):
        compute_supermajority(0)


# -- §1.5 signed bytes ------------------------------------------------------------------------------


def test_consensus_header_layout() -> None:
    encoded = encode_consensus_header(HEADER)
    assert encoded == bytes(PREV) + ROUND.to_bytes(8, "little") + bytes([ITERATION])
    reader = Reader(encoded)
    assert decode_consensus_header(reader) == HEADER
    reader.finish()


@pytest.mark.parametrize(
    ("vote", "vote_bytes"),
    [
        (Vote(VoteKind.NO_CANDIDATE), b"\x00"),
        (VALID, b"\x01" + b"\xab" * 32),
        (Vote(VoteKind.INVALID, BLOCK), b"\x02" + b"\xab" * 32),
        (Vote(VoteKind.NO_QUORUM), b"\x03"),
    ],
)
def test_vote_signing_bytes(vote: Vote, vote_bytes: bytes) -> None:
    header_bytes = encode_consensus_header(HEADER)
    assert (
        compute_vote_signing_bytes(HEADER, StepKind.VALIDATION, vote) == header_bytes + b"\x01" + vote_bytes
    )
    assert (
        compute_vote_signing_bytes(HEADER, StepKind.RATIFICATION, vote) == header_bytes + b"\x02" + vote_bytes
    )


def test_invalid_signing_bytes_for_proposal() -> None:
    with pytest.raises(InvalidParameter):
        compute_vote_signing_bytes(HEADER, StepKind.PROPOSAL, VALID)


# -- step votes and attestations ------------------------------------------------------------------------

PROVISIONERS = stake_list(
    [1000, 3000, 2000, 1500, 1000, 4000, 2500, 1000, 1200, 1800, 2200, 1000], real_keys=True
)


@pytest.fixture(scope="module")
def committees() -> tuple[Committee, Committee]:
    return (
        get_step_committee(PROVISIONERS, SEED, ITERATION, StepKind.VALIDATION),
        get_step_committee(PROVISIONERS, SEED, ITERATION, StepKind.RATIFICATION),
    )


def voters_for(committee: Committee, credits: int) -> list[int]:
    """Member indices, largest holders first, until ``credits`` are reached."""
    order = sorted(range(len(committee.members)), key=lambda j: -committee.credits[j])
    chosen, total = [], 0
    for j in order:
        if total >= credits:
            break
        chosen.append(j)
        total += committee.credits[j]
    return sorted(chosen)


def sign_step(committee: Committee, indices: list[int], message: bytes) -> StepVotes:
    signatures = [bls.Sign(secret_of(committee.members[j]), message) for j in indices]
    bitset = sum(1 << j for j in indices)
    return StepVotes(U64(bitset), bls.Aggregate(signatures))


def make_attestation(
    committees: tuple[Committee, Committee],
    vote: Vote = VALID,
    *,
    header: ConsensusHeader = HEADER,
    credits: tuple[int, int] | None = None,
) -> Attestation:
    validation, ratification = committees
    result = ResultTag.SUCCESS if vote.kind is VoteKind.VALID else ResultTag.FAIL
    needed = credits or (
        compute_quorum_threshold(vote.kind, validation.total_credits),
        compute_quorum_threshold(vote.kind, ratification.total_credits),
    )
    if vote.kind is VoteKind.NO_QUORUM:
        validation_votes = EMPTY_STEP_VOTES
    else:
        validation_votes = sign_step(
            validation,
            voters_for(validation, needed[0]),
            compute_vote_signing_bytes(header, StepKind.VALIDATION, vote),
        )
    ratification_votes = sign_step(
        ratification,
        voters_for(ratification, needed[1]),
        compute_vote_signing_bytes(header, StepKind.RATIFICATION, vote),
    )
    return Attestation(result, vote, validation_votes, ratification_votes)


def verify(attestation: Attestation, committees: tuple[Committee, Committee], **overrides: object) -> None:
    kwargs: dict[str, object] = {
        "prev_hash": PREV,
        "round": ROUND,
        "iteration": ITERATION,
        "validation_committee": committees[0],
        "ratification_committee": committees[1],
    }
    kwargs.update(overrides)
    verify_attestation(attestation, **kwargs)  # type: ignore[arg-type]


def test_committees_are_full(committees: tuple[Committee, Committee]) -> None:
    assert committees[0].total_credits == committees[1].total_credits == 64
    assert len(committees[0].members) <= len(PROVISIONERS)


def test_valid_attestation_verifies(committees: tuple[Committee, Committee]) -> None:
    verify(make_attestation(committees), committees)


@pytest.mark.parametrize("kind", [VoteKind.INVALID, VoteKind.NO_CANDIDATE, VoteKind.NO_QUORUM])
def test_fail_attestations_verify_with_majority(
    committees: tuple[Committee, Committee], kind: VoteKind
) -> None:
    vote = Vote(kind, BLOCK if kind is VoteKind.INVALID else None)
    attestation = make_attestation(committees, vote)
    verify(attestation, committees)
    # 33 credits would not do for Valid.
    assert compute_quorum_threshold(kind, 64) == 33


def test_no_quorum_needs_no_validation_votes(committees: tuple[Committee, Committee]) -> None:
    attestation = make_attestation(committees, Vote(VoteKind.NO_QUORUM))
    assert attestation.validation == EMPTY_STEP_VOTES
    verify(attestation, committees)


def test_verify_step_votes_directly(committees: tuple[Committee, Committee]) -> None:
    validation = committees[0]
    message = compute_vote_signing_bytes(HEADER, StepKind.VALIDATION, VALID)
    step_votes = sign_step(validation, list(range(len(validation.members))), message)
    verify_step_votes(step_votes, validation, message, 64)


def test_invalid_too_few_credits(committees: tuple[Committee, Committee]) -> None:
    # A majority (33) is not the supermajority (43) a Valid result needs.
    attestation = make_attestation(committees, credits=(33, 43))
    if sum(committees[0].credits[j] for j in voters_for(committees[0], 33)) >= 43:
        pytest.skip("the largest holders overshoot 43 credits with this seed")
    with pytest.raises(InvalidAttestation) as exc:
        verify(attestation, committees)
    assert exc.value.reason == "insufficient_credits"
    assert exc.value.step == "validation"


def test_invalid_wrong_bitset(committees: tuple[Committee, Committee]) -> None:
    attestation = make_attestation(committees)
    validation = committees[0]
    voted = attestation.validation.bitset
    missing = next(j for j in range(len(validation.members)) if not voted >> j & 1)
    swapped = (int(voted) & ~(1 << (int(voted).bit_length() - 1))) | 1 << missing
    tampered = dataclasses.replace(
        attestation,
        validation=StepVotes(U64(int(voted) | 1 << missing), attestation.validation.aggregate_signature),
    )
    with pytest.raises(InvalidAttestation) as exc:
        verify(tampered, committees)
    assert exc.value.reason == "invalid_signature"
    tampered = dataclasses.replace(
        attestation, validation=StepVotes(U64(swapped), attestation.validation.aggregate_signature)
    )
    with pytest.raises(InvalidAttestation):
        verify(tampered, committees)


def test_invalid_bits_beyond_committee(committees: tuple[Committee, Committee]) -> None:
    attestation = make_attestation(committees)
    beyond = int(attestation.ratification.bitset) | 1 << len(committees[1].members)
    tampered = dataclasses.replace(
        attestation, ratification=StepVotes(U64(beyond), attestation.ratification.aggregate_signature)
    )
    with pytest.raises(InvalidAttestation) as exc:
        verify(tampered, committees)
    assert exc.value.reason == "bits_beyond_committee"
    assert exc.value.step == "ratification"


def test_invalid_empty_bitset(committees: tuple[Committee, Committee]) -> None:
    attestation = dataclasses.replace(make_attestation(committees), validation=EMPTY_STEP_VOTES)
    with pytest.raises(InvalidAttestation) as exc:
        verify(attestation, committees)
    assert exc.value.reason == "empty_bitset"


def test_invalid_wrong_signer(committees: tuple[Committee, Committee]) -> None:
    validation = committees[0]
    indices = voters_for(validation, 43)
    message = compute_vote_signing_bytes(HEADER, StepKind.VALIDATION, VALID)
    outsider = next(p for p in PROVISIONERS if validation.credits_of(p[0]) == 0)[0]
    signatures = [bls.Sign(secret_of(validation.members[j]), message) for j in indices[1:]]
    signatures.append(bls.Sign(secret_of(outsider), message))
    forged = StepVotes(U64(sum(1 << j for j in indices)), bls.Aggregate(signatures))
    attestation = dataclasses.replace(make_attestation(committees), validation=forged)
    with pytest.raises(InvalidAttestation) as exc:
        verify(attestation, committees)
    assert exc.value.reason == "invalid_signature"


@pytest.mark.parametrize(
    "override",
    [
        {"round": ROUND + 1},
        {"iteration": ITERATION + 1},
        {"prev_hash": Hash32(bytes(32))},
    ],
)
def test_invalid_wrong_header(committees: tuple[Committee, Committee], override: dict[str, object]) -> None:
    with pytest.raises(InvalidAttestation) as exc:
        verify(make_attestation(committees), committees, **override)
    assert exc.value.reason == "invalid_signature"


def test_invalid_wrong_step_bytes(committees: tuple[Committee, Committee]) -> None:
    # Validation votes signed with the ratification tag do not verify as validation votes.
    attestation = make_attestation(committees)
    validation = committees[0]
    indices = voters_for(validation, 43)
    wrong_tag = sign_step(
        validation, indices, compute_vote_signing_bytes(HEADER, StepKind.RATIFICATION, VALID)
    )
    with pytest.raises(InvalidAttestation) as exc:
        verify(dataclasses.replace(attestation, validation=wrong_tag), committees)
    assert exc.value.reason == "invalid_signature"


def test_invalid_wrong_vote(committees: tuple[Committee, Committee]) -> None:
    attestation = make_attestation(committees)
    other = dataclasses.replace(attestation, vote=Vote(VoteKind.VALID, Hash32(bytes(32))))
    with pytest.raises(InvalidAttestation):
        verify(other, committees)


def test_invalid_result_tag_mismatch(committees: tuple[Committee, Committee]) -> None:
    attestation = dataclasses.replace(make_attestation(committees), result=ResultTag.FAIL)
    with pytest.raises(InvalidAttestation) as exc:
        verify(attestation, committees)
    assert exc.value.reason == "result_mismatch"


def test_invalid_swapped_committees(committees: tuple[Committee, Committee]) -> None:
    if committees[0] == committees[1]:
        pytest.skip("identical committees with this seed")
    with pytest.raises(InvalidStepVotes):
        verify(
            make_attestation(committees),
            committees,
            validation_committee=committees[1],
            ratification_committee=committees[0],
        )


def test_provisioner_keys_are_real() -> None:
    assert bls.KeyValidate(provisioner(0).public)
