"""The platform's door to the chain: a ``NodeClient`` for the configured nodes.

Apps import chain code only through ``chain.node.client`` (DESIGN.md, Layout); this module
builds the client from ``GLOAM_NODE_URLS``.
"""

from __future__ import annotations

from django.conf import settings

from chain.node.client import NodeClient


def is_chain_configured() -> bool:
    return bool(settings.GLOAM_NODE_URLS)


def get_node_client(*, timeout: float = 5.0, attempts: int = 3) -> NodeClient:
    """A client of ``GLOAM_NODE_URLS``; raises ``RpcError(reason="not_configured")`` if empty."""
    return NodeClient(list(settings.GLOAM_NODE_URLS), timeout=timeout, attempts=attempts)
