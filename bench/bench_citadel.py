"""Citadel sessions: prove, verify and execute (issue 18; docs/benchmarks.md).

    .venv/bin/python bench/bench_citadel.py [--sessions N]

On a single-authority node with the ``citadel`` contract and the committed ``citadel_license``
key (tests/chain/transition/test_citadel_session.py ``Node``): a provider registered, one
licence issued to a user, then N sessions of that licence for N holder accounts, each proved
with the warm snarkjs prover (proving.prover) against the same past root, and measures

- prove: witness + proof seconds per session (median, min, max; the first, cold, apart);
- verify: ``chain.crypto.groth16.verify`` with the key decoded once, median ms;
- admission: ``ChainNode.submit_transaction`` per proven ``use_licence``, median ms;
- execution: one block holding every session (each proof verified again, the contract's
  checks, the session recorded), sessions per second of block time, and gas per session.

Prints the machine's load average before and after. Every figure is of this process on this
host: re-run it to compare.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchlib import format_ms  # noqa: E402

from chain.crypto import groth16  # noqa: E402
from chain.node.contract_abi import (  # noqa: E402
    account_address,
    encode_citadel_add_provider,
    encode_citadel_issue,
)
from chain.types.primitives import Timestamp  # noqa: E402
from chain.types.receipts import ReceiptStatus  # noqa: E402
from tests.chain.helpers import keypair  # noqa: E402
from tests.chain.transition.test_citadel_session import (  # noqa: E402
    LP,
    LP_ACCOUNT,
    OPERATOR,
    VK,
    Node,
    _licence,
)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sessions", type=int, default=5, help="sessions to prove (default 5)")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}")
    net = Node()
    provider = encode_citadel_add_provider(
        pk_lp_a=LP.public_key().A.affine(), account_key=bytes(LP_ACCOUNT.public)
    )
    assert net.block(net.call(OPERATOR, "add_provider", provider))[0].status is ReceiptStatus.SUCCESS
    licence, attributes = _licence(365, net.today)
    [issued] = net.block(net.call(LP_ACCOUNT, "issue", encode_citadel_issue(licence.leaf())))
    assert issued.status is ReceiptStatus.SUCCESS, issued.error
    net.now += 2
    net.node.produce_block(now=Timestamp(net.now), allow_empty=True)  # the licence's root is past

    holders = [account_address(bytes(keypair(f"bench-holder-{i}").public)) for i in range(args.sessions)]
    proofs, prove_s = [], []
    for holder in holders:
        started = time.perf_counter()
        proofs.append(net.prove_session(licence, attributes, 0, holder))
        prove_s.append(time.perf_counter() - started)
    print(f"prove citadel_license: first (cold) {prove_s[0]:.2f} s; warm {format_ms(prove_s[1:] or prove_s)}")
    print(f"witness (snarkjs wtns): {format_ms([p.witness_seconds for p in proofs])}")

    key = groth16.decode_verifying_key(VK.read_bytes())
    verify_s = []
    for _ in range(3):
        for result in proofs:
            started = time.perf_counter()
            groth16.verify(key, result.public_inputs, result.proof)
            verify_s.append(time.perf_counter() - started)
    print(f"verify (22 public inputs): {format_ms(verify_s)}")

    admit_s = []
    for holder, result in zip(holders, proofs, strict=True):
        raw = net.sign_use(holder, result)
        started = time.perf_counter()
        net.node.submit_transaction(raw, now=net.now)
        admit_s.append(time.perf_counter() - started)
    print(f"admission (decode, checks, proof verified): {format_ms(admit_s)}")
    net.now += 2
    started = time.perf_counter()
    produced = net.node.produce_block(now=Timestamp(net.now))
    block_s = time.perf_counter() - started
    assert produced is not None
    ok = [r for r in produced.receipts if r.status is ReceiptStatus.SUCCESS]
    assert len(ok) == len(holders), [r.error for r in produced.receipts]
    print(
        f"block of {len(ok)} sessions: {block_s:.2f} s, {len(ok) / block_s:.1f} sessions/s executed; "
        f"gas per session median {statistics.median(r.gas_spent for r in ok):,}"
    )
    print(f"load average after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
