"""Signed webhooks of instruction status changes (docs/settlement.md, Notifications).

Each ``InstructionEvent`` of a broker gets one ``WebhookDelivery`` per active endpoint of
that broker, created with the event (same transaction). :func:`webhooks_deliver` (beat, and
queued after commit) POSTs the JSON body with the header
``Gloam-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`` (the
receiver recomputes it and rejects old timestamps), and retries a failure with exponential
backoff (2, 4, 8 … seconds, at most ``MAX_BACKOFF``) up to ``MAX_ATTEMPTS`` times.

Every URL passes :func:`settlement.webhook_targets.webhook_target_check` when it is
registered or changed and again before each delivery; the POST then connects to an address
that check resolved and approved (the URL's host stays in the ``Host`` header and the TLS
server name), never follows redirects and ignores proxy environment variables. A delivery
whose target is refused fails at once with the reason; an unresolvable host is retried like
a connection error.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import hmac
import json
import secrets
import uuid

import httpx
from django.db import transaction
from django.utils import timezone

from common.exceptions import NotFoundError, PermissionDeniedError
from common.services import audit_entry_create
from identity.models import User
from identity.roles import Role
from settlement.models import InstructionEvent, WebhookDelivery, WebhookEndpoint
from settlement.webhook_targets import (
    WebhookHostUnresolvable,
    WebhookTarget,
    WebhookUrlRefused,
    webhook_target_check,
)

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
    webhook_target_check(url)
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


def _endpoint_for_change(*, actor: User, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    """The actor's own organisation's endpoint, locked; another organisation's is not found."""
    if actor.organisation is None:
        raise NotFoundError("Webhook endpoint not found.")
    try:
        endpoint = WebhookEndpoint.objects.select_for_update().get(
            pk=endpoint_id, broker_id=actor.organisation.pk
        )
    except WebhookEndpoint.DoesNotExist as exc:
        raise NotFoundError("Webhook endpoint not found.") from exc
    if not actor.has_role(Role.BROKER_BACK_OFFICE):
        raise PermissionDeniedError("Only a broker's back office changes webhooks.")
    return endpoint


@transaction.atomic
def webhook_endpoint_update(
    *, actor: User, endpoint_id: uuid.UUID, url: str | None = None, active: bool | None = None
) -> WebhookEndpoint:
    """Change the URL (checked as at registration) or (de)activate; deactivating gives up
    the endpoint's pending deliveries."""
    endpoint = _endpoint_for_change(actor=actor, endpoint_id=endpoint_id)
    before: dict[str, object] = {}
    changes: dict[str, object] = {}
    if url is not None and url != endpoint.url:
        webhook_target_check(url)
        before["url"], changes["url"] = endpoint.url, url
        endpoint.url = url
    if active is not None and active != endpoint.active:
        before["active"], changes["active"] = endpoint.active, active
        endpoint.active = active
    if not changes:
        return endpoint
    endpoint.full_clean()
    endpoint.save()
    if changes.get("active") is False:
        endpoint.deliveries.filter(status=WebhookDelivery.Status.PENDING).update(
            status=WebhookDelivery.Status.FAILED, last_error="endpoint deactivated"
        )
    audit_entry_create(
        actor=actor,
        action="webhook_endpoint.update",
        obj=endpoint,
        organisation=actor.organisation,
        before=before,
        changes=changes,
    )
    return endpoint


@transaction.atomic
def webhook_endpoint_delete(*, actor: User, endpoint_id: uuid.UUID) -> None:
    """Delete the endpoint and its deliveries (audited with the URL it had)."""
    endpoint = _endpoint_for_change(actor=actor, endpoint_id=endpoint_id)
    audit_entry_create(
        actor=actor,
        action="webhook_endpoint.delete",
        obj=endpoint,
        organisation=actor.organisation,
        before={"url": endpoint.url, "active": endpoint.active},
    )
    endpoint.delete()


def deliveries_create(event: InstructionEvent) -> None:
    """Called with each new event (``settlement.services._record``)."""
    now = timezone.now()
    for endpoint in WebhookEndpoint.objects.filter(broker_id=event.broker_id, active=True):
        WebhookDelivery.objects.create(endpoint=endpoint, event=event, next_attempt_at=now)


def _post_pinned(
    client: httpx.Client, target: WebhookTarget, *, body: bytes, secret: str, timestamp: int
) -> httpx.Response:
    """POST to ``target`` connecting to its checked addresses in turn (the next one only if
    the connection could not be made, so nothing was sent), with the URL's host as ``Host``
    and, for https, as the TLS server name the certificate is verified against."""
    url = httpx.URL(target.url)
    headers = {
        "Content-Type": "application/json",
        HEADER: compute_signature(secret=secret, timestamp=timestamp, body=body),
        "Host": url.netloc.decode("ascii"),
    }
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    last: httpx.ConnectError | None = None
    for address in target.addresses:
        pinned = url.copy_with(host=str(address))
        try:
            return client.post(pinned, content=body, headers=headers, extensions=extensions)
        except httpx.ConnectError as exc:
            last = exc
    raise last or httpx.ConnectError(f"no address for {target.host}")


def webhooks_deliver(*, limit: int = 200) -> dict[str, int]:
    """POST the due deliveries once each; returns counts by outcome."""
    counts = {"delivered": 0, "retry": 0, "failed": 0}
    now = timezone.now()
    due = list(
        WebhookDelivery.objects.select_related("endpoint", "event__instruction")
        .filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")[:limit]
    )
    # No redirects (a 3xx is a failure), no proxies from the environment: the connection
    # goes to the address just checked, nowhere else. One client (connection pool) per host:
    # pools are keyed by the address, and a TLS connection verified for one name must not be
    # reused for another name on the same address.
    clients: dict[str, httpx.Client] = {}

    def client_for(host: str) -> httpx.Client:
        if host not in clients:
            clients[host] = stack.enter_context(
                httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False, trust_env=False)
            )
        return clients[host]

    with contextlib.ExitStack() as stack:
        for delivery in due:
            delivery.attempts += 1
            delivery.response_status = None
            refused = False
            try:
                target = webhook_target_check(delivery.endpoint.url)
                response = _post_pinned(
                    client_for(target.host),
                    target,
                    body=event_body(delivery.event),
                    secret=delivery.endpoint.secret,
                    timestamp=int(now.timestamp()),
                )
                delivery.response_status = response.status_code
                ok = 200 <= response.status_code < 300
                delivery.last_error = "" if ok else f"HTTP {response.status_code}"
            except WebhookHostUnresolvable as exc:  # DNS may be down for a while: retried
                ok, delivery.last_error = False, exc.message[:200]
            except WebhookUrlRefused as exc:  # not a target, now or later: given up at once
                ok, refused, delivery.last_error = False, True, f"refused: {exc.message}"[:200]
            except (httpx.InvalidURL, ValueError) as exc:  # a stored URL httpx cannot send
                ok, refused, delivery.last_error = False, True, f"refused: invalid URL ({exc})"[:200]
            except httpx.HTTPError as exc:
                ok, delivery.last_error = False, f"{type(exc).__name__}"[:200]
            if ok:
                delivery.status = WebhookDelivery.Status.DELIVERED
                counts["delivered"] += 1
            elif refused or delivery.attempts >= MAX_ATTEMPTS:
                delivery.status = WebhookDelivery.Status.FAILED
                counts["failed"] += 1
            else:
                delivery.next_attempt_at = now + min(
                    datetime.timedelta(seconds=2**delivery.attempts), MAX_BACKOFF
                )
                counts["retry"] += 1
            delivery.save()
    return counts
