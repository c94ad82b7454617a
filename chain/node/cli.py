"""``python -m chain``: ``keys``, ``genesis`` and ``run``.

- ``keys --out FILE``: a new BLS key pair (prints only the public key).
- ``genesis --out FILE --chain-id N --fund 0xPK=LUX … [--provisioner 0xPK=LUX …]
  [--min-block-time S] [--timestamp T]``: a genesis TOML.
- ``run --data-dir DIR --genesis FILE [--key FILE] [--host H] [--port P]
  [--block-interval S]``: the node with its RPC API; with ``--key`` it produces blocks.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

from chain.node.exceptions import NodeError
from chain.node.keys import generate_key_file, load_key_file
from chain.transition.exceptions import InvalidGenesis
from chain.transition.genesis import load_genesis_config


def _pairs(values: list[str], flag: str) -> list[tuple[str, int]]:
    pairs = []
    for value in values:
        key, sep, amount = value.partition("=")
        if not sep or not amount.isdigit():
            raise SystemExit(f"{flag} expects 0xPUBLICKEY=LUX, got {value!r}")
        pairs.append((key, int(amount)))
    return pairs


def cmd_keys(args: argparse.Namespace) -> int:
    public = generate_key_file(Path(args.out), entropy=os.urandom(64))
    print("0x" + public.hex())
    return 0


def cmd_genesis(args: argparse.Namespace) -> int:
    lines = [
        f"chain_id = {args.chain_id}",
        f"timestamp = {args.timestamp if args.timestamp is not None else int(time.time())}",
        "",
        "[params]",
        f"min_block_time = {args.min_block_time}",
        f"epoch_length = {args.epoch_length}",
    ]
    for key, amount in _pairs(args.fund, "--fund"):
        lines += ["", "[[accounts]]", f'public_key = "{key}"', f"balance = {amount}"]
    for key, amount in _pairs(args.provisioner, "--provisioner"):
        lines += ["", "[[provisioners]]", f'public_key = "{key}"', f"stake = {amount}"]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n")
    load_genesis_config(out)  # validate what was written
    print(f"genesis written to {out}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from aiohttp import web

    from chain.node.node import ChainNode
    from chain.node.rpc import RpcServer
    from chain.state.lmdb_store import LmdbStore

    genesis = load_genesis_config(Path(args.genesis))
    key = load_key_file(Path(args.key)) if args.key else None
    store = LmdbStore(Path(args.data_dir))
    try:
        node = ChainNode(store=store, genesis=genesis, generator_key=key)
        interval = (
            args.block_interval if args.block_interval is not None else max(genesis.params.min_block_time, 1)
        )
        server = RpcServer(node, block_interval=interval, verify_workers=args.verify_workers)
        logging.getLogger("chain").info(
            "node at height %d on http://%s:%d (chain id %d)",
            node.head_header.height,
            args.host,
            args.port,
            genesis.params.chain_id,
        )
        web.run_app(server.make_app(), host=args.host, port=args.port, print=None, shutdown_timeout=5)
    finally:
        store.close()
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from chain.tools.simulator import SimConfig, run_simulation

    violations = 0
    totals = {"rounds": 0, "blocks": 0, "failed": 0, "faults": 0, "evidence": 0}
    started = time.monotonic()
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        config = SimConfig(
            nodes=args.nodes,
            seed=seed,
            rounds=args.rounds,
            loss=args.loss,
            crashes=args.crashes,
            partitions=args.partitions,
            byzantine=args.byzantine,
            max_time=args.max_time,
        )
        report = run_simulation(config)
        print(report.line(), flush=True)
        for violation in report.violations:
            print("   ", violation)
        violations += len(report.violations)
        totals["rounds"] += min(report.heights)
        totals["blocks"] += report.blocks_committed
        totals["failed"] += report.iterations_failed
        totals["faults"] += sum(report.faults_injected.values())
        totals["evidence"] += report.evidence_found
    print(
        f"{args.seeds} seeds, {args.nodes} nodes: {totals['rounds']} rounds finalised on every node, "
        f"{totals['blocks']} block commits, {totals['failed']} failed iterations, {totals['faults']} faults "
        f"injected, {totals['evidence']} pieces of fault evidence, {violations} invariant violations "
        f"({time.monotonic() - started:.0f} s)"
    )
    return 1 if violations else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m chain", description="Gloam chain node")
    sub = parser.add_subparsers(dest="command", required=True)
    keys = sub.add_parser("keys", help="create a BLS key file")
    keys.add_argument("--out", required=True)
    keys.set_defaults(func=cmd_keys)
    genesis = sub.add_parser("genesis", help="write a genesis TOML")
    genesis.add_argument("--out", required=True)
    genesis.add_argument("--chain-id", type=int, required=True)
    genesis.add_argument("--timestamp", type=int)
    genesis.add_argument("--min-block-time", type=int, default=1)
    genesis.add_argument("--epoch-length", type=int, default=2160)
    genesis.add_argument("--fund", action="append", default=[], metavar="0xPK=LUX")
    genesis.add_argument("--provisioner", action="append", default=[], metavar="0xPK=LUX")
    genesis.set_defaults(func=cmd_genesis)
    run = sub.add_parser("run", help="run a node with its RPC API")
    run.add_argument("--data-dir", required=True)
    run.add_argument("--genesis", required=True)
    run.add_argument("--key", help="authority key file: produce blocks")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=9100)
    run.add_argument("--block-interval", type=float)
    run.add_argument(
        "--verify-workers",
        type=int,
        default=os.cpu_count() or 1,
        help="processes that check signatures of batched submissions (default: CPU count)",
    )
    run.set_defaults(func=cmd_run)
    sim = sub.add_parser("simulate", help="run the deterministic consensus simulator over many seeds")
    sim.add_argument("--seeds", type=int, default=20)
    sim.add_argument("--first-seed", type=int, default=1)
    sim.add_argument("--rounds", type=int, default=50, help="target height of every node")
    sim.add_argument("--nodes", type=int, default=4)
    sim.add_argument("--loss", type=float, default=0.05, help="probability a delivery is lost")
    sim.add_argument("--crashes", type=int, default=2, help="crash-and-restart events per run")
    sim.add_argument("--partitions", type=int, default=1, help="partition-and-heal events per run")
    sim.add_argument("--byzantine", type=int, default=1, help="equivocating provisioners (< 1/3 stake)")
    sim.add_argument("--max-time", type=float, default=3600.0, help="virtual seconds per run")
    sim.set_defaults(func=cmd_simulate)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO"), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (NodeError, InvalidGenesis) as exc:
        print(f"error ({exc.reason}): {exc}", file=sys.stderr)
        return 2
