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


_genesis_contracts: dict[tuple[str, ...], dict[str, str]] = {}


def get_genesis_contracts() -> dict[str, str]:
    """Name → id (0x hex) of the chain's genesis contracts (``cash_token``,
    ``identity_registry``, ``dvp``), asked of the nodes once per process (a genesis never
    changes). Raises ``RpcError`` if no node answers."""
    urls = tuple(settings.GLOAM_NODE_URLS)
    if urls not in _genesis_contracts:
        with get_node_client() as client:
            _genesis_contracts[urls] = client.get_genesis_contracts()
    return dict(_genesis_contracts[urls])
