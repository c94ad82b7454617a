"""The Phoenix transfer contract (chain/contracts/phoenix, docs/contracts.md "phoenix") on the
real host, with real notes of :mod:`chain.crypto.phoenix`.

The proof itself is the chain's business (a ``ProvenCall`` is verified before the call runs,
tests/chain/transition/test_phoenix_transfer.py does it with real proofs); here the session is
given the statement the chain would have verified, built by the references exactly as the
circuit's public inputs (docs/zk.md "Phoenix transfer circuit"), so every check the contract
makes on top of the proof can be exercised: key ids, payload binding, root history, nullifiers,
output notes against the statement, fee and withdrawal payments, and value conservation
between the token's public balances and the notes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from chain.crypto.phoenix import Note, SecretKey, scan
from chain.crypto.phoenix_circuit import make_output, transfer_public_signals
from chain.node.contract_abi import (
    decode_phoenix_info,
    decode_phoenix_note_event,
    decode_phoenix_transfer_event,
    encode_dvp_bind_shielded_cash,
    encode_phoenix_init,
    encode_phoenix_transfer,
    phoenix_payload_hash,
    phoenix_payment_fields,
)
from chain.state.note_tree import NoteTree
from chain.state.nullifiers import NullifierSet
from chain.state.state import State
from chain.types.primitives import ContractId
from chain.vm.exceptions import CallFailed
from chain.vm.session import BlockInfo, CallResult, VmSession
from tests.chain.helpers import Keypair, keypair
from tests.chain.vm.abi import account, contract_address
from tests.chain.vm.tokens import GAS, balance, deploy, deploy_cash, fresh_state, query, u64

ISSUER, ALICE, RELAYER = keypair("issuer"), keypair("alice"), keypair("relayer")
A_ = account(ALICE)
VK_1, VK_2 = b"\x11" * 32, b"\x22" * 32
CHAIN_ID = 5
BIG_GAS = 500_000_000
BOB = SecretKey.from_seed(b"bob-phoenix-seed".ljust(32, b"\0"), 0)
CAROL = SecretKey.from_seed(b"carol-phoenix-seed".ljust(32, b"\0"), 0)
SHIELD_HEIGHT, TRANSFER_HEIGHT = 11, 12


def block(height: int) -> BlockInfo:
    return BlockInfo(height=height, timestamp=1_800_000_000 + height, chain_id=CHAIN_ID)


@dataclass
class Pool:
    state: State
    token: ContractId
    phoenix: ContractId

    def call(
        self,
        fn: str,
        args: bytes,
        caller: Keypair,
        *,
        height: int = TRANSFER_HEIGHT,
        statement: bytes | None = None,
        target: ContractId | None = None,
    ) -> CallResult:
        session = VmSession(self.state, block(height), statement=statement)
        return session.call(target or self.phoenix, fn, args, caller=caller.public, gas_limit=BIG_GAS)

    def panic(self, fn: str, args: bytes, caller: Keypair, **kw: object) -> str:
        with pytest.raises(CallFailed) as failed:
            self.call(fn, args, caller, **kw)  # type: ignore[arg-type]
        assert failed.value.reason == "panic", str(failed.value)
        return str(failed.value).partition(":")[0]

    def cash(self, address: bytes) -> int:
        return balance(self.state, self.token, address)

    def pooled(self) -> int:
        return self.cash(contract_address(self.phoenix))


@pytest.fixture
def pool() -> Iterator[Pool]:
    for state in fresh_state():
        token = deploy_cash(state, ISSUER, "EUR")
        phoenix = deploy(state, "phoenix", encode_phoenix_init(cash_token=bytes(token), vk_ids=[VK_1, VK_2]))
        NoteTree(state).set_authority(phoenix)
        VmSession(state, block(SHIELD_HEIGHT)).call(
            token, "mint", A_ + u64(1_000), caller=ISSUER.public, gas_limit=GAS
        )
        yield Pool(state, token, phoenix)


def shield(pool: Pool, value: int, receiver: SecretKey = BOB) -> tuple[Note, CallResult]:
    """Alice approves the pool and shields ``value`` into a transparent note to ``receiver``."""
    note = Note.transparent(ALICE_PHOENIX.public_key(), receiver.public_key(), value)
    pool.call(
        "approve", contract_address(pool.phoenix) + u64(value), ALICE, height=SHIELD_HEIGHT, target=pool.token
    )
    result = pool.call("shield", note.to_bytes(), ALICE, height=SHIELD_HEIGHT)
    return note, result


ALICE_PHOENIX = SecretKey.from_seed(b"alice-phoenix-seed".ljust(32, b"\0"), 0)


@dataclass
class Spend:
    """A transfer of ``inputs`` (placed notes owned by ``owner``) to two outputs, with its
    arguments and the statement the circuit would prove."""

    args: bytes
    statement: bytes
    outputs: list[Note]
    nullifiers: list[int]


def spend(
    pool: Pool,
    inputs: list[Note],
    owner: SecretKey,
    values: tuple[int, int],
    *,
    fee: int = 0,
    deposit: int = 0,
    withdraw_to: bytes | None = None,
    vk_id: bytes | None = None,
    root: int | None = None,
    receivers: tuple[SecretKey, SecretKey] = (CAROL, BOB),
) -> Spend:
    outputs = [
        Note.obfuscated(owner.public_key(), receivers[0].public_key(), values[0]),
        Note.obfuscated(owner.public_key(), receivers[1].public_key(), values[1]),
    ]
    args = encode_phoenix_transfer([n.to_bytes() for n in outputs], withdraw_to=withdraw_to)
    payload = phoenix_payload_hash(chain_id=CHAIN_ID, contract_id=bytes(pool.phoenix), args=args)
    tree_root = int.from_bytes(NoteTree(pool.state).root(), "little") if root is None else root
    nullifiers = [n.nullifier(owner) for n in inputs]
    public = transfer_public_signals(payload, tree_root, nullifiers, outputs, max_fee=fee, deposit=deposit)
    key = vk_id or (VK_1 if len(inputs) == 1 else VK_2)
    statement = key + b"".join(v.to_bytes(32, "little") for v in public)
    return Spend(args, statement, outputs, nullifiers)


def placed(result: CallResult) -> list[Note]:
    return [
        Note.from_bytes(e.note).with_pos(e.position)
        for e in (decode_phoenix_note_event(ev.data) for ev in result.events if ev.topic == "note")
    ]


def test_shield_turns_public_cash_into_a_transparent_note(pool):
    note, result = shield(pool, 400)
    assert pool.cash(A_) == 600
    assert pool.pooled() == 400
    [event] = [decode_phoenix_note_event(e.data) for e in result.events if e.topic == "note"]
    assert event.position == 0
    assert event.note == note.to_bytes()
    assert NoteTree(pool.state).leaf(0) == note.with_pos(0).hash().to_bytes(32, "little")
    found = list(scan(BOB.view_key(), [(event.position, Note.from_bytes(event.note))]))
    assert [(f.pos, f.value) for f in found] == [(0, 400)]
    assert list(scan(CAROL.view_key(), [(event.position, Note.from_bytes(event.note))])) == []
    assert decode_phoenix_info(query(pool.state, pool.phoenix, "info")).notes == 1


def test_shield_refusals_change_nothing(pool):
    root = NoteTree(pool.state).root()
    # no allowance
    note = Note.transparent(ALICE_PHOENIX.public_key(), BOB.public_key(), 10)
    assert pool.panic("shield", note.to_bytes(), ALICE, height=SHIELD_HEIGHT) == "caller_refused"
    # an obfuscated note would hide what was paid for it
    pool.call(
        "approve", contract_address(pool.phoenix) + u64(10), ALICE, height=SHIELD_HEIGHT, target=pool.token
    )
    hidden = Note.obfuscated(ALICE_PHOENIX.public_key(), BOB.public_key(), 10)
    assert pool.panic("shield", hidden.to_bytes(), ALICE, height=SHIELD_HEIGHT) == "wrong_note"
    # a transparent note whose commitment is not its value: claims 10, commits to 1,000
    forged = bytearray(note.to_bytes())
    forged[1:33] = Note.transparent(
        ALICE_PHOENIX.public_key(), BOB.public_key(), 1_000
    ).value_commitment.to_bytes()
    assert pool.panic("shield", bytes(forged), ALICE, height=SHIELD_HEIGHT) == "wrong_note"
    assert pool.panic("shield", note.to_bytes()[:-1], ALICE, height=SHIELD_HEIGHT) == "bad_arguments"
    assert NoteTree(pool.state).root() == root
    assert pool.pooled() == 0
    assert pool.cash(A_) == 1_000


def test_transfer_spends_pays_fee_and_conserves_value(pool):
    note, _ = shield(pool, 500)
    [bob_note] = placed(_)
    s = spend(pool, [bob_note], BOB, (300, 150), fee=50)
    result = pool.call("transfer", s.args, RELAYER, statement=s.statement)
    assert [u64(1) + u64(2)] == [result.data]
    outs = placed(result)
    assert [o.pos for o in outs] == [1, 2]
    assert pool.pooled() == 450
    assert pool.cash(account(RELAYER)) == 50
    carol = [(f.pos, f.value) for f in scan(CAROL.view_key(), [(o.pos, o) for o in outs])]
    bob = [(f.pos, f.value) for f in scan(BOB.view_key(), [(o.pos, o) for o in outs])]
    assert carol == [(1, 300)]
    assert bob == [(2, 150)]
    [event] = [decode_phoenix_transfer_event(e.data) for e in result.events if e.topic == "spend"]
    assert event.nullifiers == (s.nullifiers[0].to_bytes(32, "little"),)
    assert (event.fee, event.deposit) == (
        50,
        0,
    )
    assert NullifierSet(pool.state).is_spent(s.nullifiers[0].to_bytes(32, "little"))
    # value conservation: public cash + shielded notes never changed
    unspent = 300 + 150
    assert pool.cash(A_) + pool.cash(account(RELAYER)) + unspent == 1_000


def test_double_spend_is_refused(pool):
    _, shielded = shield(pool, 500)
    [bob_note] = placed(shielded)
    first = spend(pool, [bob_note], BOB, (500, 0))
    pool.call("transfer", first.args, RELAYER, statement=first.statement)
    again = spend(pool, [bob_note], BOB, (250, 250))
    assert pool.panic("transfer", again.args, RELAYER, statement=again.statement, height=13) == "double_spend"
    assert pool.pooled() == 500
    assert NoteTree(pool.state).size() == 3


def test_stale_or_unknown_root_is_refused(pool):
    _, shielded = shield(pool, 500)
    [bob_note] = placed(shielded)
    s = spend(pool, [bob_note], BOB, (500, 0), root=12345)
    assert pool.panic("transfer", s.args, RELAYER, statement=s.statement) == "unknown_root"
    # the root of the block in progress is not known yet (as Dusk): a proof names a past root
    s = spend(pool, [bob_note], BOB, (500, 0))
    assert (
        pool.panic("transfer", s.args, RELAYER, statement=s.statement, height=SHIELD_HEIGHT) == "unknown_root"
    )


def test_the_proof_binds_the_arguments(pool):
    _, shielded = shield(pool, 500)
    [bob_note] = placed(shielded)
    s = spend(pool, [bob_note], BOB, (400, 100))
    # a relayer swaps the outputs for its own notes: the payload hash no longer matches
    other = spend(pool, [bob_note], BOB, (400, 100), receivers=(ALICE_PHOENIX, ALICE_PHOENIX))
    assert pool.panic("transfer", other.args, RELAYER, statement=s.statement) == "wrong_payload"
    # the same arguments with a statement whose output commitments are not the notes'
    forged = bytearray(s.statement)
    forged[32 + 32 * 3] ^= 1  # out commitment 0, x
    assert pool.panic("transfer", s.args, RELAYER, statement=bytes(forged)) == "wrong_note"
    assert pool.panic("transfer", s.args, RELAYER, statement=None) == "not_proven"
    wrong_key = spend(pool, [bob_note], BOB, (400, 100), vk_id=b"\x33" * 32)
    assert pool.panic("transfer", wrong_key.args, RELAYER, statement=wrong_key.statement) == "wrong_circuit"
    assert pool.panic("transfer", s.args, RELAYER, statement=s.statement[:-32]) == "wrong_circuit"
    assert NoteTree(pool.state).size() == 1
    assert pool.pooled() == 500


def test_withdraw_turns_notes_back_into_public_cash(pool):
    _, shielded = shield(pool, 500)
    [bob_note] = placed(shielded)
    s = spend(pool, [bob_note], BOB, (0, 380), deposit=120, withdraw_to=A_)
    pool.call("transfer", s.args, RELAYER, statement=s.statement)
    assert pool.cash(A_) == 500 + 120
    assert pool.pooled() == 380
    no_address = spend(pool, [bob_note], BOB, (0, 380), deposit=120)
    assert pool.panic("transfer", no_address.args, RELAYER, statement=no_address.statement, height=13) in {
        "bad_withdraw",
        "double_spend",
    }


def test_two_input_transfer_merges_notes(pool):
    _, first = shield(pool, 200)
    _, second = shield(pool, 300)
    inputs = placed(first) + placed(second)
    s = spend(pool, inputs, BOB, (450, 50))
    result = pool.call("transfer", s.args, RELAYER, statement=s.statement)
    assert [o.pos for o in placed(result)] == [2, 3]
    assert all(NullifierSet(pool.state).is_spent(n.to_bytes(32, "little")) for n in s.nullifiers)


def test_only_the_note_authority_appends_notes(pool):
    impostor = deploy(
        pool.state, "phoenix", encode_phoenix_init(cash_token=bytes(pool.token), vk_ids=[VK_1, VK_2]), nonce=1
    )
    note = Note.transparent(ALICE_PHOENIX.public_key(), BOB.public_key(), 10)
    pool.call("approve", contract_address(impostor) + u64(10), ALICE, height=SHIELD_HEIGHT, target=pool.token)
    assert (
        pool.panic("shield", note.to_bytes(), ALICE, height=SHIELD_HEIGHT, target=impostor) == "not_authority"
    )
    assert NoteTree(pool.state).size() == 0
    assert pool.cash(A_) == 1_000


# -- DvP against shielded cash (docs/contracts.md "dvp", docs/zk.md "DvP against shielded cash") ----

SELLER, AGENT = keypair("dvp-seller"), keypair("dvp-agent")
S_, BUYER_ = account(SELLER), account(ALICE)
SELLER_PHOENIX = SecretKey.from_seed(b"seller-phoenix-seed".ljust(32, b"\0"), 0)


@dataclass
class Trade:
    dvp: ContractId
    security: ContractId
    instruction: int
    expected: Note


def trade(pool: Pool, *, price: int = 300, quantity: int = 10, approve: bool = True) -> Trade:
    """The seller delivers ``quantity`` of a security token to Alice (the buyer) against a
    Phoenix payment of ``price`` to a note the seller chose (its stealth address and blinder):
    the agent creates the instruction and binds it to that note; the seller affirms."""
    security = deploy_cash(pool.state, ISSUER, "SEC", nonce=1)
    dvp = deploy(pool.state, "dvp")
    pool.call("mint", S_ + u64(quantity), ISSUER, height=SHIELD_HEIGHT, target=security)
    if approve:
        pool.call(
            "approve", contract_address(dvp) + u64(quantity), SELLER, height=SHIELD_HEIGHT, target=security
        )
    leg = bytes(security) + S_ + BUYER_ + u64(quantity)
    created = pool.call("create", b"\x01" + leg, AGENT, height=SHIELD_HEIGHT, target=dvp)
    instruction = int.from_bytes(created.data, "little")
    pool.call("affirm", u64(instruction), SELLER, height=SHIELD_HEIGHT, target=dvp)
    expected = make_output(
        ALICE_PHOENIX.public_key(), SELLER_PHOENIX.public_key(), price, blinder=4242, r=777
    ).note
    fields = phoenix_payment_fields(
        expected.value_commitment.affine(), expected.stealth_address.note_pk.affine()
    )
    pool.call(
        "bind_shielded_cash",
        encode_dvp_bind_shielded_cash(instruction, fields),
        AGENT,
        height=SHIELD_HEIGHT,
        target=dvp,
    )
    return Trade(dvp, security, instruction, expected)


def pay(pool: Pool, t: Trade, payer_note: Note, price: int, *, blinder: int = 4242) -> Spend:
    """Alice's wallet builds output 0 with the seller's stealth scalar and blinder (so its
    commitment and note_pk are the bound ones) and the change to herself, in a version-2
    transfer naming the instruction."""
    value = payer_note.value(ALICE_PHOENIX.view_key())
    out0 = make_output(
        ALICE_PHOENIX.public_key(), SELLER_PHOENIX.public_key(), price, blinder=blinder, r=777
    ).note
    out1 = make_output(ALICE_PHOENIX.public_key(), ALICE_PHOENIX.public_key(), value - price).note
    args = encode_phoenix_transfer([out0.to_bytes(), out1.to_bytes()], dvp=(bytes(t.dvp), t.instruction))
    payload = phoenix_payload_hash(chain_id=CHAIN_ID, contract_id=bytes(pool.phoenix), args=args)
    root = int.from_bytes(NoteTree(pool.state).root(), "little")
    public = transfer_public_signals(payload, root, [payer_note.nullifier(ALICE_PHOENIX)], [out0, out1])
    statement = VK_1 + b"".join(v.to_bytes(32, "little") for v in public)
    return Spend(args, statement, [out0, out1], [payer_note.nullifier(ALICE_PHOENIX)])


def alice_note(pool: Pool, value: int = 500) -> Note:
    _, shielded = shield(pool, value, receiver=ALICE_PHOENIX)
    [note] = placed(shielded)
    return note


def status(pool: Pool, t: Trade) -> int:
    return query(pool.state, t.dvp, "status_of", u64(t.instruction))[0]


def test_a_shielded_payment_settles_its_dvp_instruction_atomically(pool):
    note = alice_note(pool)
    t = trade(pool)
    s = pay(pool, t, note, 300)
    result = pool.call("transfer", s.args, RELAYER, statement=s.statement)
    assert status(pool, t) == 1  # settled
    assert balance(pool.state, t.security, BUYER_) == 10
    assert balance(pool.state, t.security, S_) == 0
    paid = list(scan(SELLER_PHOENIX.view_key(), [(o.pos, o) for o in placed(result)]))
    assert [(f.value, f.note.value_commitment) for f in paid] == [(300, t.expected.value_commitment)]
    assert [e.topic for e in result.events if e.source == t.dvp] == ["settled"]


def test_a_payment_of_another_note_or_amount_reverts_everything(pool):
    note = alice_note(pool)
    t = trade(pool)
    root, size = NoteTree(pool.state).root(), NoteTree(pool.state).size()
    underpaid = pay(pool, t, note, 299)  # another value: another commitment
    assert pool.panic("transfer", underpaid.args, RELAYER, statement=underpaid.statement) == "dvp_refused"
    other_blinder = pay(pool, t, note, 300, blinder=4243)
    assert (
        pool.panic("transfer", other_blinder.args, RELAYER, statement=other_blinder.statement)
        == "dvp_refused"
    )
    assert status(pool, t) == 0
    assert NoteTree(pool.state).root() == root
    assert NoteTree(pool.state).size() == size
    assert not NullifierSet(pool.state).is_spent(note.nullifier(ALICE_PHOENIX).to_bytes(32, "little"))
    assert balance(pool.state, t.security, S_) == 10


def test_a_leg_that_cannot_move_reverts_the_payment(pool):
    note = alice_note(pool)
    t = trade(pool, approve=False)  # the seller never approved the DvP contract
    s = pay(pool, t, note, 300)
    assert pool.panic("transfer", s.args, RELAYER, statement=s.statement) == "dvp_refused"
    assert NoteTree(pool.state).size() == 1
    assert pool.pooled() == 500


def test_a_bound_instruction_settles_only_through_its_payment(pool):
    t = trade(pool)
    assert pool.panic("settle", u64(t.instruction), AGENT, target=t.dvp) == "shielded_cash"
    assert pool.panic("settle_batch", b"\x01" + u64(t.instruction), AGENT, target=t.dvp) == "shielded_cash"
    fields = phoenix_payment_fields(
        t.expected.value_commitment.affine(), t.expected.stealth_address.note_pk.affine()
    )
    assert pool.panic("settle_shielded", u64(t.instruction) + fields, AGENT, target=t.dvp) == "not_authorised"
    again = encode_dvp_bind_shielded_cash(t.instruction, fields)
    assert pool.panic("bind_shielded_cash", again, AGENT, target=t.dvp) == "already_bound"
    assert status(pool, t) == 0
