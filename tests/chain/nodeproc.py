"""A real node process on loopback for tests (``python -m chain run``)."""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from chain.node.client import NodeClient, RpcError
from tests import testmarks
from tests.chain.helpers import CHAIN_ID

ROOT = Path(__file__).resolve().parents[2]


def free_ports(n: int) -> list[int]:
    """``n`` distinct loopback ports that were free a moment ago (bound together, released)."""
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [int(s.getsockname()[1]) for s in sockets]
    for s in sockets:
        s.close()
    return ports


class NodeProcess:
    def __init__(self, tmp: Path) -> None:
        testmarks.require_marker("devnet")
        self.tmp = tmp
        (self.port,) = free_ports(1)
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.log = tmp / "node.log"

    def chain(self, *args: str) -> None:
        subprocess.run([sys.executable, "-m", "chain", *args], cwd=ROOT, check=True, capture_output=True)

    def setup(self, funds: dict[str, int]) -> None:
        """Authority key and a genesis funding ``funds`` (public key hex → Lux)."""
        self.chain("keys", "--out", str(self.tmp / "authority.json"))
        fund_args = [a for key, lux in funds.items() for a in ("--fund", f"0x{key.removeprefix('0x')}={lux}")]
        genesis = ["genesis", "--out", str(self.tmp / "genesis.toml"), "--chain-id", str(CHAIN_ID)]
        self.chain(*genesis, "--min-block-time", "1", *fund_args)

    def start(self) -> None:
        with self.log.open("ab") as sink:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "chain",
                    "run",
                    "--data-dir",
                    str(self.tmp / "data"),
                    "--genesis",
                    str(self.tmp / "genesis.toml"),
                    "--key",
                    str(self.tmp / "authority.json"),
                    "--port",
                    str(self.port),
                    "--block-interval",
                    "0.3",
                ],
                cwd=ROOT,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        with NodeClient([self.url], timeout=1, attempts=1) as client:
            while True:
                try:
                    client.get_head()
                    return
                except RpcError:
                    if time.monotonic() > deadline or self.process.poll() is not None:
                        raise RuntimeError(self.log.read_text()) from None
                    time.sleep(0.2)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextlib.contextmanager
def running_node(tmp: Path, *, funds: dict[str, int]) -> Iterator[NodeProcess]:
    """Start a producing node funded with ``funds``; stop it afterwards."""
    process = NodeProcess(tmp)
    process.setup(funds)
    process.start()
    try:
        yield process
    finally:
        process.stop()
