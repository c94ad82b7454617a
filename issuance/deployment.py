"""Deployment of an approved instrument on chain through the outbox (DESIGN.md, Processes).

Approval queues ``issuance.tasks.instrument_deploy``, which moves the instrument from
approved to deploying and queues the deployment of one ``security_token`` contract owned by
the issuer's chain account (docs/contracts.md): issuer agent and compliance agent are that
account, the registry is the genesis identity registry, and ``terms_hash`` is the SHA-256
of :func:`compute_terms_document`, the canonical JSON of the terms and of the documents'
SHA-256, kept on the instrument so anyone can recompute it. When the deployment's block is
Final the instrument is live; if it failed or was refused it is approved again with the
reason, and an issuer admin may retry.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from decimal import Decimal
from typing import Any

from django.db import transaction

from chain.node.client import contract_abi
from common.exceptions import ConflictError
from identity.models import User
from identity.roles import Role
from issuance.models import Instrument, InstrumentStatus
from issuance.selectors import DEPLOY_KIND, instrument_get
from issuance.services import TERM_FIELDS, apply_transition, check_issuer_role
from ledger import outbox
from ledger.chain import get_genesis_contracts
from ledger.models import ChainAccount, ChainSubmission


def compute_terms_document(instrument: Instrument) -> str:
    """The canonical JSON (sorted keys, no spaces, UTF-8) of the instrument's terms, its
    issuer's LEI and its documents' SHA-256 (sorted by kind then hash). Decimals and dates
    are strings, so the hash does not depend on a float format."""

    def plain(value: Any) -> Any:
        if isinstance(value, Decimal):
            return format(value.normalize(), "f")
        if hasattr(value, "isoformat"):
            return value.isoformat()
        return value

    terms = {name: plain(getattr(instrument, name)) for name in TERM_FIELDS}
    terms["issuer_lei"] = instrument.issuer.lei
    terms["documents"] = sorted(
        ({"kind": d.kind, "sha256": d.sha256} for d in instrument.documents.all()),
        key=lambda d: (d["kind"], d["sha256"]),
    )
    return json.dumps(terms, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def compute_deploy_nonce(instrument: Instrument) -> int:
    """The deployment nonce: the first 63 bits of the instrument's UUID, so each instrument
    gets its own contract id (reference §2.4) and a retried deployment the same one."""
    return int.from_bytes(uuid.UUID(str(instrument.pk)).bytes[:8], "big") >> 1


def instrument_deploy(*, instrument_id: uuid.UUID) -> ChainSubmission | None:
    """Queue the deployment of an approved instrument (the task's body; idempotent: does
    nothing unless the instrument is approved, not reference data and without a recorded
    deployment error). Without a chain account the error ``no_chain_account`` is recorded.
    Raises ``RpcError`` if no node can name the genesis registry (the task retries)."""
    registry = get_genesis_contracts()["identity_registry"]
    with transaction.atomic():
        instrument = Instrument.objects.select_for_update().select_related("issuer").get(pk=instrument_id)
        if (
            instrument.status != InstrumentStatus.APPROVED
            or instrument.is_reference_data
            or instrument.deployment_error
        ):
            return None
        account = ChainAccount.objects.filter(organisation=instrument.issuer).first()
        if account is None:
            instrument.deployment_error = "no_chain_account"
            instrument.save(update_fields=["deployment_error", "updated_at"])
            return None
        document = compute_terms_document(instrument)
        terms_hash = hashlib.sha256(document.encode("utf-8")).digest()
        key = bytes.fromhex(account.public_key.removeprefix("0x"))
        init = contract_abi.encode_security_token_init(
            issuer_agent=key,
            compliance_agent=key,
            registry=bytes.fromhex(registry.removeprefix("0x")),
            isin=instrument.isin,
            terms_hash=terms_hash,
            decimals=0,
        )
        submission = outbox.chain_deploy_enqueue(
            organisation=instrument.issuer,
            kind=DEPLOY_KIND,
            code_name="security_token",
            init_args=init,
            deploy_nonce=compute_deploy_nonce(instrument),
            subject=instrument,
        )
        apply_transition(
            instrument=instrument,
            new_status=InstrumentStatus.DEPLOYING,
            actor=None,
            contract_id=submission.contract_id,
            terms_hash=terms_hash.hex(),
            terms_document=document,
        )
        return submission


def on_instrument_deployed(submission: ChainSubmission) -> None:
    """Outcome handler (``ledger.outbox``): live once the deployment is Final and
    succeeded; otherwise approved again with the receipt error or the node's refusal."""
    instrument = Instrument.objects.select_for_update().get(pk=submission.subject_id)
    if instrument.status != InstrumentStatus.DEPLOYING or instrument.contract_id != submission.contract_id:
        return
    if submission.succeeded:
        apply_transition(
            instrument=instrument,
            new_status=InstrumentStatus.LIVE,
            actor=None,
            deployed_height=submission.block_height,
        )
    else:
        apply_transition(
            instrument=instrument,
            new_status=InstrumentStatus.APPROVED,
            actor=None,
            comment=f"deployment failed: {submission.error}",
            deployment_error=submission.error or "failed",
            contract_id="",
        )


@transaction.atomic
def instrument_deploy_retry(*, actor: User, instrument_id: uuid.UUID) -> Instrument:
    """An issuer admin clears a failed deployment's error so that it is queued again."""
    instrument_get(user=actor, instrument_id=instrument_id)
    instrument = Instrument.objects.select_for_update().select_related("issuer").get(pk=instrument_id)
    check_issuer_role(actor=actor, instrument=instrument, role=Role.ISSUER_ADMIN, action="redeploy")
    if instrument.status != InstrumentStatus.APPROVED or not instrument.deployment_error:
        raise ConflictError(
            "Only an approved instrument whose deployment failed can be retried.", code="not_failed"
        )
    instrument.deployment_error = ""
    instrument.save(update_fields=["deployment_error", "updated_at"])
    queue_deployment(instrument)
    return instrument


def queue_deployment(instrument: Instrument) -> None:
    """Queue ``instrument_deploy`` for when the current transaction commits."""
    from issuance.tasks import instrument_deploy_task

    instrument_id = str(instrument.pk)
    transaction.on_commit(lambda: instrument_deploy_task.delay(instrument_id))
