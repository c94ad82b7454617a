"""Cash token and DvP throughput through the VM (chain/contracts/cash_token, dvp): prints
figures, asserts nothing.

    .venv/bin/python bench/bench_cash_token.py                  # 1,000 holders, 200 transfers, 5 runs
    .venv/bin/python bench/bench_cash_token.py --holders 200 --transfers 50 --settles 20 --runs 3

One core, in process: a ``State`` over a ``MemoryStore``, one ``VmSession`` per call as a
transaction would use it (no signature checks, no block building). Setup: deploy a cash
token, mint to ``--holders`` holders; then each run makes ``--transfers`` transfers between
random holders. For DvP: deploy a second token and DvP, approve, create and affirm
``--settles`` two-leg instructions (EUR against USD) per run, then time their ``settle``
calls alone. Figures are medians of ``--runs`` runs (wall and CPU time), with the gas one
call spent (mostly page writes: 262,144 gas per 64 KiB page a call changes).
"""

from __future__ import annotations

import argparse
import hashlib
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chain.state.memory import MemoryStore  # noqa: E402
from chain.state.state import State  # noqa: E402
from chain.types.primitives import BlsPublicKey, ContractId  # noqa: E402
from chain.vm.session import BlockInfo, VmSession  # noqa: E402

BUILD = Path(__file__).resolve().parents[1] / "chain" / "contracts" / "build"
BLOCK = BlockInfo(height=1, timestamp=1_800_000_000, chain_id=5)
GAS = 50_000_000


def key(label: str) -> BlsPublicKey:
    """A 48-byte stand-in key (the host does not check that callers are curve points)."""
    return BlsPublicKey(hashlib.blake2b(label.encode(), digest_size=48).digest())


def account(public: BlsPublicKey) -> bytes:
    return b"\x00" + bytes(public)


def u64(value: int) -> bytes:
    return value.to_bytes(8, "little")


class Chain:
    def __init__(self, state: State) -> None:
        self.state = state
        self.nonce = 0
        self.last_gas = 0

    def deploy(self, name: str, init_args: bytes, owner: BlsPublicKey) -> ContractId:
        contract_id, _ = VmSession(self.state, BLOCK).deploy(
            (BUILD / f"{name}.wasm").read_bytes(),
            owner=owner,
            nonce=self.nonce,
            init_args=init_args,
            deployer=owner,
            gas_limit=GAS,
        )
        self.nonce += 1
        return contract_id

    def call(self, target: ContractId, fn: str, args: bytes, caller: BlsPublicKey) -> bytes:
        result = VmSession(self.state, BLOCK).call(target, fn, args, caller=caller, gas_limit=GAS)
        self.last_gas = result.gas_spent
        return result.data


def timed(action: Callable[[], object]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - wall, time.process_time() - cpu


def report(label: str, count: int, walls: list[float], cpus: list[float], gas: int) -> None:
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    print(
        f"  {label:<28} {count / wall:8.1f} /s wall  {count / cpu:8.1f} /s CPU"
        f"  ({wall / count * 1e3:6.2f} ms each wall, {gas:,} gas each)"
    )


def fresh_state() -> Iterator[State]:
    store = MemoryStore()
    with store.read_view() as view:
        yield State(view)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--holders", type=int, default=1_000)
    parser.add_argument("--transfers", type=int, default=200)
    parser.add_argument("--settles", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"python {platform.python_version()} on {platform.machine()}, median of {args.runs} runs")

    states = fresh_state()
    chain = Chain(next(states))
    eur_issuer, usd_issuer = key("eur-issuer"), key("usd-issuer")
    eur = chain.deploy("cash_token", bytes(eur_issuer) + b"EUR" + bytes([2]), eur_issuer)
    holders = [key(f"holder-{i}") for i in range(args.holders)]
    start = time.perf_counter()
    for holder in holders:
        chain.call(eur, "mint", account(holder) + u64(1_000_000), eur_issuer)
    setup = time.perf_counter() - start
    rate = args.holders / setup
    print(f"  setup: {args.holders} mints in {setup:.1f} s ({rate:.1f} /s), {chain.last_gas:,} gas each")

    rng = random.Random(1)  # noqa: S311 - a reproducible workload, not cryptography
    walls, cpus, gas = [], [], 0

    def transfers() -> None:
        nonlocal gas
        for _ in range(args.transfers):
            sender, receiver = rng.sample(holders, 2)
            chain.call(eur, "transfer", account(receiver) + u64(1), sender)
        gas = chain.last_gas

    for _ in range(args.runs):
        wall, cpu = timed(transfers)
        walls.append(wall)
        cpus.append(cpu)
    report("cash token transfer", args.transfers, walls, cpus, gas)

    usd = chain.deploy("cash_token", bytes(usd_issuer) + b"USD" + bytes([2]), usd_issuer)
    dvp = chain.deploy("dvp", b"", eur_issuer)
    dvp_address = b"\x01" + bytes(dvp) + bytes(16)
    sellers, buyers = holders[: len(holders) // 2], holders[len(holders) // 2 :]
    for buyer in buyers:
        chain.call(usd, "mint", account(buyer) + u64(1_000_000), usd_issuer)
        chain.call(usd, "approve", dvp_address + u64(2**63), buyer)
    for seller in sellers:
        chain.call(eur, "approve", dvp_address + u64(2**63), seller)
    walls, cpus = [], []
    for _ in range(args.runs):
        ids = []
        for _ in range(args.settles):
            seller, buyer = rng.choice(sellers), rng.choice(buyers)
            legs = (
                bytes(eur) + account(seller) + account(buyer) + u64(100)
                + bytes(usd) + account(buyer) + account(seller) + u64(110)
            )  # fmt: skip
            instruction = int.from_bytes(chain.call(dvp, "create", bytes([2]) + legs, seller), "little")
            chain.call(dvp, "affirm", u64(instruction), seller)
            chain.call(dvp, "affirm", u64(instruction), buyer)
            ids.append(instruction)

        def settle_all(ids: list[int] = ids) -> None:
            for instruction in ids:
                status = chain.call(dvp, "settle", u64(instruction), eur_issuer)
                if status[0] != 0:
                    raise SystemExit(f"settle {instruction} failed: {status.hex()}")

        wall, cpu = timed(settle_all)
        walls.append(wall)
        cpus.append(cpu)
    report("DvP settle, 2 legs", args.settles, walls, cpus, chain.last_gas)


if __name__ == "__main__":
    main()
