"""Signed webhooks of instruction status changes (docs/settlement.md, Notifications).

Each ``InstructionEvent`` of a broker gets one ``WebhookDelivery`` per active endpoint of
that broker, created with the event (same transaction). :func:`webhooks_deliver` (beat, and
queued after commit) POSTs the JSON body with the header
``Gloam-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`` (the
receiver recomputes it and rejects old timestamps), and retries a failure with exponential
backoff (2, 4, 8 … seconds, at most ``MAX_BACKOFF``) up to ``MAX_ATTEMPTS`` times.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import secrets

import httpx
from django.db import transaction
from django.utils import timezone

from common.exceptions import PermissionDeniedError
from common.services import audit_entry_create
from identity.models import User
from identity.roles import Role
from settlement.models import InstructionEvent, WebhookDelivery, WebhookEndpoint

MAX_ATTEMPTS = 10
MAX_BACKOFF = datetime.timedelta(minutes=10)
TIMEOUT_SECONDS = 5.0
HEADER = "Gloam-Signature"


def compute_signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """``t=<timestamp>,v1=<hex HMAC-SHA256(secret, "<timestamp>." ‖ body)>``."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def event_body(event: InstructionEvent) -> bytes:
    instruction = event.instruction
    return json.dumps(
        {
            "event_id": event.id,
            "instruction": str(instruction.pk),
            "reference": instruction.reference,
            "status": event.status,
            "reason": event.reason,
            "created_at": event.created_at.isoformat(),
        },
        sort_keys=True,
        separators=(",", ":"),
    ).encode()


@transaction.atomic
def webhook_endpoint_create(*, actor: User, url: str) -> WebhookEndpoint:
    """A broker's back office registers an endpoint; the secret is returned once here."""
    if actor.organisation is None or not actor.has_role(Role.BROKER_BACK_OFFICE):
        raise PermissionDeniedError("Only a broker's back office registers webhooks.")
    endpoint = WebhookEndpoint(broker=actor.organisation, url=url, secret=secrets.token_hex(32))
    endpoint.full_clean()
    endpoint.save()
    audit_entry_create(
        actor=actor,
        action="webhook_endpoint.create",
        obj=endpoint,
        organisation=actor.organisation,
        changes={"url": url},
    )
    return endpoint


def deliveries_create(event: InstructionEvent) -> None:
    """Called with each new event (``settlement.services._record``)."""
    now = timezone.now()
    for endpoint in WebhookEndpoint.objects.filter(broker_id=event.broker_id, active=True):
        WebhookDelivery.objects.create(endpoint=endpoint, event=event, next_attempt_at=now)


def webhooks_deliver(*, limit: int = 200) -> dict[str, int]:
    """POST the due deliveries once each; returns counts by outcome."""
    counts = {"delivered": 0, "retry": 0, "failed": 0}
    now = timezone.now()
    due = list(
        WebhookDelivery.objects.select_related("endpoint", "event__instruction")
        .filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")[:limit]
    )
    with httpx.Client(timeout=TIMEOUT_SECONDS) as client:
        for delivery in due:
            body = event_body(delivery.event)
            timestamp = int(now.timestamp())
            headers = {
                "Content-Type": "application/json",
                HEADER: compute_signature(secret=delivery.endpoint.secret, timestamp=timestamp, body=body),
            }
            delivery.attempts += 1
            try:
                response = client.post(delivery.endpoint.url, content=body, headers=headers)
                delivery.response_status = response.status_code
                ok = 200 <= response.status_code < 300
                delivery.last_error = "" if ok else f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                ok, delivery.last_error = False, f"{type(exc).__name__}"[:200]
            if ok:
                delivery.status = WebhookDelivery.Status.DELIVERED
                counts["delivered"] += 1
            elif delivery.attempts >= MAX_ATTEMPTS:
                delivery.status = WebhookDelivery.Status.FAILED
                counts["failed"] += 1
            else:
                delivery.next_attempt_at = now + min(
                    datetime.timedelta(seconds=2**delivery.attempts), MAX_BACKOFF
                )
                counts["retry"] += 1
            delivery.save()
    return counts
