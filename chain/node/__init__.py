"""Composition root: mempool, RPC, CLI. ``chain.node.client`` is the apps' only way in."""
