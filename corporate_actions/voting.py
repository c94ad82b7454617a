"""Proxy voting (issue 9): ballots of a general meeting, weighted by holdings at the record
date and tallied on chain (docs/voting.md; docs/contracts.md, Ballot).

Lifecycle, every chain write through the outbox (``ledger.outbox``):

1. An issuer admin proposes a ballot (motions and options, record date, voting window);
   an issuer approver of the same issuer, not the proposer, approves it (maker-checker).
2. On the record date (at approval if it has come, else the beat task
   :func:`ballots_advance`) the token takes a checkpoint; when it is Final its number is
   the record checkpoint and a ``ballot`` contract is deployed over it.
3. While the ballot is deployed, brokers vote for their client accounts and for their own
   organisation: each vote is a ``vote`` call signed by the voter's chain account. The
   contract refuses votes outside the window or above the voter's holding at the record
   checkpoint and keeps the tally; the platform checks the same first, so a bad vote gets a
   clear error and nothing is queued. A holder may change its vote until the window closes.
4. Results are read from the contract (``tally``): they are the chain's, not the platform's.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from chain.node.client import RpcError, contract_abi
from common.business_date import get_business_date
from common.exceptions import (
    ChainUnavailable,
    ConflictError,
    InvalidInput,
    NotFoundError,
    PermissionDeniedError,
)
from common.services import audit_entry_create
from corporate_actions.models import Ballot, BallotStatus, BallotVote
from identity.models import ClientAccount, User
from identity.roles import BROKER_ROLES, Role
from issuance import register
from issuance.models import InstrumentStatus
from issuance.selectors import instrument_get
from issuance.services import check_issuer_role
from ledger.chain import get_node_client
from ledger.models import ChainAccount, ChainSubmission
from ledger.outbox import chain_call_enqueue, chain_deploy_enqueue

CHECKPOINT_KIND = "ballot.checkpoint"
DEPLOY_KIND = "ballot.deploy"
VOTE_KIND = "ballot.vote"


# ---- proposing and approving --------------------------------------------------------------
def _validate_motions(motions: Any) -> list[dict[str, Any]]:
    problems: list[str] = []
    if not isinstance(motions, list) or not 1 <= len(motions) <= contract_abi.MAX_MOTIONS:
        raise InvalidInput("A ballot has 1 to 16 motions.", code="invalid_motions")
    clean = []
    for index, motion in enumerate(motions, start=1):
        title = str(motion.get("title", "")).strip() if isinstance(motion, dict) else ""
        options = motion.get("options") if isinstance(motion, dict) else None
        if not title:
            problems.append(f"motion {index} has no title")
        if not isinstance(options, list) or not 2 <= len(options) <= contract_abi.MAX_OPTIONS:
            problems.append(f"motion {index} needs 2 to 8 options")
            continue
        labels = [str(o).strip() for o in options]
        if any(not label for label in labels) or len(set(labels)) != len(labels):
            problems.append(f"motion {index}'s options must be named and distinct")
        clean.append({"title": title, "options": labels})
    if problems:
        raise InvalidInput("; ".join(problems) + ".", code="invalid_motions", details={"motions": problems})
    return clean


@transaction.atomic
def ballot_create(
    *,
    actor: User,
    instrument_id: uuid.UUID,
    title: str,
    motions: Any,
    record_date: datetime.date,
    opens_at: datetime.datetime,
    closes_at: datetime.datetime,
) -> Ballot:
    """An issuer admin proposes a ballot of a live instrument. Raises ``InvalidInput``
    (``invalid_motions``, ``invalid_window``, ``not_live``) or ``PermissionDeniedError``;
    nothing is written then."""
    instrument = instrument_get(user=actor, instrument_id=instrument_id)
    check_issuer_role(actor=actor, instrument=instrument, role=Role.ISSUER_ADMIN, action="propose ballots on")
    if instrument.status != InstrumentStatus.LIVE:
        raise InvalidInput("Only a live instrument (deployed on chain) holds a vote.", code="not_live")
    clean = _validate_motions(motions)
    if not title.strip():
        raise InvalidInput("A ballot needs a title.", code="invalid_title")
    now = timezone.now()
    if not (opens_at < closes_at and closes_at > now):
        raise InvalidInput(
            "The voting window must open before it closes, and close in the future.", code="invalid_window"
        )
    if record_date > opens_at.date():
        raise InvalidInput("The record date is on or before the day voting opens.", code="invalid_window")
    ballot = Ballot.objects.create(
        instrument=instrument,
        title=title.strip(),
        motions=clean,
        record_date=record_date,
        opens_at=opens_at,
        closes_at=closes_at,
        proposed_by=actor,
    )
    audit_entry_create(
        actor=actor,
        action="ballot.propose",
        obj=ballot,
        organisation=instrument.issuer,
        changes={
            "title": ballot.title,
            "motions": clean,
            "record_date": record_date.isoformat(),
            "opens_at": opens_at.isoformat(),
            "closes_at": closes_at.isoformat(),
        },
    )
    return ballot


def _locked(ballot_id: uuid.UUID) -> Ballot:
    ballot = (
        Ballot.objects.select_for_update().select_related("instrument__issuer").filter(pk=ballot_id).first()
    )
    if ballot is None:
        raise NotFoundError("Ballot not found.", code="ballot_not_found")
    return ballot


def _transition(ballot: Ballot, status: str, actor: User | None, **fields: Any) -> None:
    before = ballot.status
    ballot.status = status
    for name, value in fields.items():
        setattr(ballot, name, value)
    ballot.save()
    audit_entry_create(
        actor=actor,
        action=f"ballot.{status}",
        obj=ballot,
        organisation=ballot.instrument.issuer,
        before={"status": before},
        changes={"status": status, **{k: str(v) if v is not None else None for k, v in fields.items()}},
    )


@transaction.atomic
def ballot_decide(*, actor: User, ballot_id: uuid.UUID, approve: bool, comment: str = "") -> Ballot:
    """An issuer approver, not the proposer, approves (or rejects, with a comment) a pending
    ballot; approved on or after its record date, the record checkpoint is queued at once."""
    ballot_get(user=actor, ballot_id=ballot_id)  # 404 unless the actor may know it
    ballot = _locked(ballot_id)
    check_issuer_role(
        actor=actor, instrument=ballot.instrument, role=Role.ISSUER_APPROVER, action="approve ballots on"
    )
    if ballot.status != BallotStatus.PENDING_APPROVAL:
        raise ConflictError("Only a pending ballot is approved or rejected.", code="invalid_transition")
    if ballot.proposed_by_id == actor.pk:
        raise PermissionDeniedError("The proposer cannot approve its own ballot.", code="same_user")
    if not approve:
        if not comment.strip():
            raise InvalidInput("Say why the ballot is rejected.", code="comment_required")
        _transition(ballot, BallotStatus.REJECTED, actor, error=comment.strip()[:200])
        return ballot
    _transition(ballot, BallotStatus.APPROVED, actor, approved_by=actor)
    if ballot.record_date <= get_business_date():
        _take_record_checkpoint(ballot)
    return ballot


def _take_record_checkpoint(ballot: Ballot) -> None:
    chain_call_enqueue(
        organisation=ballot.instrument.issuer,
        kind=CHECKPOINT_KIND,
        contract=ballot.instrument.contract_id,
        fn_name="checkpoint",
        fn_args=b"",
        subject=ballot,
    )
    _transition(ballot, BallotStatus.RECORDING, None)


def ballots_advance() -> int:
    """Beat: take the record checkpoint of approved ballots whose record date has come."""
    due = Ballot.objects.filter(status=BallotStatus.APPROVED, record_date__lte=get_business_date())
    for ballot_id in due.values_list("pk", flat=True):
        with transaction.atomic():
            ballot = _locked(ballot_id)
            if ballot.status == BallotStatus.APPROVED:
                _take_record_checkpoint(ballot)
    return due.count()


def compute_ballot_deploy_nonce(ballot: Ballot) -> int:
    """The first 63 bits of the ballot's UUID: one contract id per ballot, the same on retry."""
    return int.from_bytes(uuid.UUID(str(ballot.pk)).bytes[:8], "big") >> 1


def on_ballot_checkpoint(submission: ChainSubmission) -> None:
    """The record checkpoint is Final: record it (as any checkpoint) and deploy the ballot
    over it; refused: the ballot failed."""
    ballot = _locked(uuid.UUID(submission.subject_id))
    if ballot.status != BallotStatus.RECORDING:
        return
    checkpoint = register.checkpoint_record(instrument_id=ballot.instrument_id, submission=submission)
    if checkpoint is None:
        _transition(
            ballot, BallotStatus.FAILED, None, error=f"checkpoint: {submission.error or 'refused'}"[:200]
        )
        return
    number = checkpoint.number
    init = contract_abi.encode_ballot_init(
        token=bytes.fromhex(ballot.instrument.contract_id.removeprefix("0x")),
        checkpoint=number,
        opens=int(ballot.opens_at.timestamp()),
        closes=int(ballot.closes_at.timestamp()),
        options=[len(m["options"]) for m in ballot.motions],
    )
    deploy = chain_deploy_enqueue(
        organisation=ballot.instrument.issuer,
        kind=DEPLOY_KIND,
        code_name="ballot",
        init_args=init,
        deploy_nonce=compute_ballot_deploy_nonce(ballot),
        subject=ballot,
    )
    _transition(
        ballot, BallotStatus.DEPLOYING, None, checkpoint_number=number, contract_id=deploy.contract_id
    )


def on_ballot_deployed(submission: ChainSubmission) -> None:
    ballot = _locked(uuid.UUID(submission.subject_id))
    if ballot.status != BallotStatus.DEPLOYING:
        return
    if submission.succeeded:
        _transition(ballot, BallotStatus.OPEN, None)
    else:
        _transition(ballot, BallotStatus.FAILED, None, error=f"deploy: {submission.error or 'refused'}"[:200])


def on_ballot_vote(submission: ChainSubmission) -> None:
    vote = BallotVote.objects.select_for_update().filter(submission=submission).first()
    if vote is None or vote.status != BallotVote.Status.QUEUED:
        return
    if submission.status == ChainSubmission.Status.FINAL and submission.succeeded:
        vote.status = BallotVote.Status.FINAL
    else:
        vote.status, vote.error = BallotVote.Status.REFUSED, (submission.error or "refused")[:200]
    vote.save()


OUTCOME_HANDLERS = {
    CHECKPOINT_KIND: on_ballot_checkpoint,
    DEPLOY_KIND: on_ballot_deployed,
    VOTE_KIND: on_ballot_vote,
}


# ---- voting -------------------------------------------------------------------------------
def _voter_account(actor: User, client_account_id: uuid.UUID | None) -> ChainAccount:
    """The chain account the actor may vote for: a client account of its broker, or its own
    organisation's. ``PermissionDeniedError`` / ``NotFoundError`` otherwise."""
    if client_account_id is not None:
        if not actor.has_role(*BROKER_ROLES):
            raise PermissionDeniedError("Only brokers vote for client accounts.")
        client = ClientAccount.objects.filter(pk=client_account_id, broker_id=actor.organisation_id).first()
        if client is None:
            raise NotFoundError("Client account not found.", code="client_account_not_found")
        account = ChainAccount.objects.filter(client_account=client).first()
    else:
        if not actor.has_role(*BROKER_ROLES) or actor.organisation_id is None:
            raise PermissionDeniedError("Only brokers vote, for their clients or themselves.")
        account = ChainAccount.objects.filter(organisation_id=actor.organisation_id).first()
    if account is None:
        raise InvalidInput("The voter has no chain account.", code="no_chain_account")
    return account


def _query(ballot: Ballot, fn: str, args: bytes) -> bytes:
    try:
        with get_node_client() as client:
            return client.query_contract(ballot.contract_id, fn, args)
    except RpcError as exc:
        raise ChainUnavailable(f"The ballot cannot be read on chain: {exc}") from exc


def ballot_weight_of(*, ballot: Ballot, account: ChainAccount) -> int:
    """The voter's holding at the record checkpoint, in token units, from the contract."""
    return contract_abi.decode_u64(_query(ballot, "weight_of", account.address))


@transaction.atomic
def ballot_vote(
    *,
    actor: User,
    ballot_id: uuid.UUID,
    motion: int,
    choices: list[tuple[int, int]],
    client_account_id: uuid.UUID | None = None,
) -> BallotVote:
    """Cast (or change, or with no choices withdraw) the vote of a client account of the
    actor's broker, or of the actor's organisation, on one motion: ``choices`` are (option,
    weight in token units) pairs. Refused with nothing queued: outside the window
    (``voting_not_open``, ``voting_closed``), a ballot not deployed (``ballot_not_open``), an
    unknown motion or option, a weight of 0 or above the voter's holding at the record date
    (``over_weight``)."""
    ballot = ballot_get(user=actor, ballot_id=ballot_id)  # 404 unless the actor may know it
    account = _voter_account(actor, client_account_id)
    if ballot.status != BallotStatus.OPEN:
        raise InvalidInput("The ballot is not deployed on chain yet.", code="ballot_not_open")
    now = timezone.now()
    if now < ballot.opens_at:
        raise InvalidInput("Voting has not opened.", code="voting_not_open")
    if now >= ballot.closes_at:
        raise InvalidInput("Voting has closed.", code="voting_closed")
    if not 0 <= motion < len(ballot.motions):
        raise InvalidInput("No such motion.", code="invalid_motion")
    n_options = len(ballot.motions[motion]["options"])
    if any(not 0 <= option < n_options for option, _ in choices):
        raise InvalidInput("No such option.", code="invalid_option")
    try:
        args = contract_abi.encode_ballot_vote(motion=motion, choices=choices)
    except contract_abi.AbiError as exc:
        raise InvalidInput(str(exc), code=exc.reason) from exc
    weight = ballot_weight_of(ballot=ballot, account=account)
    total = sum(w for _, w in choices)
    if total > weight:
        raise InvalidInput(
            f"The weights add up to {total}; the voter held {weight} units at the record date.",
            code="over_weight",
            details={"weight": weight, "cast": total},
        )
    submission = chain_call_enqueue(
        organisation=account,
        kind=VOTE_KIND,
        contract=ballot.contract_id,
        fn_name="vote",
        fn_args=args,
        subject=ballot,
    )
    vote = BallotVote.objects.create(
        ballot=ballot,
        voter=account,
        motion=motion,
        choices=[[o, w] for o, w in choices],
        cast_by=actor,
        submission=submission,
    )
    audit_entry_create(
        actor=actor,
        action="ballot.vote",
        obj=vote,
        organisation=actor.organisation,
        changes={
            "ballot": str(ballot.pk),
            "voter": account.address.hex(),
            "motion": motion,
            "choices": vote.choices,
        },
    )
    return vote


# ---- reading ------------------------------------------------------------------------------
def ballot_list(*, user: User) -> QuerySet[Ballot]:
    """Ballots of instruments the user can see; pending and rejected ones only to the issuer."""
    from issuance.selectors import instrument_list

    visible = instrument_list(user=user).values("pk")
    queryset = Ballot.objects.select_related("instrument").filter(instrument__in=visible)
    return queryset.filter(
        ~Q(status__in=[BallotStatus.PENDING_APPROVAL, BallotStatus.REJECTED])
        | Q(instrument__issuer_id=user.organisation_id)
    )


def ballot_get(*, user: User, ballot_id: uuid.UUID) -> Ballot:
    ballot = ballot_list(user=user).filter(pk=ballot_id).first()
    if ballot is None:
        raise NotFoundError("Ballot not found.", code="ballot_not_found")
    return ballot


@dataclass(frozen=True)
class MotionResult:
    title: str
    options: list[str]
    weights: list[int]
    voters: int


def ballot_results(*, ballot: Ballot) -> list[MotionResult]:
    """Each motion's tally as the contract holds it (empty before it is deployed)."""
    if ballot.status != BallotStatus.OPEN:
        return []
    results = []
    for index, motion in enumerate(ballot.motions):
        weights, voters = contract_abi.decode_ballot_tally(_query(ballot, "tally", bytes([index])))
        results.append(MotionResult(motion["title"], motion["options"], weights, voters))
    return results
