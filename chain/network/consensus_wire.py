"""Byte encodings of consensus messages for the network (reference §1.5, §5 topics).

- Candidate: the encoded block.
- Validation: ``consensus_header[41] ‖ vote ‖ signer[48] ‖ signature[96]``.
- Ratification: the validation layout, then the validation step votes
  ``bitset:u64 ‖ aggregate[96]``.
- Quorum: ``consensus_header[41] ‖ attestation``.
"""

from __future__ import annotations

from chain.consensus.aggregator import VoteMessage
from chain.consensus.engine import CandidateMessage, Message, QuorumMessage, RatificationMessage
from chain.consensus.quorum import decode_consensus_header, encode_consensus_header
from chain.consensus.sortition import StepKind
from chain.network.messages import Envelope, Topic
from chain.types.blocks import decode_block, encode_block
from chain.types.codec import Reader, Writer
from chain.types.consensus import StepVotes, decode_attestation, decode_vote, encode_attestation, encode_vote
from chain.types.exceptions import DecodeError, OutOfRange
from chain.types.primitives import U64, BlsPublicKey, BlsSignature


def _encode_vote(writer: Writer, message: VoteMessage) -> None:
    writer.raw(encode_consensus_header(message.header))
    encode_vote(writer, message.vote)
    writer.fixed(message.signer).fixed(message.signature)


def _decode_vote(reader: Reader, step: StepKind) -> VoteMessage:
    header = decode_consensus_header(reader)
    vote = decode_vote(reader)
    return VoteMessage(header, step, vote, reader.fixed(BlsPublicKey), reader.fixed(BlsSignature))


def encode_message(message: Message) -> Envelope:
    """The network envelope of a consensus message."""
    if isinstance(message, CandidateMessage):
        return Envelope(Topic.CANDIDATE, encode_block(message.block))
    writer = Writer()
    if isinstance(message, QuorumMessage):
        writer.raw(encode_consensus_header(message.header))
        encode_attestation(writer, message.attestation)
        return Envelope(Topic.QUORUM, writer.to_bytes())
    if isinstance(message, RatificationMessage):
        _encode_vote(writer, message.vote)
        writer.uint(message.validation.bitset).fixed(message.validation.aggregate_signature)
        return Envelope(Topic.RATIFICATION, writer.to_bytes())
    _encode_vote(writer, message)
    return Envelope(Topic.VALIDATION, writer.to_bytes())


def decode_message(envelope: Envelope) -> Message:
    """Decode a consensus envelope; raises ``DecodeError`` (``unknown_tag`` for other topics)."""
    try:
        if envelope.topic is Topic.CANDIDATE:
            return CandidateMessage(decode_block(envelope.payload))
        reader = Reader(envelope.payload)
        message: Message
        if envelope.topic is Topic.QUORUM:
            message = QuorumMessage(decode_consensus_header(reader), decode_attestation(reader))
        elif envelope.topic is Topic.RATIFICATION:
            vote = _decode_vote(reader, StepKind.RATIFICATION)
            message = RatificationMessage(vote, StepVotes(reader.uint(U64), reader.fixed(BlsSignature)))
        elif envelope.topic is Topic.VALIDATION:
            message = _decode_vote(reader, StepKind.VALIDATION)
        else:
            raise DecodeError(f"topic {envelope.topic.name} is not a consensus message", reason="unknown_tag")
        reader.finish()
        return message
    except OutOfRange as exc:
        raise DecodeError(str(exc), reason="out_of_range") from exc
