"""Errors of ``chain.transition``: one tree, each with a stable ``reason`` code."""

from __future__ import annotations

from chain.types.exceptions import ReasonError


class TransitionError(ReasonError):
    """Root of the transition errors; ``reason`` is a stable machine-readable code."""

    reason: str = "invalid"


class InvalidTransaction(TransitionError):
    """A transaction that can never be included: ``wrong_chain_id``, ``bad_signature``,
    ``nonce_gap``, ``nonce_replay``, ``insufficient_balance``, ``zero_gas_price``,
    ``gas_limit_too_low``, ``value_overflow`` ..."""


class InvalidBlock(TransitionError):
    """A block that must be rejected: ``wrong_height``, ``wrong_prev_hash``,
    ``timestamp_too_early``, ``timestamp_in_future``, ``wrong_tx_root``, ``wrong_state_root``,
    ``wrong_event_bloom``, ``wrong_gas_limit``, ``gas_limit_exceeded``, ``bad_signature``,
    ``invalid_transaction`` ..."""


class InvalidGenesis(TransitionError):
    """A genesis file that cannot start a chain."""
