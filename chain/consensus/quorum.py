"""Quorum thresholds (reference/dusk-protocol.md §1.3), the bytes a vote signs (§1.5) and the
verification of step votes and attestations (§1.6).

Gloam signs with the IETF ciphersuite (keys in G1, signatures in G2, DESIGN.md "Signatures"):
a step's voters sign the same bytes, their signatures are added into one 96-byte aggregate,
and the aggregate is checked with FastAggregateVerify over the voters' keys, each key once
whatever its credits. Proofs of possession, checked when a stake is registered, make that
sound.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from chain.consensus.exceptions import InvalidAttestation, InvalidParameter, InvalidStepVotes
from chain.consensus.sortition import Committee, StepKind
from chain.crypto import bls12_381 as bls
from chain.types.codec import Reader, Writer
from chain.types.consensus import Attestation, ResultTag, StepVotes, Vote, VoteKind, encode_vote
from chain.types.primitives import Hash32, Height, Iteration

CONSENSUS_HEADER_BYTES: Final = 41
"""``prev_hash[32] ‖ round:u64 ‖ iteration:u8`` (§1.5)."""


@dataclass(frozen=True, slots=True)
class ConsensusHeader:
    """What every consensus message of one iteration shares (§1.5)."""

    prev_hash: Hash32
    """Hash of the block this round builds on."""

    round: Height
    """The round: the height of the block being agreed on."""

    iteration: Iteration
    """The iteration within the round, 0-based."""


def encode_consensus_header(header: ConsensusHeader) -> bytes:
    """``prev_hash[32] ‖ round:u64LE ‖ iteration:u8``: 41 bytes (§1.5)."""
    return Writer().fixed(header.prev_hash).uint(header.round).uint(header.iteration).to_bytes()


def decode_consensus_header(reader: Reader) -> ConsensusHeader:
    """Read the 41 bytes of :func:`encode_consensus_header`.

    Raises
    ------
    chain.types.exceptions.DecodeError
        ``short_input``.
    """
    return ConsensusHeader(reader.fixed(Hash32), reader.uint(Height), reader.uint(Iteration))


def compute_vote_signing_bytes(header: ConsensusHeader, step: StepKind, vote: Vote) -> bytes:
    """The bytes a validation or ratification vote signs: ``header ‖ tag ‖ vote`` (§1.5).

    Parameters
    ----------
    header
        The iteration's consensus header.
    step
        ``VALIDATION`` (tag 0x01) or ``RATIFICATION`` (tag 0x02).
    vote
        ``0`` NoCandidate, ``1 ‖ hash`` Valid, ``2 ‖ hash`` Invalid, ``3`` NoQuorum.

    Returns
    -------
    bytes
        42 bytes for NoCandidate and NoQuorum, 74 for Valid and Invalid.

    Raises
    ------
    InvalidParameter
        For the proposal step, whose generator signs the block hash instead.
    """
    if step is StepKind.PROPOSAL:
        raise InvalidParameter("only validation and ratification votes sign the §1.5 bytes")
    writer = Writer().raw(encode_consensus_header(header)).u8(int(step))
    encode_vote(writer, vote)
    return writer.to_bytes()


def compute_supermajority(credits: int) -> int:
    """``n − ⌊n/3⌋`` credits: 43 of 64 (§1.3).

    Raises
    ------
    InvalidParameter
        If ``credits`` < 1.
    """
    if credits < 1:
        raise InvalidParameter(f"a committee holds at least one credit, got {credits}")
    return credits - credits // 3


def compute_majority(credits: int) -> int:
    """``⌊n/2⌋ + 1`` credits: 33 of 64 (§1.3).

    Raises
    ------
    InvalidParameter
        If ``credits`` < 1.
    """
    if credits < 1:
        raise InvalidParameter(f"a committee holds at least one credit, got {credits}")
    return credits // 2 + 1


def compute_quorum_threshold(vote_kind: VoteKind, committee_credits: int) -> int:
    """Credits a result needs: the supermajority for ``Valid``, the majority otherwise (§1.3).

    Parameters
    ----------
    vote_kind
        The voted result.
    committee_credits
        The committee's total credits (64 for a full committee).

    Returns
    -------
    int
        The threshold in credits.

    Raises
    ------
    InvalidParameter
        If ``committee_credits`` < 1.
    """
    if vote_kind is VoteKind.VALID:
        return compute_supermajority(committee_credits)
    return compute_majority(committee_credits)


def verify_step_votes(
    step_votes: StepVotes,
    committee: Committee,
    signing_bytes: bytes,
    threshold: int,
    *,
    backend: bls.BlsBackendAPI | None = None,
) -> None:
    """Check that a step's votes reach ``threshold`` credits and that the aggregate signature
    is theirs over ``signing_bytes`` (§1.6 "Verification").

    Parameters
    ----------
    step_votes
        ``bitset:u64`` (bit j for ``committee.members[j]``) and the 96-byte aggregate.
    committee
        The step's committee (:func:`~chain.consensus.sortition.get_step_committee`).
    signing_bytes
        :func:`compute_vote_signing_bytes` of the step.
    threshold
        Credits needed (:func:`compute_quorum_threshold`).
    backend
        A BLS backend (:func:`chain.crypto.bls12_381.get_backend`); the default one if None.

    Raises
    ------
    InvalidStepVotes
        ``bits_beyond_committee``, ``empty_bitset``, ``insufficient_credits`` or
        ``invalid_signature`` (FastAggregateVerify over each voter's key, once).
    """
    bitset = int(step_votes.bitset)
    if bitset >> len(committee.members):
        raise InvalidStepVotes(
            f"bitset {bitset:#x} has bits beyond the {len(committee.members)} committee members",
            reason="bits_beyond_committee",
        )
    if bitset == 0:
        raise InvalidStepVotes("no voter in the bitset", reason="empty_bitset")
    voters = committee.members_of_bitset(bitset)
    credits = sum(committee.credits_of(pk) for pk in voters)
    if credits < threshold:
        raise InvalidStepVotes(f"{credits} credits voted, {threshold} needed", reason="insufficient_credits")
    verify = bls.FastAggregateVerify if backend is None else backend.FastAggregateVerify
    if not verify(voters, signing_bytes, step_votes.aggregate_signature):
        raise InvalidStepVotes(
            "the aggregate signature is not the voters' over the signed bytes", reason="invalid_signature"
        )


def verify_attestation(
    attestation: Attestation,
    *,
    prev_hash: Hash32,
    round: int,
    iteration: int,
    validation_committee: Committee,
    ratification_committee: Committee,
    backend: bls.BlsBackendAPI | None = None,
) -> None:
    """Verify an attestation of iteration ``iteration`` of ``round`` (§1.6).

    The result tag must fit the vote (Success iff Valid). The validation step votes must
    reach the vote's threshold over the validation bytes, except for a NoQuorum result, which
    needs no validation votes; the ratification step votes must reach it over the
    ratification bytes. Thresholds count the committees' credits (§1.3).

    Parameters
    ----------
    attestation
        The attestation (e.g. block N+1's ``prev_block_cert`` for block N).
    prev_hash
        Hash of the attested block's parent.
    round
        Height of the attested block.
    iteration
        The attested block's iteration (or the failed iteration's).
    validation_committee, ratification_committee
        The iteration's committees, drawn with the provisioners from before the block.
    backend
        A BLS backend; the default one if None.

    Raises
    ------
    InvalidAttestation
        ``result_mismatch``, or a reason of :func:`verify_step_votes`, with ``step`` set to
        ``"validation"`` or ``"ratification"``.
    """
    vote = attestation.vote
    if (attestation.result is ResultTag.SUCCESS) != (vote.kind is VoteKind.VALID):
        raise InvalidAttestation(
            f"result {attestation.result.name} does not fit a {vote.kind.name} vote", reason="result_mismatch"
        )
    header = ConsensusHeader(prev_hash, Height(round), Iteration(iteration))
    steps = [(StepKind.RATIFICATION, attestation.ratification, ratification_committee)]
    if vote.kind is not VoteKind.NO_QUORUM:
        steps.insert(0, (StepKind.VALIDATION, attestation.validation, validation_committee))
    for step, step_votes, committee in steps:
        threshold = compute_quorum_threshold(vote.kind, max(committee.total_credits, 1))
        try:
            verify_step_votes(
                step_votes,
                committee,
                compute_vote_signing_bytes(header, step, vote),
                threshold,
                backend=backend,
            )
        except InvalidStepVotes as exc:
            raise InvalidAttestation(
                f"{step.name.lower()}: {exc}", reason=exc.reason, step=step.name.lower()
            ) from exc
