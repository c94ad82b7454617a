"""Benchmark of the security token through the VM (in-process, one core): prints figures;
asserts nothing about speed.

Figures:
1. security-token transfers per second: an identity registry with KYC and jurisdiction
   claims for 1,000 holders, one condition set (sender: KYC; receiver: jurisdiction DE or FR),
   N transfers between the holders (each asks the registry twice); median of several runs;
2. instantiation + call overhead of a trivial call (``counter.get``, ``security_token.total_supply``);
3. ``State.compute_state_root()`` after issuing to H holders (default 100,000), and the
   time the issuing took.

Usage: ``.venv/bin/python bench/bench_security_token.py [--runs N] [--transfers N]
[--holders N]``.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from pathlib import Path

from chain.crypto.hashes import sha3_256
from chain.state.memory import MemoryStore
from chain.state.state import State
from chain.types.primitives import BlsPublicKey, ContractId
from chain.vm.session import BlockInfo, VmSession

BUILD = Path(__file__).resolve().parents[1] / "chain" / "contracts" / "build"
GAS = 500_000_000
T0 = 1_800_000_000
BLOCK = BlockInfo(height=1, timestamp=T0, chain_id=5)
KYC, JURISDICTION = 1, 2
DE, FR = int.from_bytes(b"DE", "little"), int.from_bytes(b"FR", "little")


def key(label: str) -> BlsPublicKey:
    return BlsPublicKey(sha3_256(label.encode()) + bytes(16))


ADMIN, KYC_CO, ISSUER, COMPLIANCE = (key(n) for n in ("admin", "kyc", "issuer", "compliance"))


def holder(i: int) -> BlsPublicKey:
    return key(f"holder-{i}")


def address(pk: BlsPublicKey) -> bytes:
    return b"\x00" + bytes(pk)


def le(value: int, size: int) -> bytes:
    return value.to_bytes(size, "little")


def condition(topic: int, kind: int, values: tuple[int, ...] = ()) -> bytes:
    padded = list(values) + [0] * (8 - len(values))
    return bytes([topic, kind]) + bytes(48) + bytes([len(values)]) + b"".join(le(v, 2) for v in padded)


class Bench:
    def __init__(self, state: State) -> None:
        self.state = state

    def deploy(self, name: str, owner: BlsPublicKey, init_args: bytes) -> ContractId:
        contract, _ = VmSession(self.state, BLOCK).deploy(
            (BUILD / f"{name}.wasm").read_bytes(),
            owner=owner,
            nonce=0,
            init_args=init_args,
            deployer=owner,
            gas_limit=GAS,
        )
        return contract

    def call(self, contract: ContractId, fn: str, args: bytes, caller: BlsPublicKey) -> None:
        VmSession(self.state, BLOCK).call(contract, fn, args, caller=caller, gas_limit=GAS)


def setup(state: State, holders: int, *, claims: bool, conditions: bool) -> tuple[Bench, ContractId]:
    bench = Bench(state)
    registry = bench.deploy("identity_registry", ADMIN, bytes(ADMIN))
    bench.call(registry, "add_trusted_issuer", bytes(KYC_CO) + le(1 << KYC | 1 << JURISDICTION, 4), ADMIN)
    init = bytes(ISSUER) + bytes(COMPLIANCE) + bytes(registry) + b"DE000A0B1C23" + bytes(32) + bytes([0])
    token = bench.deploy("security_token", ISSUER, init)
    if conditions:
        sender = bytes([1, 1]) + condition(KYC, 0)
        receiver = bytes([1, 1]) + condition(JURISDICTION, 1, (DE, FR))
        bench.call(token, "set_conditions", sender + receiver, ISSUER)
    for i in range(holders):
        who = address(holder(i))
        if claims:
            expiry = le(T0 + 10**8, 8)
            bench.call(registry, "add_claim", who + bytes([KYC]) + le(1, 2) + expiry + bytes(32), KYC_CO)
            land = DE if i % 2 else FR
            bench.call(
                registry, "add_claim", who + bytes([JURISDICTION]) + le(land, 2) + expiry + bytes(32), KYC_CO
            )
        bench.call(token, "issue", who + le(1_000_000, 8), ISSUER)
    return bench, token


def transfers_per_second(runs: int, transfers: int) -> None:
    store = MemoryStore()
    with store.read_view() as view:
        state = State(view)
        start = time.perf_counter()
        bench, token = setup(state, 1_000, claims=True, conditions=True)
        print(f"setup: 1,000 holders with 2 claims each, issued: {time.perf_counter() - start:.1f} s")
        rates = []
        for run in range(runs):
            start = time.perf_counter()
            for n in range(transfers):
                i = (run * transfers + n) % 1_000
                bench.call(token, "transfer", address(holder((i * 7 + 1) % 1_000)) + le(1, 8), holder(i))
            rates.append(transfers / (time.perf_counter() - start))
        print(f"security-token transfers (2 claims_of calls each): median {statistics.median(rates):.0f} /s")
        print(f"  runs: {', '.join(f'{r:.0f}' for r in rates)}")
        overhead(bench, token, runs)


def overhead(bench: Bench, token: ContractId, runs: int) -> None:
    counter = bench.deploy("counter", ADMIN, le(0, 8))
    for name, contract, fn in (
        ("counter.get", counter, "get"),
        ("security_token.total_supply", token, "total_supply"),
    ):
        samples = []
        for _ in range(runs):
            start = time.perf_counter()
            for _ in range(200):
                bench.call(contract, fn, b"", ADMIN)
            samples.append((time.perf_counter() - start) / 200)
        print(f"trivial call {name}: median {statistics.median(samples) * 1e3:.2f} ms per call")


def state_root(holders: int) -> None:
    store = MemoryStore()
    with store.read_view() as view:
        state = State(view)
        start = time.perf_counter()
        setup(state, holders, claims=False, conditions=False)
        issued = time.perf_counter() - start
        start = time.perf_counter()
        state.compute_state_root()
        root = time.perf_counter() - start
        print(f"issue to {holders:,} holders: {issued:.1f} s ({holders / issued:.0f} issues/s)")
        print(f"compute_state_root after those writes: {root * 1e3:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--transfers", type=int, default=200)
    parser.add_argument("--holders", type=int, default=100_000)
    args = parser.parse_args()
    print(f"{platform.python_implementation()} {platform.python_version()} on {platform.machine()}")
    transfers_per_second(args.runs, args.transfers)
    state_root(args.holders)


if __name__ == "__main__":
    main()
