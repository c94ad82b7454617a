"""Which roles each API endpoint is for: the OpenAPI tags that group ``/api/docs/`` by role.

One table for the whole API. Each row is a path template under ``/api/v1/`` (``*`` stands for
anything: an id, or the rest of the path) with the tags of its reads (GET) and of its writes (every other
method). The first row that matches wins. An endpoint no row matches is a schema warning, so
``make schema-check`` (``--fail-on-warn``) fails until it is added here.

The tags name audiences, not permissions: who may do what is decided by the services and
selectors (docs/api.md, docs/security.md). An endpoint every role uses carries every tag.
"""

from __future__ import annotations

import fnmatch

BROKER = "broker"
ISSUER = "issuer"
COMPLIANCE = "compliance"
REGULATOR = "regulator"
OPERATOR = "operator"

#: The tags in the order ``/api/docs/`` lists them, with their descriptions.
TAGS: dict[str, str] = {
    BROKER: "Broker traders and back offices: settlement instructions, client accounts, webhooks, "
    "cash, entitlements, votes.",
    ISSUER: "Issuer admins and approvers: instruments, allocations, the register, corporate "
    "actions, ballots, disclosures.",
    COMPLIANCE: "Compliance officers of issuers and of KYC providers: KYC credentials, transfer "
    "rules, breaches, freezes and forced transfers, the audit trail.",
    REGULATOR: "Regulators: disclosures received, their keys, and read access to every "
    "organisation's records.",
    OPERATOR: "The platform operator: organisations, users, roles, netting cycles, cash issuance, "
    "the business date.",
}

EVERYONE = (BROKER, ISSUER, COMPLIANCE, REGULATOR, OPERATOR)
SUPERVISORS = (REGULATOR, OPERATOR)

#: (path template under /api/v1/, tags of GET, tags of writes)
AUDIENCES: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [
    ("auth/token/*", (), EVERYONE),
    ("me/", EVERYONE, ()),
    ("business-date/", EVERYONE, (OPERATOR,)),
    ("organisations/*/chain-account/", (), (OPERATOR,)),
    ("organisations/*", EVERYONE, (OPERATOR,)),
    ("users/*", EVERYONE, (OPERATOR,)),
    ("client-accounts/*", (BROKER, *SUPERVISORS), (BROKER,)),
    ("kyc/*", (COMPLIANCE, *SUPERVISORS), (COMPLIANCE, OPERATOR)),
    ("citadel/providers/*", (COMPLIANCE, *SUPERVISORS), (OPERATOR,)),
    ("citadel/licences/*", (COMPLIANCE, BROKER, *SUPERVISORS), (COMPLIANCE,)),
    ("citadel/sessions/*", (BROKER, COMPLIANCE, *SUPERVISORS), ()),
    ("instruments/*/citadel-sessions/", (), (BROKER,)),
    ("instruments/*/kyc-mode/", (), (ISSUER,)),
    ("audit-entries/*", (COMPLIANCE, *SUPERVISORS), ()),
    ("instruments/*/rule-sets/", (COMPLIANCE, *SUPERVISORS), (COMPLIANCE,)),
    ("rule-sets/*", (COMPLIANCE, *SUPERVISORS), (COMPLIANCE,)),
    ("instruments/*/freeze/", (), (COMPLIANCE,)),
    ("instruments/*/pause/", (), (COMPLIANCE,)),
    ("instruments/*/forced-transfers/", (), (COMPLIANCE,)),
    ("compliance-actions/*", (COMPLIANCE, *SUPERVISORS), (COMPLIANCE,)),
    ("breaches/*", (COMPLIANCE, *SUPERVISORS), (COMPLIANCE,)),
    ("pre-trade-checks/", (), (BROKER, COMPLIANCE, OPERATOR)),
    ("instruments/*/report/", (ISSUER, COMPLIANCE, *SUPERVISORS), ()),
    ("instruments/*/allocations/", (ISSUER, *SUPERVISORS), (ISSUER,)),
    ("instruments/*/register*", (ISSUER, *SUPERVISORS), ()),
    ("instruments/*/checkpoints/", (ISSUER, *SUPERVISORS), (ISSUER,)),
    ("instruments/*", EVERYONE, (ISSUER,)),
    ("corporate-actions/run-beat/", (), (OPERATOR,)),
    ("corporate-actions/*/entitlements/preview/", (ISSUER, *SUPERVISORS), ()),
    ("corporate-actions/*", EVERYONE, (ISSUER,)),
    ("entitlements/", (BROKER, ISSUER, *SUPERVISORS), ()),
    ("market-claims/", (BROKER, ISSUER, *SUPERVISORS), ()),
    ("ballots/*/votes/", (), (BROKER,)),
    ("ballots/*", EVERYONE, (ISSUER,)),
    ("settlement-instructions/*", (BROKER, *SUPERVISORS), (BROKER,)),
    ("settlement-events/", (BROKER, *SUPERVISORS), ()),
    ("settlement-fails/", (BROKER, *SUPERVISORS), ()),
    ("netting-cycles/*", SUPERVISORS, (OPERATOR,)),
    ("webhook-endpoints/*", (BROKER,), (BROKER,)),
    ("cash-issuances/", (), (OPERATOR,)),
    ("cash-balances/", (BROKER, *SUPERVISORS), ()),
    ("shielded-balances/", (BROKER, *SUPERVISORS), ()),
    ("shielded-notes/", (BROKER, *SUPERVISORS), ()),
    ("shielded-transfers/*", (BROKER, *SUPERVISORS), (BROKER,)),
    ("shielded-transfers/", (BROKER, *SUPERVISORS), ()),
    ("regulator-keys/", (REGULATOR,), (REGULATOR,)),
    ("disclosures/*/envelope/", (REGULATOR,), ()),
    ("disclosures/*", (ISSUER, COMPLIANCE, REGULATOR), (ISSUER, COMPLIANCE)),
    ("proof-jobs/*", EVERYONE, EVERYONE),
]

API_PREFIX = "/api/v1/"


def audience_tags(method: str, path: str) -> list[str] | None:
    """The tags of ``method`` on ``path`` (an OpenAPI path such as
    ``/api/v1/instruments/{instrument_id}/``), or ``None`` if no row of the table matches."""
    if not path.startswith(API_PREFIX):
        return None
    relative = path[len(API_PREFIX) :]
    for pattern, read_tags, write_tags in AUDIENCES:
        if fnmatch.fnmatchcase(relative, pattern):
            tags = read_tags if method.upper() in ("GET", "HEAD") else write_tags
            return list(tags) or None
    return None
