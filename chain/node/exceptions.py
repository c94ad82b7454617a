"""Errors of ``chain.node``: one tree with stable ``reason`` codes (they reach RPC clients)."""

from __future__ import annotations


class NodeError(Exception):
    reason: str = "node_error"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        if reason is not None:
            self.reason = reason


class MempoolRejected(NodeError):
    """The mempool refused a transaction."""


class NotFound(NodeError):
    reason = "not_found"


class RpcError(NodeError):
    """An RPC call failed; raised by ``chain.node.client``."""
