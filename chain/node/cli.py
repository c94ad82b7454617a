"""``python -m chain``: ``keys``, ``genesis`` and ``run``.

- ``keys --out FILE``: a new BLS key pair (prints only the public key).
- ``genesis --out FILE --chain-id N --fund 0xPK=LUX … [--provisioner 0xPK=LUX …]
  [--verifying-key CIRCUIT …] [--min-block-time S] [--timestamp T]``: a genesis TOML
  (``--verifying-key`` registers ``circuits/build/CIRCUIT.vk``).
- ``run --data-dir DIR --genesis FILE [--key FILE] [--host H] [--port P]
  [--block-interval S]``: the node with its RPC API; with ``--key`` it produces blocks.
- ``run --devnet devnet.json --index N [--host H] [--data-dir DIR]``: provisioner N of a
  devnet with consensus; RPC and peer-to-peer listen on ``H`` (default 127.0.0.1; 0.0.0.0 in a
  container), the chain data in ``DIR`` (default the devnet's ``nodeN/``).
- ``devnet --dir DIR [--nodes N] [--peer-host TEMPLATE] [--init-only] …``: write a devnet
  (keys, genesis, ``devnet.json``; each node's ``host`` from TEMPLATE, e.g. ``node-{index}``)
  and, without ``--init-only``, run it. The devnet genesis registers every committed circuit
  key, ``circuits/build/*.vk``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

from chain.consensus.timeouts import TimeoutParams
from chain.crypto import groth16
from chain.node.contract_abi import encode_citadel_init, encode_phoenix_init, get_contract_code
from chain.node.exceptions import NodeError
from chain.node.keys import generate_key_file, load_key_file
from chain.transition.exceptions import InvalidGenesis
from chain.transition.genesis import CIRCUITS_DIR, load_genesis_config
from chain.types.exceptions import ChainTypesError
from chain.types.primitives import BlsPublicKey
from chain.vm.ids import compute_contract_id


def _pairs(values: list[str], flag: str) -> list[tuple[str, int]]:
    pairs = []
    for value in values:
        key, sep, amount = value.partition("=")
        if not sep or not amount.isdigit():
            raise SystemExit(f"{flag} expects 0xPUBLICKEY=LUX, got {value!r}")
        pairs.append((key, int(amount)))
    return pairs


def _roles(values: list[str]) -> dict[str, BlsPublicKey]:
    """``--role NAME=0xPUBLICKEY`` values: a key the caller holds for a devnet role."""
    roles = {}
    for value in values:
        name, sep, key = value.partition("=")
        try:
            roles[name] = BlsPublicKey.from_hex(key)
        except ChainTypesError:
            raise SystemExit(f"--role expects NAME=0xPUBLICKEY (48 bytes), got {value!r}") from None
        if not sep:
            raise SystemExit(f"--role expects NAME=0xPUBLICKEY, got {value!r}")
    return roles


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
    lines += _verifying_key_lines(args.verifying_key)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n")
    load_genesis_config(out)  # validate what was written
    print(f"genesis written to {out}")
    return 0


def _verifying_key_lines(circuits: list[str]) -> list[str]:
    """``[[verifying_keys]]`` tables registering the committed keys ``circuits/build/<c>.vk``."""
    lines = []
    for circuit in circuits:
        lines += ["", "[[verifying_keys]]", f'circuit = "{circuit}"']
    return lines


def committed_circuit_keys() -> list[str]:
    """The circuits with a committed verification key (``circuits/build/*.vk``), sorted."""
    return sorted(path.stem for path in CIRCUITS_DIR.glob("*.vk"))


DEVNET_FILE = "devnet.json"
DEVNET_STAKE = 1_000 * 10**9


def _devnet_timing() -> TimeoutParams:
    """Step timeouts for a devnet: 0.5–4 s, so a block comes every 1–2 s."""
    return TimeoutParams(min_timeout=0.5, max_timeout=4.0, increment=0.5, rounding=0.1)


#: Accounts a devnet creates besides its provisioners (keys in ``<name>.json``): the platform
#: operator (admin of the identity registry) and the licensed cash issuer of the EUR token.
DEVNET_ROLES = ("operator", "cash_issuer")
DEVNET_ROLE_FUNDS = 10**18


#: The Phoenix transfer circuits whose keys the devnet's ``phoenix`` contract accepts, by
#: number of inputs (docs/zk.md "Phoenix transfers").
PHOENIX_CIRCUITS = ("phoenix_transfer", "phoenix_transfer_2")
#: The Citadel licence circuit whose key the devnet's ``citadel`` contract accepts (docs/zk.md
#: "Citadel on chain"); its setup is not done yet, so today's devnets have no ``citadel``.
CITADEL_CIRCUIT = "citadel_license"


#: The devnet's cash tokens: currency → the cash issuer's deployment nonce.
DEVNET_CASH_TOKENS = {"EUR": 0, "USD": 1}


def _devnet_contracts(
    roles: dict[str, BlsPublicKey], shielded_currency: str = "EUR"
) -> list[tuple[str, str, int, BlsPublicKey, bytes]]:
    """The genesis contracts of a devnet (docs/contracts.md) as (name, code, nonce, owner,
    init args): the identity claims registry, EUR and USD cash tokens (2 decimals, one
    issuer), DvP settlement and, when the Phoenix transfer circuits have committed keys, the
    ``phoenix`` contract for shielded cash in ``shielded_currency`` (one of
    :data:`DEVNET_CASH_TOKENS`; the devnet's note authority), and when the Citadel
    licence circuit has one, the ``citadel`` contract (owned by the operator, who registers
    licence providers; the devnet's licence authority)."""
    operator, issuer = roles["operator"], roles["cash_issuer"]
    contracts = [
        ("identity_registry", "identity_registry", 0, operator, bytes(operator)),
        ("cash_token", "cash_token", 0, issuer, bytes(issuer) + b"EUR" + bytes([2])),
        ("cash_token_usd", "cash_token", 1, issuer, bytes(issuer) + b"USD" + bytes([2])),
        ("dvp", "dvp", 0, operator, b""),
    ]
    keys = [CIRCUITS_DIR / f"{name}.vk" for name in PHOENIX_CIRCUITS]
    if all(path.is_file() for path in keys):
        nonce = DEVNET_CASH_TOKENS[shielded_currency]
        cash_id = compute_contract_id(get_contract_code("cash_token"), nonce, issuer)
        decoded = [groth16.decode_verifying_key(path.read_bytes()) for path in keys]
        vk_ids = [bytes(groth16.compute_vk_id(key.encoded)) for key in decoded]
        init = encode_phoenix_init(cash_token=bytes(cash_id), vk_ids=vk_ids)
        contracts.append(("phoenix", "phoenix", 0, operator, init))
    citadel_key = CIRCUITS_DIR / f"{CITADEL_CIRCUIT}.vk"
    if citadel_key.is_file():
        decoded_key = groth16.decode_verifying_key(citadel_key.read_bytes())
        init = encode_citadel_init(
            operator_key=bytes(operator), vk_id=bytes(groth16.compute_vk_id(decoded_key.encoded))
        )
        contracts.append(("citadel", "citadel", 0, operator, init))
    return contracts


def cmd_devnet(args: argparse.Namespace) -> int:
    """Create (once) and run a devnet: one ``run --devnet`` process per provisioner."""
    import json
    import signal
    import subprocess

    directory = Path(args.dir)
    config_file = directory / DEVNET_FILE
    if not config_file.exists():
        directory.mkdir(parents=True, exist_ok=True)
        nodes = []
        for index in range(args.nodes):
            key_file = directory / f"node{index}.json"
            public = generate_key_file(key_file, entropy=os.urandom(64))
            nodes.append(
                {
                    "index": index,
                    "host": args.peer_host.format(index=index),
                    "public_key": "0x" + public.hex(),
                    "key_file": key_file.name,
                    "rpc_port": args.rpc_base_port + index,
                    "p2p_port": args.p2p_base_port + index,
                    "data_dir": f"node{index}",
                }
            )
        lines = [
            f"chain_id = {args.chain_id}",
            f"timestamp = {int(time.time())}",
            "",
            "[params]",
            f"min_block_time = {args.min_block_time}",
            "epoch_length = 10",
            f"minimum_stake = {DEVNET_STAKE}",
        ]
        given = _roles(args.role)
        unknown = set(given) - set(DEVNET_ROLES)
        if unknown:
            known = ", ".join(DEVNET_ROLES)
            raise SystemExit(f"--role: unknown role(s) {sorted(unknown)}; the roles are {known}")
        roles = {
            name: given.get(name) or generate_key_file(directory / f"{name}.json", entropy=os.urandom(64))
            for name in DEVNET_ROLES
        }
        funds = _pairs(args.fund, "--fund")
        funded = {BlsPublicKey.from_hex(key) for key, _ in funds}
        funds += [("0x" + key.hex(), DEVNET_ROLE_FUNDS) for key in roles.values() if key not in funded]
        for key, amount in funds:
            lines += ["", "[[accounts]]", f'public_key = "{key}"', f"balance = {amount}"]
        for node in nodes:
            lines += [
                "",
                "[[provisioners]]",
                f'public_key = "{node["public_key"]}"',
                f"stake = {DEVNET_STAKE}",
            ]
        contracts = _devnet_contracts(roles, args.shielded_currency)
        for name, code, nonce, owner, init_args in contracts:
            lines += ["", "[[contracts]]", f'name = "{name}"', f'code = "{code}"', f"nonce = {nonce}"]
            lines.append(f'owner = "0x{owner.hex()}"')
            if init_args:
                lines.append(f'init_args = "0x{init_args.hex()}"')
        lines += _verifying_key_lines(committed_circuit_keys())
        if any(name == "phoenix" for name, *_ in contracts):
            lines.insert(2, 'note_authority = "phoenix"')
        if any(name == "citadel" for name, *_ in contracts):
            lines.insert(2, 'licence_authority = "citadel"')
        (directory / "genesis.toml").write_text("\n".join(lines) + "\n")
        genesis = load_genesis_config(directory / "genesis.toml")
        deployed = {
            contract.name: "0x" + compute_contract_id(contract.bytecode, contract.nonce, contract.owner).hex()
            for contract in genesis.contracts
        }
        devnet = {
            "network_id": args.chain_id,
            "nodes": nodes,
            "roles": {name: f"{name}.json" for name in roles if name not in given},
            "role_keys": {name: "0x" + key.hex() for name, key in roles.items()},
            "contracts": deployed,
        }
        config_file.write_text(json.dumps(devnet, indent=2) + "\n")
        print(f"devnet of {args.nodes} provisioners written to {directory}")
    if args.init_only:
        return 0
    config = json.loads(config_file.read_text())
    children = [
        subprocess.Popen(  # noqa: S603 - our own interpreter and CLI
            [sys.executable, "-m", "chain", "run", "--devnet", str(config_file), "--index", str(n["index"])]
        )
        for n in config["nodes"]
    ]

    def stop(*_: object) -> None:
        for child in children:
            if child.poll() is None:
                child.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    codes = [child.wait() for child in children]
    return max(codes, default=0)


#: Seconds a node has to stop after SIGTERM or SIGINT before it exits at once. Stopping is
#: always safe (every block commit is one LMDB transaction, the signing record is written by
#: rename; SIGKILL at any point is tested), but a node whose event loop is busy applying
#: synced blocks could otherwise outlast its supervisor's patience (supervisord: 15 s).
STOP_GRACE_SECONDS = 10.0


def _serve(app: object, host: str, port: int) -> None:
    """``aiohttp.web.run_app`` with a bounded stop: SIGTERM or SIGINT raises ``GracefulExit``
    in the main thread (so even a loop busy in a long callback stops there) and starts a timer
    that ends the process after :data:`STOP_GRACE_SECONDS` if the clean-up has not."""
    import signal
    import threading

    from aiohttp import web

    def stop(signum: int, frame: object) -> None:
        timer = threading.Timer(STOP_GRACE_SECONDS, _exit_now, args=(signum,))
        timer.daemon = True
        timer.start()
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        raise web.GracefulExit()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    web.run_app(app, host=host, port=port, print=None, shutdown_timeout=5, handle_signals=False)  # type: ignore[arg-type]


def _exit_now(signum: int) -> None:
    logging.getLogger("chain").warning(
        "signal %d: not stopped after %.0f s, exiting now", signum, STOP_GRACE_SECONDS
    )
    os._exit(1)


def _run_devnet_node(args: argparse.Namespace) -> int:
    import json

    from aiohttp import web

    from chain.node.consensus_runner import ConsensusRunner
    from chain.node.node import ChainNode
    from chain.node.rpc import RpcServer
    from chain.node.signing_record import FileSigningRecord
    from chain.state.lmdb_store import LmdbStore

    config_file = Path(args.devnet)
    config = json.loads(config_file.read_text())
    me = config["nodes"][args.index]
    directory = config_file.parent
    genesis = load_genesis_config(directory / "genesis.toml")
    secret = load_key_file(directory / me["key_file"])
    peers = [
        (BlsPublicKey.from_hex(n["public_key"]), n.get("host", "127.0.0.1"), int(n["p2p_port"]))
        for n in config["nodes"]
        if n["index"] != args.index
    ]
    data_dir = Path(args.data_dir) if args.data_dir else directory / me["data_dir"]
    store = LmdbStore(data_dir)
    node = ChainNode(store=store, genesis=genesis, generator_key=None)
    server = RpcServer(node, block_interval=1.0, verify_workers=1)
    runner = ConsensusRunner(
        node=node,
        secret_key=secret,
        network_id=int(config["network_id"]),
        listen=(args.host, int(me["p2p_port"])),
        peers=peers,
        timing=_devnet_timing(),
        signing_record=FileSigningRecord(data_dir),
    )
    node.on_transaction_admitted = runner.gossip_transaction
    app = server.make_app()

    async def start_consensus(app: web.Application) -> None:
        await runner.start()

    async def stop_consensus(app: web.Application) -> None:
        await runner.close()

    app.on_startup.append(start_consensus)
    app.on_cleanup.append(stop_consensus)
    logging.getLogger("chain").info(
        "devnet node %d: rpc %s:%d, p2p %s:%d, data %s",
        args.index,
        args.host,
        me["rpc_port"],
        args.host,
        me["p2p_port"],
        data_dir,
    )
    try:
        _serve(app, args.host, int(me["rpc_port"]))
    finally:
        store.close()
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    if args.devnet:
        return _run_devnet_node(args)

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
        _serve(server.make_app(), args.host, args.port)
    finally:
        store.close()
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from chain.tools.simulator import SimConfig, run_simulation

    violations = 0
    totals = {
        "rounds": 0,
        "final": 0,
        "blocks": 0,
        "reverts": 0,
        "failed": 0,
        "faults": 0,
        "evidence": 0,
        "carried": 0,
    }
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
        totals["final"] += min(report.final_heights)
        totals["blocks"] += report.blocks_committed
        totals["reverts"] += report.reverts
        totals["failed"] += report.iterations_failed
        totals["faults"] += sum(report.faults_injected.values())
        totals["evidence"] += report.evidence_found
        totals["carried"] += report.faults_carried
    print(
        f"{args.seeds} seeds, {args.nodes} nodes: {totals['rounds']} rounds committed on every node "
        f"({totals['final']} Final on every node), {totals['blocks']} block commits, "
        f"{totals['reverts']} reverts (fork choice), {totals['failed']} failed iterations, "
        f"{totals['faults']} faults injected, {totals['evidence']} pieces of fault evidence "
        f"({totals['carried']} carried in Final blocks and slashed), "
        f"{violations} invariant violations ({time.monotonic() - started:.0f} s)"
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
    genesis.add_argument(
        "--verifying-key",
        action="append",
        default=[],
        metavar="CIRCUIT",
        help="register circuits/build/CIRCUIT.vk",
    )
    genesis.set_defaults(func=cmd_genesis)
    run = sub.add_parser("run", help="run a node with its RPC API")
    run.add_argument("--data-dir")
    run.add_argument("--genesis")
    run.add_argument("--devnet", help="devnet.json of `devnet`: run provisioner --index with consensus")
    run.add_argument("--index", type=int, default=0)
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
    devnet = sub.add_parser("devnet", help="create (once) and run a local devnet of provisioners")
    devnet.add_argument("--nodes", type=int, default=4)
    devnet.add_argument("--dir", required=True)
    devnet.add_argument("--chain-id", type=int, default=71)
    devnet.add_argument("--rpc-base-port", type=int, default=9100)
    devnet.add_argument("--p2p-base-port", type=int, default=9200)
    devnet.add_argument(
        "--peer-host",
        default="127.0.0.1",
        help="where the other provisioners reach node {index} (a template: 'node-{index}' in Docker)",
    )
    devnet.add_argument("--fund", action="append", default=[], metavar="0xPK=LUX")
    devnet.add_argument(
        "--role",
        action="append",
        default=[],
        metavar="NAME=0xPK",
        help="use this public key for a role (operator, cash_issuer) instead of generating a key file",
    )
    devnet.add_argument(
        "--min-block-time",
        type=int,
        default=1,
        help="least seconds between blocks (genesis; 0: as fast as consensus, for tests)",
    )
    devnet.add_argument(
        "--shielded-currency",
        choices=sorted(DEVNET_CASH_TOKENS),
        default="EUR",
        help="the cash token the phoenix contract holds for shielded notes (genesis)",
    )
    devnet.add_argument("--init-only", action="store_true", help="write the devnet files and exit")
    devnet.set_defaults(func=cmd_devnet)
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
