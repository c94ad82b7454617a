"""The chain outbox (DESIGN.md, Processes): every write to the chain goes through here.

1. A service records the intent (:func:`chain_call_enqueue`, :func:`chain_deploy_enqueue`)
   in the same database transaction as the business change that wants it; on commit a
   task is queued (``ledger.tasks.chain_outbox_flush``).
2. :func:`chain_outbox_flush` signs the account's queued submissions in order, each with
   the next nonce, and **stores the signed bytes before submitting them**; then submits.
   A crash before the store loses only a signature; a crash after it leaves a ``signed``
   row that the next flush submits again: the same bytes, so the same transaction id, which
   the node accepts once (a waiting transaction is answered with its id, an included one
   with ``already_included``). Nothing is sent twice with two nonces.
3. :func:`chain_outbox_confirm` follows submitted transactions until their block is
   **Final** (rolling finality, reference §1.7) and then runs the kind's outcome handler
   once (``handled``), in the same transaction as the status change. A refusal by the node
   (``rejected``, never on chain) also reaches the handler; transient failures (node
   unreachable, mempool full) are retried.

A submission whose node forgot it (evicted from a mempool) is submitted again; if the node
refuses it then, it is ``rejected`` and the account's later signed submissions are signed
again with the freed nonces, so the account's nonces never leave a gap.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Model

from chain.node.client import NodeClient, RpcError, contract_abi, get_contract_id
from common.exceptions import InvalidInput
from ledger.chain import get_node_client
from ledger.keys import (
    TRANSFER_GAS,
    chain_call_sign,
    chain_deploy_sign,
    chain_proven_call_sign,
    chain_transfer_sign,
)
from ledger.models import ChainAccount, ChainSubmission

logger = logging.getLogger(__name__)

Status = ChainSubmission.Status
OutcomeHandler = Callable[[ChainSubmission], None]
#: Who signs a submission: an ``identity`` Organisation (its chain account), or a
#: ``ChainAccount`` itself (e.g. a client account's). Typed as a model: ``ledger`` imports no
#: app above it.
Signer = Model

#: Node refusals worth another attempt later (the transaction itself may be fine).
TRANSIENT_REASONS = frozenset({"unreachable", "mempool_full", "sender_full", "bad_response"})
GENESIS_PREFIX = "genesis:"
DEFAULT_CALL_GAS = 200_000_000
DEFAULT_DEPLOY_GAS = 500_000_000

_handlers: dict[str, OutcomeHandler] = {}


def register_outcome_handler(kind: str, handler: OutcomeHandler) -> None:
    """Run ``handler(submission)`` once when a submission of ``kind`` is Final (its
    ``succeeded`` says whether the receipt was a success) or ``rejected`` by the node. It
    runs inside the transaction that records the outcome, so its writes and the status
    change commit together or not at all. Register from an app's ``ready()``."""
    _handlers[kind] = handler


def unregister_outcome_handler(kind: str) -> None:
    """Forget the handler of ``kind`` (none is fine): for tests that register their own."""
    _handlers.pop(kind, None)


def get_signer_account(signer: Signer) -> ChainAccount:
    """``signer`` itself if it is a ``ChainAccount``, else the chain account of the
    organisation ``signer``. Raises ``InvalidInput`` (``no_chain_account``) if it has none."""
    if isinstance(signer, ChainAccount):
        return signer
    account = ChainAccount.objects.filter(organisation_id=signer.pk).first()
    if account is None:
        name = getattr(signer, "legal_name", str(signer))
        raise InvalidInput(f"{name} has no chain account.", code="no_chain_account")
    return account


def _subject(subject: Model | None) -> dict[str, str]:
    if subject is None:
        return {"subject_type": "", "subject_id": ""}
    return {"subject_type": subject._meta.label_lower, "subject_id": str(subject.pk)}


def _enqueue(submission: ChainSubmission) -> ChainSubmission:
    from ledger.tasks import chain_outbox_flush  # the tasks module imports this one

    if submission.after is None and submission.kind != GAS_KIND:
        # an account funded with gas after it was made waits for that funding to be Final
        submission.after = (
            ChainSubmission.objects.filter(kind=GAS_KIND, subject_id=str(submission.chain_account_id))
            .exclude(status=Status.FINAL)
            .first()
        )
    submission.full_clean(validate_constraints=False)
    submission.save()
    account_id = str(submission.chain_account_id)
    transaction.on_commit(lambda: chain_outbox_flush.delay(account_id))
    return submission


def chain_call_enqueue(
    *,
    organisation: Signer,
    kind: str,
    contract: str,
    fn_name: str,
    fn_args: bytes,
    subject: Model | None = None,
    gas_limit: int = DEFAULT_CALL_GAS,
    after: ChainSubmission | None = None,
) -> ChainSubmission:
    """Queue a call of ``fn_name`` of ``contract`` (0x id, or ``genesis:<name>`` such as
    ``genesis:cash_token``) from ``organisation``'s chain account (or the given chain
    account, e.g. a client account's). Call it inside the transaction of the change that
    wants it; the flush is queued when that commits. With ``after`` it is not signed before
    that submission is Final (and is refused if that one failed).

    Raises ``InvalidInput`` (``no_chain_account``) if the organisation has none."""
    return _enqueue(
        ChainSubmission(
            chain_account=get_signer_account(organisation),
            after=after,
            kind=kind,
            operation=ChainSubmission.Operation.CALL,
            contract=contract,
            fn_name=fn_name,
            fn_args=bytes(fn_args),
            gas_limit=gas_limit,
            **_subject(subject),
        )
    )


#: Gas of a proven call: the node's Groth16 verification and the call (a Phoenix transfer with
#: two output notes; tests/chain/transition/test_phoenix_transfer.py uses the same limit).
DEFAULT_PROVEN_CALL_GAS = 300_000_000


def chain_proven_call_enqueue(
    *,
    organisation: Signer,
    kind: str,
    contract: str,
    fn_name: str,
    fn_args: bytes,
    vk_id: str,
    public_inputs: bytes,
    proof: bytes,
    subject: Model | None = None,
    gas_limit: int = DEFAULT_PROVEN_CALL_GAS,
    after: ChainSubmission | None = None,
) -> ChainSubmission:
    """Queue a proven call (transaction tag 4): as :func:`chain_call_enqueue`, carrying a
    Groth16 ``proof`` (192 bytes) for the verifying key ``vk_id`` (0x hex) with its
    ``public_inputs`` (32 bytes little-endian each). The node verifies the proof before the
    call runs and refuses the transaction if it does not hold (the submission is then
    ``rejected`` with the node's reason, e.g. ``proof_refused:...``)."""
    if len(proof) != 192 or not public_inputs or len(public_inputs) % 32:
        raise InvalidInput("a proven call carries a 192-byte proof and 32-byte inputs", code="invalid_proof")
    return _enqueue(
        ChainSubmission(
            chain_account=get_signer_account(organisation),
            after=after,
            kind=kind,
            operation=ChainSubmission.Operation.PROVEN,
            contract=contract,
            fn_name=fn_name,
            fn_args=bytes(fn_args),
            vk_id=vk_id,
            public_inputs=bytes(public_inputs),
            proof=bytes(proof),
            gas_limit=gas_limit,
            **_subject(subject),
        )
    )


def chain_deploy_enqueue(
    *,
    organisation: Signer,
    kind: str,
    code_name: str,
    init_args: bytes,
    deploy_nonce: int,
    subject: Model | None = None,
    gas_limit: int = DEFAULT_DEPLOY_GAS,
) -> ChainSubmission:
    """Queue the deployment of the genesis contract code ``code_name`` (e.g.
    ``security_token``) owned by ``organisation``'s chain account, with ``init_args``
    (stored in ``fn_args``). The new contract's id is known now (reference §2.4) and set on
    the returned submission's ``contract_id``, so calls to it can be queued behind it."""
    account = get_signer_account(organisation)
    try:
        bytecode = contract_abi.get_contract_code(code_name)
    except contract_abi.AbiError as exc:
        raise InvalidInput(str(exc), code=exc.reason) from exc
    contract_id = get_contract_id(bytecode=bytecode, deploy_nonce=deploy_nonce, owner=account.public_key)
    return _enqueue(
        ChainSubmission(
            chain_account=account,
            kind=kind,
            operation=ChainSubmission.Operation.DEPLOY,
            code_name=code_name,
            fn_args=bytes(init_args),
            deploy_nonce=deploy_nonce,
            contract_id=contract_id,
            gas_limit=gas_limit,
            **_subject(subject),
        )
    )


GAS_KIND = "account.gas"
MAX_MEMO_BYTES = 512


def chain_transfer_enqueue(
    *,
    organisation: Signer,
    kind: str,
    receiver_public_key: str,
    value: int,
    subject: Model | None = None,
    memo: bytes = b"",
) -> ChainSubmission:
    """Queue a Moonlight transfer of ``value`` Lux of the native token (reference §2.2), with
    ``memo`` (≤ 512 bytes, §2.4) if given."""
    if len(memo) > MAX_MEMO_BYTES:
        raise InvalidInput(f"a memo holds at most {MAX_MEMO_BYTES} bytes", code="memo_too_long")
    return _enqueue(
        ChainSubmission(
            chain_account=get_signer_account(organisation),
            kind=kind,
            operation=ChainSubmission.Operation.TRANSFER,
            receiver=receiver_public_key,
            value=value,
            memo=bytes(memo),
            gas_limit=TRANSFER_GAS,
            **_subject(subject),
        )
    )


def chain_memo_enqueue(
    *, organisation: Signer, kind: str, memo: bytes, subject: Model | None = None
) -> ChainSubmission:
    """Queue a memo on chain: a transfer of 0 Lux from the account to itself carrying
    ``memo``, e.g. an audit anchor or a disclosure package's hash. Raises ``InvalidInput``
    (``no_chain_account``, ``memo_too_long``)."""
    account = get_signer_account(organisation)
    return chain_transfer_enqueue(
        organisation=account,
        kind=kind,
        receiver_public_key=account.public_key,
        value=0,
        subject=subject,
        memo=memo,
    )


def chain_account_gas_enqueue(
    *, account: ChainAccount, funder: ChainAccount | None
) -> ChainSubmission | None:
    """Fund a new account (a client account's) with ``GLOAM_ACCOUNT_GAS_LUX`` of the native
    token from ``funder`` (the operator's: ``identity.selectors.operator_chain_account``), so
    that it can sign its own approvals and affirmations; its own submissions wait until the
    funding is Final. ``None`` without a funder, when the funder is the account itself, or
    when the setting is 0."""
    if funder is None or settings.GLOAM_ACCOUNT_GAS_LUX <= 0 or funder.pk == account.pk:
        return None
    return chain_transfer_enqueue(
        organisation=funder,
        kind=GAS_KIND,
        receiver_public_key=account.public_key,
        value=settings.GLOAM_ACCOUNT_GAS_LUX,
        subject=account,
    )


# -- flush: sign and submit -----------------------------------------------------------------
def chain_outbox_flush(*, chain_account_id: str) -> int:
    """Submit what the account has waiting: resubmit ``signed`` rows (a crash came between
    storing and submitting), then sign and submit ``queued`` ones in order. Returns the
    number submitted. Safe to run concurrently and repeatedly."""
    submitted = 0
    with get_node_client() as client:
        genesis: dict[str, str] = {}
        chain_nonce: list[int] = []  # the account's nonce on chain, asked once per flush
        for signed in ChainSubmission.objects.filter(
            chain_account__id=chain_account_id, status=Status.SIGNED
        ).order_by("nonce"):
            submitted += _submit(client, signed)
        while (submission := sign_next(client, chain_account_id, genesis, chain_nonce)) is not None:
            submitted += _submit(client, submission)
    return submitted


def sign_next(
    client: NodeClient, chain_account_id: str, genesis: dict[str, str], chain_nonce: list[int]
) -> ChainSubmission | None:
    """Sign the oldest queued submission with the next nonce and store it (one transaction,
    the account row locked so that two flushes never take one nonce). The next nonce is one
    above the larger of the account's nonce on chain (asked once per flush, kept in
    ``chain_nonce``) and the highest one its submissions hold that were not rejected."""
    with transaction.atomic():
        account = ChainAccount.objects.select_for_update().get(id=chain_account_id)
        submission = (
            ChainSubmission.objects.select_for_update()
            .filter(chain_account=account, status=Status.QUEUED)
            .order_by("created_at", "id")
            .first()
        )
        if submission is None:
            return None
        if submission.after is not None and submission.after.status != Status.FINAL:
            if submission.after.status != Status.REJECTED:
                return None  # waits (and so do the account's later ones: nonce order)
            _finish_rejected(submission, "dependency_rejected")
            return submission
        if submission.after is not None and not submission.after.succeeded:
            _finish_rejected(submission, "dependency_failed")
            return submission
        if not chain_nonce:
            chain_nonce.append(client.get_account(account.public_key).nonce)
        taken = (
            ChainSubmission.objects.filter(chain_account=account, nonce__isnull=False)
            .exclude(status=Status.REJECTED)
            .aggregate(top=Max("nonce"))["top"]
        )
        nonce = max(chain_nonce[0], taken or 0) + 1
        chain_id = settings.GLOAM_CHAIN_ID
        try:
            if submission.operation == ChainSubmission.Operation.TRANSFER:
                tx_id, raw = chain_transfer_sign(
                    account=account,
                    chain_id=chain_id,
                    receiver_public_key=submission.receiver,
                    value=submission.value,
                    nonce=nonce,
                    gas_limit=submission.gas_limit,
                    memo=bytes(submission.memo or b""),
                )
            elif submission.operation == ChainSubmission.Operation.DEPLOY:
                tx_id, raw, contract_id = chain_deploy_sign(
                    account=account,
                    chain_id=chain_id,
                    bytecode=contract_abi.get_contract_code(submission.code_name),
                    init_args=bytes(submission.fn_args),
                    deploy_nonce=int(submission.deploy_nonce or 0),
                    nonce=nonce,
                    gas_limit=submission.gas_limit,
                )
                submission.contract_id = contract_id
            elif submission.operation == ChainSubmission.Operation.PROVEN:
                tx_id, raw = chain_proven_call_sign(
                    account=account,
                    chain_id=chain_id,
                    contract=_resolve(client, submission.contract, genesis),
                    fn_name=submission.fn_name,
                    fn_args=bytes(submission.fn_args),
                    vk_id=submission.vk_id,
                    public_inputs=bytes(submission.public_inputs or b""),
                    proof=bytes(submission.proof or b""),
                    nonce=nonce,
                    gas_limit=submission.gas_limit,
                )
            else:
                tx_id, raw = chain_call_sign(
                    account=account,
                    chain_id=chain_id,
                    contract=_resolve(client, submission.contract, genesis),
                    fn_name=submission.fn_name,
                    fn_args=bytes(submission.fn_args),
                    nonce=nonce,
                    gas_limit=submission.gas_limit,
                )
        except InvalidInput as exc:
            _finish_rejected(submission, exc.code)
            return submission  # rejected: the caller's loop moves on to the next one
        except contract_abi.AbiError as exc:
            _finish_rejected(submission, exc.reason)
            return submission  # rejected: the caller's loop moves on to the next one
        submission.nonce, submission.tx_id, submission.raw = nonce, tx_id, raw
        submission.status = Status.SIGNED
        submission.save()
        return submission


def _resolve(client: NodeClient, contract: str, genesis: dict[str, str]) -> str:
    if not contract.startswith(GENESIS_PREFIX):
        return contract
    if not genesis:
        genesis.update(client.get_genesis_contracts())
    name = contract.removeprefix(GENESIS_PREFIX)
    if name not in genesis:
        raise InvalidInput(f"the chain has no genesis contract {name!r}", code="unknown_contract")
    return genesis[name]


def _submit(client: NodeClient, submission: ChainSubmission) -> int:
    """Submit the stored bytes; record ``submitted``, or ``rejected`` with the node's reason
    (and sign the account's later ones again), or leave it ``signed`` for a transient one."""
    if submission.status != Status.SIGNED:
        return 0
    try:
        client.submit_transaction(bytes(submission.raw or b""))
    except RpcError as exc:
        if exc.reason == "already_included":
            pass
        elif exc.reason in TRANSIENT_REASONS:
            logger.warning("outbox: %s not submitted yet (%s)", submission.tx_id, exc.reason)
            ChainSubmission.objects.filter(id=submission.id).update(attempts=submission.attempts + 1)
            return 0
        else:
            with transaction.atomic():
                _finish_rejected(submission, exc.reason)
                _requeue_after(submission)
            return 0
    ChainSubmission.objects.filter(id=submission.id, status=Status.SIGNED).update(
        status=Status.SUBMITTED, attempts=submission.attempts + 1
    )
    return 1


def _requeue_after(rejected: ChainSubmission) -> None:
    """The rejected transaction's nonce is free again: the account's later signed (not yet
    accepted) submissions go back to the queue, to be signed with consecutive nonces."""
    ChainSubmission.objects.filter(
        chain_account_id=rejected.chain_account_id, status=Status.SIGNED, nonce__gt=rejected.nonce or 0
    ).update(status=Status.QUEUED, nonce=None, tx_id="", raw=None)


def _finish_rejected(submission: ChainSubmission, reason: str) -> None:
    submission.status = Status.REJECTED
    submission.error = reason[:200]
    submission.succeeded = False
    submission.save()
    _handle(submission)


def _handle(submission: ChainSubmission) -> None:
    handler = _handlers.get(submission.kind)
    if handler is not None and not submission.handled:
        handler(submission)
    submission.handled = True
    submission.save(update_fields=["handled", "updated_at"])


# -- confirm: follow to finality ------------------------------------------------------------
def chain_outbox_confirm(*, limit: int = 500) -> dict[str, int]:
    """Follow submitted and included transactions: record inclusion (height, receipt,
    events) and, once the block is Final, the outcome, running the kind's handler once.
    A submission the node no longer knows is submitted again. An account's outcomes are
    handled in nonce order (a later one waits while an earlier one is not Final), so a
    handler sees a deployment before the calls queued behind it. Returns counts."""
    counts = {"included": 0, "final": 0, "resubmitted": 0}
    open_rows = ChainSubmission.objects.filter(status__in=[Status.SUBMITTED, Status.INCLUDED]).order_by(
        "chain_account_id", "nonce"
    )[:limit]
    if not open_rows:
        return counts
    waiting: set[str] = set()  # accounts with an earlier submission not Final yet
    with get_node_client() as client:
        for submission in open_rows:
            account = str(submission.chain_account_id)
            if account in waiting:
                continue  # outcomes in nonce order: an account's later ones wait for it
            waiting.add(account)
            try:
                info = client.get_transaction(submission.tx_id)
            except RpcError as exc:
                if exc.reason != "not_found":
                    raise
                ChainSubmission.objects.filter(id=submission.id, status=Status.SUBMITTED).update(
                    status=Status.SIGNED
                )
                submission.status = Status.SIGNED
                counts["resubmitted"] += _submit(client, submission)
                continue
            if info.status != "included":  # pending; after a revert (§1.7) pending again
                ChainSubmission.objects.filter(id=submission.id, status=Status.INCLUDED).update(
                    status=Status.SUBMITTED, block_height=None, tx_index=None, finality=""
                )
                continue
            receipt: dict[str, Any] = info.receipt or {}
            final = info.finality == "Final"
            with transaction.atomic():
                row = ChainSubmission.objects.select_for_update().get(id=submission.id)
                if row.status not in (Status.SUBMITTED, Status.INCLUDED):
                    continue
                row.block_height, row.tx_index, row.finality = info.height, info.index, info.finality or ""
                row.succeeded = receipt.get("status") == "success"
                row.error = str(receipt.get("error") or "")[:200]
                row.events = list(receipt.get("events") or [])
                counts["included"] += row.status == Status.SUBMITTED
                row.status = Status.FINAL if final else Status.INCLUDED
                row.save()
                if final:
                    counts["final"] += 1
                    _handle(row)
                    waiting.discard(account)
    return counts
