"""Fixtures of the corporate actions tests (those of the issuance tests they share)."""

from __future__ import annotations

from tests.issuance.conftest import vectors  # noqa: F401 - fixture: ../shared/vectors/securities
