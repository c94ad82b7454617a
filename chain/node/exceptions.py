"""Errors of ``chain.node``: one tree with stable ``reason`` codes (they reach RPC clients)."""

from __future__ import annotations

from chain.types.exceptions import ReasonError


class NodeError(ReasonError):
    reason: str = "node_error"


class MempoolRejected(NodeError):
    """The mempool refused a transaction."""


class NotFound(NodeError):
    reason = "not_found"


class RpcError(NodeError):
    """An RPC call failed; raised by ``chain.node.client``."""
