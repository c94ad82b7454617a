"""hypothesis strategies for every chain container (used by codec and transition tests)."""

from __future__ import annotations

from hypothesis import strategies as st

from chain.types.blocks import Block, BlockHeader, FailedIteration, Fault
from chain.types.consensus import Attestation, ResultTag, StepVotes, Vote, VoteKind
from chain.types.primitives import (
    U8,
    U32,
    U64,
    Bloom,
    BlsPublicKey,
    BlsSignature,
    ChainId,
    ContractId,
    Gas,
    Hash32,
    Height,
    Iteration,
    Lux,
    Nonce,
    Seed,
    Timestamp,
)
from chain.types.receipts import Event, EventRecord, Receipt, ReceiptStatus
from chain.types.transactions import Call, Deploy, Fee, Memo, Transaction

u64 = st.integers(0, 2**64 - 1)
hash32 = st.binary(min_size=32, max_size=32).map(Hash32)
pk = st.binary(min_size=48, max_size=48).map(BlsPublicKey)
sig = st.binary(min_size=96, max_size=96).map(BlsSignature)
identifier = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True)
code = st.from_regex(r"[a-z0-9_.]{0,20}", fullmatch=True)

data = st.one_of(
    st.none(),
    st.builds(Call, st.binary(min_size=32, max_size=32).map(ContractId), identifier, st.binary(max_size=200)),
    st.builds(Deploy, st.binary(max_size=300), pk, st.none() | st.binary(max_size=50), u64.map(U64)),
    st.builds(Memo, st.binary(max_size=512)),
)

transactions = st.builds(
    Transaction,
    st.integers(0, 255).map(ChainId),
    pk,
    pk,
    u64.map(Lux),
    u64.map(Lux),
    st.builds(Fee, u64.map(Gas), u64.map(Lux), pk),
    u64.map(Nonce),
    data,
    sig,
)


@st.composite
def votes(draw: st.DrawFn) -> Vote:
    kind = draw(st.sampled_from(VoteKind))
    needs_hash = kind in (VoteKind.VALID, VoteKind.INVALID)
    return Vote(kind, draw(hash32) if needs_hash else None)


step_votes = st.builds(StepVotes, u64.map(U64), sig)
attestations = st.builds(Attestation, st.sampled_from(ResultTag), votes(), step_votes, step_votes)

headers = st.builds(
    BlockHeader,
    st.just(U8(1)),
    u64.map(Height),
    u64.map(Timestamp),
    hash32,
    st.binary(min_size=96, max_size=96).map(Seed),
    hash32,
    st.binary(min_size=256, max_size=256).map(Bloom),
    pk,
    hash32,
    hash32,
    u64.map(Gas),
    st.integers(0, 255).map(Iteration),
    attestations,
    st.lists(st.none() | st.builds(FailedIteration, attestations, pk), max_size=4).map(tuple),
    sig,
)

blocks = st.builds(
    Block,
    headers,
    st.lists(transactions, max_size=3).map(tuple),
    st.lists(st.builds(Fault, st.integers(0, 255).map(U8), st.binary(max_size=64)), max_size=2).map(tuple),
)

events = st.builds(Event, st.binary(min_size=32, max_size=32).map(ContractId), code, st.binary(max_size=100))
receipts = st.builds(
    Receipt,
    hash32,
    st.sampled_from(ReceiptStatus),
    u64.map(Gas),
    u64.map(Lux),
    code,
    st.lists(events, max_size=3).map(tuple),
)
event_records = st.builds(EventRecord, u64.map(Height), st.integers(0, 2**32 - 1).map(U32), hash32, events)
