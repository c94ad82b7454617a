"""Consensus messages survive the network encoding byte for byte."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from chain.consensus.aggregator import VoteMessage
from chain.consensus.engine import CandidateMessage, QuorumMessage, RatificationMessage
from chain.consensus.quorum import ConsensusHeader
from chain.consensus.sortition import StepKind
from chain.network.consensus_wire import decode_message, encode_message
from chain.network.messages import Envelope, Topic
from chain.types.consensus import EMPTY_ATTESTATION, StepVotes, Vote, VoteKind
from chain.types.exceptions import DecodeError
from chain.types.primitives import U64, BlsPublicKey, BlsSignature, Hash32, Height, Iteration
from tests.chain.types import strategies as S

HEADER = ConsensusHeader(Hash32(b"\x01" * 32), Height(9), Iteration(2))
VOTE = VoteMessage(
    HEADER,
    StepKind.VALIDATION,
    Vote(VoteKind.VALID, Hash32(b"\x02" * 32)),
    BlsPublicKey(b"\x03" * 48),
    BlsSignature(b"\x04" * 96),
)


@pytest.mark.parametrize(
    "message",
    [
        VOTE,
        RatificationMessage(
            VoteMessage(HEADER, StepKind.RATIFICATION, Vote(VoteKind.NO_QUORUM), VOTE.signer, VOTE.signature),
            StepVotes(U64(5), BlsSignature(b"\x05" * 96)),
        ),
        QuorumMessage(HEADER, EMPTY_ATTESTATION),
    ],
    ids=["validation", "ratification", "quorum"],
)
def test_round_trip(message):
    assert decode_message(encode_message(message)) == message


@settings(max_examples=10, deadline=None)
@given(S.blocks)
def test_candidate_round_trip(block):
    message = CandidateMessage(block)
    assert decode_message(encode_message(message)) == message


def test_invalid_trailing_bytes_and_foreign_topics():
    envelope = encode_message(VOTE)
    with pytest.raises(DecodeError):
        decode_message(Envelope(envelope.topic, envelope.payload + b"\x00"))
    with pytest.raises(DecodeError):
        decode_message(Envelope(Topic.TX, envelope.payload))
