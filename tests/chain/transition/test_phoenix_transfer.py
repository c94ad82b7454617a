"""Phoenix transfers with real proofs through a node (issue 18; docs/zk.md "Phoenix transfers
on chain", docs/contracts.md "phoenix"): a genesis with the EUR token, the phoenix contract as
note authority and the committed transfer keys; EUR shielded into a note; that note spent by a
``phoenix_transfer`` proof made by snarkjs from the wallet's witness builder and verified by
the node before the contract runs; the receiver finds its note with its view key and nobody
else does; the same note cannot be spent twice; a proof of another statement is refused by the
mempool; two notes merge with a ``phoenix_transfer_2`` proof and a withdrawal pays public EUR
back, the token's supply equal to public balances plus unspent notes throughout.

Proving takes seconds per proof (docs/benchmarks.md), so the module is marked slow and proves
each statement once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from chain.crypto.groth16 import compute_vk_id, decode_verifying_key
from chain.crypto.phoenix import Note, SecretKey, scan
from chain.crypto.phoenix_circuit import SpentNote, make_output, transfer_witness
from chain.node.client import sign_contract_call, sign_proven_call
from chain.node.contract_abi import (
    account_address,
    contract_address,
    decode_phoenix_note_event,
    encode_address_amount,
    encode_phoenix_init,
    encode_phoenix_transfer,
    phoenix_payload_hash,
)
from chain.node.exceptions import MempoolRejected
from chain.node.node import ChainNode
from chain.state.memory import MemoryStore
from chain.state.note_tree import NoteTree
from chain.state.state import State
from chain.transition.genesis import CIRCUITS_DIR, parse_genesis_config
from chain.types.primitives import ContractId, Timestamp
from chain.types.receipts import Receipt, ReceiptStatus
from chain.vm.ids import compute_contract_id
from chain.vm.session import BlockInfo, VmSession
from tests.chain.helpers import CHAIN_ID, GENESIS_TIME, keypair

KEYS = [CIRCUITS_DIR / "phoenix_transfer.vk", CIRCUITS_DIR / "phoenix_transfer_2.vk"]
pytestmark = pytest.mark.slow

ISSUER, RELAYER = keypair("phoenix-issuer"), keypair("phoenix-relayer")
BOB = SecretKey.from_seed(b"phoenix-e2e-bob".ljust(32, b"\0"), 0)
CAROL = SecretKey.from_seed(b"phoenix-e2e-carol".ljust(32, b"\0"), 0)
DAVE = SecretKey.from_seed(b"phoenix-e2e-dave".ljust(32, b"\0"), 0)
GAS = 300_000_000
MINTED = 10_000


@dataclass
class Chain:
    node: ChainNode
    token: str
    phoenix: str
    vk_ids: list[str]
    now: int = GENESIS_TIME
    nonces: dict[bytes, int] | None = None

    def nonce(self, who: bytes) -> int:
        assert self.nonces is not None
        self.nonces[who] = self.nonces.get(who, 0) + 1
        return self.nonces[who]

    def call(self, key, contract: str, fn: str, args: bytes) -> bytes:
        _, raw = sign_contract_call(
            secret_key=bytes(key.secret),
            chain_id=CHAIN_ID,
            contract=contract,
            fn_name=fn,
            fn_args=args,
            nonce=self.nonce(bytes(key.public)),
            gas_limit=GAS,
        )
        return raw

    def block(self, *raws: bytes) -> list[Receipt]:
        for raw in raws:
            self.node.submit_transaction(raw, now=self.now)
        self.now += 2
        produced = self.node.produce_block(now=Timestamp(self.now))
        assert produced is not None
        assert not produced.rejected, produced.rejected
        return produced.receipts

    def state(self):
        return self.node.store.read_view()

    def cash(self, address: bytes) -> int:
        with self.state() as view:
            session = VmSession(State(view), BlockInfo(0, self.now, CHAIN_ID))
            raw = session.query(ContractId.from_hex(self.token), "balance_of", address)
        return int.from_bytes(raw, "little")


@pytest.fixture(scope="module")
def chain() -> Chain:
    return make_chain()


def make_chain(*, issuer_funds: int = 10**15) -> Chain:
    """A single-authority node whose genesis holds the EUR token, the phoenix contract as note
    authority and the committed transfer keys (also used by bench/bench_phoenix.py)."""
    cash_code = (Path(__file__).resolve().parents[3] / "chain/contracts/build/cash_token.wasm").read_bytes()
    token = compute_contract_id(cash_code, 0, ISSUER.public)
    vk_ids = [compute_vk_id(decode_verifying_key(p.read_bytes()).encoded) for p in KEYS]
    owner = "0x" + ISSUER.public.hex()
    genesis = parse_genesis_config(
        {
            "chain_id": CHAIN_ID,
            "timestamp": GENESIS_TIME,
            "params": {"min_block_time": 1},
            "accounts": [
                {"public_key": owner, "balance": issuer_funds},
                {"public_key": "0x" + RELAYER.public.hex(), "balance": 10**15},
            ],
            "contracts": [
                {
                    "code": "cash_token",
                    "owner": owner,
                    "init_args": "0x" + (bytes(ISSUER.public) + b"EUR\x02").hex(),
                },
                {
                    "code": "phoenix",
                    "owner": owner,
                    "init_args": "0x"
                    + encode_phoenix_init(cash_token=bytes(token), vk_ids=[bytes(v) for v in vk_ids]).hex(),
                },
            ],
            "note_authority": "phoenix",
            "verifying_keys": [{"circuit": "phoenix_transfer"}, {"circuit": "phoenix_transfer_2"}],
        }
    )
    phoenix = compute_contract_id(genesis.contracts[1].bytecode, 0, ISSUER.public)
    node = ChainNode(store=MemoryStore(), genesis=genesis, generator_key=RELAYER.secret)
    return Chain(
        node,
        "0x" + bytes(token).hex(),
        "0x" + bytes(phoenix).hex(),
        ["0x" + bytes(v).hex() for v in vk_ids],
        nonces={},
    )


def notes_of(receipts: list[Receipt]) -> list[Note]:
    return [
        Note.from_bytes(e.note).with_pos(e.position)
        for e in (
            decode_phoenix_note_event(ev.data) for r in receipts for ev in r.events if ev.topic == "note"
        )
    ]


def prove_transfer(
    chain: Chain, owner: SecretKey, spends: list[Note], values, receivers, *, deposit=0, withdraw_to=None
):
    from proving.prover import prove

    sender_pk = owner.public_key()
    outputs = [make_output(sender_pk, r.public_key(), v) for r, v in zip(receivers, values, strict=True)]
    args = encode_phoenix_transfer([o.note.to_bytes() for o in outputs], withdraw_to=withdraw_to)
    payload = phoenix_payload_hash(chain_id=CHAIN_ID, contract_id=bytes.fromhex(chain.phoenix[2:]), args=args)
    with chain.state() as view:
        tree = NoteTree(State(view))
        root = int.from_bytes(tree.root(), "little")
        spent = [SpentNote(n, tree.opening(n.pos)) for n in spends]
    witness = transfer_witness(owner, spent, outputs, root=root, payload_hash=payload, deposit=deposit)
    result = prove(witness.circuit, witness.inputs)
    assert list(result.public_signals) == witness.public_signals
    return args, witness, result


def proven(chain: Chain, args: bytes, circuit_index: int, result, *, proof: bytes | None = None) -> bytes:
    _, raw = sign_proven_call(
        secret_key=bytes(RELAYER.secret),
        chain_id=CHAIN_ID,
        contract=chain.phoenix,
        fn_name="transfer",
        fn_args=args,
        vk_id=chain.vk_ids[circuit_index],
        public_inputs=result.public_inputs,
        proof=proof or result.proof,
        nonce=chain.nonce(bytes(RELAYER.public)),
        gas_limit=GAS,
    )
    return raw


def test_shield_transfer_double_spend_merge_and_withdraw(chain):
    alice = account_address(bytes(ISSUER.public))
    pool = contract_address(bytes.fromhex(chain.phoenix[2:]))
    shielded = [Note.transparent(DAVE.public_key(), BOB.public_key(), v) for v in (1_000, 500)]
    receipts = chain.block(
        chain.call(ISSUER, chain.token, "mint", encode_address_amount(alice, MINTED)),
        chain.call(ISSUER, chain.token, "approve", encode_address_amount(pool, 1_500)),
        chain.call(ISSUER, chain.phoenix, "shield", shielded[0].to_bytes()),
        chain.call(ISSUER, chain.phoenix, "shield", shielded[1].to_bytes()),
    )
    assert all(r.status is ReceiptStatus.SUCCESS for r in receipts), [r.error for r in receipts]
    bob_notes = notes_of(receipts)
    assert [n.pos for n in bob_notes] == [0, 1]
    assert chain.cash(alice) + chain.cash(pool) == MINTED

    # Bob pays Carol 600 from his 1,000 note: a real phoenix_transfer proof
    args, witness, result = prove_transfer(chain, BOB, bob_notes[:1], (600, 400), (CAROL, BOB))
    raw = proven(chain, args, 0, result)
    [receipt] = chain.block(raw)
    assert receipt.status is ReceiptStatus.SUCCESS, receipt.error
    outs = notes_of([receipt])
    assert [(f.pos, f.value) for f in scan(CAROL.view_key(), [(n.pos, n) for n in outs])] == [(2, 600)]
    assert [(f.pos, f.value) for f in scan(BOB.view_key(), [(n.pos, n) for n in outs])] == [(3, 400)]
    assert list(scan(DAVE.view_key(), [(n.pos, n) for n in outs])) == []
    assert chain.cash(pool) == 1_500

    # the same note again, with a fresh proof naming its (same) nullifier: refused by the contract
    args2, _, result2 = prove_transfer(chain, BOB, bob_notes[:1], (500, 500), (CAROL, BOB))
    [again] = chain.block(proven(chain, args2, 0, result2))
    assert again.status is not ReceiptStatus.SUCCESS
    assert "double_spend" in str(again.error)

    # a proof of another statement: the mempool refuses it (the chain verifies before running)
    args3, _, result3 = prove_transfer(chain, BOB, bob_notes[1:], (250, 250), (CAROL, BOB))
    with pytest.raises(MempoolRejected) as refused:
        chain.node.submit_transaction(proven(chain, args3, 0, result3, proof=result.proof), now=chain.now)
    assert refused.value.reason.startswith("proof_refused")
    assert chain.nonces is not None
    chain.nonces[bytes(RELAYER.public)] -= 1  # never admitted: its nonce is free again

    # Bob merges his 500 note and his 400 change into 900 and withdraws 300 to public EUR
    change = [n for n in outs if n.pos == 3]
    args4, witness4, result4 = prove_transfer(
        chain, BOB, bob_notes[1:] + change, (0, 600), (CAROL, BOB), deposit=300, withdraw_to=alice
    )
    assert witness4.circuit == "phoenix_transfer_2"
    before = chain.cash(alice)
    [merged] = chain.block(proven(chain, args4, 1, result4))
    assert merged.status is ReceiptStatus.SUCCESS, merged.error
    assert chain.cash(alice) == before + 300
    # supply: public EUR (alice, pool) == minted; the pool holds the unspent notes 600 + 0 + 600
    assert chain.cash(alice) + chain.cash(pool) == MINTED
    assert chain.cash(pool) == 600 + 600
