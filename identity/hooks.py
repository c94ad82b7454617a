"""What identity asks of the apps above it, through hooks that they fill in.

``identity`` sits below ``issuance`` and ``compliance`` (DESIGN.md, App layers) and imports
nothing from them; the app that knows the answer registers it from its ``AppConfig.ready()``:

- ``security_tokens(contract_ids)`` (issuance, :func:`register_security_tokens`): the
  instruments whose security token contracts (0x ids) are among ``contract_ids``, by contract
  id; a contract that is no instrument's is left out. For the holdings a lapsing KYC
  credential affects (``identity.kyc_selectors.kyc_subject_holdings``).
- ``regulator_audit_exclusion(queryset, regulator_organisation_id=...)`` (compliance,
  :func:`register_regulator_audit_exclusion`): ``queryset`` without the audit entries a
  regulator does not read besides other regulators' own ones: those about disclosures sealed
  to another regulator than ``regulator_organisation_id`` (``identity.selectors.scope_audit_entries``).

Each is registered once (a second registration replaces the first); asking for one that is
not registered is ``ImproperlyConfigured``, never an empty answer.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet

from common.models import AuditEntry


@dataclass(frozen=True)
class SecurityToken:
    """An instrument's security token: the instrument, and ``token_unit``, what one token
    unit stands for in the instrument's issue-size unit (the currency for an instrument
    sized in nominal, else shares or fund units)."""

    instrument_id: uuid.UUID
    isin: str
    name: str
    token_unit: Decimal


class SecurityTokens(Protocol):
    def __call__(self, contract_ids: Collection[str]) -> dict[str, SecurityToken]: ...


class RegulatorAuditExclusion(Protocol):
    def __call__(
        self, queryset: QuerySet[AuditEntry], *, regulator_organisation_id: uuid.UUID | None
    ) -> QuerySet[AuditEntry]: ...


_security_tokens: list[SecurityTokens] = []
_regulator_audit_exclusion: list[RegulatorAuditExclusion] = []


def register_security_tokens(lookup: SecurityTokens) -> None:
    """Install issuance's lookup of instruments by security token contract (from its
    ``AppConfig.ready()``)."""
    _security_tokens[:] = [lookup]


def get_security_tokens() -> SecurityTokens:
    """Issuance's lookup; ``ImproperlyConfigured`` if none is registered."""
    if not _security_tokens:
        raise ImproperlyConfigured(
            "identity needs the issuance app's security token lookup: add 'issuance' to "
            "INSTALLED_APPS (IssuanceConfig.ready registers it)."
        )
    return _security_tokens[0]


def register_regulator_audit_exclusion(exclusion: RegulatorAuditExclusion) -> None:
    """Install compliance's narrowing of a regulator's audit trail (from its
    ``AppConfig.ready()``)."""
    _regulator_audit_exclusion[:] = [exclusion]


def get_regulator_audit_exclusion() -> RegulatorAuditExclusion:
    """Compliance's narrowing; ``ImproperlyConfigured`` if none is registered, so that a
    regulator never reads more of the audit trail than it may."""
    if not _regulator_audit_exclusion:
        raise ImproperlyConfigured(
            "identity needs the compliance app's audit exclusion for regulators: add "
            "'compliance' to INSTALLED_APPS (ComplianceConfig.ready registers it)."
        )
    return _regulator_audit_exclusion[0]
