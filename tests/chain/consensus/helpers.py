"""Builders for consensus tests: deterministic provisioner keys, stake lists, attestations."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from chain.consensus.aggregator import QuorumReached, StepAggregator, VoteMessage
from chain.consensus.engine import compute_voting_committee
from chain.consensus.quorum import ConsensusHeader, compute_vote_signing_bytes
from chain.consensus.sortition import Provisioners, StepKind
from chain.crypto import bls12_381 as bls
from chain.transition.roots import compute_block_hash
from chain.types.blocks import Block
from chain.types.consensus import Attestation, ResultTag, StepVotes, Vote, VoteKind
from chain.types.primitives import BlsPublicKey, BlsSecretKey, Height, Iteration, Lux

UNIT = 10**9


@dataclass(frozen=True)
class Provisioner:
    secret: BlsSecretKey
    public: BlsPublicKey


@functools.cache
def provisioner(index: int) -> Provisioner:
    """A deterministic key pair (the index seeds KeyGen), cached: SkToPk costs a scalar mul."""
    secret = bls.KeyGen(hashlib.sha256(f"consensus-test-{index}".encode()).digest())
    return Provisioner(secret, bls.SkToPk(secret))


def provisioners(count: int) -> list[Provisioner]:
    return [provisioner(i) for i in range(count)]


def fake_key(index: int) -> BlsPublicKey:
    """48 distinct bytes standing in for a key where no signature is checked (fast)."""
    return BlsPublicKey(hashlib.sha3_384(index.to_bytes(4, "little")).digest())


def stake_list(stakes: list[int], *, real_keys: bool = False) -> list[tuple[BlsPublicKey, Lux]]:
    """``(pk, stake in Lux)`` sorted ascending by raw pk bytes, one entry per stake (in units)."""
    keys = [provisioner(i).public if real_keys else fake_key(i) for i in range(len(stakes))]
    return sorted(((k, Lux(s * UNIT)) for k, s in zip(keys, stakes, strict=True)), key=lambda e: bytes(e[0]))


def secret_of(pk: BlsPublicKey, count: int = 64) -> BlsSecretKey:
    """The secret key of a test provisioner's public key (searched among the first ``count``)."""
    for i in range(count):
        if provisioner(i).public == pk:
            return provisioner(i).secret
    raise KeyError(pk)


def attest(
    block: Block, provisioners: Provisioners, seed: bytes, secrets: Sequence[BlsSecretKey]
) -> Attestation:
    """A Success attestation of ``block`` (§1.6): every committee member among ``secrets``
    votes Valid in validation and ratification, through the real aggregator.

    ``provisioners`` and ``seed`` are those of the block's round (the seed is the parent's).
    """
    header = block.header
    address = ConsensusHeader(header.prev_block_hash, Height(header.height), Iteration(header.iteration))
    vote = Vote(VoteKind.VALID, compute_block_hash(header))
    step_votes: list[StepVotes] = []
    for kind in (StepKind.VALIDATION, StepKind.RATIFICATION):
        committee = compute_voting_committee(provisioners, seed, int(header.iteration), kind)
        aggregator = StepAggregator(address, kind, committee)
        for secret in secrets:
            public = bls.SkToPk(secret)
            if committee.index_of(public) is None:
                continue
            signature = bls.Sign(secret, compute_vote_signing_bytes(address, kind, vote))
            result = aggregator.add_vote(VoteMessage(address, kind, vote, public, signature))
            if isinstance(result, QuorumReached):
                step_votes.append(result.step_votes)
                break
    validation, ratification = step_votes
    return Attestation(ResultTag.SUCCESS, vote, validation, ratification)
