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
    owner = "0x8f3c…"                # optional: the account that owns the stake
    pop = "0x…"                      # optional: proof of possession, 96 bytes of hex

    [[contracts]]                    # deployed in the genesis state (docs/contracts.md)
    code = "cash_token"              # chain/contracts/build/<code>.wasm
    name = "cash_token_usd"          # optional, default the code: how clients name it (unique)
    owner = "0x8f3c…"                # the deployer and owner key
    nonce = 0                        # optional, default 0: the id is BLAKE2b(code ‖ nonce ‖ owner)
    init_args = "0x…"                # optional: the bytes passed to ``init``

    [[verifying_keys]]               # Groth16 keys registered in the genesis state
    circuit = "range_product"        # circuits/build/<circuit>.vk
    # or: key = "0x…"                # the key's bytes (chain/crypto/groth16.py layout)

    note_authority = "phoenix"       # optional: the name of the genesis contract that alone
                                     # may append notes and spend nullifiers
    licence_authority = "citadel"    # optional: the name of the genesis contract that alone
                                     # may append and revoke Citadel licences

Verifying keys (optional; docs/zk.md, "Verification in the chain"): each is decoded and
validated (``bad_verifying_key``) and registered under ``vk_id = BLAKE2b-256(domain ‖ key)``
(:mod:`chain.state.verifying_keys`); genesis is the only way a key enters the registry.
Files without ``verifying_keys`` load as before and give the same genesis block.

Optional params: ``minimum_stake`` (Lux, default 1,000 units) and ``treasury`` (the key
credited with the "Dusk key" share of rewards, hex; default 48 zero bytes). Files without
them load as before.

Amounts and params are integers (a ``1.9``, ``true`` or ``"100"`` is refused, not
truncated); ``accounts`` and ``provisioners`` are arrays of tables. Every malformed shape
raises ``InvalidGenesis``.

Note authority (optional; docs/zk.md "Note authority"): the name of one of the genesis
contracts, whose id is written to the note tree's authority row; from then on the note tree
and the nullifier set accept appends and spends from that contract only. Without it any
contract may (chains with no Phoenix contract, tests).

Licence authority (optional; docs/zk.md "Citadel on chain"): likewise, the genesis contract
(the ``citadel`` contract) whose id is written to the licence tree's authority row
(``b"lict" ‖ b"a"``); only it may then append and revoke licences (``bad_licence_authority``
if it names no genesis contract).

Provisioners: each key must pass ``KeyValidate`` (``bad_key``) and each stake must be at
least ``minimum_stake``. ``owner`` defaults to the provisioner key itself (no owner row is
written then; see ``chain.transition.staking``).
A proof of possession is optional at genesis, because whoever writes the genesis file is
trusted to have checked the keys; when present it is verified (``bad_pop``). Stakes made by
transactions always need one (reference §3; DESIGN.md, Signatures).

Source: reference/dusk-protocol.md §3 (genesis seeds balances and stakes from TOML).
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from chain.crypto import bls12_381 as bls
from chain.crypto import groth16
from chain.crypto.exceptions import ProofRefused
from chain.state.accounts import Account
from chain.state.licence_tree import LicenceTree
from chain.state.note_tree import NoteTree
from chain.state.stakes import Stake, StakeAmount
from chain.state.state import State
from chain.state.verifying_keys import register_verifying_key
from chain.transition.exceptions import InvalidGenesis
from chain.transition.params import DEFAULT_MINIMUM_STAKE, ChainParams
from chain.transition.roots import compute_event_bloom, compute_fault_root, compute_tx_root
from chain.types.blocks import HEADER_VERSION, Block, BlockHeader
from chain.types.consensus import EMPTY_ATTESTATION, INFINITY_SIGNATURE
from chain.types.exceptions import ChainTypesError
from chain.types.primitives import (
    U8,
    BlsPublicKey,
    BlsSignature,
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
from chain.vm.exceptions import CallFailed, InvalidModule
from chain.vm.session import BlockInfo, VmSession

#: Built contracts that a genesis file may name (``chain/contracts/build``).
CONTRACTS_DIR = Path(__file__).resolve().parents[1] / "contracts" / "build"
#: Committed circuit keys that a genesis file may name (``circuits/build/<circuit>.vk``).
CIRCUITS_DIR = Path(__file__).resolve().parents[2] / "circuits" / "build"
#: Gas for each genesis deploy and its ``init``: generous, but bounded.
GENESIS_DEPLOY_GAS = 10_000_000_000


@dataclass(frozen=True, slots=True)
class GenesisContract:
    """A contract deployed in the genesis state; ``name`` (default: the code's) is how
    clients name it, unique in a genesis."""

    code: str
    bytecode: bytes
    owner: BlsPublicKey
    nonce: int
    init_args: bytes | None
    name: str = ""

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", self.code)


@dataclass(frozen=True, slots=True)
class GenesisConfig:
    params: ChainParams
    timestamp: Timestamp
    balances: tuple[tuple[BlsPublicKey, Lux], ...]
    provisioners: tuple[tuple[BlsPublicKey, Lux], ...]
    provisioner_owners: tuple[tuple[BlsPublicKey, BlsPublicKey], ...] = ()
    """``(provisioner, owner)`` for provisioners owned by another account than their key."""
    contracts: tuple[GenesisContract, ...] = ()
    verifying_keys: tuple[bytes, ...] = ()
    """Groth16 verification keys (canonical bytes) registered in the genesis state."""
    note_authority: str | None = None
    """The name of the genesis contract that alone appends notes and spends nullifiers."""
    licence_authority: str | None = None
    """The name of the genesis contract that alone appends and revokes licences (the licence
    tree, docs/zk.md "Citadel on chain")."""


def load_genesis_config(path: Path) -> GenesisConfig:
    """Read a genesis file (``.toml`` or ``.json``); raises ``InvalidGenesis``."""
    try:
        text = path.read_bytes()
        raw = tomllib.loads(text.decode()) if path.suffix == ".toml" else json.loads(text)
    except (OSError, ValueError) as exc:
        raise InvalidGenesis(f"cannot read genesis {path}: {exc}", reason="unreadable") from exc
    return parse_genesis_config(raw)


def _integer(value: Any) -> int:
    """``value`` if it is a whole number: TOML and JSON integers only (no bool, float or
    string, which ``int()`` would truncate or parse); raises ``TypeError`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{value!r} is not an integer")
    return int(value)


def _table(value: Any, where: str, *, reason: str = "bad_entry") -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidGenesis(f"{where} must be a table", reason=reason)
    return value


def _tables(raw: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    entries = raw.get(name, [])
    if not isinstance(entries, list):
        raise InvalidGenesis(f"{name} must be an array of tables", reason="bad_entry")
    return [_table(e, f"{name}[{i}]") for i, e in enumerate(entries)]


def _key(entry: Mapping[str, Any], where: str) -> BlsPublicKey:
    try:
        return BlsPublicKey.from_hex(str(entry["public_key"]))
    except (KeyError, ChainTypesError) as exc:
        raise InvalidGenesis(f"{where}: public_key must be 48 bytes of hex", reason="bad_key") from exc


def _amount(value: Any, where: str) -> Lux:
    try:
        return Lux(_integer(value))
    except (ValueError, TypeError, ChainTypesError) as exc:
        raise InvalidGenesis(f"{where}: amount must be an integer of Lux", reason="bad_amount") from exc


def _optional_key(entry: Mapping[str, Any], field: str, where: str) -> BlsPublicKey | None:
    if field not in entry:
        return None
    try:
        return BlsPublicKey.from_hex(str(entry[field]))
    except ChainTypesError as exc:
        raise InvalidGenesis(f"{where}: {field} must be 48 bytes of hex", reason="bad_key") from exc


def _check_pop(entry: Mapping[str, Any], key: BlsPublicKey, where: str) -> None:
    if "pop" not in entry:
        return
    try:
        pop = BlsSignature.from_hex(str(entry["pop"]))
    except ChainTypesError as exc:
        raise InvalidGenesis(f"{where}: pop must be 96 bytes of hex", reason="bad_pop") from exc
    if not bls.PopVerify(key, pop):
        raise InvalidGenesis(f"{where}: the proof of possession does not verify", reason="bad_pop")


def parse_genesis_config(raw: Mapping[str, Any]) -> GenesisConfig:
    """Validate a parsed genesis mapping; raises ``InvalidGenesis`` naming the field."""
    raw = _table(raw, "the genesis file", reason="bad_header")
    try:
        chain_id = ChainId(_integer(raw["chain_id"]))
        timestamp = Timestamp(_integer(raw.get("timestamp", 0)))
    except (KeyError, ValueError, TypeError, ChainTypesError) as exc:
        raise InvalidGenesis(f"chain_id and timestamp: {exc}", reason="bad_header") from exc
    given = dict(_table(raw.get("params", {}), "params", reason="bad_param"))
    allowed = {f.name for f in fields(ChainParams)} - {"chain_id"}
    unknown = set(given) - allowed
    if unknown:
        raise InvalidGenesis(f"unknown params: {sorted(unknown)}", reason="unknown_param")
    try:
        params = ChainParams(
            chain_id=chain_id,
            block_gas_limit=Gas(_integer(given.get("block_gas_limit", 3_000_000_000))),
            min_block_time=_integer(given.get("min_block_time", 10)),
            max_future_seconds=_integer(given.get("max_future_seconds", 3)),
            min_gas_price=Lux(_integer(given.get("min_gas_price", 1))),
            epoch_length=_integer(given.get("epoch_length", 2160)),
            minimum_stake=Lux(_integer(given.get("minimum_stake", DEFAULT_MINIMUM_STAKE))),
            treasury=BlsPublicKey.from_hex(str(given.get("treasury", "00" * 48))),
        )
    except (ValueError, TypeError, ChainTypesError) as exc:
        raise InvalidGenesis(f"params: {exc}", reason="bad_param") from exc
    if params.min_block_time < 0 or params.max_future_seconds < 0 or params.epoch_length < 1:
        raise InvalidGenesis("params: timings must be non-negative, epochs at least 1", reason="bad_param")
    if params.minimum_stake < 1:
        raise InvalidGenesis("params: minimum_stake must be positive", reason="bad_param")
    balances = tuple(
        (_key(e, f"accounts[{i}]"), _amount(e.get("balance"), f"accounts[{i}]"))
        for i, e in enumerate(_tables(raw, "accounts"))
    )
    provisioner_entries = _tables(raw, "provisioners")
    provisioners = tuple(
        (_key(e, f"provisioners[{i}]"), _amount(e.get("stake"), f"provisioners[{i}]"))
        for i, e in enumerate(provisioner_entries)
    )
    owners = []
    for i, e in enumerate(provisioner_entries):
        where = f"provisioners[{i}]"
        key, stake = provisioners[i]
        if not bls.KeyValidate(key):
            raise InvalidGenesis(f"{where}: public_key is not a valid BLS key", reason="bad_key")
        if stake < params.minimum_stake:
            raise InvalidGenesis(
                f"{where}: stake {stake} is below the minimum {params.minimum_stake}", reason="below_minimum"
            )
        _check_pop(e, key, where)
        owner = _optional_key(e, "owner", where)
        if owner is not None and owner != key:
            owners.append((key, owner))
    for name, entries in (("accounts", balances), ("provisioners", provisioners)):
        keys = [k for k, _ in entries]
        if len(set(keys)) != len(keys):
            raise InvalidGenesis(f"{name}: a public key appears twice", reason="duplicate_key")
    if sum(b for _, b in balances) + sum(s for _, s in provisioners) >= 2**64:
        raise InvalidGenesis("total supply exceeds 2^64 Lux", reason="bad_amount")
    contracts = tuple(_contract(e, f"contracts[{i}]") for i, e in enumerate(_tables(raw, "contracts")))
    names = [contract.name for contract in contracts]
    if len(set(names)) != len(names):
        raise InvalidGenesis("contracts: two contracts have the same name", reason="bad_contract")
    verifying_keys = tuple(
        _verifying_key(e, f"verifying_keys[{i}]") for i, e in enumerate(_tables(raw, "verifying_keys"))
    )
    if len(set(verifying_keys)) != len(verifying_keys):
        raise InvalidGenesis("verifying_keys: a key appears twice", reason="bad_verifying_key")
    note_authority = raw.get("note_authority")
    if note_authority is not None and note_authority not in names:
        raise InvalidGenesis(
            f"note_authority must name one of the genesis contracts, not {note_authority!r}",
            reason="bad_note_authority",
        )
    licence_authority = raw.get("licence_authority")
    if licence_authority is not None and licence_authority not in names:
        raise InvalidGenesis(
            f"licence_authority must name one of the genesis contracts, not {licence_authority!r}",
            reason="bad_licence_authority",
        )
    return GenesisConfig(
        params,
        timestamp,
        balances,
        provisioners,
        tuple(owners),
        contracts,
        verifying_keys,
        note_authority,
        licence_authority,
    )


def _verifying_key(entry: Mapping[str, Any], where: str) -> bytes:
    """The bytes of a ``[[verifying_keys]]`` entry: ``circuit`` (a committed key) or ``key``
    (hex), exactly one; decoded and validated."""
    circuit, key = entry.get("circuit"), entry.get("key")
    if (circuit is None) == (key is None) or set(entry) - {"circuit", "key"}:
        raise InvalidGenesis(f"{where}: give exactly one of circuit and key", reason="bad_verifying_key")
    if circuit is not None:
        if not isinstance(circuit, str) or not circuit.isidentifier():
            raise InvalidGenesis(f"{where}: circuit must name a committed key", reason="bad_verifying_key")
        path = CIRCUITS_DIR / f"{circuit}.vk"
        if not path.is_file():
            raise InvalidGenesis(f"{where}: no key {circuit!r} in {CIRCUITS_DIR}", reason="bad_verifying_key")
        raw = path.read_bytes()
    else:
        try:
            raw = bytes.fromhex(str(key).removeprefix("0x"))
        except ValueError as exc:
            raise InvalidGenesis(f"{where}: key must be hex", reason="bad_verifying_key") from exc
    try:
        return groth16.decode_verifying_key(raw).encoded
    except ProofRefused as exc:
        raise InvalidGenesis(f"{where}: {exc}", reason="bad_verifying_key") from exc


def _contract(entry: Mapping[str, Any], where: str) -> GenesisContract:
    code = entry.get("code")
    if not isinstance(code, str) or not code.isidentifier():
        raise InvalidGenesis(f"{where}: code must name a built contract", reason="bad_contract")
    path = CONTRACTS_DIR / f"{code}.wasm"
    if not path.is_file():
        raise InvalidGenesis(f"{where}: no built contract {code!r} in {CONTRACTS_DIR}", reason="bad_contract")
    owner = _optional_key(entry, "owner", where)
    if owner is None:
        raise InvalidGenesis(f"{where}: owner is required", reason="bad_contract")
    try:
        nonce = _integer(entry.get("nonce", 0))
        raw_args = entry.get("init_args")
        init_args = None if raw_args is None else bytes.fromhex(str(raw_args).removeprefix("0x"))
    except (ValueError, TypeError) as exc:
        raise InvalidGenesis(f"{where}: nonce and init_args: {exc}", reason="bad_contract") from exc
    if not 0 <= nonce < 2**64:
        raise InvalidGenesis(f"{where}: nonce is a u64", reason="bad_contract")
    name = entry.get("name", code)
    if not isinstance(name, str) or not name.isidentifier():
        raise InvalidGenesis(f"{where}: name must be an identifier", reason="bad_contract")
    return GenesisContract(code, path.read_bytes(), owner, nonce, init_args, name)


def apply_genesis(state: State, config: GenesisConfig) -> Block:
    """Write the opening balances, stakes (eligible from height 0) and stake owners into
    ``state``, register the verifying keys, deploy the genesis contracts (naming the note
    authority among them), and return the genesis block.

    The genesis block has height 0, a zero parent hash and seed, no transactions, the
    empty attestation and the point at infinity as its signature.
    """
    for key, balance in config.balances:
        state.set_account(key, Account(Nonce(0), balance))
    for key, stake in config.provisioners:
        state.set_stake(key, Stake(StakeAmount(stake, Lux(0), Height(0)), Lux(0), U8(0), U8(0)))
    for key, owner in config.provisioner_owners:
        state.set_stake_owner(key, owner)
    for index, vk in enumerate(config.verifying_keys):
        try:
            register_verifying_key(state, vk)
        except ProofRefused as exc:
            raise InvalidGenesis(f"verifying_keys[{index}]: {exc}", reason="bad_verifying_key") from exc
    block = BlockInfo(0, int(config.timestamp), int(config.params.chain_id))
    for contract in config.contracts:
        try:
            contract_id, _ = VmSession(state, block).deploy(
                contract.bytecode,
                owner=contract.owner,
                nonce=contract.nonce,
                init_args=contract.init_args,
                deployer=contract.owner,
                gas_limit=GENESIS_DEPLOY_GAS,
            )
        except (CallFailed, InvalidModule) as exc:
            raise InvalidGenesis(f"contract {contract.code!r}: {exc}", reason="bad_contract") from exc
        if contract.name == config.note_authority:
            NoteTree(state).set_authority(contract_id)
        if contract.name == config.licence_authority:
            LicenceTree(state).set_authority(contract_id)
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
