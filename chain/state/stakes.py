"""Provisioner stakes, one per BLS public key (reference/dusk-protocol.md §1.1 "Stake state").

Only the data and its storage live here; eligibility, slashing and rewards (§1.1, §1.8, §1.9)
are rules of the transition and consensus layers.

Encoding (little-endian, DESIGN.md "Encoding")::

    tag:u8                      0 = no amount, 1 = amount follows
    [value:u64 ‖ locked:u64 ‖ eligibility:u64]   only if tag = 1
    reward:u64 ‖ faults:u8 ‖ hard_faults:u8

11 bytes without an amount, 35 bytes with one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from chain.state.exceptions import InvalidStateValue, StateDecodeError
from chain.types.codec import Reader, Writer
from chain.types.exceptions import ChainTypesError
from chain.types.primitives import U8, Height, Lux

STAKE_BYTES_WITHOUT_AMOUNT: Final = 11
STAKE_BYTES_WITH_AMOUNT: Final = 35

_TAG_NO_AMOUNT: Final = 0
_TAG_AMOUNT: Final = 1


@dataclass(frozen=True, slots=True)
class StakeAmount:
    """The staked amount of a provisioner (reference §1.1, §1.8)."""

    value: Lux
    """Active stake in Lux; counts towards sortition weight once eligible."""

    locked: Lux
    """Stake moved aside by a soft slash (§1.8): not burned, not counted for sortition."""

    eligibility: Height
    """First round in which this stake may be drawn (``next_epoch(h) + EPOCH``, §1.1)."""

    def __post_init__(self) -> None:
        _require(self.value, Lux, "StakeAmount.value")
        _require(self.locked, Lux, "StakeAmount.locked")
        _require(self.eligibility, Height, "StakeAmount.eligibility")


@dataclass(frozen=True, slots=True)
class Stake:
    """Stake state per BLS key: ``{amount?, reward, faults, hard_faults}`` (reference §1.1)."""

    amount: StakeAmount | None
    """The staked amount, or ``None`` when nothing is staked (rewards may still be owed)."""

    reward: Lux
    """Accumulated, not yet withdrawn rewards in Lux (§1.9)."""

    faults: U8
    """Soft-fault counter; any reward resets it (§1.8)."""

    hard_faults: U8
    """Hard-fault counter, dormant while hard slashing is disabled (§1.8)."""

    def __post_init__(self) -> None:
        if self.amount is not None and not isinstance(self.amount, StakeAmount):
            raise InvalidStateValue(
                f"Stake.amount must be a StakeAmount or None, not {type(self.amount).__name__}"
            )
        _require(self.reward, Lux, "Stake.reward")
        _require(self.faults, U8, "Stake.faults")
        _require(self.hard_faults, U8, "Stake.hard_faults")


def encode_stake(stake: Stake) -> bytes:
    """Encode ``stake`` (11 bytes without an amount, 35 with one; layout in the module doc).

    Raises
    ------
    InvalidStateValue
        If ``stake`` is not a :class:`Stake`.
    """
    if not isinstance(stake, Stake):
        raise InvalidStateValue(f"expected a Stake, not {type(stake).__name__}")
    writer = Writer()
    if stake.amount is None:
        writer.u8(_TAG_NO_AMOUNT)
    else:
        writer.u8(_TAG_AMOUNT).uint(stake.amount.value).uint(stake.amount.locked)
        writer.uint(stake.amount.eligibility)
    return writer.uint(stake.reward).uint(stake.faults).uint(stake.hard_faults).to_bytes()


def decode_stake(data: bytes) -> Stake:
    """Decode the encoding of :func:`encode_stake`.

    Raises
    ------
    StateDecodeError
        ``reason`` ``short_input``, ``trailing_bytes``, ``unknown_tag`` (amount tag not 0/1)
        or ``invalid_value`` (not bytes).
    """
    try:
        reader = Reader(data)
        tag = reader.u8()
        amount: StakeAmount | None
        if tag == _TAG_NO_AMOUNT:
            amount = None
        elif tag == _TAG_AMOUNT:
            amount = StakeAmount(
                value=reader.uint(Lux), locked=reader.uint(Lux), eligibility=reader.uint(Height)
            )
        else:
            raise StateDecodeError(f"stake: unknown amount tag {tag}", reason="unknown_tag")
        stake = Stake(
            amount=amount, reward=reader.uint(Lux), faults=reader.uint(U8), hard_faults=reader.uint(U8)
        )
        reader.finish()
    except ChainTypesError as exc:
        raise StateDecodeError(f"stake: {exc}", reason=exc.reason) from exc
    return stake


def _require(value: object, kind: type, name: str) -> None:
    if not isinstance(value, kind):
        raise InvalidStateValue(f"{name} must be {kind.__name__}, not {type(value).__name__}")
