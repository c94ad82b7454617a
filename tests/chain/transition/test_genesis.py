"""Genesis parsing: malformed files raise ``InvalidGenesis`` naming the problem, never a raw
``TypeError``; amounts are whole numbers; provisioner keys must be usable keys."""

from __future__ import annotations

from typing import Any

import pytest

from chain.node.commit import commit_genesis
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


ALICE_HEX = "0x" + ALICE.public.hex()


def _genesis_store(config):
    from chain.state.memory import MemoryStore

    store = MemoryStore()
    block = commit_genesis(store, config)
    return store, block


def test_genesis_contracts_are_deployed_with_their_init():
    from chain.state.state import State
    from chain.vm.ids import compute_contract_id
    from chain.vm.session import BlockInfo, VmSession

    init = "0x" + (77).to_bytes(8, "little").hex()
    raw = _raw(contracts=[{"code": "counter", "owner": ALICE_HEX, "nonce": 4, "init_args": init}])
    config = parse_genesis_config(raw)
    store, block = _genesis_store(config)
    counter = compute_contract_id(config.contracts[0].bytecode, 4, ALICE.public)
    with store.read_view() as view:
        answer = VmSession(State(view), BlockInfo(0, GENESIS_TIME, CHAIN_ID)).query(counter, "get", b"")
    assert int.from_bytes(answer, "little") == 77
    # The same file gives the same genesis state root on every node.
    assert _genesis_store(parse_genesis_config(raw))[1].header.state_root == block.header.state_root


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ({"code": "no_such_contract", "owner": ALICE_HEX}, "bad_contract"),
        ({"code": "../etc/passwd", "owner": ALICE_HEX}, "bad_contract"),
        ({"code": "counter"}, "bad_contract"),
        ({"code": "counter", "owner": ALICE_HEX, "init_args": "0xzz"}, "bad_contract"),
        ({"code": "counter", "owner": ALICE_HEX, "nonce": -1}, "bad_contract"),
    ],
)
def test_invalid_genesis_contract_entries(entry, reason):
    with pytest.raises(InvalidGenesis) as error:
        parse_genesis_config(_raw(contracts=[entry]))
    assert error.value.reason == reason


@pytest.mark.parametrize(
    "contracts",
    [
        [{"code": "counter", "owner": ALICE_HEX, "init_args": "0x01"}],  # init panics
        [{"code": "echo", "owner": ALICE_HEX}, {"code": "echo", "owner": ALICE_HEX}],  # one id twice
    ],
)
def test_invalid_genesis_contract_that_cannot_be_deployed(contracts):
    with pytest.raises(InvalidGenesis) as error:
        _genesis_store(parse_genesis_config(_raw(contracts=contracts)))
    assert error.value.reason == "bad_contract"


def test_genesis_contracts_are_named_once_each():
    from chain.vm.ids import compute_contract_id

    two: list[dict[str, object]] = [
        {"code": "echo", "owner": ALICE_HEX},
        {"code": "echo", "owner": ALICE_HEX, "nonce": 1, "name": "echo_two"},
    ]
    config = parse_genesis_config(_raw(contracts=two))
    assert [c.name for c in config.contracts] == ["echo", "echo_two"]
    assert compute_contract_id(config.contracts[1].bytecode, 1, ALICE.public) != compute_contract_id(
        config.contracts[0].bytecode, 0, ALICE.public
    )
    with pytest.raises(InvalidGenesis) as error:
        parse_genesis_config(_raw(contracts=[two[0], {**two[1], "name": "echo"}]))
    assert error.value.reason == "bad_contract"
    with pytest.raises(InvalidGenesis):
        parse_genesis_config(_raw(contracts=[{**two[0], "name": "not an identifier"}]))


# -- verifying keys (docs/zk.md, "Verification in the chain") ---------------------------------


def _vk_bytes() -> bytes:
    from chain.transition.genesis import CIRCUITS_DIR

    return (CIRCUITS_DIR / "range_product.vk").read_bytes()


def test_verifying_keys_by_circuit_or_hex_are_registered_in_the_genesis_state():
    from chain.crypto.groth16 import compute_vk_id
    from chain.state.memory import MemoryStore
    from chain.state.state import State
    from chain.state.verifying_keys import list_verifying_keys
    from chain.transition.genesis import apply_genesis

    vk = _vk_bytes()
    by_name = parse_genesis_config(_raw(verifying_keys=[{"circuit": "range_product"}]))
    by_hex = parse_genesis_config(_raw(verifying_keys=[{"key": "0x" + vk.hex()}]))
    assert by_name.verifying_keys == by_hex.verifying_keys == (vk,)
    with MemoryStore().read_view() as view:
        state = State(view)
        apply_genesis(state, by_name)
        assert list_verifying_keys(state) == [(compute_vk_id(vk), 2)]


def test_a_genesis_without_verifying_keys_gives_the_same_block_as_before():
    from chain.state.memory import MemoryStore
    from chain.state.state import State
    from chain.transition.genesis import apply_genesis
    from chain.transition.roots import compute_block_hash

    def block_hash(raw: dict[str, Any]) -> bytes:
        with MemoryStore().read_view() as view:
            return compute_block_hash(apply_genesis(State(view), parse_genesis_config(raw)).header)

    assert parse_genesis_config(_raw()).verifying_keys == ()
    assert block_hash(_raw()) == block_hash(_raw(verifying_keys=[]))
    assert block_hash(_raw()) != block_hash(_raw(verifying_keys=[{"circuit": "range_product"}]))


@pytest.mark.parametrize(
    "entries",
    [
        [{"circuit": "no_such_circuit"}],
        [{"circuit": "../build/range_product"}],
        [{"circuit": "range_product", "key": "0x00"}],
        [{}],
        [{"key": "0xzz"}],
        [{"key": "0x" + "00" * 484}],
        [{"circuit": "range_product"}, {"circuit": "range_product"}],
        [{"circuit": "range_product", "extra": 1}],
        ["range_product"],
    ],
)
def test_invalid_verifying_key_entries_are_refused(entries):
    with pytest.raises(InvalidGenesis) as error:
        parse_genesis_config(_raw(verifying_keys=entries))
    assert error.value.reason in {"bad_verifying_key", "bad_entry"}


def test_the_cli_devnet_and_genesis_register_the_committed_circuit_keys(tmp_path):
    from chain.crypto.groth16 import compute_vk_id
    from chain.node.cli import main
    from chain.transition.genesis import CIRCUITS_DIR, load_genesis_config

    committed = sorted(path.read_bytes() for path in CIRCUITS_DIR.glob("*.vk"))
    assert committed  # range_product at least
    assert main(["devnet", "--dir", str(tmp_path / "devnet"), "--nodes", "1", "--init-only"]) == 0
    devnet = load_genesis_config(tmp_path / "devnet" / "genesis.toml")
    assert sorted(devnet.verifying_keys) == committed
    out = tmp_path / "genesis.toml"
    fund = f"0x{ALICE.public.hex()}=100"
    argv = [
        "genesis",
        "--out",
        str(out),
        "--chain-id",
        "9",
        "--fund",
        fund,
        "--verifying-key",
        "range_product",
    ]
    assert main(argv) == 0
    keys = load_genesis_config(out).verifying_keys
    assert [compute_vk_id(key) for key in keys] == [
        compute_vk_id((CIRCUITS_DIR / "range_product.vk").read_bytes())
    ]


# -- the note authority (docs/zk.md "Note authority") -----------------------------------------


def test_the_note_authority_names_a_genesis_contract_and_is_written_once():
    from chain.state.note_tree import NoteTree
    from chain.state.state import State
    from chain.vm.ids import compute_contract_id

    contracts: list[dict[str, object]] = [
        {"code": "echo", "owner": ALICE_HEX},
        {"code": "echo", "owner": ALICE_HEX, "nonce": 1, "name": "pool"},
    ]
    config = parse_genesis_config(_raw(contracts=contracts, note_authority="pool"))
    store, _ = _genesis_store(config)
    with store.read_view() as view:
        assert NoteTree(State(view)).authority() == compute_contract_id(
            config.contracts[1].bytecode, 1, ALICE.public
        )
    without = parse_genesis_config(_raw(contracts=contracts))
    store, _ = _genesis_store(without)
    with store.read_view() as view:
        assert NoteTree(State(view)).authority() is None
    for bad in ("nobody", 7, ["pool"]):
        with pytest.raises(InvalidGenesis) as error:
            parse_genesis_config(_raw(contracts=contracts, note_authority=bad))
        assert error.value.reason == "bad_note_authority"


# -- the licence authority (docs/zk.md "Citadel on chain") ------------------------------------


def test_the_licence_authority_names_a_genesis_contract_apart_from_the_note_authority():
    from chain.state.licence_tree import LicenceTree
    from chain.state.note_tree import NoteTree
    from chain.state.state import State
    from chain.vm.ids import compute_contract_id

    contracts: list[dict[str, object]] = [
        {"code": "echo", "owner": ALICE_HEX, "name": "pool"},
        {"code": "echo", "owner": ALICE_HEX, "nonce": 1, "name": "licences"},
    ]
    config = parse_genesis_config(
        _raw(contracts=contracts, note_authority="pool", licence_authority="licences")
    )
    store, _ = _genesis_store(config)
    with store.read_view() as view:
        state = State(view)
        assert LicenceTree(state).authority() == compute_contract_id(
            config.contracts[1].bytecode, 1, ALICE.public
        )
        assert NoteTree(state).authority() == compute_contract_id(
            config.contracts[0].bytecode, 0, ALICE.public
        )
    store, _ = _genesis_store(parse_genesis_config(_raw(contracts=contracts)))
    with store.read_view() as view:
        assert LicenceTree(State(view)).authority() is None
    for bad in ("nobody", 7, ["licences"]):
        with pytest.raises(InvalidGenesis) as error:
            parse_genesis_config(_raw(contracts=contracts, licence_authority=bad))
        assert error.value.reason == "bad_licence_authority"
