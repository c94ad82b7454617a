"""Errors of ``chain.types``: one tree, each with a stable ``reason`` code."""

from __future__ import annotations


class ReasonError(Exception):
    """Base of every ``chain`` error tree: a message for people and a stable, machine-readable
    ``reason`` code (a class default, or given per raise). Each package roots its own tree
    here (house style 6: one tree per package)."""

    reason: str = "invalid"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        if reason is not None:
            self.reason = reason


class ChainTypesError(ReasonError):
    """Root of the ``chain.types`` errors."""


class OutOfRange(ChainTypesError, ValueError):
    """An integer outside its type's range, or bytes of the wrong length."""

    reason = "out_of_range"


class DecodeError(ChainTypesError, ValueError):
    """Bytes that do not decode: ``short_input``, ``trailing_bytes``, ``unknown_tag``,
    ``out_of_range`` or ``invalid_value``."""

    reason = "malformed"
