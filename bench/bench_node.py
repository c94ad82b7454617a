"""Node benchmarks (issue 3): prints figures, asserts nothing.

1. End-to-end throughput: transfers verified, applied and committed per second by one
   node process, submitted through the RPC with ``chain.node.client`` (batches of 500,
   signatures batch-verified on entry), timed from the first submit until the last one is
   included in a committed block.
2. Block commit latency: produce + commit a block of 1,000 transfers to LMDB, in process.
3. Restart time: open a node whose LMDB store holds 100,000 committed transactions.

Run: ``.venv/bin/python bench/bench_node.py [--runs N] [--transactions N]``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from chain.crypto import bls12_381 as bls  # noqa: E402
from chain.node.client import NodeClient, sign_transfer  # noqa: E402
from chain.node.mempool import MempoolLimits  # noqa: E402
from chain.node.node import ChainNode  # noqa: E402
from chain.state.lmdb_store import LmdbStore  # noqa: E402
from chain.transition.genesis import parse_genesis_config  # noqa: E402
from chain.types.consensus import INFINITY_SIGNATURE  # noqa: E402
from chain.types.primitives import BlsPublicKey, ChainId, Gas, Lux, Nonce, Timestamp  # noqa: E402
from chain.types.transactions import Fee, Transaction  # noqa: E402
from tests.chain.nodeproc import running_node  # noqa: E402

CHAIN_ID = 7


def secret(label: str) -> bytes:
    return bytes(bls.KeyGen(hashlib.sha256(label.encode()).digest()))


def bench_throughput(total: int, senders: int) -> float:
    keys = [secret(f"sender-{i}") for i in range(senders)]
    publics = [bls.SkToPk(k).hex() for k in keys]  # type: ignore[arg-type]
    receiver = "0x" + bls.SkToPk(secret("receiver")).hex()  # type: ignore[arg-type]
    per_sender = total // senders
    raws = [
        sign_transfer(secret_key=keys[s], chain_id=CHAIN_ID, receiver=receiver, value=1, nonce=n)[1]
        for n in range(1, per_sender + 1)
        for s in range(senders)
    ]
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_node(Path(tmp), funds=dict.fromkeys(publics, 10**15)) as node,
    ):
        client = NodeClient([node.url], timeout=60)
        start = time.perf_counter()
        for i in range(0, len(raws), 500):
            results = client.submit_transactions(raws[i : i + 500])
            bad = [r for r in results if "error" in r]
            if bad:
                raise SystemExit(f"rejected: {bad[:3]}")
        while any(client.get_account("0x" + p).nonce < per_sender for p in publics):
            time.sleep(0.05)
        elapsed = time.perf_counter() - start
        head = client.get_head().height
    print(f"  throughput run: {len(raws)} transfers in {elapsed:.2f} s over {head} blocks")
    return len(raws) / elapsed


def _unsigned_transfers(
    count: int, senders: list[BlsPublicKey], receiver: BlsPublicKey, first_nonce: int
) -> list[Transaction]:
    txs = []
    for n in range(count // len(senders)):
        for sender in senders:
            txs.append(
                Transaction(
                    ChainId(CHAIN_ID),
                    sender,
                    receiver,
                    Lux(1),
                    Lux(0),
                    Fee(Gas(50_000), Lux(1), sender),
                    Nonce(first_nonce + n),
                    None,
                    INFINITY_SIGNATURE,
                )
            )
    return txs


def _node(path: Path, senders: list[BlsPublicKey]) -> ChainNode:
    config = parse_genesis_config(
        {
            "chain_id": CHAIN_ID,
            "timestamp": 1_000,
            "params": {"min_block_time": 1},
            "accounts": [{"public_key": "0x" + s.hex(), "balance": 10**15} for s in senders],
        }
    )
    limits = MempoolLimits(max_transactions=200_000, max_per_sender=2_000, max_nonce_gap=2_000)
    return ChainNode(
        store=LmdbStore(path), genesis=config, generator_key=bls.KeyGen(b"a" * 32), mempool_limits=limits
    )


def bench_commit_and_restart(blocks: int) -> tuple[list[float], float, int]:
    """Fill a store with ``blocks`` × 1,000 transfers (signatures not checked: the
    mempool entry check is measured by the throughput run); returns the per-block
    produce+commit latencies, the reopen time and the transaction count."""
    senders = [BlsPublicKey(hashlib.sha3_384(bytes([i])).digest()) for i in range(100)]
    receiver = BlsPublicKey(hashlib.sha3_384(b"receiver").digest())
    latencies = []
    with tempfile.TemporaryDirectory() as tmp:
        node = _node(Path(tmp), senders)
        now = 2_000
        for b in range(blocks):
            for tx in _unsigned_transfers(1000, senders, receiver, first_nonce=b * 10 + 1):
                node.mempool.add(replace(tx), now=now, check_signature=False)
            start = time.perf_counter()
            produced = node.produce_block(now=Timestamp(now))
            latencies.append(time.perf_counter() - start)
            assert produced is not None
            assert len(produced.block.transactions) == 1000
            now += 1
        node.store.close()
        start = time.perf_counter()
        reopened = _node(Path(tmp), senders)
        reopen = time.perf_counter() - start
        height = int(reopened.head_header.height)
        reopened.store.close()
    return latencies, reopen, height * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--transactions", type=int, default=3000)
    parser.add_argument("--blocks", type=int, default=100)
    args = parser.parse_args()
    print(f"BLS backend: {bls.DEFAULT_BACKEND}; CPU cores: {os.cpu_count()}")
    rates = [bench_throughput(args.transactions, senders=30) for _ in range(args.runs)]
    runs = ", ".join(f"{r:.0f}" for r in rates)
    median_rate = statistics.median(rates)
    print(
        f"end-to-end throughput, {args.transactions} transfers: median {median_rate:.0f} tx/s (runs: {runs})"
    )
    latencies, reopen, count = bench_commit_and_restart(args.blocks)
    median_ms = statistics.median(latencies) * 1000
    p90_ms = sorted(latencies)[int(len(latencies) * 0.9)] * 1000
    print(
        f"block of 1,000 transfers, produce + commit to LMDB: median {median_ms:.0f} ms (p90 {p90_ms:.0f} ms)"
    )
    print(f"node reopen with {count:,} transactions on disk: {reopen * 1000:.0f} ms")


if __name__ == "__main__":
    main()
