"""Organisation kinds, user roles, and which role may sit in which kind of organisation."""

from __future__ import annotations

from django.db import models


class OrganisationKind(models.TextChoices):
    ISSUER = "issuer", "Issuer"
    BROKER = "broker", "Broker"
    CUSTODIAN = "custodian", "Custodian"
    CASH_ISSUER = "cash_issuer", "Cash issuer (e-money)"
    REGULATOR = "regulator", "Regulator"
    KYC_PROVIDER = "kyc_provider", "KYC provider"
    OPERATOR = "operator", "Platform operator"


class Role(models.TextChoices):
    ISSUER_ADMIN = "issuer_admin", "Issuer admin"
    ISSUER_APPROVER = "issuer_approver", "Issuer approver"
    BROKER_TRADER = "broker_trader", "Broker trader"
    BROKER_BACK_OFFICE = "broker_back_office", "Broker back office"
    COMPLIANCE_OFFICER = "compliance_officer", "Compliance officer"
    REGULATOR = "regulator", "Regulator"
    OPERATOR = "operator", "Operator"


#: The organisation kinds in which each role may be held.
ROLE_ORGANISATION_KINDS: dict[Role, frozenset[OrganisationKind]] = {
    Role.ISSUER_ADMIN: frozenset({OrganisationKind.ISSUER}),
    Role.ISSUER_APPROVER: frozenset({OrganisationKind.ISSUER}),
    Role.BROKER_TRADER: frozenset({OrganisationKind.BROKER}),
    Role.BROKER_BACK_OFFICE: frozenset({OrganisationKind.BROKER}),
    Role.COMPLIANCE_OFFICER: frozenset(
        {
            OrganisationKind.ISSUER,
            OrganisationKind.BROKER,
            OrganisationKind.CUSTODIAN,
            OrganisationKind.CASH_ISSUER,
            OrganisationKind.KYC_PROVIDER,
            OrganisationKind.OPERATOR,
        }
    ),
    Role.REGULATOR: frozenset({OrganisationKind.REGULATOR}),
    Role.OPERATOR: frozenset({OrganisationKind.OPERATOR}),
}

#: Roles whose holders see every organisation's data (read-only unless another rule allows).
ROLES_SEEING_ALL_ORGANISATIONS: frozenset[Role] = frozenset({Role.REGULATOR, Role.OPERATOR})

#: Roles that may read the audit trail (their own organisation's, or all for the above).
ROLES_READING_AUDIT_TRAIL: frozenset[Role] = frozenset(
    {Role.COMPLIANCE_OFFICER, Role.REGULATOR, Role.OPERATOR}
)

BROKER_ROLES: frozenset[Role] = frozenset({Role.BROKER_TRADER, Role.BROKER_BACK_OFFICE})
