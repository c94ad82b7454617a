"""Helpers for the securities contracts (identity_registry, security_token) on the real host:
a tiny chain over one ``State`` whose block timestamp the test sets, and the byte layouts of
docs/contracts.md."""

from __future__ import annotations

from dataclasses import dataclass, field

from chain.state.state import State
from chain.types.primitives import BlsPublicKey, ContractId
from chain.types.receipts import Event
from chain.vm.exceptions import CallFailed
from chain.vm.session import BlockInfo, CallResult, VmSession
from tests.chain.vm.abi import BUILD, read_u64, u8, u16, u32, u64

GAS = 200_000_000
T0 = 1_800_000_000

# claim topics
KYC, JURISDICTION, CATEGORY, ACCREDITED = 1, 2, 3, 4
RETAIL, PROFESSIONAL, ELIGIBLE = 1, 2, 3
# condition kinds
HAS, ALLOW, DENY = 0, 1, 2
ANY_ISSUER = bytes(48)

CODES = {
    1: "paused",
    2: "sender_frozen",
    3: "receiver_frozen",
    4: "insufficient_balance",
    5: "insufficient_allowance",
    6: "sender_conditions",
    7: "receiver_conditions",
    8: "max_holders",
    9: "max_ownership",
    10: "lockup",
    11: "min_holding",
    12: "invalid_amount",
    13: "self_transfer",
}
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
    return subject + u8(topic) + u16(value) + u64(expiry) + evidence


def decode_claims(data: bytes) -> list[tuple[int, bytes, int, int]]:
    """``claims_of``: (topic, issuer, value, expiry) per valid claim."""
    count = data[0]
    assert len(data) == 1 + 59 * count
    claims = []
    for i in range(count):
        rec = data[1 + 59 * i : 60 + 59 * i]
        claims.append((rec[0], rec[1:49], int.from_bytes(rec[49:51], "little"), read_u64(rec, 51)))
    return claims


# ---- security token layouts -------------------------------------------------------------


def condition(topic: int, kind: int, values: tuple[int, ...] = (), issuer: bytes = ANY_ISSUER) -> bytes:
    assert len(values) <= 8
    assert len(issuer) == 48
    padded = list(values) + [0] * (8 - len(values))
    return u8(topic) + u8(kind) + issuer + u8(len(values)) + b"".join(u16(v) for v in padded)


def requirement(*conditions: bytes) -> bytes:
    return u8(len(conditions)) + b"".join(conditions)


def condition_list(*requirements: bytes) -> bytes:
    return u8(len(requirements)) + b"".join(requirements)


def conditions(sender: bytes = b"\x00", receiver: bytes = b"\x00") -> bytes:
    return sender + receiver


def limits(
    max_holders: int = 0, max_ownership_bps: int = 0, lockup_until: int = 0, min_holding: int = 0
) -> bytes:
    return u32(max_holders) + u16(max_ownership_bps) + u64(lockup_until) + u64(min_holding)


def decode_codes(data: bytes) -> list[str]:
    assert len(data) == 1 + data[0]
    return [CODES[c] for c in data[1:]]


def decode_holders(data: bytes) -> list[tuple[bytes, int]]:
    count = int.from_bytes(data[:2], "little")
    assert len(data) == 2 + 57 * count
    return [(data[2 + 57 * i : 51 + 57 * i], read_u64(data, 51 + 57 * i)) for i in range(count)]
