"""Role-aware navigation: which pages each role sees."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from identity.models import User
from identity.roles import OrganisationKind, Role

ALL_ROLES: frozenset[str] = frozenset(Role.values)
#: Settlement pages: brokers see their own instructions and fails, operators and regulators all.
SETTLEMENT_ROLES: frozenset[str] = frozenset(
    {Role.BROKER_TRADER, Role.BROKER_BACK_OFFICE, Role.REGULATOR, Role.OPERATOR}
)


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    roles: frozenset[str]
    only_in: Mapping[str, frozenset[str]] = field(default_factory=dict, compare=False)
    """Roles of ``roles`` that count only in these organisation kinds (e.g. a KYC provider's
    compliance officer, not an issuer's)."""

    def shown_to(self, user: User) -> bool:
        held = self.roles & user.roles
        if any(role not in self.only_in for role in held):
            return True
        kind = user.organisation.kind if held and user.organisation is not None else None
        return any(kind in self.only_in[role] for role in held)


NAV_ITEMS: tuple[NavItem, ...] = (
    NavItem("Dashboard", "frontend:dashboard", ALL_ROLES),
    NavItem("Organisations", "frontend:organisations", ALL_ROLES),
    NavItem("Instruments", "frontend:instruments", ALL_ROLES),
    NavItem("New instrument", "frontend:instrument-create", frozenset({Role.ISSUER_ADMIN})),
    NavItem("Approval inbox", "frontend:approval-inbox", frozenset({Role.ISSUER_APPROVER})),
    NavItem(
        "Corporate actions",
        "frontend:corporate-actions",
        frozenset({Role.ISSUER_ADMIN, Role.ISSUER_APPROVER}),
    ),
    NavItem("Users", "frontend:users", frozenset({Role.OPERATOR})),
    NavItem(
        "Client accounts",
        "frontend:client-accounts",
        frozenset({Role.BROKER_TRADER, Role.BROKER_BACK_OFFICE, Role.REGULATOR, Role.OPERATOR}),
    ),
    NavItem(
        "KYC credentials",
        "frontend:kyc-credentials",
        frozenset(
            {
                Role.COMPLIANCE_OFFICER,
                Role.BROKER_TRADER,
                Role.BROKER_BACK_OFFICE,
                Role.REGULATOR,
                Role.OPERATOR,
            }
        ),
    ),
    NavItem("KYC issuers", "frontend:kyc-trusted-issuers", frozenset({Role.OPERATOR})),
    NavItem(
        "Citadel licences",
        "frontend:citadel",
        frozenset(
            {
                Role.COMPLIANCE_OFFICER,
                Role.BROKER_TRADER,
                Role.BROKER_BACK_OFFICE,
                Role.REGULATOR,
                Role.OPERATOR,
            }
        ),
        only_in={Role.COMPLIANCE_OFFICER: frozenset({OrganisationKind.KYC_PROVIDER})},
    ),
    NavItem(
        "Ballots",
        "frontend:ballots",
        frozenset(
            {
                Role.ISSUER_ADMIN,
                Role.ISSUER_APPROVER,
                Role.BROKER_TRADER,
                Role.BROKER_BACK_OFFICE,
                Role.REGULATOR,
                Role.OPERATOR,
            }
        ),
    ),
    NavItem("Instructions", "frontend:instructions", SETTLEMENT_ROLES),
    NavItem("Proof jobs", "frontend:proof-jobs", ALL_ROLES),
    NavItem("Cycles", "frontend:cycles", frozenset({Role.REGULATOR, Role.OPERATOR})),
    NavItem("Fails", "frontend:fails", SETTLEMENT_ROLES),
    NavItem("Cash", "frontend:cash", frozenset({Role.BROKER_TRADER, Role.BROKER_BACK_OFFICE, Role.OPERATOR})),
    NavItem(
        "Shielded cash",
        "frontend:shielded-cash",
        frozenset({Role.BROKER_TRADER, Role.BROKER_BACK_OFFICE, Role.REGULATOR, Role.OPERATOR}),
    ),
    NavItem(
        "Entitlements", "frontend:entitlements", frozenset({Role.BROKER_TRADER, Role.BROKER_BACK_OFFICE})
    ),
    NavItem("Transfer rules", "frontend:compliance-rules", frozenset({Role.COMPLIANCE_OFFICER})),
    NavItem("Breaches", "frontend:breaches", frozenset({Role.COMPLIANCE_OFFICER})),
    NavItem("Compliance actions", "frontend:compliance-actions", frozenset({Role.COMPLIANCE_OFFICER})),
    NavItem(
        "Audit trail",
        "frontend:audit-trail",
        frozenset({Role.COMPLIANCE_OFFICER, Role.REGULATOR, Role.OPERATOR}),
    ),
    NavItem(
        "Disclosures",
        "frontend:disclosures",
        frozenset({Role.ISSUER_ADMIN, Role.COMPLIANCE_OFFICER, Role.REGULATOR}),
    ),
    NavItem(
        "Reports",
        "frontend:reports",
        frozenset(
            {Role.ISSUER_ADMIN, Role.ISSUER_APPROVER, Role.COMPLIANCE_OFFICER, Role.REGULATOR, Role.OPERATOR}
        ),
    ),
    NavItem(
        "API docs",
        "api-docs",
        frozenset({Role.BROKER_TRADER, Role.BROKER_BACK_OFFICE, Role.OPERATOR}),
    ),
)


def get_navigation(user: User) -> list[NavItem]:
    """The navigation items for ``user``'s roles (superusers see everything)."""
    if user.is_superuser:
        return list(NAV_ITEMS)
    return [item for item in NAV_ITEMS if item.shown_to(user)]


def can_view(user: User, url_name: str) -> bool:
    return any(item.url_name == url_name for item in get_navigation(user))
