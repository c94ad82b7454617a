"""Builders shared by chain tests: keys, genesis configs and signed transactions."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

from chain.crypto import bls12_381 as bls
from chain.transition.genesis import GenesisConfig, parse_genesis_config
from chain.types.consensus import INFINITY_SIGNATURE
from chain.types.primitives import BlsPublicKey, BlsSecretKey, ChainId, Gas, Lux, Nonce
from chain.types.transactions import Fee, Transaction, TransactionData, compute_signing_bytes

CHAIN_ID = 7
GENESIS_TIME = 1_767_225_600


@dataclass(frozen=True)
class Keypair:
    secret: BlsSecretKey
    public: BlsPublicKey


def keypair(label: str) -> Keypair:
    """A deterministic key pair for tests (the label seeds KeyGen)."""
    secret = bls.KeyGen(hashlib.sha256(label.encode()).digest())
    return Keypair(secret, bls.SkToPk(secret))


def genesis(balances: dict[BlsPublicKey, int], *, min_block_time: int = 1) -> GenesisConfig:
    return parse_genesis_config(
        {
            "chain_id": CHAIN_ID,
            "timestamp": GENESIS_TIME,
            "params": {"min_block_time": min_block_time},
            "accounts": [{"public_key": "0x" + k.hex(), "balance": v} for k, v in balances.items()],
        }
    )


def transfer(
    sender: Keypair,
    receiver: BlsPublicKey,
    *,
    value: int,
    nonce: int,
    gas_limit: int = 50_000,
    gas_price: int = 1,
    deposit: int = 0,
    data: TransactionData = None,
    chain_id: int = CHAIN_ID,
    refund: BlsPublicKey | None = None,
) -> Transaction:
    unsigned = Transaction(
        ChainId(chain_id),
        sender.public,
        receiver,
        Lux(value),
        Lux(deposit),
        Fee(Gas(gas_limit), Lux(gas_price), refund or sender.public),
        Nonce(nonce),
        data,
        INFINITY_SIGNATURE,
    )
    return replace(unsigned, signature=bls.Sign(sender.secret, compute_signing_bytes(unsigned)))
