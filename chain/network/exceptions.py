"""Errors of ``chain.network``: one tree with stable ``reason`` codes."""

from __future__ import annotations

from chain.types.exceptions import ReasonError


class NetworkError(ReasonError):
    """Root of the ``chain.network`` errors."""

    reason = "network_error"


class HandshakeFailed(NetworkError):
    """The peer did not prove its key, is not an allowed peer, or spoke another network."""

    reason = "handshake_failed"


class FrameRejected(NetworkError):
    """A frame that fails authentication, is replayed, reordered or too large."""

    reason = "frame_rejected"
