"""Who may read what through the API: every read endpoint × every role, across organisations
(issue 16, "Leaks across organisations"; docs/security.md, "Tenants and read scoping").

Each caller (``world.CALLERS``) sits in an "A" organisation of its kind; each record exists
twice, an "A" copy (its organisation's, or about it) and a "B" copy (another organisation of
the same kind). ``READS`` says, per endpoint and caller, whether the caller sees its own
organisation's copy only (``OWN``), both (``ALL``) or neither (``NONE``, the default). A
record not shown is absent from a list and 404 on a detail: another organisation's objects
are never reported as forbidden (403) unless their parent is public (a published
instrument's books) — so a caller never learns that something it may not read exists.

``test_every_api_route_is_in_the_matrix`` fails for a route added without a row here, in
``ACTIONS`` (writes, which reach their object through the same scoped selectors; a sample of
them is tried on B's records below) or in ``UNSCOPED`` with the reason.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.urls import get_resolver, reverse
from django.urls.resolvers import URLPattern, URLResolver
from rest_framework.test import APIClient

from tests.security.world import CALLERS, World, build_world

pytestmark = pytest.mark.django_db

OWN, ALL, NONE = "own", "all", "none"
ISSUERS = ("issuer_admin", "issuer_approver", "issuer_compliance")
BROKERS = ("broker_trader", "broker_back_office", "broker_compliance")
SEE_ALL = ("regulator", "operator")


def _see(*groups: tuple[tuple[str, ...], str]) -> dict[str, str]:
    return {caller: how for callers, how in groups for caller in callers}


@dataclass(frozen=True)
class Read:
    """One read endpoint: ``record`` names the A/B records, ``kwargs`` builds the route's
    arguments from a record, ``marker`` the text that shows the record in a list (its id)."""

    record: str
    see: dict[str, str]
    kwargs: Callable[[Any], dict[str, Any]] | None = None
    is_list: bool = True
    marker: Callable[[Any], str] = lambda record: str(record.pk)
    hidden_b: tuple[int, ...] = (404,)
    """Statuses that hide B's record (besides a list without it)."""
    needs_node: bool = False
    """Showing the record reads a node (none runs here): only the hiding is checked."""
    query: dict[str, str] = field(default_factory=dict)


def _id(name: str) -> Callable[[Any], dict[str, Any]]:
    return lambda record: {name: record.pk}


def _of_instrument(record: Any) -> dict[str, Any]:
    return {"instrument_id": record.instrument_id}


BY_BROKER = _see((BROKERS, OWN), (SEE_ALL, ALL))
KYC = _see((("broker_trader", "broker_back_office", "kyc_officer"), OWN), (SEE_ALL, ALL))
BY_ISSUER = _see((ISSUERS, OWN), (SEE_ALL, ALL))
ISSUER_COMPLIANCE = _see((("issuer_compliance",), OWN), (SEE_ALL, ALL))
BOOKS: tuple[int, ...] = (403, 404)  # a published instrument's books: the instrument is public

#: Every read endpoint of ``/api/v1/``, by URL name.
READS: dict[str, Read] = {
    "organisation-list": Read("organisation", BY_BROKER),
    "organisation-detail": Read("organisation", BY_BROKER, _id("organisation_id"), is_list=False),
    "user-list": Read("user", BY_BROKER),
    "user-detail": Read("user", BY_BROKER, _id("user_id"), is_list=False),
    "client-account-list": Read("client_account", BY_BROKER),
    "client-account-detail": Read("client_account", BY_BROKER, _id("client_account_id"), is_list=False),
    "kyc-credential-list": Read("kyc_credential", KYC),
    "kyc-credential-detail": Read(
        "kyc_credential",
        KYC,
        _id("credential_id"),
        is_list=False,
    ),
    "kyc-credential-holdings": Read(
        "kyc_credential",
        KYC,
        _id("credential_id"),
        is_list=False,
    ),
    "kyc-credential-claims": Read(
        "kyc_credential",
        KYC,
        _id("credential_id"),
        is_list=False,
        needs_node=True,
    ),
    "kyc-trusted-issuer-list": Read("trusted_issuer", _see((("kyc_officer",), OWN), (SEE_ALL, ALL))),
    "ballot-list": Read("ballot", _see((ISSUERS, OWN))),  # pending approval: the issuer's only
    "ballot-detail": Read("ballot", _see((ISSUERS, OWN)), _id("ballot_id"), is_list=False),
    "instrument-list": Read("instrument", BY_ISSUER),  # drafts; published ones are public
    "instrument-detail": Read("instrument", BY_ISSUER, _id("instrument_id"), is_list=False),
    "instrument-schedule": Read("instrument", BY_ISSUER, _id("instrument_id"), is_list=False),
    "instrument-documents": Read("document", BY_ISSUER, _of_instrument),
    "instrument-allocations": Read("allocation", BY_ISSUER, _of_instrument, hidden_b=BOOKS),
    "instrument-register": Read(
        "instrument_live", BY_ISSUER, _id("instrument_id"), is_list=False, hidden_b=BOOKS
    ),
    "instrument-register-csv": Read(
        "instrument_live", BY_ISSUER, _id("instrument_id"), is_list=False, hidden_b=BOOKS
    ),
    "instrument-checkpoints": Read("checkpoint", BY_ISSUER, _of_instrument, is_list=False, hidden_b=BOOKS),
    "instrument-report": Read(
        "instrument_live", BY_ISSUER, _id("instrument_id"), is_list=False, hidden_b=BOOKS
    ),
    "corporate-action-list": Read("corporate_action", BY_ISSUER),  # drafts
    "corporate-action-detail": Read("corporate_action", BY_ISSUER, _id("action_id"), is_list=False),
    "corporate-action-preview": Read(
        "corporate_action", BY_ISSUER, _id("action_id"), is_list=False, needs_node=True
    ),
    "entitlement-list": Read("entitlement", _see((ISSUERS + BROKERS, OWN), (SEE_ALL, ALL))),
    "market-claim-list": Read("market_claim", _see((ISSUERS + BROKERS, OWN), (SEE_ALL, ALL))),
    "settlement-instruction-list": Read("instruction", BY_BROKER),
    "settlement-instruction-detail": Read("instruction", BY_BROKER, _id("instruction_id"), is_list=False),
    "settlement-event-list": Read(
        "instruction_event", BY_BROKER, marker=lambda event: str(event.instruction_id)
    ),
    "netting-cycle-list": Read("netting_cycle", _see((SEE_ALL, ALL))),
    "netting-cycle-detail": Read("netting_cycle", _see((SEE_ALL, ALL)), _id("cycle_id"), is_list=False),
    "settlement-fails": Read("failed_instruction", BY_BROKER, marker=lambda i: i.broker.lei),
    "webhook-endpoint-list": Read("webhook_endpoint", BY_BROKER),
    "shielded-balance-list": Read("shielded_balance", BY_BROKER, marker=lambda broker: broker.lei),
    "shielded-note-list": Read("shielded_note", BY_BROKER, marker=lambda note: note.nullifier),
    "shielded-transfer-list": Read("shielded_transfer", BY_BROKER),
    "shielded-transfer-detail": Read("shielded_transfer", BY_BROKER, _id("transfer_id"), is_list=False),
    "rule-set-list": Read("rule_set", ISSUER_COMPLIANCE, _of_instrument, hidden_b=BOOKS),
    "rule-set-detail": Read("rule_set", ISSUER_COMPLIANCE, _id("rule_set_id"), is_list=False),
    "rule-set-preview": Read(
        "rule_set", ISSUER_COMPLIANCE, _id("rule_set_id"), is_list=False, needs_node=True
    ),
    "breach-list": Read("breach", ISSUER_COMPLIANCE),
    "breach-detail": Read("breach", ISSUER_COMPLIANCE, _id("breach_id"), is_list=False),
    "compliance-action-list": Read("compliance_action", ISSUER_COMPLIANCE),
    "compliance-action-detail": Read("compliance_action", ISSUER_COMPLIANCE, _id("action_id"), is_list=False),
    "regulator-key-list": Read("regulator_key", _see((("regulator",), OWN))),
    # disclosures: the issuer that made one and the regulator it is sealed to; not the operator
    "disclosure-list": Read("disclosure", _see((ISSUERS + ("regulator",), OWN))),
    "disclosure-detail": Read(
        "disclosure", _see((ISSUERS + ("regulator",), OWN)), _id("disclosure_id"), is_list=False
    ),
    "disclosure-envelope": Read(
        "disclosure", _see((("regulator",), OWN)), _id("disclosure_id"), is_list=False, needs_node=True
    ),
    # the audit trail, searched by object id as in the finding (test_audit_trail_matrix too)
    "audit-entry-list": Read(
        "audit_disclosure",
        _see((("issuer_compliance", "regulator"), OWN), (("operator",), ALL)),
        query={"object_id": "{object_id}"},
    ),
    # proof jobs: the requester's own (A is the broker trader's), all for the supervisors
    "proof-job-list": Read("proof_job", _see((("broker_trader",), OWN), (SEE_ALL, ALL))),
    "proof-job-detail": Read(
        "proof_job", _see((("broker_trader",), OWN), (SEE_ALL, ALL)), _id("job_id"), is_list=False
    ),
    "audit-entry-export": Read(
        "audit_disclosure",
        _see((("issuer_compliance", "regulator"), OWN), (("operator",), ALL)),
        query={"object_id": "{object_id}", "export_format": "json"},
        marker=lambda entry: entry.entry_hash,
    ),
}

#: Writes: each reaches its object through the scoped ``*_get`` selector of the same data
#: (another organisation's object is 404) and is role-checked in its service.
ACTIONS: dict[str, str] = dict.fromkeys(
    (
        "citadel-licence-revoke",
        "instrument-citadel-session",
        "instrument-kyc-mode",
        "auth-token",
        "organisation-chain-account",
        "user-role-grant",
        "user-role-revoke",
        "kyc-credential-renew",
        "kyc-credential-revoke",
        "kyc-credential-erase",
        "kyc-trusted-issuer-remove",
        "ballot-decide",
        "ballot-vote",
        "instrument-submit",
        "instrument-tokenize",
        "instrument-approve",
        "instrument-reject",
        "instrument-deployment-retry",
        "corporate-action-run-beat",
        "corporate-action-submit",
        "corporate-action-approve",
        "corporate-action-cancel",
        "settlement-instruction-cancel",
        "webhook-endpoint-detail",
        "cash-issue",
        "shielded-shield",
        "shielded-send",
        "shielded-unshield",
        "rule-set-submit",
        "rule-set-approve",
        "rule-set-reject",
        "pre-trade-check",
        "breach-investigate",
        "breach-resolve",
        "forced-transfer-approve",
        "forced-transfer-reject",
        "instrument-freeze",
        "instrument-pause",
        "instrument-forced-transfers",
    ),
    "a write through the scoped selector of its object",
)

#: Reads that are not per organisation, or not testable without a node, with the reason.
_CITADEL = (
    "scoped by identity.citadel_selectors (provider's, client account's broker's, supervisors'); "
    "tried across organisations in tests/identity/test_citadel_api.py; the world has no Citadel "
    "records yet"
)

UNSCOPED: dict[str, str] = {
    "citadel-provider-list": _CITADEL,
    "citadel-licence-list": _CITADEL,
    "citadel-licence-detail": _CITADEL,
    "citadel-session-list": _CITADEL,
    "citadel-session-detail": _CITADEL,
    "me": "the caller's own user",
    "business-date": "the platform's business date: one for everyone",
    "auth-token-revoke": "revokes the token the request carries: the caller's own, nothing to read",
    "auth-token-revoke-all": "revokes the caller's own tokens (knox's logoutall): nothing to read",
    "cash-balance-list": (
        "each organisation's cash from a node (settlement.cash.cash_balance_list, scoped by "
        "identity.selectors.user_sees_all_organisations); no node runs in this test"
    ),
}


def _routes() -> dict[str, str]:
    """URL name → route of every pattern under ``/api/v1/``."""
    found: dict[str, str] = {}

    def walk(patterns: list[Any], prefix: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern) and (prefix + str(pattern.pattern)).startswith("api/v1/"):
                found[pattern.name or prefix + str(pattern.pattern)] = prefix + str(pattern.pattern)

    walk(get_resolver().url_patterns, "")
    return found


def test_every_api_route_is_in_the_matrix() -> None:
    routes = _routes()
    listed = set(READS) | set(ACTIONS) | set(UNSCOPED)
    assert not set(READS) & set(ACTIONS), "a route is either read or action"
    missing = sorted(set(routes) - listed)
    assert not missing, f"API routes without a read-scoping row (READS, ACTIONS or UNSCOPED): {missing}"
    assert not sorted(listed - set(routes)), "rows for routes that no longer exist"
    assert len(routes) > 70


@pytest.fixture
def world() -> World:
    return build_world()


def _client(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _get(
    world: World, caller: str, name: str, read: Read, side: str, *, ghost: bool = False
) -> tuple[int, str]:
    """GET the endpoint for the record of ``side`` (``ghost``: with ids that exist nowhere)."""
    record = world.record(read.record, side)
    kwargs = read.kwargs(record) if read.kwargs else None
    if ghost and kwargs:
        kwargs = {key: uuid.uuid4() for key in kwargs}
    url = reverse(f"v1:{name}", kwargs=kwargs)
    object_id = getattr(record, "object_id", "")
    query = {key: value.format(object_id=object_id) for key, value in read.query.items()}
    response: Any = _client(world.users[caller]).get(url, {**query, "page_size": "500"})
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, body.decode()


def _error_code(body: str) -> str:
    return str(json.loads(body)["error"]["code"])


MATRIX = [(name, caller) for name in READS for caller in CALLERS]


@pytest.mark.parametrize(("name", "caller"), MATRIX, ids=[f"{n}-{c}" for n, c in MATRIX])
def test_read_scoping(world: World, name: str, caller: str) -> None:
    read = READS[name]
    how = read.see.get(caller, NONE)
    for side in ("a", "b"):
        shown = how == ALL or (how == OWN and side == "a")
        status, body = _get(world, caller, name, read, side)
        marker = read.marker(world.record(read.record, side))
        if shown:
            if read.needs_node:
                assert status not in (403, 404), (side, status, body[:300])
            else:
                assert status == 200, (side, status, body[:300])
                assert not read.is_list or marker in body, (side, "missing from the list", body[:300])
        elif status == 200 and read.is_list:
            assert marker not in body, (side, "listed to a caller who may not read it")
        elif side == "a" or read.is_list:
            assert status in (403, 404), (side, status, body[:300])
        elif status not in read.hidden_b:
            # refused for the caller's role whatever the id: the same answer as for an id
            # that exists nowhere, so the record's existence is not revealed
            ghost_status, ghost_body = _get(world, caller, name, read, side, ghost=True)
            assert (status, _error_code(body)) == (ghost_status, _error_code(ghost_body)), (side, body)


AUDIT_RECORDS = [
    *(
        f"audit_{kind}_{side}"
        for kind in ("issuer", "broker", "kyc", "regulator", "operator")
        for side in "ab"
    ),
    "audit_disclosure_a",
    "audit_disclosure_b",
]

#: Which audit entries each caller reads (searched by object id); a caller not listed gets 403.
AUDIT_SEES: dict[str, set[str]] = {
    "issuer_compliance": {"audit_issuer_a", "audit_disclosure_a"},
    "broker_compliance": {"audit_broker_a"},
    "kyc_officer": {"audit_kyc_a"},
    # every organisation's, but not what concerns another regulator: its own entries and
    # the disclosures sealed to it (regulator2 read regulator's disclosure metadata)
    "regulator": set(AUDIT_RECORDS) - {"audit_regulator_b", "audit_disclosure_b"},
    "operator": set(AUDIT_RECORDS),
}


@pytest.mark.parametrize("caller", list(CALLERS))
def test_audit_trail_matrix(world: World, caller: str) -> None:
    client = _client(world.users[caller])
    for name in AUDIT_RECORDS:
        entry = world.records[name]
        response = client.get("/api/v1/audit-entries/", {"object_id": entry.object_id})
        if caller not in AUDIT_SEES:
            assert response.status_code == 403, (name, response.status_code)
            continue
        assert response.status_code == 200
        ids = {row["id"] for row in response.json()["results"]}
        assert (str(entry.pk) in ids) == (name in AUDIT_SEES[caller]), (name, ids)
        exported: Any = client.get(
            "/api/v1/audit-entries/export/", {"object_id": entry.object_id, "export_format": "json"}
        )
        text = b"".join(exported.streaming_content).decode()
        assert (entry.entry_hash in text) == (name in AUDIT_SEES[caller]), name


def test_a_regulator_does_not_read_another_regulators_disclosure_through_the_audit_trail(
    world: World,
) -> None:
    """The finding: ``regulator2`` searched ``/audit-entries/?object_id=`` with the id of a
    disclosure sealed to ``regulator`` and read its metadata."""
    sealed_to_b = world.records["disclosure_b"]
    body = (
        _client(world.users["regulator"])
        .get("/api/v1/audit-entries/", {"object_id": str(sealed_to_b.pk)})
        .json()
    )
    assert (body["count"], body["results"]) == (0, [])
    filtered = (
        _client(world.users["regulator"]).get("/api/v1/audit-entries/", {"action": "disclosure."}).json()
    )
    assert {row["object_id"] for row in filtered["results"]} == {str(world.records["disclosure_a"].pk)}


#: A sample of writes tried on B's records by the A caller that may do them to its own: 404.
WRITES: list[tuple[str, str, str, str, dict[str, Any]]] = [
    ("instrument-submit", "issuer_admin", "instrument", "instrument_id", {}),
    ("instrument-approve", "issuer_approver", "instrument", "instrument_id", {}),
    ("settlement-instruction-cancel", "broker_trader", "instruction", "instruction_id", {}),
    ("kyc-credential-revoke", "kyc_officer", "kyc_credential", "credential_id", {"reason": "test"}),
    ("breach-investigate", "issuer_compliance", "breach", "breach_id", {}),
    ("rule-set-submit", "issuer_compliance", "rule_set", "rule_set_id", {}),
    ("rule-set-approve", "issuer_compliance", "rule_set", "rule_set_id", {}),
    ("corporate-action-submit", "issuer_admin", "corporate_action", "action_id", {}),
    ("ballot-decide", "issuer_approver", "ballot", "ballot_id", {"approve": True}),
]


@pytest.mark.parametrize(("name", "caller", "record", "kwarg", "body"), WRITES, ids=[w[0] for w in WRITES])
def test_a_write_to_another_organisations_record_is_not_found(
    world: World, name: str, caller: str, record: str, kwarg: str, body: dict[str, Any]
) -> None:
    target = world.record(record, "b")
    before = type(target).objects.filter(pk=target.pk).values().get()
    url = reverse(f"v1:{name}", kwargs={kwarg: target.pk})
    response = _client(world.users[caller]).post(url, body, format="json")
    assert response.status_code == 404, (response.status_code, response.content[:300])
    assert response.json()["error"]["code"] in ("not_found", "ballot_not_found")
    assert type(target).objects.filter(pk=target.pk).values().get() == before
