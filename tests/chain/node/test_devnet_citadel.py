"""``python -m chain devnet``'s genesis contracts (chain/node/cli.py ``_devnet_contracts``): the
``citadel`` contract joins them, as the devnet's licence authority, exactly when the Citadel
licence circuit has a committed key (docs/zk.md "Citadel on chain")."""

from __future__ import annotations

from chain.crypto import groth16
from chain.node import cli
from chain.node.contract_abi import encode_citadel_init, get_contract_code
from chain.transition.genesis import CIRCUITS_DIR, load_genesis_config
from chain.vm.ids import compute_contract_id
from tests.chain.helpers import keypair

OPERATOR = keypair("devnet-operator")


def test_the_devnet_deploys_citadel_only_when_its_circuit_has_a_key(tmp_path, monkeypatch):
    """``_devnet_contracts`` adds ``citadel`` (owner and operator the operator role, the key id
    of ``citadel_license.vk``) exactly when that key is committed, as it does for phoenix."""
    roles = {"operator": OPERATOR.public, "cash_issuer": OPERATOR.public}
    monkeypatch.setattr(cli, "CIRCUITS_DIR", tmp_path)
    assert "citadel" not in [name for name, *_ in cli._devnet_contracts(roles)]
    key = (CIRCUITS_DIR / "range_product.vk").read_bytes()  # any valid key stands in for it
    (tmp_path / "citadel_license.vk").write_bytes(key)
    [citadel] = [c for c in cli._devnet_contracts(roles) if c[0] == "citadel"]
    vk_id = bytes(groth16.compute_vk_id(groth16.decode_verifying_key(key).encoded))
    init = encode_citadel_init(operator_key=bytes(OPERATOR.public), vk_id=vk_id)
    assert citadel == ("citadel", "citadel", 0, OPERATOR.public, init)


def test_a_devnet_with_the_citadel_key_names_citadel_the_licence_authority(tmp_path, monkeypatch):
    from chain.state import MemoryStore
    from chain.state.licence_tree import LicenceTree
    from chain.state.state import State
    from chain.transition.genesis import apply_genesis

    circuits = tmp_path / "circuits"
    circuits.mkdir()
    (circuits / "citadel_license.vk").write_bytes((CIRCUITS_DIR / "range_product.vk").read_bytes())
    monkeypatch.setattr(cli, "CIRCUITS_DIR", circuits)
    monkeypatch.setattr(cli, "committed_circuit_keys", list)
    args = cli.build_parser().parse_args(
        ["devnet", "--dir", str(tmp_path / "net"), "--nodes", "1", "--init-only"]
    )
    assert args.func(args) == 0
    config = load_genesis_config(tmp_path / "net" / "genesis.toml")
    assert config.licence_authority == "citadel"
    [citadel] = [c for c in config.contracts if c.name == "citadel"]
    state = State(MemoryStore())
    apply_genesis(state, config)
    assert LicenceTree(state).authority() == compute_contract_id(
        citadel.bytecode, citadel.nonce, citadel.owner
    )


def test_the_devnets_phoenix_holds_the_cash_token_of_the_shielded_currency():
    """``--shielded-currency`` (``GLOAM_SHIELDED_CURRENCY`` through ``devnet_init``) chooses the
    cash token whose value the ``phoenix`` contract holds for its notes: EUR by default, USD
    the issuer's second token (nonce 1)."""
    issuer = keypair("devnet-cash-issuer").public
    roles = {"operator": OPERATOR.public, "cash_issuer": issuer}
    by_currency = {}
    for currency in ("EUR", "USD"):
        [phoenix] = [c for c in cli._devnet_contracts(roles, currency) if c[0] == "phoenix"]
        by_currency[currency] = phoenix[4][:32]  # init: cash_token[32] ‖ the two key ids
    code = get_contract_code("cash_token")
    assert by_currency["EUR"] == bytes(compute_contract_id(code, 0, issuer))
    assert by_currency["USD"] == bytes(compute_contract_id(code, 1, issuer))
