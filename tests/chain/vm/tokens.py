"""Helpers for the genesis contract tests (cash token, DvP) on the real host: Addresses,
encodings, deploys and calls, and the panic code of a failed call (docs/contracts.md)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chain.state.memory import MemoryStore
from chain.state.state import State
from chain.types.primitives import ContractId
from chain.vm.exceptions import CallFailed
from chain.vm.session import QUERY_GAS_LIMIT, BlockInfo, CallResult, VmSession
from tests.chain.helpers import Keypair, keypair
from tests.chain.vm.abi import BUILD, read_u64, u8, u64

BLOCK = BlockInfo(height=11, timestamp=1_800_000_000, chain_id=5)
GAS = 50_000_000
DEPLOYER = keypair("deployer")

#: Transfer failure codes (docs/contracts.md, token interface), and DvP's own.
SENDER_FROZEN, RECEIVER_FROZEN, INSUFFICIENT_BALANCE, INSUFFICIENT_ALLOWANCE = 2, 3, 4, 5
INVALID_AMOUNT, SELF_TRANSFER, NOT_AFFIRMED = 12, 13, 20


def fresh_state() -> Iterator[State]:
    """A State over an empty MemoryStore (wrap it in a fixture)."""
    store = MemoryStore()
    with store.read_view() as view:
        yield State(view)


def deploy(state: State, name: str, init_args: bytes | None = None, *, nonce: int = 0) -> ContractId:
    contract_id, _ = VmSession(state, BLOCK).deploy(
        (BUILD / f"{name}.wasm").read_bytes(),
        owner=DEPLOYER.public,
        nonce=nonce,
        init_args=init_args,
        deployer=DEPLOYER.public,
        gas_limit=GAS,
    )
    return contract_id


def deploy_cash(state: State, issuer: Keypair, currency: str = "EUR", *, nonce: int = 0) -> ContractId:
    return deploy(state, "cash_token", bytes(issuer.public) + currency.encode() + u8(2), nonce=nonce)


def call(
    state: State, target: ContractId, fn: str, args: bytes, caller: Keypair, gas: int = GAS
) -> CallResult:
    return VmSession(state, BLOCK).call(target, fn, args, caller=caller.public, gas_limit=gas)


def query(state: State, target: ContractId, fn: str, args: bytes = b"") -> bytes:
    return VmSession(state, BLOCK).query(target, fn, args)


def panic_code(state: State, target: ContractId, fn: str, args: bytes, caller: Keypair | None) -> str:
    """Calls ``fn``, expecting a panic, and returns its code (the message up to the colon)."""
    session = VmSession(state, BLOCK)
    public = None if caller is None else caller.public
    gas = QUERY_GAS_LIMIT if caller is None else GAS
    with pytest.raises(CallFailed) as failed:
        session.call(target, fn, args, caller=public, gas_limit=gas)
    assert failed.value.reason == "panic", str(failed.value)
    message = str(failed.value)
    code, sep, _ = message.partition(":")
    assert sep, f"panic message without a code: {message!r}"
    return code


def balance(state: State, token: ContractId, holder: bytes) -> int:
    return read_u64(query(state, token, "balance_of", holder))


def check_transfer_from(
    state: State, token: ContractId, spender: bytes, frm: bytes, to: bytes, amount: int
) -> list[int]:
    data = query(state, token, "check_transfer_from", spender + frm + to + u64(amount))
    assert len(data) == 1 + data[0]
    return list(data[1:])
