"""The audit trail's anchors on chain and its verification (docs/architecture.md, "Audit trail").

:func:`audit_anchor_enqueue` (beat, every ``GLOAM_AUDIT_ANCHOR_SECONDS``) writes the chain's
head ``(sequence, entry_hash)`` as a memo of the operator's account through the outbox; at
Final the anchor is ``anchored`` with its block height. :func:`audit_trail_verify` recomputes
the hash chain (``common.services.audit_chain_verify``) and checks every Final anchor
against the entry at its sequence and, with ``against_chain``, against the memo in the
anchoring transaction on a node, so a rewrite of the whole database chain is found too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from chain.node.client import RpcError
from common.audit_hashing import AuditHashError, decode_anchor_memo, encode_anchor_memo
from common.models import AuditChainHead, AuditEntry
from common.services import AuditChainReport, audit_chain_verify
from compliance.models import AuditAnchor
from identity.selectors import operator_chain_account
from ledger.chain import get_node_client
from ledger.models import ChainSubmission
from ledger.outbox import chain_memo_enqueue, register_outcome_handler

ANCHOR_KIND = "audit.anchor"


@transaction.atomic
def audit_anchor_enqueue() -> AuditAnchor | None:
    """Queue an anchor of the current head unless it is already anchored or being anchored
    (or there is nothing to anchor, or no operator chain account). Returns the new anchor."""
    head = AuditChainHead.objects.select_for_update().filter(id=1).first()
    if head is None or head.sequence == 0:
        return None
    covered = (
        AuditAnchor.objects.exclude(status=AuditAnchor.Status.FAILED)
        .order_by("-sequence")
        .values_list("sequence", flat=True)
        .first()
    )
    if covered is not None and covered >= head.sequence:
        return None
    operator = operator_chain_account()
    if operator is None:
        return None
    submission = chain_memo_enqueue(
        organisation=operator, kind=ANCHOR_KIND, memo=encode_anchor_memo(head.sequence, head.entry_hash)
    )
    anchor = AuditAnchor.objects.create(
        sequence=head.sequence, entry_hash=head.entry_hash, submission=submission
    )
    submission.subject_type, submission.subject_id = AuditAnchor._meta.label_lower, str(anchor.pk)
    submission.save(update_fields=["subject_type", "subject_id"])
    return anchor


def on_anchor_outcome(submission: ChainSubmission) -> None:
    """Outcome handler (ledger.outbox): Final and succeeded → ``anchored``; else ``failed``."""
    anchor = AuditAnchor.objects.filter(submission=submission).first()
    if anchor is None:
        return
    if submission.status == ChainSubmission.Status.FINAL and submission.succeeded:
        anchor.status, anchor.tx_id, anchor.block_height = (
            AuditAnchor.Status.ANCHORED,
            submission.tx_id,
            submission.block_height,
        )
    else:
        anchor.status, anchor.error = AuditAnchor.Status.FAILED, submission.error or "rejected"
    anchor.save()


def register_handlers() -> None:
    register_outcome_handler(ANCHOR_KIND, on_anchor_outcome)


@dataclass(frozen=True)
class AnchorProblem:
    sequence: int
    reason: str


@dataclass(frozen=True)
class AuditTrailReport:
    chain: AuditChainReport
    anchors_checked: int
    last_anchored_sequence: int | None
    anchor_problems: list[AnchorProblem] = field(default_factory=list)
    checked_on_chain: bool = False

    @property
    def ok(self) -> bool:
        return self.chain.broken_at is None and not self.anchor_problems


def get_anchor_memo_on_chain(tx_id: str) -> bytes:
    """The memo of transaction ``tx_id`` in its block, asked of a node. Raises ``RpcError``
    (``not_found`` if no node knows it) or ``AuditHashError`` if it carries no memo."""
    with get_node_client() as client:
        found = client.get_transaction_memo(tx_id)
    if found is None:
        raise AuditHashError("the anchoring transaction is not in a block")
    if found.memo is None:
        raise AuditHashError("the anchoring transaction carries no memo")
    return found.memo


def audit_trail_verify(*, against_chain: bool = False) -> AuditTrailReport:
    """The hash chain's report and every anchored head checked against the entries (and, with
    ``against_chain``, against the memo on a node; an unreachable node is a problem too)."""
    chain_report = audit_chain_verify()
    problems: list[AnchorProblem] = []
    anchors = list(AuditAnchor.objects.filter(status=AuditAnchor.Status.ANCHORED).order_by("sequence"))
    entries = AuditEntry.objects.filter(sequence__in=[a.sequence for a in anchors])
    hashes = dict(entries.values_list("sequence", "entry_hash"))
    for anchor in anchors:
        stored = hashes.get(anchor.sequence)
        if stored is None:
            problems.append(AnchorProblem(anchor.sequence, "the anchored entry is missing"))
        elif stored != anchor.entry_hash:
            problems.append(AnchorProblem(anchor.sequence, "the entry's hash differs from the anchored one"))
        if against_chain:
            try:
                on_chain = decode_anchor_memo(get_anchor_memo_on_chain(anchor.tx_id))
            except (RpcError, AuditHashError) as exc:
                problems.append(AnchorProblem(anchor.sequence, f"the anchor cannot be read on chain: {exc}"))
                continue
            if on_chain != (anchor.sequence, stored or anchor.entry_hash) or on_chain[1] != anchor.entry_hash:
                problems.append(AnchorProblem(anchor.sequence, "the memo on chain differs from the anchor"))
    return AuditTrailReport(
        chain=chain_report,
        anchors_checked=len(anchors),
        last_anchored_sequence=anchors[-1].sequence if anchors else None,
        anchor_problems=problems,
        checked_on_chain=against_chain,
    )
