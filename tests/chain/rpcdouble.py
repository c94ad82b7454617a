"""A real loopback HTTP JSON-RPC server standing in for a node peer whose state a test sets
(e.g. syncing, far behind, not producing), which a real node cannot be made on demand.

It answers ``get_status`` with ``status``, ``get_head`` from it, and ``submit_transaction(s)``
with the transactions' ids (recording them); every call's method is kept in ``calls``.
``down()`` makes it answer HTTP 503 to everything.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def node_status(height: int = 100, **fields: Any) -> dict[str, Any]:
    """A ``get_status`` result of a current rolling-finality node at ``height``, with
    ``fields`` replaced (the contract of chain/node/rpc.py's ``get_status``)."""
    status: dict[str, Any] = {
        "chain_id": 71,
        "head_height": height,
        "head_hash": "0x" + "ab" * 32,
        "mempool_size": 0,
        "head_timestamp": 1_800_000_000,
        "final_height": height - 2,
        "final_age_seconds": 1.0,
        "syncing": False,
        "best_peer_height": height,
        "behind": 0,
        "producing": True,
        "finality_rule": "rolling",
        "consensus": {},
        "genesis_contracts": {},
    }
    return status | fields


class RpcDouble:
    def __init__(self, status: dict[str, Any]) -> None:
        self.status = status
        self.calls: list[str] = []
        self.submitted: list[str] = []
        self.is_down = False
        double = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                double.calls.append(request["method"])
                if double.is_down:
                    self.send_response(503)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = json.dumps(
                    {"jsonrpc": "2.0", "id": request["id"], "result": double.answer(request)}
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def answer(self, request: dict[str, Any]) -> Any:
        method, params = request["method"], request.get("params") or {}
        if method == "get_status":
            return self.status
        if method == "get_head":
            head = {"height": self.status["head_height"], "hash": "0x01", "timestamp": 5}
            return head | {"state_root": "0x02", "finality": "Final"}
        if method == "submit_transaction":
            self.submitted.append(params["transaction"])
            return {"tx_id": "0x" + "11" * 32}
        if method == "submit_transactions":
            self.submitted += params["transactions"]
            return {"results": [{"tx_id": "0x" + "11" * 32} for _ in params["transactions"]]}
        return {}

    def down(self) -> None:
        self.is_down = True

    def method_calls(self, method: str) -> int:
        return self.calls.count(method)


@contextlib.contextmanager
def rpc_double(status: dict[str, Any]) -> Iterator[RpcDouble]:
    double = RpcDouble(status)
    thread = threading.Thread(target=double.server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield double
    finally:
        double.server.shutdown()
        double.server.server_close()
