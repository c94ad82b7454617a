"""A 4-provisioner devnet of real processes on loopback, for tests and benchmarks."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chain.node.client import NodeClient, RpcError
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
        self, directory: Path, *, funds: dict[str, int], roles: dict[str, str] | None = None
    ) -> None:
        """Write the devnet (ports chosen free for this run); ``funds``: key hex → Lux;
        ``roles``: role name → public key hex held by the caller (else a key file is made)."""
        self.directory = directory
        ports = free_ports(8)  # one call: all eight distinct
        rpc, p2p = ports[:4], ports[4:]
        fund_args = [a for key, lux in funds.items() for a in ("--fund", f"0x{key.removeprefix('0x')}={lux}")]
        fund_args += [a for role, key in (roles or {}).items() for a in ("--role", f"{role}={key}")]
        command = [sys.executable, "-m", "chain", "devnet", "--nodes", "4", "--dir", str(directory)]
        subprocess.run(
            [*command, "--init-only", "--chain-id", "71", *fund_args],
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

    def start(self, index: int) -> None:
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
