"""The shielded cash API (docs/api.md "Shielded cash") on a real in-process node: shield with an
Idempotency-Key, balances, notes and history with their chain labels, filters, pagination,
roles, audit entries, and the error shape."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from common.models import AuditEntry
from identity.models import User
from identity.roles import Role
from settlement.models import ShieldedTransfer
from tests.settlement.phoenixchain import Platform

API = "/api/v1/"


@pytest.fixture
def office(shielded_platform: Platform, api_client_for: Callable[[User], APIClient]) -> APIClient:
    return api_client_for(shielded_platform.a_office)


def test_shield_then_read_balance_notes_and_history(
    shielded_platform: Platform, office: APIClient, api_client_for: Callable[[User], APIClient]
) -> None:
    platform = shielded_platform
    first = office.post(
        f"{API}shielded-transfers/shield/", {"amount": "250.00"}, format="json", HTTP_IDEMPOTENCY_KEY="s-1"
    )
    assert first.status_code == 202, first.content
    body = first.json()
    assert (body["kind"], body["status"], body["amount"], body["lei"]) == (
        "shield",
        "submitted",
        "250.00",
        platform.a.lei,
    )
    assert body["chain_status"] == "Queued"
    again = office.post(
        f"{API}shielded-transfers/shield/", {"amount": "250.00"}, format="json", HTTP_IDEMPOTENCY_KEY="s-1"
    )
    assert again.json()["id"] == body["id"]
    assert ShieldedTransfer.objects.count() == 1
    assert AuditEntry.objects.filter(action="shielded_cash.shield", object_id=body["id"]).count() == 1

    platform.chain.settle()

    [balance] = office.get(f"{API}shielded-balances/").json()
    assert (balance["lei"], balance["unspent"], balance["pending"], balance["notes"]) == (
        platform.a.lei,
        "250.00",
        "0.00",
        1,
    )
    notes = office.get(f"{API}shielded-notes/").json()
    assert notes["count"] == 1
    [note] = notes["results"]
    assert (note["amount"], note["status"], note["chain_status"], note["position"]) == (
        "250.00",
        "unspent",
        "Final",
        0,
    )
    assert office.get(f"{API}shielded-notes/?status=spent").json()["count"] == 0
    history = office.get(f"{API}shielded-transfers/?kind=shield").json()
    [row] = history["results"]
    assert (row["status"], row["chain_status"]) == ("final", "Final")
    assert row["block_height"] is not None
    detail = office.get(f"{API}shielded-transfers/{body['id']}/").json()
    assert detail["tx_id"] == row["tx_id"]
    assert AuditEntry.objects.filter(action="shielded_cash.final", object_id=body["id"]).count() == 1

    # B sees neither A's transfer nor its notes
    other = api_client_for(platform.b_office)
    assert other.get(f"{API}shielded-transfers/{body['id']}/").status_code == 404
    assert other.get(f"{API}shielded-notes/").json()["count"] == 0


def test_roles_and_errors(
    shielded_platform: Platform,
    office: APIClient,
    regulator: User,
    make_user: Callable[..., User],
    api_client_for: Callable[[User], APIClient],
) -> None:
    platform = shielded_platform
    trader = api_client_for(make_user(platform.a, Role.BROKER_TRADER))
    refused = trader.post(f"{API}shielded-transfers/shield/", {"amount": "1.00"}, format="json")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"
    supervisor = api_client_for(regulator)
    assert (
        supervisor.post(f"{API}shielded-transfers/unshield/", {"amount": "1.00"}, format="json").status_code
        == 403
    )
    assert {b["lei"] for b in supervisor.get(f"{API}shielded-balances/").json()} == {
        platform.a.lei,
        platform.b.lei,
    }

    for payload in ({"amount": "0"}, {"amount": "1.001"}, {"amount": "-5"}, {}):
        bad = office.post(f"{API}shielded-transfers/shield/", payload, format="json")
        assert bad.status_code == 400, payload
        assert "error" in bad.json()
    short = office.post(
        f"{API}shielded-transfers/send/", {"amount": "1.00", "receiver_lei": "X"}, format="json"
    )
    assert short.status_code == 400
    poor = office.post(
        f"{API}shielded-transfers/send/", {"amount": "1.00", "receiver_lei": platform.b.lei}, format="json"
    )
    assert poor.status_code == 400
    assert poor.json()["error"]["code"] == "insufficient_shielded_cash"
    assert office.get(f"{API}shielded-transfers/?status=nonsense").status_code == 400
    assert ShieldedTransfer.objects.count() == 0


def test_send_without_a_proving_key_is_refused(
    shielded_platform: Platform, office: APIClient, settings, tmp_path
) -> None:
    settings.GLOAM_CIRCUITS_DIR = tmp_path  # an installation without the circuits' keys
    office.post(f"{API}shielded-transfers/shield/", {"amount": "10.00"}, format="json")
    shielded_platform.chain.settle()
    sent = office.post(
        f"{API}shielded-transfers/send/",
        {"amount": "4.00", "receiver_lei": shielded_platform.b.lei},
        format="json",
    )
    assert sent.status_code == 400
    assert sent.json()["error"]["code"] == "unknown_circuit"
    assert office.get(f"{API}shielded-balances/").json()[0]["unspent"] == "10.00"
    assert Decimal(office.get(f"{API}shielded-balances/").json()[0]["pending"]) == 0
