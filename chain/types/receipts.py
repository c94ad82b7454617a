"""Events and receipts: what executing a transaction produced (reference §2.1, §2.4)."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Final

from chain.types.codec import Reader, Writer
from chain.types.exceptions import DecodeError, OutOfRange
from chain.types.primitives import U32, ContractId, Gas, Hash32, Height, Lux

MAX_TOPIC_BYTES: Final = 64
MAX_EVENT_DATA_BYTES: Final = 64 * 1024
MAX_EVENTS_PER_RECEIPT: Final = 1024
MAX_ERROR_BYTES: Final = 64
_CODE = re.compile(rb"[a-z0-9_.]*\Z")

#: The transfer contract's reserved id (reference §3), source of native-transfer events.
TRANSFER_CONTRACT: Final = ContractId(b"\x01" + bytes(31))
#: The stake contract's reserved id (reference §3).
STAKE_CONTRACT: Final = ContractId(b"\x02" + bytes(31))


@dataclass(frozen=True, slots=True)
class Event:
    """``source`` contract, ``topic`` (ASCII, ≤ 64 bytes) and opaque ``data``."""

    source: ContractId
    topic: str
    data: bytes


class ReceiptStatus(enum.IntEnum):
    SUCCESS = 0
    FAILED = 1


@dataclass(frozen=True, slots=True)
class Receipt:
    """The outcome of one included transaction.

    ``error`` is a stable reason code (lower-case ASCII) when ``status`` is ``FAILED``;
    a failed transaction is still included and charged (reference §2.4).
    """

    tx_id: Hash32
    status: ReceiptStatus
    gas_spent: Gas
    fee_paid: Lux
    error: str
    events: tuple[Event, ...]


@dataclass(frozen=True, slots=True)
class EventRecord:
    """An event as the node's event feed delivers it: where it happened, and the event."""

    height: Height
    tx_index: U32
    tx_id: Hash32
    event: Event


def _encode_code(writer: Writer, text: str, max_length: int) -> None:
    raw = text.encode("ascii", errors="strict") if text.isascii() else b"\xff"
    if not _CODE.match(raw):
        raise OutOfRange(f"invalid code {text!r}: lower-case letters, digits, '_' and '.' only")
    writer.var_bytes(raw, max_length=max_length)


def _decode_code(reader: Reader, max_length: int) -> str:
    raw = reader.var_bytes(max_length=max_length)
    if not _CODE.match(raw):
        raise DecodeError("invalid code bytes", reason="invalid_value")
    return raw.decode("ascii")


def encode_event(writer: Writer, event: Event) -> None:
    writer.fixed(event.source)
    _encode_code(writer, event.topic, MAX_TOPIC_BYTES)
    writer.var_bytes(event.data, max_length=MAX_EVENT_DATA_BYTES)


def decode_event(reader: Reader) -> Event:
    return Event(
        reader.fixed(ContractId),
        _decode_code(reader, MAX_TOPIC_BYTES),
        reader.var_bytes(max_length=MAX_EVENT_DATA_BYTES),
    )


def encode_receipt(receipt: Receipt) -> bytes:
    writer = Writer().fixed(receipt.tx_id).u8(receipt.status)
    writer.uint(receipt.gas_spent).uint(receipt.fee_paid)
    _encode_code(writer, receipt.error, MAX_ERROR_BYTES)
    if len(receipt.events) > MAX_EVENTS_PER_RECEIPT:
        raise OutOfRange(f"{len(receipt.events)} events exceed {MAX_EVENTS_PER_RECEIPT}")
    writer.u32(len(receipt.events))
    for event in receipt.events:
        encode_event(writer, event)
    return writer.to_bytes()


def decode_receipt(data: bytes) -> Receipt:
    """Decode exactly one receipt; raises ``DecodeError``."""
    reader = Reader(data)
    tx_id = reader.fixed(Hash32)
    raw_status = reader.u8()
    try:
        status = ReceiptStatus(raw_status)
    except ValueError as exc:
        raise DecodeError(f"unknown receipt status {raw_status}", reason="unknown_tag") from exc
    gas_spent, fee_paid = reader.uint(Gas), reader.uint(Lux)
    error = _decode_code(reader, MAX_ERROR_BYTES)
    count = reader.u32()
    if count > MAX_EVENTS_PER_RECEIPT:
        raise DecodeError(f"{count} events exceed {MAX_EVENTS_PER_RECEIPT}", reason="out_of_range")
    events = tuple(decode_event(reader) for _ in range(count))
    reader.finish()
    return Receipt(tx_id, status, gas_spent, fee_paid, error, events)


def encode_event_record(record: EventRecord) -> bytes:
    writer = Writer().uint(record.height).uint(record.tx_index).fixed(record.tx_id)
    encode_event(writer, record.event)
    return writer.to_bytes()


def decode_event_record(data: bytes) -> EventRecord:
    reader = Reader(data)
    record = EventRecord(reader.uint(Height), reader.uint(U32), reader.fixed(Hash32), decode_event(reader))
    reader.finish()
    return record
