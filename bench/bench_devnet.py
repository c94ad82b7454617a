"""Devnet benchmarks (issue 4): prints figures, asserts nothing.

On a 4-provisioner devnet of real processes on loopback:
1. blocks per minute with no load;
2. latency from submitting a transfer to its block being labelled Final (median and 95th
   percentile) at 10 and at 200 offered transactions per second.

Run: ``.venv/bin/python bench/bench_devnet.py [--seconds N]``.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from chain.crypto import bls12_381 as bls  # noqa: E402
from chain.node.client import NodeClient, RpcError, sign_transfer  # noqa: E402
from tests.chain.devnetproc import Devnet  # noqa: E402

SENDERS = 20


def secret(label: str) -> bytes:
    return bytes(bls.KeyGen(hashlib.sha256(label.encode()).digest()))


def wait_height(client: NodeClient, height: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if client.get_head().height >= height:
                return
        except RpcError:
            pass  # still starting
        if time.monotonic() > deadline:
            raise SystemExit("the devnet makes no blocks")
        time.sleep(0.2)


def offer(client: NodeClient, rate: int, seconds: float, keys: list[bytes], nonces: list[int]) -> list[float]:
    """Offer ``rate`` transfers per second for ``seconds``; return submit→Final latencies."""
    receiver = "0x" + bls.SkToPk(secret("receiver")).hex()  # type: ignore[arg-type]
    total = int(rate * seconds)
    signed = []
    for i in range(total):
        sender = i % len(keys)
        nonces[sender] += 1
        signed.append(
            sign_transfer(
                secret_key=keys[sender], chain_id=71, receiver=receiver, value=1, nonce=nonces[sender]
            )
        )
    submitted: dict[str, float] = {}
    start = time.monotonic()
    tick = max(1, rate // 10)  # submit in 10 batches a second
    for i in range(0, total, tick):
        due = start + i / rate
        time.sleep(max(0.0, due - time.monotonic()))
        batch = signed[i : i + tick]
        now = time.monotonic()
        for tx_id, raw in batch:
            client.submit_transaction(raw)
            submitted[tx_id] = now
    latencies: list[float] = []
    pending = dict(submitted)
    deadline = time.monotonic() + 120
    while pending and time.monotonic() < deadline:
        for tx_id in list(pending)[:200]:
            info = client.get_transaction(tx_id)
            if info.status == "included" and info.finality == "Final":
                latencies.append(time.monotonic() - pending.pop(tx_id))
        time.sleep(0.05)
    if pending:
        print(f"  {len(pending)} of {total} transfers not Final within 120 s")
    return latencies


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    keys = [secret(f"bench-sender-{i}") for i in range(SENDERS)]
    funds = {bls.SkToPk(k).hex(): 10**15 for k in keys}  # type: ignore[arg-type]
    nonces = [0] * SENDERS
    with tempfile.TemporaryDirectory() as tmp:
        devnet = Devnet(Path(tmp), funds=funds)
        for index in range(4):
            devnet.start(index)
        try:
            client = NodeClient([devnet.urls[0]], timeout=10)
            wait_height(client, 2)
            h0, t0 = client.get_head().height, time.monotonic()
            time.sleep(30)
            blocks = client.get_head().height - h0
            print(f"blocks per minute, idle: {blocks * 60 / (time.monotonic() - t0):.0f}")
            for rate in (10, 200):
                latencies = offer(client, rate, args.seconds, keys, nonces)
                if latencies:
                    print(
                        f"{rate} tx/s offered for {args.seconds:.0f} s: submit → Final median "
                        f"{statistics.median(latencies):.2f} s, p95 {percentile(latencies, 0.95):.2f} s "
                        f"({len(latencies)} transfers)"
                    )
        finally:
            devnet.stop_all()


if __name__ == "__main__":
    main()
