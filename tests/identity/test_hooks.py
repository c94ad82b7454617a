"""identity's hooks (``identity.hooks``): issuance and compliance fill them in from their
``ready()``, and a hook nobody filled in refuses (``ImproperlyConfigured``) instead of
answering as if there were nothing to find or to hide."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from common.models import AuditEntry
from common.services import audit_entry_create
from compliance.disclosure import audit_entries_without_other_regulators_disclosures
from identity import hooks
from identity.selectors import scope_audit_entries
from issuance.selectors import instrument_security_tokens


def test_issuance_and_compliance_register_their_answers_when_ready() -> None:
    assert hooks.get_security_tokens() is instrument_security_tokens
    assert hooks.get_regulator_audit_exclusion() is audit_entries_without_other_regulators_disclosures


def test_without_compliances_exclusion_a_regulator_reads_no_audit_trail_but_an_operator_does(
    monkeypatch: pytest.MonkeyPatch, regulator_org, regulator, operator
) -> None:
    audit_entry_create(
        actor=None, action="organisation.rename", obj=regulator_org, organisation=regulator_org
    )
    monkeypatch.setattr(hooks, "_regulator_audit_exclusion", [])
    with pytest.raises(ImproperlyConfigured, match="compliance"):
        scope_audit_entries(AuditEntry.objects.all(), user=regulator)
    # the operator reads every entry, and needs no exclusion for it
    assert list(scope_audit_entries(AuditEntry.objects.all(), user=operator)) == list(
        AuditEntry.objects.all()
    )


def test_without_issuances_lookup_the_affected_holdings_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hooks, "_security_tokens", [])
    with pytest.raises(ImproperlyConfigured, match="issuance"):
        hooks.get_security_tokens()
