"""Moonlight accounts: ``{nonce, balance}`` per BLS public key (reference/dusk-protocol.md §2.2).

Encoding (16 bytes, little-endian as every consensus object, DESIGN.md "Encoding")::

    nonce:u64LE ‖ balance:u64LE

A missing account reads as ``Account(Nonce(0), Lux(0))``; writing that empty account deletes
the row, so "never touched" and "empty" have one representation and one state root.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from chain.state.exceptions import InvalidStateValue, StateDecodeError
from chain.types.codec import Reader, Writer
from chain.types.exceptions import ChainTypesError
from chain.types.primitives import Lux, Nonce

ACCOUNT_BYTES: Final = 16


@dataclass(frozen=True, slots=True)
class Account:
    """A public (Moonlight) account (reference §2.2, ``AccountData``)."""

    nonce: Nonce
    """Number of transactions sent; the next one must carry ``nonce + 1``."""

    balance: Lux
    """Spendable balance in Lux (10^-9 of one token unit)."""

    def __post_init__(self) -> None:
        if not isinstance(self.nonce, Nonce):
            raise InvalidStateValue(f"Account.nonce must be a Nonce, not {type(self.nonce).__name__}")
        if not isinstance(self.balance, Lux):
            raise InvalidStateValue(f"Account.balance must be Lux, not {type(self.balance).__name__}")


EMPTY_ACCOUNT: Final = Account(nonce=Nonce(0), balance=Lux(0))


def is_empty_account(account: Account) -> bool:
    """True if ``account`` has nonce 0 and balance 0 (it is stored as an absent row)."""
    return account.nonce == 0 and account.balance == 0


def encode_account(account: Account) -> bytes:
    """Encode ``account`` as ``nonce:u64LE ‖ balance:u64LE`` (16 bytes).

    Raises
    ------
    InvalidStateValue
        If ``account`` is not an :class:`Account`.
    """
    if not isinstance(account, Account):
        raise InvalidStateValue(f"expected an Account, not {type(account).__name__}")
    return Writer().uint(account.nonce).uint(account.balance).to_bytes()


def decode_account(data: bytes) -> Account:
    """Decode the 16-byte encoding of :func:`encode_account`.

    Raises
    ------
    StateDecodeError
        ``reason`` ``short_input`` or ``trailing_bytes`` for a length other than 16,
        ``invalid_value`` if ``data`` is not bytes.
    """
    try:
        reader = Reader(data)
        account = Account(nonce=reader.uint(Nonce), balance=reader.uint(Lux))
        reader.finish()
    except ChainTypesError as exc:
        raise StateDecodeError(f"account: {exc}", reason=exc.reason) from exc
    return account
