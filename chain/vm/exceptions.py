"""Errors of ``chain.vm``: one tree, each with a stable ``reason`` code (docs/vm-abi.md)."""

from __future__ import annotations

import re

from chain.types.exceptions import ReasonError


class VmError(ReasonError):
    """Root of the VM errors."""


class InvalidModule(VmError):
    """Bytecode that cannot be deployed: ``malformed`` (not valid WebAssembly or uses a
    disabled feature), ``forbidden_import``, ``missing_export`` (no ``memory`` or ``A``),
    ``bad_export`` (an exported function that is not ``(i32) -> i32``), ``memory_too_large``."""

    reason = "malformed"


#: A contract's panic message may start with a stable code and a colon (docs/contracts.md).
_PANIC_CODE = re.compile(r"([a-z0-9_]{1,40}):")


class CallFailed(VmError):
    """A call that failed cleanly; every change it made is reverted. Reasons: ``panic``,
    ``trap``, ``out_of_gas``, ``contract_not_found``, ``function_not_found``, ``reentrancy``,
    ``call_depth``, ``bad_return``, ``argument_too_large``. ``gas_spent`` is what it cost."""

    reason = "panic"

    def __init__(self, message: str, *, reason: str | None = None, gas_spent: int = 0) -> None:
        super().__init__(message, reason=reason)
        self.gas_spent = gas_spent

    @property
    def error_code(self) -> str:
        """``reason``, or ``panic.<code>`` for a panic whose message starts with ``code:``
        (the receipt's error, e.g. ``panic.insufficient_balance``)."""
        match = _PANIC_CODE.match(str(self)) if self.reason == "panic" else None
        return f"panic.{match.group(1)}" if match else self.reason
