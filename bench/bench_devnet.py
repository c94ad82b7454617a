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
import threading
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


class FinalityWatcher(threading.Thread):
    """Follows the node: which height includes each transfer (event feed), and when each
    height is first labelled Final."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.client = NodeClient([url], timeout=10)
        self.tx_height: dict[str, int] = {}
        self.final_at: dict[int, float] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        cursor, checked = 0, 0
        while not self.stop.is_set():
            page = self.client.get_events(after=cursor, limit=1000)
            for event in page.events:
                self.tx_height.setdefault(event.tx_id, event.height)
            cursor = page.next_cursor
            head = self.client.get_head().height
            while checked < head and self.client.get_block(height=checked + 1)["finality"] == "Final":
                checked += 1
                self.final_at[checked] = time.monotonic()
            time.sleep(0.05)


def offer(url: str, rate: int, seconds: float, keys: list[bytes], nonces: list[int]) -> list[float]:
    """Offer ``rate`` transfers per second for ``seconds``; return submit→Final latencies."""
    client = NodeClient([url], timeout=10)
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
    watcher = FinalityWatcher(url)
    watcher.start()
    submitted: dict[str, float] = {}
    refused: dict[str, int] = {}
    start = time.monotonic()
    tick = max(1, rate // 10)  # submit in 10 batches a second
    for i in range(0, total, tick):
        time.sleep(max(0.0, start + i / rate - time.monotonic()))
        for tx_id, raw in signed[i : i + tick]:
            try:
                at = time.monotonic()
                client.submit_transaction(raw)
                submitted[tx_id] = at
            except RpcError as error:
                refused[error.reason] = refused.get(error.reason, 0) + 1
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        done = [t for t in submitted if watcher.tx_height.get(t) in watcher.final_at]
        if len(done) == len(submitted):
            break
        time.sleep(0.2)
    watcher.stop.set()
    watcher.join()
    latencies = [
        watcher.final_at[watcher.tx_height[t]] - at
        for t, at in submitted.items()
        if watcher.tx_height.get(t) in watcher.final_at
    ]
    if refused:
        print(f"  {sum(refused.values())} of {total} submissions refused: {refused}")
    if len(latencies) < len(submitted):
        print(f"  {len(submitted) - len(latencies)} admitted transfers not Final within 120 s")
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
                latencies = offer(devnet.urls[0], rate, args.seconds, keys, nonces)
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
