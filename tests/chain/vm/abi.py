"""Byte layouts shared by the contract tests (docs/contracts.md, Conventions): Addresses and
little-endian integers, and where the built contracts are."""

from __future__ import annotations

from pathlib import Path

from chain.types.primitives import BlsPublicKey, ContractId
from tests.chain.helpers import Keypair

BUILD = Path(__file__).resolve().parents[3] / "chain" / "contracts" / "build"


def account(key: Keypair | BlsPublicKey | bytes) -> bytes:
    """The 49-byte Address of an account: tag 0 ‖ its 48-byte key."""
    public = bytes(key.public if isinstance(key, Keypair) else key)
    assert len(public) == 48
    return b"\x00" + public


def contract_address(contract_id: ContractId | bytes) -> bytes:
    """The 49-byte Address of a contract: tag 1 ‖ id[32] ‖ 16 zero bytes."""
    return b"\x01" + bytes(contract_id) + bytes(16)


def u8(value: int) -> bytes:
    return value.to_bytes(1, "little")


def u16(value: int) -> bytes:
    return value.to_bytes(2, "little")


def u32(value: int) -> bytes:
    return value.to_bytes(4, "little")


def u64(value: int) -> bytes:
    return value.to_bytes(8, "little")


def read_u32(data: bytes, at: int = 0) -> int:
    return int.from_bytes(data[at : at + 4], "little")


def read_u64(data: bytes, at: int = 0) -> int:
    return int.from_bytes(data[at : at + 8], "little")
