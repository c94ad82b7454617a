"""A 4-provisioner devnet of real processes on loopback, for tests and benchmarks."""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from chain.node.client import NodeClient, RpcError
from tests import testmarks
from tests.chain.helpers import Keypair
from tests.chain.nodeproc import free_ports

ROOT = Path(__file__).resolve().parents[2]


def wait_for(predicate: Callable[[], Any], timeout: float = 60.0, poll: float = 0.25) -> Any:
    """``predicate()``'s first truthy value, asked every ``poll`` seconds; ``AssertionError``
    after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(poll)
    raise AssertionError("timed out")


class Devnet:
    def __init__(
        self,
        directory: Path,
        *,
        funds: dict[str, int],
        roles: dict[str, str] | None = None,
        min_block_time: int = 1,
        peer_host: str = "127.0.0.1",
    ) -> None:
        """Write the devnet (ports chosen free for this run); ``funds``: key hex → Lux;
        ``roles``: role name → public key hex held by the caller (else a key file is made);
        ``min_block_time``: the genesis parameter (0: blocks as fast as consensus goes);
        ``peer_host``: ``devnet --peer-host`` (where the nodes reach each other)."""
        testmarks.require_marker("devnet")
        self.directory = directory
        ports = free_ports(8)  # one call: all eight distinct
        rpc, p2p = ports[:4], ports[4:]
        fund_args = [a for key, lux in funds.items() for a in ("--fund", f"0x{key.removeprefix('0x')}={lux}")]
        fund_args += [a for role, key in (roles or {}).items() for a in ("--role", f"{role}={key}")]
        command = [sys.executable, "-m", "chain", "devnet", "--nodes", "4", "--dir", str(directory)]
        subprocess.run(
            [
                *command,
                "--init-only",
                "--chain-id",
                "71",
                "--min-block-time",
                str(min_block_time),
                "--peer-host",
                peer_host,
                *fund_args,
            ],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        config = json.loads((directory / "devnet.json").read_text())
        for node, r, p in zip(config["nodes"], rpc, p2p, strict=True):  # free ports for this run
            node["rpc_port"], node["p2p_port"] = r, p
        (directory / "devnet.json").write_text(json.dumps(config))
        self.urls = [f"http://127.0.0.1:{r}" for r in rpc]
        self.processes: list[subprocess.Popen[bytes] | None] = [None] * 4

    def start(self, index: int, *extra: str) -> None:
        """Start node ``index`` (``extra``: more ``chain run`` arguments, e.g. ``--data-dir``)."""
        log = (self.directory / f"node{index}.log").open("ab")
        self.processes[index] = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "chain",
                "run",
                "--devnet",
                str(self.directory / "devnet.json"),
                "--index",
                str(index),
                *extra,
            ],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def kill(self, index: int) -> None:
        process = self.processes[index]
        assert process is not None
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.processes:
            if process is not None and process.poll() is None:
                process.terminate()
        for process in self.processes:
            if process is not None:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()

    def status(self, index: int) -> dict[str, Any] | None:
        """Node ``index``'s ``get_status``, or ``None`` while it does not answer."""
        try:
            with NodeClient([self.urls[index]], timeout=3, attempts=1) as client:
                return client.get_status()
        except RpcError:
            return None

    def head(self, index: int) -> tuple[int, str, str] | None:
        try:
            with NodeClient([self.urls[index]], timeout=1, attempts=1) as client:
                head = client.get_head()
        except RpcError:
            return None
        return head.height, head.hash, head.finality

    def final_height(self, index: int) -> int:
        """The highest height this node labels Final (walking down from its head)."""
        with NodeClient([self.urls[index]], timeout=2, attempts=1) as client:
            height = client.get_head().height
            while height > 0 and client.get_block(height=height)["finality"] != "Final":
                height -= 1
            return height

    def block_hash(self, index: int, height: int) -> str:
        with NodeClient([self.urls[index]], timeout=2, attempts=1) as client:
            return str(client.get_block(height=height)["hash"])


@contextlib.contextmanager
def running_devnet(directory: Path, *, funds: dict[str, int], min_block_time: int = 1) -> Iterator[Devnet]:
    """A :class:`Devnet` with its four nodes started, stopped on exit."""
    net = Devnet(directory, funds=funds, min_block_time=min_block_time)
    for index in range(4):
        net.start(index)
    try:
        yield net
    finally:
        net.stop_all()


def assert_no_fork(net: Devnet, nodes: list[int]) -> None:
    """The nodes' blocks agree up to the lowest of their Final heights."""
    top = min(net.final_height(i) for i in nodes)
    for height in range(1, top + 1):
        assert len({net.block_hash(i, height) for i in nodes}) == 1, f"fork at height {height}"


def settle_a_bond_against_eur(net: Devnet, seller: Keypair) -> None:
    """The genesis contracts end to end on four nodes: the operator trusts itself as KYC
    issuer, verifies ``seller`` (funded with gas in the genesis) and a buyer (the cash
    issuer), deploys a bond that requires KYC
    of its receivers and issues it to the seller; both approve DvP; the seller instructs
    and both affirm; the settlement moves the bond and the EUR on every node alike."""
    import json

    from chain.crypto import bls12_381 as bls
    from chain.node.keys import load_key_file
    from chain.transition.roots import compute_transaction_id
    from chain.types.primitives import U64, ContractId
    from chain.types.transactions import Call, Deploy, Transaction, encode_transaction
    from chain.vm.ids import compute_contract_id
    from tests.chain.helpers import transfer
    from tests.chain.vm.abi import account, contract_address, u8, u32, u64
    from tests.chain.vm.securities import (
        HAS,
        KYC,
        claim_args,
        condition,
        condition_list,
        conditions,
        requirement,
    )

    config = json.loads((net.directory / "devnet.json").read_text())
    keys = {role: load_key_file(net.directory / name) for role, name in config["roles"].items()}
    operator, buyer = (Keypair(keys[r], bls.SkToPk(keys[r])) for r in ("operator", "cash_issuer"))
    registry, cash, dvp = (
        ContractId.from_hex(config["contracts"][n]) for n in ("identity_registry", "cash_token", "dvp")
    )
    with NodeClient([net.urls[0]]) as client:  # the next nonce of each is the chain's + 1
        nonces = {
            key: client.get_account("0x" + bytes(key).hex()).nonce
            for key in (operator.public, buyer.public, seller.public)
        }

    def tx(sender: Keypair, data: Call | Deploy, *, gas_limit: int = 200_000_000) -> Transaction:
        nonces[sender.public] += 1
        price = 2000 if isinstance(data, Deploy) else 1
        return transfer(
            sender,
            sender.public,
            value=0,
            nonce=nonces[sender.public],
            gas_limit=gas_limit,
            gas_price=price,
            chain_id=71,
            data=data,
        )

    def run(*transactions: Transaction) -> list[dict]:
        with NodeClient([net.urls[0]]) as client:
            for t in transactions:
                client.submit_transaction(encode_transaction(t))
            ids = ["0x" + compute_transaction_id(t).hex() for t in transactions]
            wait_for(lambda: all(client.get_transaction(i).status == "included" for i in ids), timeout=90)
            receipts = [client.get_transaction(i).receipt or {} for i in ids]
        assert [r.get("status") for r in receipts] == ["success"] * len(ids), receipts
        return receipts

    seller_, buyer_ = account(seller), account(buyer)
    expiry = int(time.time()) + 10**7
    bytecode = (ROOT / "chain/contracts/build/security_token.wasm").read_bytes()
    bond_init = bytes(operator.public) * 2 + bytes(registry) + b"XS0000000002" + bytes(32) + bytes([0])
    deploy = Deploy(bytecode, operator.public, bond_init, U64(7))
    bond = compute_contract_id(bytecode, 7, operator.public)
    kyc = condition_list(requirement(condition(KYC, HAS)))
    run(
        tx(operator, Call(registry, "add_trusted_issuer", bytes(operator.public) + u32(1 << KYC))),
        tx(operator, Call(registry, "add_claim", claim_args(seller_, KYC, 1, expiry))),
        tx(operator, Call(registry, "add_claim", claim_args(buyer_, KYC, 1, expiry))),
        tx(operator, deploy, gas_limit=400_000_000),
        tx(operator, Call(bond, "set_conditions", conditions(receiver=kyc))),
        tx(operator, Call(bond, "issue", seller_ + u64(1_000))),
        tx(buyer, Call(cash, "mint", buyer_ + u64(50_000))),
    )
    run(
        tx(seller, Call(bond, "approve", contract_address(dvp) + u64(100))),
        tx(buyer, Call(cash, "approve", contract_address(dvp) + u64(9_950))),
    )
    legs = bytes(bond) + seller_ + buyer_ + u64(100) + bytes(cash) + buyer_ + seller_ + u64(9_950)
    created = run(tx(seller, Call(dvp, "create", u8(2) + legs)))
    assert [e["topic"] for e in created[0]["events"]] == ["created"]
    instruction = int.from_bytes(bytes.fromhex(created[0]["events"][0]["data"][2:18]), "little")
    run(tx(seller, Call(dvp, "affirm", u64(instruction))), tx(buyer, Call(dvp, "affirm", u64(instruction))))
    settled = run(tx(seller, Call(dvp, "settle", u64(instruction))))
    assert "settled" in [e["topic"] for e in settled[0]["events"]]

    def balance(index: int, token: ContractId, holder: bytes) -> int:
        with NodeClient([net.urls[index]], timeout=2, attempts=1) as client:
            return int.from_bytes(client.query_contract("0x" + token.hex(), "balance_of", holder), "little")

    expected = {(bond, buyer_): 100, (bond, seller_): 900, (cash, seller_): 9_950, (cash, buyer_): 40_050}
    wait_for(
        lambda: all(balance(i, t, h) == v for i in range(4) for (t, h), v in expected.items()), timeout=60
    )
    assert_no_fork(net, [0, 1, 2, 3])
