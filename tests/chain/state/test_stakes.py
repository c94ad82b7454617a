"""Stake data and its codec (reference §1.1 "Stake state")."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chain.state import InvalidStateValue, Stake, StakeAmount, StateDecodeError, decode_stake, encode_stake
from chain.types.primitives import U8, Height, Lux

u64 = st.integers(0, 2**64 - 1)
u8 = st.integers(0, 255)
amounts = st.none() | st.builds(StakeAmount, u64.map(Lux), u64.map(Lux), u64.map(Height))
stakes = st.builds(Stake, amounts, u64.map(Lux), u8.map(U8), u8.map(U8))


@given(stake=stakes)
def test_stake_round_trip(stake: Stake) -> None:
    raw = encode_stake(stake)
    assert len(raw) == (11 if stake.amount is None else 35)
    assert decode_stake(raw) == stake


def test_stake_layout() -> None:
    stake = Stake(StakeAmount(Lux(1), Lux(2), Height(3)), Lux(4), U8(5), U8(6))
    expected = (
        b"\x01"
        + (1).to_bytes(8, "little")
        + (2).to_bytes(8, "little")
        + (3).to_bytes(8, "little")
        + (4).to_bytes(8, "little")
        + b"\x05\x06"
    )
    assert encode_stake(stake) == expected
    assert (
        encode_stake(Stake(None, Lux(4), U8(5), U8(6))) == b"\x00" + (4).to_bytes(8, "little") + b"\x05\x06"
    )


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "short_input"),
        (b"\x00" + bytes(9), "short_input"),
        (b"\x01" + bytes(11), "short_input"),
        (b"\x00" + bytes(11), "trailing_bytes"),
        (b"\x01" + bytes(35), "trailing_bytes"),
        (b"\x02" + bytes(34), "unknown_tag"),
        (b"\xff" + bytes(10), "unknown_tag"),
    ],
)
def test_invalid_stake_bytes(data: bytes, reason: str) -> None:
    with pytest.raises(StateDecodeError) as caught:
        decode_stake(data)
    assert caught.value.reason == reason


def test_invalid_stake_field_types() -> None:
    with pytest.raises(InvalidStateValue):
        Stake(None, 0, U8(0), U8(0))  # type: ignore[arg-type]
    with pytest.raises(InvalidStateValue):
        Stake((Lux(1), Lux(0), Height(0)), Lux(0), U8(0), U8(0))  # type: ignore[arg-type]
    with pytest.raises(InvalidStateValue):
        StakeAmount(Lux(1), Lux(0), 7)  # type: ignore[arg-type]
    with pytest.raises(InvalidStateValue):
        Stake(None, Lux(0), Lux(0), U8(0))  # type: ignore[arg-type]
