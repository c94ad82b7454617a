"""The platform's door to the chain: a ``NodeClient`` for the configured nodes.

Apps import chain code only through ``chain.node.client`` (DESIGN.md, Layout); this module
builds the client from ``GLOAM_NODE_URLS``.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings

from chain.node.client import NodeClient, RpcError, contract_abi
from common.exceptions import ChainUnavailable

#: Gas for a DvP ``settle_batch`` (netting cycles, corporate action payments): a leg costs
#: about 1.09 million (a cash transfer to a new holder) to 1.14 million (a security transfer
#: with sender and receiver conditions), measured on the real contracts
#: (tests/corporate_actions/test_corporate_action_capacity.py, docs/benchmarks.md); a full batch of
#: 2,040 cash legs takes 2.21 billion. Below the block's 3 billion (reference §2.4).
DVP_SETTLE_BATCH_GAS = 2_600_000_000


def is_chain_configured() -> bool:
    return bool(settings.GLOAM_NODE_URLS)


def get_node_client(*, timeout: float = 5.0, attempts: int = 3) -> NodeClient:
    """A client of ``GLOAM_NODE_URLS``; raises ``RpcError(reason="not_configured")`` if empty."""
    return NodeClient(list(settings.GLOAM_NODE_URLS), timeout=timeout, attempts=attempts)


_genesis_contracts: dict[tuple[str, ...], dict[str, str]] = {}


def get_genesis_contracts() -> dict[str, str]:
    """Name → id (0x hex) of the chain's genesis contracts (``cash_token``,
    ``identity_registry``, ``dvp``), asked of the nodes once per process (a genesis never
    changes). Raises ``ChainUnavailable`` if no node answers."""
    urls = tuple(settings.GLOAM_NODE_URLS)
    if urls not in _genesis_contracts:
        try:
            with get_node_client() as client:
                _genesis_contracts[urls] = client.get_genesis_contracts()
        except RpcError as exc:
            raise ChainUnavailable(f"The chain's genesis contracts are unknown: {exc}") from exc
    return dict(_genesis_contracts[urls])


_cash_tokens: dict[tuple[str, ...], dict[str, str]] = {}


def get_cash_tokens() -> dict[str, str]:
    """ISO 4217 currency → id (0x hex) of the genesis cash token in it (each genesis contract
    named ``cash_token…`` answers ``info`` with ``issuer[48] ‖ currency[3] ‖ decimals``;
    docs/contracts.md). Asked once per process."""
    urls = tuple(settings.GLOAM_NODE_URLS)
    if urls not in _cash_tokens:
        tokens = {}
        try:
            with get_node_client() as client:
                for name, contract_id in get_genesis_contracts().items():
                    if name.startswith("cash_token"):
                        info = client.query_contract(contract_id, "info")
                        tokens[info[48:51].decode("ascii")] = contract_id
        except RpcError as exc:
            raise ChainUnavailable(f"The chain's cash tokens are unknown: {exc}") from exc
        _cash_tokens[urls] = tokens
    return dict(_cash_tokens[urls])


def get_claims_on_chain(addresses: Sequence[bytes]) -> dict[bytes, list[contract_abi.Claim]]:
    """The valid claims (not revoked, not expired at the head's timestamp, issuer trusted) of
    each 49-byte Address, from the genesis identity registry's ``claims_of``
    (docs/contracts.md). Raises ``ChainUnavailable`` if no node answers."""
    registry = get_genesis_contracts()["identity_registry"]
    claims: dict[bytes, list[contract_abi.Claim]] = {}
    try:
        with get_node_client() as client:
            for address in dict.fromkeys(addresses):
                answer = client.query_contract(registry, "claims_of", address)
                claims[address] = contract_abi.decode_claims(answer)
    except RpcError as exc:
        raise ChainUnavailable(f"The identity registry cannot be read: {exc}") from exc
    return claims
