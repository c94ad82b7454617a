"""Benchmark of one DvP ``settle_batch`` through the VM (in-process, one core): gas and time
of a batch by size and kind of leg. Prints figures; asserts nothing about speed.

The figures size ``ledger.chain.DVP_SETTLE_BATCH_GAS`` and the limits that depend on it: the
2,040 holders one corporate action pays in one batch (``corporate_actions.services``) and the
The figures size ``ledger.chain.DVP_SETTLE_BATCH_GAS`` and the limits that depend on it: the
2,040 holders one corporate action pays in one batch (``corporate_actions.services``) and the
participants of a netting cycle (``settlement.netting.MAX_CYCLE_PARTICIPANTS``).

Legs:
- ``cash``: 8 legs per instruction, from one payer (the issuer) to holders new to the cash
  token (a corporate action payment);
- ``security``: a security token whose sender and receiver must hold a KYC claim in the
  identity registry (each leg asks the registry twice), from one seller to new holders.

Usage: ``.venv/bin/python bench/bench_dvp_batch.py [--runs N] [--legs N ...]``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from chain.crypto.hashes import sha3_256
from chain.node.client import contract_abi
from chain.state.memory import MemoryStore
from chain.state.state import State
from chain.types.primitives import BlsPublicKey, ContractId
from chain.vm.session import BlockInfo, VmSession

BUILD = Path(__file__).resolve().parents[1] / "chain" / "contracts" / "build"
SETUP_GAS = 500_000_000
BATCH_GAS = 3_000_000_000  # the block's limit: measure, do not cap
T0 = 1_800_000_000
BLOCK = BlockInfo(height=1, timestamp=T0, chain_id=5)
KYC = 1


def key(label: str) -> BlsPublicKey:
    return BlsPublicKey(sha3_256(label.encode()) + bytes(16))


ADMIN, KYC_CO, ISSUER, COMPLIANCE, CASH, OPERATOR = (
    key(n) for n in ("admin", "kyc", "issuer", "compliance", "cash", "operator")
)


def address(pk: BlsPublicKey) -> bytes:
    return contract_abi.account_address(bytes(pk))


class Chain:
    def __init__(self, state: State) -> None:
        self.state = state
        self.nonce = 0

    def deploy(self, name: str, owner: BlsPublicKey, init_args: bytes) -> ContractId:
        self.nonce += 1
        contract, _ = VmSession(self.state, BLOCK).deploy(
            (BUILD / f"{name}.wasm").read_bytes(),
            owner=owner,
            nonce=self.nonce,
            init_args=init_args,
            deployer=owner,
            gas_limit=SETUP_GAS,
        )
        return contract

    def call(self, contract: ContractId, fn: str, args: bytes, caller: BlsPublicKey, gas: int = SETUP_GAS):
        return VmSession(self.state, BLOCK).call(contract, fn, args, caller=caller, gas_limit=gas)


def kyc_claim(subject: bytes) -> bytes:
    return subject + bytes([KYC]) + (1).to_bytes(2, "little") + (T0 + 10**8).to_bytes(8, "little") + bytes(32)


def batch(kind: str, legs: int) -> tuple[int, float]:
    """(gas spent, seconds) of one settle_batch of ``legs`` legs of ``kind``."""
    with MemoryStore().read_view() as view:
        chain = Chain(State(view))
        dvp = chain.deploy("dvp", ADMIN, b"")
        dvp_address = contract_abi.contract_address(bytes(dvp))
        holders = [address(key(f"holder-{i}")) for i in range(legs)]
        if kind == "cash":
            token = chain.deploy("cash_token", CASH, bytes(CASH) + b"EUR" + bytes([2]))
            chain.call(token, "mint", address(ISSUER) + (10**12).to_bytes(8, "little"), CASH)
        else:
            registry = chain.deploy("identity_registry", ADMIN, bytes(ADMIN))
            chain.call(
                registry, "add_trusted_issuer", bytes(KYC_CO) + (1 << KYC).to_bytes(4, "little"), ADMIN
            )
            init = (
                bytes(ISSUER) + bytes(COMPLIANCE) + bytes(registry) + b"DE000A0B1C23" + bytes(32) + bytes([0])
            )
            token = chain.deploy("security_token", ISSUER, init)
            one = (
                bytes([1, 1, KYC, 0]) + bytes(48) + bytes([0]) + bytes(16)
            )  # a list: one requirement, KYC held
            chain.call(token, "set_conditions", one + one, ISSUER)
            for who in [address(ISSUER), *holders]:
                chain.call(registry, "add_claim", kyc_claim(who), KYC_CO)
            chain.call(token, "issue", address(ISSUER) + (10**12).to_bytes(8, "little"), ISSUER)
        chain.call(token, "approve", dvp_address + (10**12).to_bytes(8, "little"), ISSUER)
        ids = []
        for start in range(0, legs, contract_abi.MAX_LEGS):
            group = [
                contract_abi.Leg(bytes(token), address(ISSUER), holder, 1)
                for holder in holders[start : start + contract_abi.MAX_LEGS]
            ]
            created = chain.call(dvp, "create", contract_abi.encode_dvp_create(group), OPERATOR)
            ids.append(contract_abi.decode_u64(created.data))
            chain.call(dvp, "affirm", contract_abi.encode_u64(ids[-1]), ISSUER)
        began = time.perf_counter()
        result = chain.call(
            dvp, "settle_batch", contract_abi.encode_dvp_settle_batch(ids), OPERATOR, BATCH_GAS
        )
        seconds = time.perf_counter() - began
        if not contract_abi.decode_dvp_batch_result(result.data).settled:
            raise SystemExit(f"the {kind} batch of {legs} legs did not settle")
        return result.gas_spent, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--legs", type=int, nargs="+", default=[64, 512, 1_024, 2_040])
    options = parser.parse_args()
    print("kind      legs    gas (millions)   gas per leg   settle_batch time, median")
    for kind in ("cash", "security"):
        for legs in options.legs:
            runs = [batch(kind, legs) for _ in range(options.runs)]
            gas = runs[0][0]  # deterministic
            seconds = statistics.median(s for _, s in runs)
            print(f"{kind:9} {legs:5}   {gas / 1e6:12,.1f}   {gas // legs:11,}   {seconds:.2f} s")


if __name__ == "__main__":
    main()
