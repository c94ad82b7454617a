"""Genesis parsing: malformed files raise ``InvalidGenesis`` naming the problem, never a raw
``TypeError``; amounts are whole numbers; provisioner keys must be usable keys."""

from __future__ import annotations

from typing import Any

import pytest

from chain.transition.exceptions import InvalidGenesis
from chain.transition.genesis import parse_genesis_config
from tests.chain.helpers import CHAIN_ID, GENESIS_TIME, keypair

ALICE, PROV = keypair("genesis-alice"), keypair("genesis-prov")
STAKE = 1_000 * 10**9


def _raw(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "chain_id": CHAIN_ID,
        "timestamp": GENESIS_TIME,
        "params": {"min_block_time": 1},
        "accounts": [{"public_key": "0x" + ALICE.public.hex(), "balance": 100}],
        "provisioners": [{"public_key": "0x" + PROV.public.hex(), "stake": STAKE}],
    }
    raw.update(changes)
    return raw


def test_valid_genesis_parses():
    config = parse_genesis_config(_raw())
    assert config.balances == ((ALICE.public, 100),)
    assert config.provisioners == ((PROV.public, STAKE),)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"accounts": ["0x00"]}, "bad_entry"),
        ({"accounts": {"public_key": "0x00"}}, "bad_entry"),
        ({"provisioners": [42]}, "bad_entry"),
        ({"params": [1, 2]}, "bad_param"),
        ({"params": {"min_block_time": 1.5}}, "bad_param"),
        ({"params": {"block_gas_limit": True}}, "bad_param"),
        ({"chain_id": 7.9}, "bad_header"),
        ({"accounts": [{"public_key": "0x" + ALICE.public.hex(), "balance": 1.9}]}, "bad_amount"),
        ({"accounts": [{"public_key": "0x" + ALICE.public.hex(), "balance": True}]}, "bad_amount"),
        ({"accounts": [{"public_key": "0x" + ALICE.public.hex(), "balance": "100"}]}, "bad_amount"),
        ({"provisioners": [{"public_key": "0x" + PROV.public.hex(), "stake": float(STAKE)}]}, "bad_amount"),
        ({"provisioners": [{"public_key": "0x" + bytes(48).hex(), "stake": STAKE}]}, "bad_key"),
        ({"provisioners": [{"public_key": "0x" + (b"\x01" * 48).hex(), "stake": STAKE}]}, "bad_key"),
    ],
)
def test_invalid_genesis_shapes(changes: dict[str, Any], reason: str) -> None:
    with pytest.raises(InvalidGenesis) as error:
        parse_genesis_config(_raw(**changes))
    assert error.value.reason == reason
