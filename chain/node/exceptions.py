"""Errors of ``chain.node``: one tree with stable ``reason`` codes (they reach RPC clients)."""

from __future__ import annotations

from chain.types.exceptions import ReasonError


class NodeError(ReasonError):
    reason: str = "node_error"


class MempoolRejected(NodeError):
    """The mempool refused a transaction."""


class ReplaceRefused(NodeError):
    """Fork choice (reference §1.7) refused to replace the tip; the chain is unchanged.

    Reasons: ``not_better`` (not the tip's height and parent at a lower iteration),
    ``tip_is_final`` (a revert never passes a Final block or genesis), ``bad_attestation``
    (it does not attest the block as Valid for the tip's round), a store ``RevertRefused``
    reason (``wrong_head``, ``no_undo_record``), ``does_not_apply`` (the block fails the state
    transition on the common ancestor; the old tip is put back).
    """

    reason = "replace_refused"


class NotFound(NodeError):
    reason = "not_found"


class RpcError(NodeError):
    """An RPC call failed; raised by ``chain.node.client``."""
