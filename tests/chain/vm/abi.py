"""Byte layouts shared by the contract tests (docs/contracts.md, Conventions): Addresses and
little-endian integers, and where the built contracts are. Addresses are the platform's own
encoders (``chain.node.contract_abi``)."""

from __future__ import annotations

from pathlib import Path

from chain.node import contract_abi
from chain.types.primitives import BlsPublicKey, ContractId
from tests.chain.helpers import Keypair

BUILD: Path = contract_abi.BUILD_DIRECTORY


def account(key: Keypair | BlsPublicKey | bytes) -> bytes:
    """The 49-byte Address of an account: tag 0 ‖ its 48-byte key."""
    return contract_abi.account_address(bytes(key.public if isinstance(key, Keypair) else key))


def contract_address(contract_id: ContractId | bytes) -> bytes:
    """The 49-byte Address of a contract: tag 1 ‖ id[32] ‖ 16 zero bytes."""
    return contract_abi.contract_address(bytes(contract_id))


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
