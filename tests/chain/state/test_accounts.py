"""Account data and its 16-byte codec (reference §2.2)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chain.state import (
    EMPTY_ACCOUNT,
    Account,
    InvalidStateValue,
    StateDecodeError,
    decode_account,
    encode_account,
)
from chain.types.primitives import Lux, Nonce

u64 = st.integers(0, 2**64 - 1)


@given(nonce=u64, balance=u64)
def test_account_round_trip(nonce: int, balance: int) -> None:
    account = Account(Nonce(nonce), Lux(balance))
    raw = encode_account(account)
    assert len(raw) == 16
    assert decode_account(raw) == account


def test_account_layout_is_little_endian_nonce_then_balance() -> None:
    raw = encode_account(Account(Nonce(1), Lux(0x0203)))
    assert raw == bytes([1, 0, 0, 0, 0, 0, 0, 0, 3, 2, 0, 0, 0, 0, 0, 0])


def test_empty_account_is_zero() -> None:
    assert Account(Nonce(0), Lux(0)) == EMPTY_ACCOUNT
    assert encode_account(EMPTY_ACCOUNT) == bytes(16)


@pytest.mark.parametrize(
    ("data", "reason"), [(b"", "short_input"), (bytes(15), "short_input"), (bytes(17), "trailing_bytes")]
)
def test_invalid_account_bytes(data: bytes, reason: str) -> None:
    with pytest.raises(StateDecodeError) as caught:
        decode_account(data)
    assert caught.value.reason == reason


def test_invalid_account_input_type() -> None:
    with pytest.raises(StateDecodeError) as caught:
        decode_account("not bytes")  # type: ignore[arg-type]
    assert caught.value.reason == "invalid_value"


def test_invalid_account_field_types() -> None:
    with pytest.raises(InvalidStateValue):
        Account(1, Lux(0))  # type: ignore[arg-type]
    with pytest.raises(InvalidStateValue):
        Account(Nonce(0), Nonce(5))  # type: ignore[arg-type]
    with pytest.raises(InvalidStateValue):
        encode_account((Nonce(0), Lux(0)))  # type: ignore[arg-type]


def test_account_is_frozen() -> None:
    account = Account(Nonce(0), Lux(1))
    with pytest.raises(AttributeError):
        account.balance = Lux(2)  # type: ignore[misc]
