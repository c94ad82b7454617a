"""Proxy voting on a real devnet (issue 9): a ballot approved by a second person, its record
checkpoint and ``ballot`` contract on chain, votes by brokers for themselves and for a
client account, weights equal to holdings at the record date (a seller after it keeps its
weight, a buyer gains none), refusals with nothing queued, and a tally read from the chain
that equals the record-date holdings of the votes cast."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from chain.node.client import contract_abi as abi
from common.exceptions import InvalidInput, PermissionDeniedError
from common.models import AuditEntry
from corporate_actions import voting
from corporate_actions.models import BallotStatus, BallotVote
from identity.models import Organisation, User
from identity.roles import OrganisationKind, Role
from identity.services import client_account_chain_account_create
from ledger import outbox
from ledger.models import ChainSubmission
from tests.factories import ClientAccountFactory, OrganisationFactory
from tests.issuance.test_onchain import _live_bond, pump
from tests.platformchain import ChainPlatform

MOTIONS = [
    {"title": "Approve the accounts", "options": ["for", "against", "abstain"]},
    {"title": "Elect the auditor", "options": ["Firm A", "Firm B"]},
]


def _token_call(chain: ChainPlatform, signer, instrument, fn: str, args: bytes) -> None:
    submission = outbox.chain_call_enqueue(
        organisation=signer, kind="test.token", contract=instrument.contract_id, fn_name=fn, fn_args=args
    )
    (done,) = chain.settle([submission])
    assert done.succeeded, done.error


def test_a_ballot_is_tallied_on_chain_with_record_date_weights(
    chain_platform: ChainPlatform, issuer: Organisation, maker: User, approver: User, make_user
) -> None:
    chain = chain_platform
    chain.attach(issuer)
    chain.attach(OrganisationFactory.create(kind=OrganisationKind.OPERATOR), role="operator")
    alpha = OrganisationFactory.create(kind=OrganisationKind.BROKER, legal_name="Alpha Broker")
    beta = OrganisationFactory.create(kind=OrganisationKind.BROKER, legal_name="Beta Broker")
    alpha_account, beta_account = chain.attach(alpha), chain.attach(beta)
    client = ClientAccountFactory.create(broker=alpha)
    client_account = client_account_chain_account_create(client_account=client)
    trader, beta_trader = make_user(alpha, Role.BROKER_TRADER), make_user(beta, Role.BROKER_TRADER)

    bond = _live_bond(chain, maker, approver)
    for account, units in ((alpha_account, 700), (client_account, 300), (beta_account, 100)):
        _token_call(chain, issuer, bond, "issue", abi.encode_address_amount(account.address, units))

    now = timezone.now()
    ballot = voting.ballot_create(
        actor=maker,
        instrument_id=bond.pk,
        title="Annual general meeting",
        motions=MOTIONS,
        record_date=now.date(),
        opens_at=now - dt.timedelta(minutes=1),
        closes_at=now + dt.timedelta(minutes=30),
    )
    with pytest.raises(PermissionDeniedError):  # maker-checker: not by its proposer
        voting.ballot_decide(actor=maker, ballot_id=ballot.pk, approve=True)
    voting.ballot_decide(actor=approver, ballot_id=ballot.pk, approve=True)
    pump(
        chain,
        lambda: voting.Ballot.objects.get(pk=ballot.pk).status in (BallotStatus.OPEN, BallotStatus.FAILED),
    )
    ballot.refresh_from_db()
    assert (ballot.status, ballot.checkpoint_number) == (BallotStatus.OPEN, 1)
    assert bond.checkpoints.filter(number=1).exists()  # recorded as any checkpoint

    # After the record date Beta sells its 100 to Alpha: weights do not move.
    _token_call(chain, beta, bond, "transfer", abi.encode_address_amount(alpha_account.address, 100))
    assert voting.ballot_weight_of(ballot=ballot, account=alpha_account) == 700
    assert voting.ballot_weight_of(ballot=ballot, account=beta_account) == 100

    queued = ChainSubmission.objects.count()
    with pytest.raises(InvalidInput) as refused:
        voting.ballot_vote(actor=trader, ballot_id=ballot.pk, motion=0, choices=[(0, 701)])
    assert refused.value.code == "over_weight"
    for bad, code in (([(3, 1)], "invalid_option"), ([(0, 0)], "invalid_amount")):
        with pytest.raises(InvalidInput) as refused:
            voting.ballot_vote(actor=trader, ballot_id=ballot.pk, motion=0, choices=bad)
        assert refused.value.code == code
    with pytest.raises(InvalidInput) as refused:
        voting.ballot_vote(actor=trader, ballot_id=ballot.pk, motion=2, choices=[(0, 1)])
    assert refused.value.code == "invalid_motion"
    assert ChainSubmission.objects.count() == queued  # nothing queued for any refusal

    votes = [
        voting.ballot_vote(actor=trader, ballot_id=ballot.pk, motion=0, choices=[(0, 700)]),
        voting.ballot_vote(
            actor=trader,
            ballot_id=ballot.pk,
            motion=0,
            choices=[(1, 200), (2, 100)],
            client_account_id=client.pk,
        ),
        voting.ballot_vote(actor=beta_trader, ballot_id=ballot.pk, motion=0, choices=[(1, 100)]),
        voting.ballot_vote(actor=beta_trader, ballot_id=ballot.pk, motion=1, choices=[(1, 60)]),
    ]

    def counted() -> bool:
        return all(BallotVote.objects.get(pk=v.pk).status != BallotVote.Status.QUEUED for v in votes)

    pump(chain, counted)
    assert {BallotVote.objects.get(pk=v.pk).status for v in votes} == {BallotVote.Status.FINAL}
    results = voting.ballot_results(ballot=ballot)
    assert [(r.weights, r.voters) for r in results] == [([700, 300, 100], 3), ([0, 60], 1)]
    with chain.client as client_rpc:  # the tally equals the record-date holdings of the votes cast
        record = [
            abi.decode_u64(
                client_rpc.query_contract(
                    bond.contract_id, "balance_at", a.address + (1).to_bytes(4, "little")
                )
            )
            for a in (alpha_account, client_account, beta_account)
        ]
    assert sum(results[0].weights) == sum(record) == 1_100

    changed = voting.ballot_vote(actor=trader, ballot_id=ballot.pk, motion=0, choices=[(1, 700)])
    pump(chain, lambda: BallotVote.objects.get(pk=changed.pk).status != BallotVote.Status.QUEUED)
    assert voting.ballot_results(ballot=ballot)[0].weights == [0, 1_000, 100]
    assert AuditEntry.objects.filter(action="ballot.vote").count() == 5

    voting.Ballot.objects.filter(pk=ballot.pk).update(closes_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(InvalidInput) as refused:
        voting.ballot_vote(actor=beta_trader, ballot_id=ballot.pk, motion=0, choices=[(0, 100)])
    assert refused.value.code == "voting_closed"


def test_invalid_ballots_are_refused_and_write_nothing(db, issuer, maker, approver) -> None:
    from issuance import services
    from tests.issuance.conftest import make_bond_terms

    bond = services.instrument_create(actor=maker, terms=make_bond_terms())
    now = timezone.now()
    window: dict[str, Any] = {
        "record_date": now.date(),
        "opens_at": now,
        "closes_at": now + dt.timedelta(days=1),
    }
    with pytest.raises(InvalidInput) as refused:  # a draft instrument has no token to vote with
        voting.ballot_create(actor=maker, instrument_id=bond.pk, title="AGM", motions=MOTIONS, **window)
    assert refused.value.code == "not_live"
    bond.status = "live"
    bond.save(update_fields=["status"])
    cases: list[tuple[dict[str, Any], str]] = [
        ({"motions": []}, "invalid_motions"),
        ({"motions": [{"title": "x", "options": ["only one"]}]}, "invalid_motions"),
        ({"motions": [{"title": "", "options": ["a", "b"]}]}, "invalid_motions"),
        ({"motions": [{"title": "x", "options": ["a", "a"]}]}, "invalid_motions"),
        ({"closes_at": now - dt.timedelta(minutes=1)}, "invalid_window"),
        ({"record_date": (now + dt.timedelta(days=3)).date()}, "invalid_window"),
    ]
    for change, code in cases:
        arguments = {"title": "AGM", "motions": MOTIONS, **window, **change}
        with pytest.raises(InvalidInput) as refused:
            voting.ballot_create(actor=maker, instrument_id=bond.pk, **arguments)
        assert refused.value.code == code, change
    with pytest.raises(PermissionDeniedError):
        voting.ballot_create(actor=approver, instrument_id=bond.pk, title="AGM", motions=MOTIONS, **window)
    assert not voting.Ballot.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="ballot.").exists()
