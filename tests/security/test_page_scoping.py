"""Who may read what in the UI: a representative matrix of the pages that list or show
records × every role, across organisations (issue 16; docs/security.md, "Tenants and read
scoping"). The pages read through the same selectors as the API (``test_read_scoping``).

A detail page of another organisation's record is 404, or the 403 its role gets for that
page whatever the id (the answer for an id that exists nowhere); a list page never shows
the other organisation's record."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from common.services import audit_entry_create
from frontend.navigation import can_view
from tests.security.test_read_scoping import (
    ALL,
    BROKERS,
    ISSUERS,
    NONE,
    OWN,
    SEE_ALL,
    _see,
)
from tests.security.world import CALLERS, World, build_world

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Page:
    record: str
    see: dict[str, str]
    nav: str
    """The navigation entry the page belongs to: a role without it gets 403 whatever the id."""
    kwarg: str = ""
    """The URL argument taking the record's id; empty for a list page."""
    marker: Callable[[Any], str] = lambda record: str(record.pk)
    query: Callable[[Any], dict[str, str]] | None = None


BY_BROKER = _see((BROKERS, OWN), (SEE_ALL, ALL))
BY_ISSUER = _see((ISSUERS, OWN), (SEE_ALL, ALL))
KYC = _see((("broker_trader", "broker_back_office", "kyc_officer"), OWN), (SEE_ALL, ALL))
COMPLIANCE = _see((("issuer_compliance",), OWN), (SEE_ALL, ALL))

PAGES: dict[str, Page] = {
    "organisations": Page("organisation", BY_BROKER, "organisations", marker=lambda org: org.legal_name),
    "users": Page("user", BY_BROKER, "users", marker=lambda user: user.username),
    "client-accounts": Page(
        "client_account", BY_BROKER, "client-accounts", marker=lambda c: c.account_reference
    ),
    "instructions": Page("instruction", BY_BROKER, "instructions", marker=lambda i: i.reference),
    "instruction-detail": Page("instruction", BY_BROKER, "instructions", "instruction_id"),
    "instruments": Page("instrument", BY_ISSUER, "instruments", marker=lambda i: i.isin),  # drafts
    "instrument-detail": Page("instrument", BY_ISSUER, "instruments", "instrument_id"),
    "kyc-credentials": Page("kyc_credential", KYC, "kyc-credentials", marker=lambda c: str(c.pk)),
    "kyc-credential-detail": Page("kyc_credential", KYC, "kyc-credentials", "credential_id"),
    "breach-detail": Page("breach", COMPLIANCE, "breaches", "breach_id"),
    "rule-set-detail": Page("rule_set", COMPLIANCE, "compliance-rules", "rule_set_id"),
    "corporate-action-detail": Page("corporate_action", BY_ISSUER, "corporate-actions", "action_id"),
    "entitlements": Page(
        "entitlement",
        _see((ISSUERS + BROKERS, OWN), (SEE_ALL, ALL)),
        "entitlements",
        marker=lambda e: e.holder_name,
    ),
    "ballot-detail": Page("ballot", _see((ISSUERS, OWN)), "ballots", "ballot_id"),
    "disclosures": Page(
        "disclosure",
        _see((("issuer_admin", "issuer_compliance", "regulator"), OWN)),
        "disclosures",
        marker=lambda d: str(d.pk),
    ),
    "proof-jobs": Page(
        "proof_job",
        _see((("broker_trader",), OWN), (SEE_ALL, ALL)),
        "proof-jobs",
        marker=lambda j: str(j.pk)[:8],
    ),
    "proof-jobs-table": Page(
        "proof_job",
        _see((("broker_trader",), OWN), (SEE_ALL, ALL)),
        "proof-jobs",
        marker=lambda j: str(j.pk)[:8],
    ),
    "audit-trail": Page(
        "audit_disclosure",
        _see((("issuer_compliance", "regulator"), OWN), (("operator",), ALL)),
        "audit-trail",
        marker=lambda entry: entry.object_id,
        query=lambda entry: {"object_id": entry.object_id},
    ),
}

MATRIX = [(page, caller) for page in PAGES for caller in CALLERS]


@pytest.fixture
def world() -> World:
    return build_world()


def _get(world: World, caller: str, page: Page, name: str, record: Any, *, ghost: bool = False) -> Any:
    client = Client()
    client.force_login(world.users[caller])
    kwargs = {page.kwarg: uuid.uuid4() if ghost else record.pk} if page.kwarg else None
    return client.get(reverse(f"frontend:{name}", kwargs=kwargs), page.query(record) if page.query else None)


@pytest.mark.parametrize(("name", "caller"), MATRIX, ids=[f"{n}-{c}" for n, c in MATRIX])
def test_page_scoping(world: World, name: str, caller: str) -> None:
    page = PAGES[name]
    if not can_view(world.users[caller], f"frontend:{page.nav}"):
        for side in ("a", "b"):
            response = _get(world, caller, page, name, world.record(page.record, side))
            assert response.status_code == 403, (side, "a page outside the role's navigation")
        return
    how = page.see.get(caller, NONE)
    for side in ("a", "b"):
        record = world.record(page.record, side)
        shown = how == ALL or (how == OWN and side == "a")
        response = _get(world, caller, page, name, record)
        text = response.content.decode()
        if page.kwarg:
            if shown:
                assert response.status_code == 200, (side, response.status_code)
            elif response.status_code != 404:
                ghost = _get(world, caller, page, name, record, ghost=True)
                assert (response.status_code, side) == (ghost.status_code, side) == (403, side)
        elif response.status_code == 200:
            assert (page.marker(record) in text) == shown, (side, shown)
        else:
            assert (response.status_code, shown) == (403, False), side


def test_a_published_instruments_history_is_the_issuers_own(world: World) -> None:
    """Everyone sees a published instrument; only its issuer's users, regulators and operators
    see who at the issuer did what to it."""
    live = world.records["instrument_live_b"]
    audit_entry_create(
        actor=world.users["member_issuer_b"],
        action="instrument.update",
        obj=live,
        organisation=live.issuer,
        changes={"coupon_rate": "9"},
    )
    for caller, sees in (("broker_trader", False), ("issuer_admin", False), ("regulator", True)):
        client = Client()
        client.force_login(world.users[caller])
        response = client.get(reverse("frontend:instrument-detail", kwargs={"instrument_id": live.pk}))
        assert response.status_code == 200
        assert ("member-issuer-b" in response.content.decode()) == sees, caller
        api = client.get(f"/api/v1/instruments/{live.pk}/")
        assert api.status_code == 200
