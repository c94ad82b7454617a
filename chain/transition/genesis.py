"""Genesis: the chain id, parameters, opening balances and provisioners, from TOML or JSON.

Example (TOML)::

    chain_id = 71
    timestamp = 1767225600          # seconds since the Unix epoch

    [params]
    min_block_time = 1               # seconds
    block_gas_limit = 3000000000

    [[accounts]]
    public_key = "0x8f3c…"           # 48-byte compressed G1 BLS key, hex
    balance = 1000000000000000       # Lux

    [[provisioners]]
    public_key = "0xa1b2…"
    stake = 1000000000000            # Lux, eligible from genesis

Source: reference/dusk-protocol.md §3 (genesis seeds balances and stakes from TOML).
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from chain.state.accounts import Account
from chain.state.stakes import Stake, StakeAmount
from chain.state.state import State
from chain.transition.exceptions import InvalidGenesis
from chain.transition.params import ChainParams
from chain.transition.roots import compute_event_bloom, compute_fault_root, compute_tx_root
from chain.types.blocks import HEADER_VERSION, Block, BlockHeader
from chain.types.consensus import EMPTY_ATTESTATION, INFINITY_SIGNATURE
from chain.types.exceptions import ChainTypesError
from chain.types.primitives import (
    U8,
    BlsPublicKey,
    ChainId,
    Gas,
    Hash32,
    Height,
    Iteration,
    Lux,
    Nonce,
    Seed,
    Timestamp,
)


@dataclass(frozen=True, slots=True)
class GenesisConfig:
    params: ChainParams
    timestamp: Timestamp
    balances: tuple[tuple[BlsPublicKey, Lux], ...]
    provisioners: tuple[tuple[BlsPublicKey, Lux], ...]


def load_genesis_config(path: Path) -> GenesisConfig:
    """Read a genesis file (``.toml`` or ``.json``); raises ``InvalidGenesis``."""
    try:
        text = path.read_bytes()
        raw = tomllib.loads(text.decode()) if path.suffix == ".toml" else json.loads(text)
    except (OSError, ValueError) as exc:
        raise InvalidGenesis(f"cannot read genesis {path}: {exc}", reason="unreadable") from exc
    return parse_genesis_config(raw)


def _key(entry: Mapping[str, Any], where: str) -> BlsPublicKey:
    try:
        return BlsPublicKey.from_hex(str(entry["public_key"]))
    except (KeyError, ChainTypesError) as exc:
        raise InvalidGenesis(f"{where}: public_key must be 48 bytes of hex", reason="bad_key") from exc


def _amount(value: Any, where: str) -> Lux:
    try:
        return Lux(int(value))
    except (ValueError, TypeError, ChainTypesError) as exc:
        raise InvalidGenesis(f"{where}: amount must be an integer of Lux", reason="bad_amount") from exc


def parse_genesis_config(raw: Mapping[str, Any]) -> GenesisConfig:
    """Validate a parsed genesis mapping; raises ``InvalidGenesis`` naming the field."""
    try:
        chain_id = ChainId(int(raw["chain_id"]))
        timestamp = Timestamp(int(raw.get("timestamp", 0)))
    except (KeyError, ValueError, TypeError, ChainTypesError) as exc:
        raise InvalidGenesis(f"chain_id and timestamp: {exc}", reason="bad_header") from exc
    given = dict(raw.get("params", {}))
    allowed = {f.name for f in fields(ChainParams)} - {"chain_id"}
    unknown = set(given) - allowed
    if unknown:
        raise InvalidGenesis(f"unknown params: {sorted(unknown)}", reason="unknown_param")
    try:
        params = ChainParams(
            chain_id=chain_id,
            block_gas_limit=Gas(int(given.get("block_gas_limit", 3_000_000_000))),
            min_block_time=int(given.get("min_block_time", 10)),
            max_future_seconds=int(given.get("max_future_seconds", 3)),
            min_gas_price=Lux(int(given.get("min_gas_price", 1))),
            epoch_length=int(given.get("epoch_length", 2160)),
        )
    except (ValueError, TypeError, ChainTypesError) as exc:
        raise InvalidGenesis(f"params: {exc}", reason="bad_param") from exc
    if params.min_block_time < 0 or params.max_future_seconds < 0 or params.epoch_length < 1:
        raise InvalidGenesis("params: timings must be non-negative, epochs at least 1", reason="bad_param")
    balances = tuple(
        (_key(e, f"accounts[{i}]"), _amount(e.get("balance"), f"accounts[{i}]"))
        for i, e in enumerate(raw.get("accounts", []))
    )
    provisioners = tuple(
        (_key(e, f"provisioners[{i}]"), _amount(e.get("stake"), f"provisioners[{i}]"))
        for i, e in enumerate(raw.get("provisioners", []))
    )
    for name, entries in (("accounts", balances), ("provisioners", provisioners)):
        keys = [k for k, _ in entries]
        if len(set(keys)) != len(keys):
            raise InvalidGenesis(f"{name}: a public key appears twice", reason="duplicate_key")
    if sum(b for _, b in balances) + sum(s for _, s in provisioners) >= 2**64:
        raise InvalidGenesis("total supply exceeds 2^64 Lux", reason="bad_amount")
    return GenesisConfig(params, timestamp, balances, provisioners)


def apply_genesis(state: State, config: GenesisConfig) -> Block:
    """Write the opening balances and stakes into ``state`` and return the genesis block.

    The genesis block has height 0, a zero parent hash and seed, no transactions, the
    empty attestation and the point at infinity as its signature.
    """
    for key, balance in config.balances:
        state.set_account(key, Account(Nonce(0), balance))
    for key, stake in config.provisioners:
        state.set_stake(key, Stake(StakeAmount(stake, Lux(0), Height(0)), Lux(0), U8(0), U8(0)))
    header = BlockHeader(
        version=U8(HEADER_VERSION),
        height=Height(0),
        timestamp=config.timestamp,
        prev_block_hash=Hash32.zero(),
        seed=Seed.zero(),
        state_root=state.compute_state_root(),
        event_bloom=compute_event_bloom(()),
        generator=BlsPublicKey.zero(),
        tx_root=compute_tx_root(()),
        fault_root=compute_fault_root(()),
        gas_limit=config.params.block_gas_limit,
        iteration=Iteration(0),
        prev_block_cert=EMPTY_ATTESTATION,
        failed_iterations=(),
        signature=INFINITY_SIGNATURE,
    )
    return Block(header, ())
