"""What the rules are checked against, read from the chain (``ledger.chain``): the security
token's state (``info``, the head's timestamp), each party's balance, frozen flag, valid
claims and (for an instrument whose KYC mode accepts Citadel) its Citadel session for the
token, and the token's own ``check_transfer``. Every read raises ``ChainUnavailable`` (503)
when no node answers; nothing here writes."""

from __future__ import annotations

from collections.abc import Iterable

from chain.node.client import RpcError, contract_abi
from common.exceptions import ChainUnavailable
from compliance.rules import Party, TokenState
from identity.selectors import chain_account_owner_name, chain_account_owners
from issuance.models import Instrument, KycMode
from ledger.chain import get_claims_on_chain, get_genesis_contracts, get_node_client


def address_names(addresses: Iterable[str]) -> dict[str, str]:
    """Hex Address → a readable owner (organisation, or client account with its broker)."""
    return {
        address: chain_account_owner_name(account)[0]
        for address, account in chain_account_owners(addresses).items()
    }


def read_token_state(instrument: Instrument) -> TokenState:
    """The token's ``info`` (paused, holder count, supply) and the head block's timestamp."""
    try:
        with get_node_client() as client:
            info = contract_abi.decode_security_token_info(
                client.query_contract(instrument.contract_id, "info")
            )
            head = client.get_head()
    except RpcError as exc:
        raise ChainUnavailable(f"The security token of {instrument.isin} cannot be read: {exc}") from exc
    return TokenState(
        paused=info.paused, supply=info.total_supply, holder_count=info.holder_count, timestamp=head.timestamp
    )


def read_parties(
    instrument: Instrument, addresses: Iterable[bytes], *, balances: dict[bytes, int] | None = None
) -> dict[bytes, Party]:
    """Each Address's balance (``balance_of``, unless given), frozen flag (``is_frozen``),
    valid claims (the registry's ``claims_of``) and, when the instrument's KYC mode is
    ``citadel`` or ``both``, whether it has a session for the token (the genesis ``citadel``
    contract's ``has_session(holder ‖ token)``, the query the token's condition kind 3 asks;
    docs/contracts.md "citadel"), labelled with its owner's name."""
    unique = list(dict.fromkeys(addresses))
    claims = get_claims_on_chain(unique)
    names = address_names(a.hex() for a in unique)
    parties: dict[bytes, Party] = {}
    citadel = None if instrument.kyc_mode == KycMode.CLAIMS else get_genesis_contracts().get("citadel")
    try:
        with get_node_client() as client:
            token = bytes.fromhex(instrument.contract_id.removeprefix("0x"))
            for address in unique:
                sessions: frozenset[bytes] = frozenset()
                if citadel is not None:
                    key = contract_abi.encode_citadel_session_key(holder=address, service=token)
                    if client.query_contract(citadel, "has_session", key) not in (b"", b"\x00"):
                        sessions = frozenset({bytes.fromhex(citadel.removeprefix("0x"))})
                if balances is not None and address in balances:
                    balance = balances[address]
                else:
                    balance = contract_abi.decode_u64(
                        client.query_contract(instrument.contract_id, "balance_of", address)
                    )
                frozen = client.query_contract(instrument.contract_id, "is_frozen", address) != b"\x00"
                parties[address] = Party(
                    address=address,
                    balance=balance,
                    frozen=frozen,
                    claims=tuple(claims.get(address, ())),
                    citadel_sessions=sessions,
                    label=names.get(address.hex(), "0x" + address.hex()[:14] + "…"),
                )
    except RpcError as exc:
        raise ChainUnavailable(f"The security token of {instrument.isin} cannot be read: {exc}") from exc
    return parties


def check_transfer_on_chain(instrument: Instrument, sender: bytes, receiver: bytes, units: int) -> list[int]:
    """The token's ``check_transfer``: every failing code, in ascending order."""
    try:
        with get_node_client() as client:
            answer = client.query_contract(
                instrument.contract_id, "check_transfer", sender + receiver + contract_abi.encode_u64(units)
            )
    except RpcError as exc:
        raise ChainUnavailable(f"The security token of {instrument.isin} cannot be read: {exc}") from exc
    return [int(c) for c in contract_abi.decode_codes(answer)]
