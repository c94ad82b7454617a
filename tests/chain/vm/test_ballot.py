"""The ballot contract (chain/contracts/ballot, docs/contracts.md) on the real host, voting
with a security token's holdings at a record checkpoint: the window, split and changed
votes, weights above the record holding, bad arguments, and tallies that equal the
record-date holdings of the votes cast."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from chain.node import contract_abi
from chain.state.memory import MemoryStore
from chain.state.state import State
from chain.types.primitives import ContractId
from chain.vm.exceptions import CallFailed
from tests.chain.helpers import Keypair, keypair
from tests.chain.vm.abi import account, read_u32, read_u64, u64
from tests.chain.vm.securities import T0, Chain, panic_code

ADMIN, ISSUER = keypair("ballot-admin"), keypair("ballot-issuer")
ALICE, BOB, CAROL, DAVE = (keypair(f"ballot-{n}") for n in ("alice", "bob", "carol", "dave"))
A_, B_, C_, D_ = (account(k.public) for k in (ALICE, BOB, CAROL, DAVE))
OPENS, CLOSES = T0 + 100, T0 + 1_000
FOR, AGAINST, ABSTAIN = 0, 1, 2


@dataclass
class Meeting:
    chain: Chain
    token: ContractId
    ballot: ContractId

    def vote(self, voter: Keypair, motion: int, *choices: tuple[int, int]) -> None:
        args = contract_abi.encode_ballot_vote(motion=motion, choices=list(choices))
        self.chain.call(self.ballot, "vote", args, voter.public)

    def refused(self, code: str, voter: Keypair, args: bytes) -> None:
        with pytest.raises(CallFailed) as error:
            self.chain.call(self.ballot, "vote", args, voter.public)
        assert panic_code(error.value) == code, str(error.value)

    def tally(self, motion: int) -> tuple[list[int], int]:
        return contract_abi.decode_ballot_tally(self.chain.query(self.ballot, "tally", bytes([motion])))

    def vote_of(self, voter: bytes, motion: int) -> list[int]:
        return contract_abi.decode_ballot_vote(
            self.chain.query(self.ballot, "vote_of", voter + bytes([motion]))
        )


@pytest.fixture
def meeting() -> Iterator[Meeting]:
    """Alice holds 1,000 and Bob 500 at checkpoint 1; then Alice sells 200 to Carol. Two
    motions: for / against / abstain, and a choice of two."""
    store = MemoryStore()
    with store.read_view() as view:
        chain = Chain(State(view))
        registry = chain.deploy("identity_registry", ADMIN.public, bytes(ADMIN.public))
        init = bytes(ISSUER.public) * 2 + bytes(registry) + b"DE000A0B1C23" + bytes(32) + bytes([0])
        token = chain.deploy("security_token", ISSUER.public, init, nonce=1)
        chain.call(token, "issue", A_ + u64(1_000), ISSUER.public)
        chain.call(token, "issue", B_ + u64(500), ISSUER.public)
        chain.call(token, "checkpoint", b"", ISSUER.public)
        chain.call(token, "transfer", C_ + u64(200), ALICE.public)
        init = contract_abi.encode_ballot_init(
            token=bytes(token), checkpoint=1, opens=OPENS, closes=CLOSES, options=[3, 2]
        )
        ballot = chain.deploy("ballot", ISSUER.public, init, nonce=2)
        chain.timestamp = OPENS
        yield Meeting(chain, token, ballot)


def test_info_and_weights_are_the_record_checkpoints(meeting: Meeting) -> None:
    info = contract_abi.decode_ballot_info(meeting.chain.query(meeting.ballot, "info"))
    assert info == contract_abi.BallotInfo(bytes(meeting.token), 1, OPENS, CLOSES, (3, 2))
    weights = [read_u64(meeting.chain.query(meeting.ballot, "weight_of", who)) for who in (A_, B_, C_, D_)]
    assert weights == [1_000, 500, 0, 0]  # Carol bought after the record date


def test_split_changed_and_withdrawn_votes_keep_the_tally_exact(meeting: Meeting) -> None:
    meeting.vote(ALICE, 0, (FOR, 600), (AGAINST, 400))
    assert [(e.topic, e.data) for e in meeting.chain.events] == [
        ("vote", A_ + bytes([0, 2, FOR]) + u64(600) + bytes([AGAINST]) + u64(400))
    ]
    meeting.vote(BOB, 0, (ABSTAIN, 500))
    assert meeting.tally(0) == ([600, 400, 500], 2)
    meeting.vote(ALICE, 0, (AGAINST, 1_000))  # changed while the window is open
    assert meeting.tally(0) == ([0, 1_000, 500], 2)
    assert meeting.vote_of(A_, 0) == [0, 1_000, 0]
    meeting.vote(BOB, 1, (1, 250))  # part of the weight on the other motion
    assert meeting.tally(1) == ([0, 250], 1)
    meeting.vote(ALICE, 0)  # withdrawn
    assert meeting.tally(0) == ([0, 0, 500], 1)
    assert meeting.vote_of(A_, 0) == [0, 0, 0]
    assert meeting.vote_of(D_, 1) == [0, 0]


def test_the_tally_equals_the_record_holdings_of_the_votes_cast(meeting: Meeting) -> None:
    for voter, option in ((ALICE, FOR), (BOB, AGAINST)):
        weight = read_u64(meeting.chain.query(meeting.ballot, "weight_of", account(voter.public)))
        meeting.vote(voter, 0, (option, weight))
    weights, voters = meeting.tally(0)
    balance_at = [
        read_u64(meeting.chain.query(meeting.token, "balance_at", who + (1).to_bytes(4, "little")))
        for who in (A_, B_)
    ]
    assert (weights, voters) == ([balance_at[0], balance_at[1], 0], 2)
    assert read_u64(meeting.chain.query(meeting.token, "balance_of", A_)) == 800  # now, not at record


def test_invalid_votes_change_nothing(meeting: Meeting) -> None:
    meeting.vote(BOB, 0, (FOR, 500))
    before = meeting.tally(0)
    vote = contract_abi.encode_ballot_vote
    meeting.refused("over_weight", ALICE, vote(motion=0, choices=[(FOR, 600), (AGAINST, 401)]))
    meeting.refused("over_weight", CAROL, vote(motion=0, choices=[(FOR, 1)]))  # bought after record
    meeting.refused("over_weight", DAVE, vote(motion=0, choices=[(FOR, 1)]))
    meeting.refused("invalid_motion", ALICE, vote(motion=2, choices=[(FOR, 1)]))
    meeting.refused("invalid_option", ALICE, vote(motion=1, choices=[(2, 1)]))
    meeting.refused("invalid_option", ALICE, bytes([0, 2, FOR]) + u64(1) + bytes([FOR]) + u64(1))
    meeting.refused("invalid_amount", ALICE, bytes([0, 1, FOR]) + u64(0))
    meeting.refused("invalid_arguments", ALICE, bytes([0, 1, FOR]) + u64(1)[:7])
    meeting.chain.timestamp = OPENS - 1
    meeting.refused("not_open", ALICE, vote(motion=0, choices=[(FOR, 1)]))
    meeting.chain.timestamp = CLOSES
    meeting.refused("closed", BOB, vote(motion=0, choices=[(AGAINST, 500)]))  # no change after close
    assert meeting.tally(0) == before
    assert read_u32(meeting.chain.query(meeting.ballot, "tally", bytes([0]))[-4:]) == 1


@pytest.mark.parametrize(
    ("options", "checkpoint", "window", "reason"),
    [
        ([], 1, (OPENS, CLOSES), "invalid_motions"),
        ([3] * 17, 1, (OPENS, CLOSES), "invalid_motions"),
        ([1], 1, (OPENS, CLOSES), "invalid_options"),
        ([9], 1, (OPENS, CLOSES), "invalid_options"),
        ([2], 0, (OPENS, CLOSES), "invalid_checkpoint"),
        ([2], 1, (CLOSES, CLOSES), "invalid_window"),
    ],
)
def test_invalid_ballots_are_refused_before_and_by_the_contract(
    meeting: Meeting, options: list[int], checkpoint: int, window: tuple[int, int], reason: str
) -> None:
    with pytest.raises(contract_abi.AbiError) as refused:
        contract_abi.encode_ballot_init(
            token=bytes(meeting.token),
            checkpoint=checkpoint,
            opens=window[0],
            closes=window[1],
            options=options,
        )
    assert refused.value.reason == reason
    raw = (
        bytes(meeting.token)
        + checkpoint.to_bytes(4, "little")
        + window[0].to_bytes(8, "little")
        + window[1].to_bytes(8, "little")
        + bytes([len(options)])
        + bytes(options)
    )
    with pytest.raises(CallFailed) as error:
        meeting.chain.deploy("ballot", ISSUER.public, raw, nonce=9)
    assert panic_code(error.value) == "invalid_arguments"
