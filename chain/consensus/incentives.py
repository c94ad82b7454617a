"""Who a block rewards and who it slashes, derived from its header and checked
(reference/dusk-protocol.md §1.6, §1.8, §1.9).

- **Voters** (§1.9): the members of the tip's validation and ratification committees whose
  bits are set in the new block's ``prev_block_cert``, each with its credits in the two steps
  (so at most 64 + 64 = 128 in all). The committees are those of the tip's round: its
  provisioners and its seed (the tip's parent's seed), at the tip's iteration.
- **Failed iterations** (§1.4, §2.1): entry ``i`` of ``failed_iterations`` is ``None`` or the
  Fail attestation of iteration ``i`` of this block's round with that iteration's generator.
  Each listed attestation must verify against iteration ``i``'s committees and the generator
  must be the one sortition drew; NoCandidate slashes the generator (a missed proposal),
  Invalid slashes it too (a hard slash upstream, executed as soft, §1.8), NoQuorum does not.
- **Faults** (§1.8): each carried fault must decode and pass
  :func:`~chain.consensus.faults.validate_fault` at this block's round; its signer is
  slashed.

The result is a :class:`~chain.transition.consensus_effects.ConsensusEffects` for
``state_transition``; the transition itself records the fault digests so none is used twice.
"""

from __future__ import annotations

from collections.abc import Sequence

from chain.consensus.engine import compute_voting_committee
from chain.consensus.exceptions import ConsensusError
from chain.consensus.faults import FaultEvidence, decode_fault, encode_fault, get_fault_kind, validate_fault
from chain.consensus.quorum import verify_attestation
from chain.consensus.sortition import Provisioners, StepKind, get_generator
from chain.crypto import bls12_381 as bls
from chain.transition.consensus_effects import ConsensusEffects, Slash, SlashReason
from chain.types.blocks import BlockHeader, FailedIteration, Fault
from chain.types.consensus import Attestation, ResultTag, VoteKind
from chain.types.primitives import U8, BlsPublicKey, Hash32


def compute_attestation_voters(
    attestation: Attestation, *, block: BlockHeader, provisioners: Provisioners, seed: bytes
) -> tuple[tuple[BlsPublicKey, int], ...]:
    """The voters of ``attestation`` (which attests ``block``) with their credits, sorted by
    key (§1.6 bitsets, §1.9 "voters/128 per credit").

    ``provisioners`` and ``seed`` are those of ``block``'s round. The attestation is assumed
    verified (:func:`~chain.consensus.engine.verify_block_attestation`); an empty one gives
    no voters.
    """
    credits: dict[BlsPublicKey, int] = {}
    for kind, step_votes in (
        (StepKind.VALIDATION, attestation.validation),
        (StepKind.RATIFICATION, attestation.ratification),
    ):
        if step_votes.bitset == 0:
            continue
        committee = compute_voting_committee(provisioners, seed, int(block.iteration), kind)
        for member in committee.members_of_bitset(step_votes.bitset):
            credits[member] = credits.get(member, 0) + committee.credits_of(member)
    return tuple(sorted(credits.items(), key=lambda item: bytes(item[0])))


def verify_failed_iterations(
    header: BlockHeader,
    *,
    provisioners: Provisioners,
    seed: bytes,
    backend: bls.BlsBackendAPI | None = None,
) -> tuple[Slash, ...]:
    """Check ``header.failed_iterations`` and return the slashes they imply (module docstring).

    ``provisioners`` and ``seed`` are those of ``header``'s round (the seed is the parent's).

    Raises
    ------
    ConsensusError
        ``too_many_failed_iterations`` (more entries than the header's iteration),
        ``wrong_failed_generator``, ``failed_iteration_succeeded`` (a Success attestation
        listed as failed), or a reason of :func:`~chain.consensus.quorum.verify_attestation`.
    """
    failed = header.failed_iterations
    if len(failed) > int(header.iteration):
        raise ConsensusError(
            f"{len(failed)} failed iterations listed at iteration {header.iteration}",
            reason="too_many_failed_iterations",
        )
    slashes: list[Slash] = []
    for iteration, entry in enumerate(failed):
        if entry is None:
            continue
        slash = verify_failed_iteration(
            entry,
            iteration,
            round=int(header.height),
            prev_hash=header.prev_block_hash,
            provisioners=provisioners,
            seed=seed,
            backend=backend,
        )
        if slash is not None:
            slashes.append(slash)
    return tuple(slashes)


def verify_failed_iteration(
    entry: FailedIteration,
    iteration: int,
    *,
    round: int,
    prev_hash: Hash32,
    provisioners: Provisioners,
    seed: bytes,
    backend: bls.BlsBackendAPI | None = None,
) -> Slash | None:
    """Check one ``failed_iterations`` entry of ``round``; returns the slash it implies.

    Raises
    ------
    ConsensusError
        ``wrong_failed_generator``, ``failed_iteration_succeeded`` or a reason of
        :func:`~chain.consensus.quorum.verify_attestation`.
    """
    if entry.generator != get_generator(provisioners, seed, iteration):
        raise ConsensusError(
            f"iteration {iteration} lists a generator sortition did not draw",
            reason="wrong_failed_generator",
        )
    if entry.attestation.result is not ResultTag.FAIL:
        raise ConsensusError(
            f"iteration {iteration} is listed as failed with a Success attestation",
            reason="failed_iteration_succeeded",
        )
    verify_attestation(
        entry.attestation,
        prev_hash=prev_hash,
        round=round,
        iteration=iteration,
        validation_committee=compute_voting_committee(provisioners, seed, iteration, StepKind.VALIDATION),
        ratification_committee=compute_voting_committee(provisioners, seed, iteration, StepKind.RATIFICATION),
        backend=backend,
    )
    kind = entry.attestation.vote.kind
    if kind is VoteKind.NO_CANDIDATE:
        return Slash(entry.generator, SlashReason.MISSED_PROPOSAL)
    if kind is VoteKind.INVALID:
        return Slash(entry.generator, SlashReason.INVALID_CANDIDATE)
    return None


def encode_block_fault(evidence: FaultEvidence) -> Fault:
    """``evidence`` as a block carries it: the kind tag and the rest of its §1.8 bytes."""
    return Fault(U8(get_fault_kind(evidence)), encode_fault(evidence)[1:])


def verify_block_faults(
    faults: Sequence[Fault],
    *,
    round: int,
    epoch_length: int,
    backend: bls.BlsBackendAPI | None = None,
) -> tuple[Slash, ...]:
    """Decode and validate each fault a block of ``round`` carries; one slash per fault.

    Raises
    ------
    InvalidFault
        A reason of :func:`~chain.consensus.faults.decode_fault` or
        :func:`~chain.consensus.faults.validate_fault`.
    """
    slashes = []
    for fault in faults:
        evidence = decode_fault(bytes([int(fault.kind)]) + fault.evidence)
        validate_fault(evidence, current_round=round, epoch_length=epoch_length, backend=backend)
        slashes.append(Slash(evidence.first.signer, SlashReason.FAULT))
    return tuple(slashes)


def compute_consensus_effects(
    header: BlockHeader,
    faults: Sequence[Fault],
    *,
    round_provisioners: Provisioners,
    round_seed: bytes,
    tip: BlockHeader,
    tip_provisioners: Provisioners,
    tip_seed: bytes,
    epoch_length: int,
    backend: bls.BlsBackendAPI | None = None,
) -> ConsensusEffects:
    """The rewards and slashes of a block with ``header`` and ``faults`` built on ``tip``.

    Parameters
    ----------
    round_provisioners, round_seed
        Provisioners and seed of the block's round (the seed is ``tip.seed``). ``header``
        may be unsigned and without its roots: only its height, iteration, parent hash,
        ``prev_block_cert`` and ``failed_iterations`` are read (a generator computes the
        effects before it executes the block).
    tip, tip_provisioners, tip_seed
        The parent block and its round's provisioners and seed, for the voters of
        ``header.prev_block_cert`` (assumed verified).
    epoch_length
        ``ChainParams.epoch_length``: how old a fault may be.

    Raises
    ------
    ConsensusError
        As :func:`verify_failed_iterations` and :func:`verify_block_faults`.
    """
    voters = compute_attestation_voters(
        header.prev_block_cert, block=tip, provisioners=tip_provisioners, seed=tip_seed
    )
    slashes = verify_failed_iterations(
        header, provisioners=round_provisioners, seed=round_seed, backend=backend
    )
    slashes += verify_block_faults(
        faults, round=int(header.height), epoch_length=epoch_length, backend=backend
    )
    return ConsensusEffects(voters, slashes)
