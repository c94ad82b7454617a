"""Shielded transfers Final per second on a 4-provisioner devnet (issue 18; docs/benchmarks.md).

    .venv/bin/python bench/bench_phoenix_devnet.py [--transfers N]

Starts the devnet of ``python -m chain devnet`` (real node processes on loopback, the genesis
``phoenix`` contract for EUR as note authority), mints EUR to a funded account, shields N
transparent notes to N Phoenix keys, waits for them to be Final, proves N one-input transfers
with the warm snarkjs prover against the Final root (proving is the wallet's work and is
timed apart), then submits the N proven calls at once and measures from the first submission
until each transfer's block is Final: the throughput (transfers Final per second over the
burst) and the latency (median, max). Prints the load average. Asserts nothing beyond the
transfers succeeding.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from chain.crypto import bls12_381 as bls  # noqa: E402
from chain.crypto.phoenix import Note, SecretKey  # noqa: E402
from chain.crypto.phoenix_circuit import SpentNote, make_output, transfer_witness  # noqa: E402
from chain.node.client import NodeClient, RpcError, sign_contract_call, sign_proven_call  # noqa: E402
from chain.node.contract_abi import (  # noqa: E402
    account_address,
    contract_address,
    decode_phoenix_note_event,
    encode_address_amount,
    encode_phoenix_transfer,
    phoenix_payload_hash,
)
from chain.node.keys import load_key_file  # noqa: E402
from proving.prover import prove  # noqa: E402
from tests.chain.devnetproc import Devnet  # noqa: E402

CHAIN_ID = 71
GAS = 300_000_000


def secret(label: str) -> bytes:
    return bytes(bls.KeyGen(hashlib.sha256(label.encode()).digest()))


def wait_final(client: NodeClient, tx_ids: list[str], timeout: float = 300) -> dict[str, float]:
    """Poll until every transaction's block is Final; returns tx id → monotonic time seen Final."""
    seen: dict[str, float] = {}
    deadline = time.monotonic() + timeout
    while len(seen) < len(tx_ids):
        if time.monotonic() > deadline:
            raise SystemExit(f"only {len(seen)} of {len(tx_ids)} transactions Final in {timeout} s")
        for tx_id in tx_ids:
            if tx_id in seen:
                continue
            try:
                info = client.get_transaction(tx_id)
            except RpcError as error:
                if error.reason != "not_found":
                    raise
                continue
            if info.finality == "Final":
                receipt = info.receipt or {}
                if receipt.get("status") != "success":
                    raise SystemExit(f"{tx_id} failed: {receipt.get('error')}")
                seen[tx_id] = time.monotonic()
        time.sleep(0.1)
    return seen


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--transfers", type=int, default=16, help="shielded transfers in the burst (default 16)"
    )
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}")
    payer = secret("phoenix-bench-payer")
    payer_pk = bls.SkToPk(payer)  # type: ignore[arg-type]
    owners = [SecretKey.from_seed(hashlib.sha256(b"owner%d" % i).digest(), 0) for i in range(args.transfers)]
    with tempfile.TemporaryDirectory() as tmp:
        devnet = Devnet(Path(tmp), funds={payer_pk.hex(): 10**18})
        for index in range(4):
            devnet.start(index)
        try:
            client = NodeClient(devnet.urls, timeout=20)
            deadline = time.monotonic() + 120
            while True:
                try:
                    contracts = client.get_genesis_contracts()
                    break
                except Exception:  # noqa: BLE001 - still starting
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.5)
            if "phoenix" not in contracts:
                raise SystemExit("this devnet has no phoenix contract (the transfer keys are not committed)")
            token, phoenix = contracts["cash_token"], contracts["phoenix"]
            issuer = load_key_file(Path(tmp) / "cash_issuer.json")
            payer_address = account_address(bytes(payer_pk))
            pool = contract_address(bytes.fromhex(phoenix[2:]))
            issuer_pk = "0x" + bls.SkToPk(issuer).hex()
            nonces = {"issuer": client.get_account(issuer_pk).nonce, "payer": 0}

            def call(who: str, key: bytes, contract: str, fn: str, fn_args: bytes) -> str:
                nonces[who] += 1
                tx_id, raw = sign_contract_call(
                    secret_key=key,
                    chain_id=CHAIN_ID,
                    contract=contract,
                    fn_name=fn,
                    fn_args=fn_args,
                    nonce=nonces[who],
                    gas_limit=GAS,
                )
                client.submit_transaction(raw)
                return tx_id

            total = 1_000 * args.transfers
            wait_final(
                client,
                [call("issuer", bytes(issuer), token, "mint", encode_address_amount(payer_address, total))],
            )
            wait_final(client, [call("payer", payer, token, "approve", encode_address_amount(pool, total))])
            notes = [Note.transparent(o.public_key(), o.public_key(), 1_000) for o in owners]
            shield_ids = [call("payer", payer, phoenix, "shield", n.to_bytes()) for n in notes]
            wait_final(client, shield_ids)
            placed: dict[bytes, Note] = {}
            cursor = 0
            while len(placed) < len(notes):
                page = client.get_events(after=cursor, limit=1000)
                for event in page.events:
                    if event.topic == "note" and event.source == phoenix:
                        e = decode_phoenix_note_event(bytes.fromhex(event.data.removeprefix("0x")))
                        placed[e.note] = Note.from_bytes(e.note).with_pos(e.position)
                if page.next_cursor == cursor:
                    break
                cursor = page.next_cursor
            tree = client.get_note_tree()
            root = int.from_bytes(bytes.fromhex(tree.root.removeprefix("0x")), "little")
            raws, prove_s = [], []
            vk_id = client.get_verifying_keys()
            vk_ids = {k.public_inputs: k.vk_id for k in vk_id}
            for owner, note in zip(owners, notes, strict=True):
                spent = placed[note.to_bytes()]
                opening = client.get_note_opening(spent.pos)
                outs = [make_output(owner.public_key(), owner.public_key(), v) for v in (600, 400)]
                fn_args = encode_phoenix_transfer([o.note.to_bytes() for o in outs])
                payload = phoenix_payload_hash(
                    chain_id=CHAIN_ID, contract_id=bytes.fromhex(phoenix[2:]), args=fn_args
                )
                w = transfer_witness(
                    owner, [SpentNote(spent, opening.opening)], outs, root=root, payload_hash=payload
                )
                started = time.perf_counter()
                result = prove(w.circuit, w.inputs)
                prove_s.append(time.perf_counter() - started)
                nonces["payer"] += 1
                raws.append(
                    sign_proven_call(
                        secret_key=payer,
                        chain_id=CHAIN_ID,
                        contract=phoenix,
                        fn_name="transfer",
                        fn_args=fn_args,
                        vk_id=vk_ids[29],
                        public_inputs=result.public_inputs,
                        proof=result.proof,
                        nonce=nonces["payer"],
                        gas_limit=GAS,
                    )
                )
            print(
                f"proved {len(raws)} transfers: median {statistics.median(prove_s):.2f} s per proof"
                " (wallet side)"
            )
            started = time.monotonic()
            submitted = {}
            for tx_id, raw in raws:
                submitted[tx_id] = time.monotonic()
                client.submit_transaction(raw)
            final = wait_final(client, list(submitted))
            span = max(final.values()) - started
            latencies = [final[t] - at for t, at in submitted.items()]
            heights = sorted({client.get_transaction(t).height or 0 for t in submitted})
            blocks = [client.get_block(height=h) for h in heights]
            # the iteration a block was agreed in (0: the first; more: candidates that failed)
            landed = ", ".join(
                f"height {h}: {len(b['transactions'])} txs, iteration {b['iteration']}, "
                f"{b['timestamp'] - prev['timestamp']} s after the block before"
                for h, b, prev in zip(
                    heights, blocks, [client.get_block(height=h - 1) for h in heights], strict=True
                )
            )
            print(f"landed in {len(heights)} block(s): {landed}")
            print(
                f"{len(raws)} shielded transfers Final in {span:.2f} s: "
                f"{len(raws) / span:.2f} transfers Final/s; "
                f"submit → Final median {statistics.median(latencies):.2f} s, max {max(latencies):.2f} s"
            )
        finally:
            devnet.stop_all()
    print(f"load average after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
