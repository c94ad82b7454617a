"""Phoenix shielded transfers: prove, verify and execute (issue 18; docs/benchmarks.md).

    .venv/bin/python bench/bench_phoenix.py [--transfers N] [--two-input M]

On a single-authority node (tests/chain/transition/test_phoenix_transfer.py ``make_chain``):
shields N + 2·M notes in one block, proves N one-input transfers (``phoenix_transfer``) and M
two-input ones (``phoenix_transfer_2``) with the warm snarkjs prover (proving.prover), then
measures

- prove: snarkjs witness + proof seconds per proof (median, min, max), and the first (cold)
  proof apart;
- verify: ``chain.crypto.groth16.verify`` of each proof with the key decoded once (what a node
  does with its key cache), median ms;
- admission: ``ChainNode.submit_transaction`` per proven call (decode, checks, the proof
  verified against the state's registry), median ms;
- execution: one block holding every transfer (``produce_block``: each proof verified again,
  the contract run: payload hash, root, nullifiers, two ``phoenix_note_push``), transfers per
  second of block time, and gas per transfer.

Prints the machine's load average before and after. Every figure is of this process on this
host: re-run it to compare.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchlib import format_ms  # noqa: E402

from chain.crypto import groth16  # noqa: E402
from chain.crypto.phoenix import Note, SecretKey  # noqa: E402
from chain.node.contract_abi import account_address, contract_address, encode_address_amount  # noqa: E402
from chain.types.primitives import Timestamp  # noqa: E402
from chain.types.receipts import ReceiptStatus  # noqa: E402
from tests.chain.transition.test_phoenix_transfer import (  # noqa: E402
    ISSUER,
    KEYS,
    make_chain,
    notes_of,
    prove_transfer,
    proven,
)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--transfers", type=int, default=6, help="one-input transfers to prove (default 6)")
    parser.add_argument("--two-input", type=int, default=2, help="two-input transfers to prove (default 2)")
    parser.add_argument(
        "--profile", action="store_true", help="print where the block's execution spends its time (cProfile)"
    )
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}")
    chain = make_chain()
    owners = [
        SecretKey.from_seed(i.to_bytes(32, "little"), 0) for i in range(args.transfers + args.two_input)
    ]
    alice = account_address(bytes(ISSUER.public))
    pool = contract_address(bytes.fromhex(chain.phoenix[2:]))
    notes_per_owner = [1] * args.transfers + [2] * args.two_input
    total = sum(notes_per_owner)
    shields = [
        Note.transparent(owner.public_key(), owner.public_key(), 100 + k)
        for owner, n in zip(owners, notes_per_owner, strict=True)
        for k in range(n)
    ]
    receipts = chain.block(
        chain.call(ISSUER, chain.token, "mint", encode_address_amount(alice, 100 * total + 10_000)),
        chain.call(ISSUER, chain.token, "approve", encode_address_amount(pool, 100 * total + 10_000)),
        *(chain.call(ISSUER, chain.phoenix, "shield", note.to_bytes()) for note in shields),
    )
    assert all(r.status is ReceiptStatus.SUCCESS for r in receipts)
    placed = notes_of(receipts)
    chain.now += 2
    chain.node.produce_block(now=Timestamp(chain.now), allow_empty=True)  # the root is now a past root

    proofs, prove_s, witness_s = [], [], []
    at = 0
    for owner, n in zip(owners, notes_per_owner, strict=True):
        spends = placed[at : at + n]
        at += n
        value = sum(s.value() for s in spends)
        started = time.perf_counter()
        fn_args, witness, result = prove_transfer(chain, owner, spends, (value, 0), (owner, owner))
        prove_s.append(time.perf_counter() - started)
        witness_s.append(result.witness_seconds)
        proofs.append((fn_args, n, witness, result))
    one = [p for (_, n, _, _), p in zip(proofs, prove_s, strict=True) if n == 1]
    two = [p for (_, n, _, _), p in zip(proofs, prove_s, strict=True) if n == 2]
    print(f"prove phoenix_transfer   (1 in): first (cold) {one[0]:.2f} s; warm {format_ms(one[1:] or one)}")
    if two:
        print(f"prove phoenix_transfer_2 (2 in): {format_ms(two)}")
    print(f"witness (snarkjs wtns): {format_ms(witness_s)}")

    keys = [groth16.decode_verifying_key(p.read_bytes()) for p in KEYS]
    verify_s: dict[int, list[float]] = {1: [], 2: []}
    for _ in range(5):
        for _, n, _, result in proofs:
            started = time.perf_counter()
            groth16.verify(keys[n - 1], result.public_inputs, result.proof)
            verify_s[n].append(time.perf_counter() - started)
    print(f"verify 1 in (29 inputs): {format_ms(verify_s[1])}")
    if verify_s[2]:
        print(f"verify 2 in (30 inputs): {format_ms(verify_s[2])}")

    raws = [proven(chain, fn_args, n - 1, result) for fn_args, n, _, result in proofs]
    admit_s = []
    for raw in raws:
        started = time.perf_counter()
        chain.node.submit_transaction(raw, now=chain.now)
        admit_s.append(time.perf_counter() - started)
    print(f"admission (decode, checks, proof verified): {format_ms(admit_s)}")
    chain.now += 2
    profiler = cProfile.Profile() if args.profile else None
    started = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    produced = chain.node.produce_block(now=Timestamp(chain.now))
    if profiler is not None:
        profiler.disable()
    block_s = time.perf_counter() - started
    if profiler is not None:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
    assert produced is not None
    ok = [r for r in produced.receipts if r.status is ReceiptStatus.SUCCESS]
    assert len(ok) == len(raws), [r.error for r in produced.receipts]
    gas = [r.gas_spent for r in ok]
    print(
        f"block of {len(ok)} transfers: {block_s:.2f} s, {len(ok) / block_s:.1f} transfers/s executed; "
        f"gas per transfer median {statistics.median(gas):,}"
    )
    print(f"load average after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
