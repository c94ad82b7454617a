"""Citadel sessions with real proofs through a node (issue 18; docs/zk.md "Citadel on chain",
docs/contracts.md "citadel"): a genesis with the citadel contract as licence authority and the
committed ``citadel_license`` key; a provider registered by the operator issues a licence to a
user's key; the user proves in zero knowledge (snarkjs, ``proving.prover``) that it holds a
valid licence from that provider whose attributes meet the policy (jurisdiction in the set,
accredited, adult, not expired), bound to a holder account and a service; the node verifies the
proof and the contract records the session. The same licence cannot open a second session for
that holder and service; an expired licence and a revoked one cannot produce a proof at all.
Marked slow: each proof takes seconds.
"""

from __future__ import annotations

import random

import pytest

from chain.crypto.citadel import (
    GLOAM_SCHEMA_ID,
    AttributePolicy,
    GloamAttributes,
    License,
    license_circuit_input,
    license_circuit_public_signals,
    open_session,
)
from chain.crypto.groth16 import compute_vk_id, decode_verifying_key
from chain.crypto.phoenix import SecretKey
from chain.node.client import sign_contract_call, sign_proven_call
from chain.node.contract_abi import (
    account_address,
    citadel_adult_cutoff,
    citadel_challenge,
    encode_citadel_add_provider,
    encode_citadel_init,
    encode_citadel_issue,
    encode_citadel_revoke,
    encode_citadel_session_key,
)
from chain.node.node import ChainNode
from chain.state.licence_tree import LicenceTree
from chain.state.memory import MemoryStore
from chain.state.state import State
from chain.transition.genesis import CIRCUITS_DIR, parse_genesis_config
from chain.types.primitives import ContractId, Timestamp
from chain.types.receipts import Receipt, ReceiptStatus
from chain.vm.ids import compute_contract_id
from chain.vm.session import BlockInfo, VmSession
from tests.chain.helpers import CHAIN_ID, GENESIS_TIME, keypair

VK = CIRCUITS_DIR / "citadel_license.vk"
pytestmark = pytest.mark.slow

OPERATOR, LP_ACCOUNT, RELAYER, HOLDER = (
    keypair(n) for n in ("cit-op", "cit-lp", "cit-relayer", "cit-holder")
)
_rng = random.Random(0xC17)  # noqa: S311 - seeded test data
LP = SecretKey.from_seed(_rng.randbytes(32))
USER = SecretKey.from_seed(_rng.randbytes(32))
SP = SecretKey.from_seed(_rng.randbytes(32))
SERVICE = b"\x42" * 32
GAS = 300_000_000
R_ATTR = 0x5EED


class Node:
    def __init__(self) -> None:
        vk_id = compute_vk_id(decode_verifying_key(VK.read_bytes()).encoded)
        genesis = parse_genesis_config(
            {
                "chain_id": CHAIN_ID,
                "timestamp": GENESIS_TIME,
                "params": {"min_block_time": 1},
                "accounts": [
                    {"public_key": "0x" + k.public.hex(), "balance": 10**15}
                    for k in (OPERATOR, LP_ACCOUNT, RELAYER)
                ],
                "contracts": [
                    {
                        "code": "citadel",
                        "owner": "0x" + OPERATOR.public.hex(),
                        "init_args": "0x"
                        + encode_citadel_init(operator_key=bytes(OPERATOR.public), vk_id=bytes(vk_id)).hex(),
                    }
                ],
                "licence_authority": "citadel",
                "verifying_keys": [{"circuit": "citadel_license"}],
            }
        )
        self.contract = compute_contract_id(genesis.contracts[0].bytecode, 0, OPERATOR.public)
        self.vk_id = "0x" + bytes(vk_id).hex()
        self.node = ChainNode(store=MemoryStore(), genesis=genesis, generator_key=RELAYER.secret)
        self.now = GENESIS_TIME
        self.nonces: dict[bytes, int] = {}

    def nonce(self, key) -> int:
        self.nonces[bytes(key.public)] = self.nonces.get(bytes(key.public), 0) + 1
        return self.nonces[bytes(key.public)]

    def call(self, key, fn: str, args: bytes) -> bytes:
        _, raw = sign_contract_call(
            secret_key=bytes(key.secret),
            chain_id=CHAIN_ID,
            contract="0x" + bytes(self.contract).hex(),
            fn_name=fn,
            fn_args=args,
            nonce=self.nonce(key),
            gas_limit=GAS,
        )
        return raw

    def block(self, *raws: bytes) -> list[Receipt]:
        for raw in raws:
            self.node.submit_transaction(raw, now=self.now)
        self.now += 2
        produced = self.node.produce_block(now=Timestamp(self.now))
        assert produced is not None
        return produced.receipts

    @property
    def today(self) -> int:
        return (self.now + 2) // 86_400  # the day of the next block

    def query(self, fn: str, args: bytes) -> bytes:
        with self.node.store.read_view() as view:
            session = VmSession(State(view), BlockInfo(0, self.now, CHAIN_ID))
            return session.query(ContractId(bytes(self.contract)), fn, args)

    def prove_session(self, licence: License, attributes: GloamAttributes, position: int, holder: bytes):
        """The user's wallet: open a session for ``holder`` on SERVICE against the current root
        and prove it (raises the prover's WitnessRejected when the statement is false)."""
        from proving.prover import prove

        challenge = citadel_challenge(chain_id=CHAIN_ID, holder=holder, service=SERVICE)
        with self.node.store.read_view() as view:
            tree = LicenceTree(State(view))
            root = int.from_bytes(tree.root(), "little")
            opening = tree.opening(position)
        session = open_session(USER, licence, LP.public_key(), SP.public_key(), challenge, root)
        policy = AttributePolicy(self.today, citadel_adult_cutoff(self.today), True, (276, 250))
        signals = license_circuit_public_signals(session.public_inputs, session.witness, policy)
        inputs = license_circuit_input(
            session.witness,
            session.public_inputs,
            attributes=attributes,
            schema_id=GLOAM_SCHEMA_ID,
            r_attr=R_ATTR,
            opening=opening,
            position=position,
            policy=policy,
        )
        result = prove("citadel_license", inputs)
        assert list(result.public_signals) == signals
        return result

    def use(self, holder: bytes, result) -> Receipt:
        [receipt] = self.block(self.sign_use(holder, result))
        return receipt

    def sign_use(self, holder: bytes, result) -> bytes:
        """The relayer's proven ``use_licence(holder ‖ SERVICE)`` carrying ``result``'s proof."""
        _, raw = sign_proven_call(
            secret_key=bytes(RELAYER.secret),
            chain_id=CHAIN_ID,
            contract="0x" + bytes(self.contract).hex(),
            fn_name="use_licence",
            fn_args=encode_citadel_session_key(holder=holder, service=SERVICE),
            vk_id=self.vk_id,
            public_inputs=result.public_inputs,
            proof=result.proof,
            nonce=self.nonce(RELAYER),
            gas_limit=GAS,
        )
        return raw


def _licence(expiry_offset: int, today: int) -> tuple[License, GloamAttributes]:
    attributes = GloamAttributes(
        jurisdiction=276, accredited=1, birth_date=-1_900, expiry=today + expiry_offset
    )
    licence = License.issue(LP, attributes.attr_data(GLOAM_SCHEMA_ID, R_ATTR), USER.public_key())
    return licence, attributes


def test_a_proved_session_is_recorded_once_and_false_or_revoked_licences_prove_nothing():
    from proving.prover.errors import WitnessRejected

    net = Node()
    provider = encode_citadel_add_provider(
        pk_lp_a=LP.public_key().A.affine(), account_key=bytes(LP_ACCOUNT.public)
    )
    assert all(
        r.status is ReceiptStatus.SUCCESS for r in net.block(net.call(OPERATOR, "add_provider", provider))
    )
    licence, attributes = _licence(365, net.today)
    expired, expired_attributes = _licence(-1, net.today)
    receipts = net.block(
        net.call(LP_ACCOUNT, "issue", encode_citadel_issue(licence.leaf())),
        net.call(LP_ACCOUNT, "issue", encode_citadel_issue(expired.leaf())),
    )
    assert all(r.status is ReceiptStatus.SUCCESS for r in receipts), [r.error for r in receipts]
    net.block(
        net.call(OPERATOR, "add_provider", provider)
    )  # another block (refused: registered), so the root is past

    holder = account_address(bytes(HOLDER.public))
    key = encode_citadel_session_key(holder=holder, service=SERVICE)
    assert net.query("has_session", key) == b"\x00"
    proof = net.prove_session(licence, attributes, 0, holder)
    receipt = net.use(holder, proof)
    assert receipt.status is ReceiptStatus.SUCCESS, receipt.error
    assert net.query("has_session", key) == b"\x01"
    # the same licence for the same holder and service: the same session id, refused
    again = net.use(holder, proof)
    assert again.status is not ReceiptStatus.SUCCESS
    assert "session_used" in str(again.error)

    # an expired licence: no proof can be made (the circuit's expiry predicate fails)
    with pytest.raises(WitnessRejected):
        net.prove_session(expired, expired_attributes, 1, account_address(bytes(RELAYER.public)))

    # revoked: its leaf is 0, so no opening proves membership any more
    assert (
        net.block(net.call(LP_ACCOUNT, "revoke", encode_citadel_revoke(0)))[0].status is ReceiptStatus.SUCCESS
    )
    with pytest.raises(WitnessRejected):
        net.prove_session(licence, attributes, 0, account_address(bytes(RELAYER.public)))
