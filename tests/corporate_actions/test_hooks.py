"""corporate_actions.hooks: settlement fills in what corporate actions ask of it when it
starts, and a platform without it gets a clear error rather than a silent default."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from corporate_actions import hooks
from settlement import selectors, services


def test_settlement_registers_its_answers_at_start_up():
    registered = hooks.get_settlement_hooks()
    assert registered.instructions_in_a_cycle is selectors.instructions_in_a_cycle
    assert registered.open_instructions_cancel is services.open_instructions_cancel
    assert registered.settled_buys_after_record is selectors.settled_buys_after_record


def test_invalid_without_settlement_the_hooks_are_missing(monkeypatch):
    monkeypatch.setattr(hooks, "_settlement_hooks", [])
    with pytest.raises(ImproperlyConfigured, match="settlement"):
        hooks.get_settlement_hooks()
