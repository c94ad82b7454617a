"""Helpers for the securities contracts (identity_registry, security_token) on the real host:
a tiny chain over one ``State`` whose block timestamp the test sets, and the byte layouts of
docs/contracts.md."""

from __future__ import annotations

from dataclasses import dataclass, field

from chain.node import contract_abi
from chain.state.state import State
from chain.types.primitives import BlsPublicKey, ContractId
from chain.types.receipts import Event
from chain.vm.exceptions import CallFailed
from chain.vm.session import BlockInfo, CallResult, VmSession
from tests.chain.vm.abi import BUILD, u8

GAS = 200_000_000
T0 = 1_800_000_000

# claim topics
KYC, JURISDICTION, CATEGORY, ACCREDITED = 1, 2, 3, 4
RETAIL, PROFESSIONAL, ELIGIBLE = 1, 2, 3
# condition kinds
HAS, ALLOW, DENY = 0, 1, 2
ANY_ISSUER = contract_abi.ANY_ISSUER

CODES = {int(code): code.code for code in contract_abi.TransferCode if code < 20}
CODE = {name: number for number, name in CODES.items()}


def country(code: str) -> int:
    return int.from_bytes(code.encode("ascii"), "little")


def panic_code(error: CallFailed) -> str:
    """The stable code a contract panic starts with (``code: message``)."""
    assert error.reason == "panic", error
    return str(error).split(":", 1)[0]


@dataclass
class Chain:
    """One ``State`` and a settable block; each call is its own VmSession (a transaction)."""

    state: State
    timestamp: int = T0
    height: int = 1
    events: list[Event] = field(default_factory=list)

    @property
    def block(self) -> BlockInfo:
        return BlockInfo(height=self.height, timestamp=self.timestamp, chain_id=5)

    def deploy(self, name: str, owner: BlsPublicKey, init_args: bytes, nonce: int = 0) -> ContractId:
        contract_id, _ = VmSession(self.state, self.block).deploy(
            (BUILD / f"{name}.wasm").read_bytes(),
            owner=owner,
            nonce=nonce,
            init_args=init_args,
            deployer=owner,
            gas_limit=GAS,
        )
        return contract_id

    def call(
        self, contract: ContractId, fn: str, args: bytes, caller: BlsPublicKey, gas: int = GAS
    ) -> CallResult:
        result = VmSession(self.state, self.block).call(contract, fn, args, caller=caller, gas_limit=gas)
        self.events = list(result.events)
        return result

    def query(self, contract: ContractId, fn: str, args: bytes = b"") -> bytes:
        return VmSession(self.state, self.block).query(contract, fn, args)


# ---- identity registry layouts ----------------------------------------------------------


def claim_args(
    subject: bytes, topic: int, value: int, expiry: int, evidence: bytes = bytes(range(32))
) -> bytes:
    """Raw bytes on purpose (``contract_abi.encode_claim`` refuses a bad subject before the
    contract could): tests send the registry Addresses it must refuse."""
    return subject + u8(topic) + value.to_bytes(2, "little") + expiry.to_bytes(8, "little") + evidence


def decode_claims(data: bytes) -> list[tuple[int, bytes, int, int]]:
    """``claims_of``: (topic, issuer, value, expiry) per valid claim."""
    return [(c.topic, c.issuer, c.value, c.expiry) for c in contract_abi.decode_claims(data)]


# ---- security token layouts -------------------------------------------------------------


def condition(topic: int, kind: int, values: tuple[int, ...] = (), issuer: bytes = ANY_ISSUER) -> bytes:
    """Raw bytes on purpose: tests also send kinds and counts the contract must refuse."""
    padded = list(values) + [0] * (8 - len(values))
    return u8(topic) + u8(kind) + issuer + u8(len(values)) + b"".join(v.to_bytes(2, "little") for v in padded)


def requirement(*conditions: bytes) -> bytes:
    """Raw bytes on purpose: tests also build requirements the contract must refuse."""
    return u8(len(conditions)) + b"".join(conditions)


def condition_list(*requirements: bytes) -> bytes:
    return u8(len(requirements)) + b"".join(requirements)


def conditions(sender: bytes = b"\x00", receiver: bytes = b"\x00") -> bytes:
    return sender + receiver


def limits(
    max_holders: int = 0, max_ownership_bps: int = 0, lockup_until: int = 0, min_holding: int = 0
) -> bytes:
    return contract_abi.encode_limits(
        max_holders=max_holders,
        max_ownership_bps=max_ownership_bps,
        lockup_until=lockup_until,
        min_holding=min_holding,
    )


def decode_codes(data: bytes) -> list[str]:
    return [code.code for code in contract_abi.decode_codes(data)]


def decode_holders(data: bytes) -> list[tuple[bytes, int]]:
    return [(h.holder, h.balance) for h in contract_abi.decode_holdings(data)]
