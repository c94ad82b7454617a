"""Contract ids (reference/dusk-protocol.md §2.4), apart from the wasmtime host so that
clients can derive a deployed contract's id without loading wasmtime."""

from __future__ import annotations

from chain.crypto.hashes import blake2b_256
from chain.types.primitives import BlsPublicKey, ContractId


def compute_contract_id(bytecode: bytes, nonce: int, owner: BlsPublicKey) -> ContractId:
    """BLAKE2b-256(``bytecode ‖ nonce:u64LE ‖ owner``) (reference §2.4): 32 bytes."""
    return ContractId(blake2b_256(bytes(bytecode) + nonce.to_bytes(8, "little") + bytes(owner)))
