"""The platform wallet's Phoenix helpers in bytes (chain/node/phoenix_wallet.py) against the
references (chain.crypto.phoenix) and the real phoenix and dvp contracts on the VM host.

The contract tests hand the session the statement a proof of the wallet's witness would carry
(its ``public_signals``, in the circuit's order), as tests/chain/vm/test_phoenix_contract.py
does; the platform tests (tests/settlement/test_shielded_cash_proven.py) check that the same
witnesses satisfy the circuits. Here: the wallet's arguments and public signals are the ones
the contract accepts (payload binding, output notes, withdrawal), and a DvP buyer's payment
made with the seller's chosen note settles the bound instruction atomically.
"""

from __future__ import annotations

import hashlib

import pytest

from chain.crypto.phoenix import Note, NoteType, SecretKey
from chain.node.client import phoenix_wallet
from chain.node.contract_abi import encode_dvp_bind_shielded_cash
from chain.state.note_tree import NoteTree
from tests.chain.vm.abi import account, contract_address
from tests.chain.vm.test_phoenix_contract import (  # noqa: F401 - pool is a fixture
    AGENT,
    ALICE,
    BUYER_,
    CHAIN_ID,
    ISSUER,
    RELAYER,
    S_,
    SELLER,
    SHIELD_HEIGHT,
    VK_1,
    VK_2,
    Pool,
    placed,
    pool,
    shield,
)
from tests.chain.vm.tokens import balance, deploy, deploy_cash, query, u64


def keys(label: str) -> phoenix_wallet.WalletKeys:
    return phoenix_wallet.generate_keys(hashlib.sha512(label.encode()).digest())


BOB, CAROL = keys("wallet-bob"), keys("wallet-carol")


def test_keys_are_the_references_from_a_seed() -> None:
    seed = hashlib.sha512(b"wallet-bob").digest()
    reference = SecretKey.from_seed(seed, 0)
    assert BOB.secret_key == reference.to_bytes()
    assert BOB.view_key == reference.view_key().to_bytes()
    assert BOB.public_key == reference.public_key().to_bytes()
    assert phoenix_wallet.view_key_of(BOB.secret_key) == BOB.view_key
    assert keys("wallet-bob") == BOB
    assert "secret" not in repr(BOB)


def test_invalid_seed_and_keys_are_refused() -> None:
    with pytest.raises(phoenix_wallet.PhoenixWalletError) as short:
        phoenix_wallet.generate_keys(b"x" * 16)
    assert short.value.reason == "seed_length"
    with pytest.raises(phoenix_wallet.PhoenixWalletError):
        phoenix_wallet.scan_notes(b"\xff" * 64, [])
    with pytest.raises(phoenix_wallet.PhoenixWalletError) as zero:
        phoenix_wallet.make_shield_note(
            sender_public_key=BOB.public_key, receiver_public_key=CAROL.public_key, value=0
        )
    assert zero.value.reason == "bad_amount"


def test_shield_notes_are_found_by_their_receiver_only_with_the_references_nullifier() -> None:
    note = phoenix_wallet.make_shield_note(
        sender_public_key=BOB.public_key, receiver_public_key=CAROL.public_key, value=700
    )
    assert Note.from_bytes(note).note_type is NoteType.TRANSPARENT
    [found] = phoenix_wallet.scan_notes(CAROL.view_key, [(9, note), (10, b"garbage")])
    assert (found.position, found.value) == (9, 700)
    assert Note.from_bytes(found.note).pos == 9
    assert phoenix_wallet.scan_notes(BOB.view_key, [(9, note)]) == []
    expected = Note.from_bytes(note).with_pos(9).nullifier(SecretKey.from_bytes(CAROL.secret_key))
    assert phoenix_wallet.compute_nullifier(CAROL.secret_key, found.note, 9) == expected.to_bytes(
        32, "little"
    )
    assert phoenix_wallet.note_value(CAROL.view_key, found.note) == (700, 0)


def _bob_note(on: Pool, value: int) -> tuple[bytes, int]:
    secret = SecretKey.from_bytes(BOB.secret_key)
    _, result = shield(on, value, receiver=secret)
    [placed_note] = placed(result)
    return placed_note.to_bytes(), placed_note.pos


def _prepare(on: Pool, spends: list[tuple[bytes, int]], **kwargs: object) -> phoenix_wallet.PreparedTransfer:
    tree = NoteTree(on.state)
    return phoenix_wallet.prepare_transfer(
        secret_key=BOB.secret_key,
        spends=[(note, pos, tree.opening(pos)) for note, pos in spends],
        root="0x" + tree.root().hex(),
        chain_id=CHAIN_ID,
        contract_id="0x" + bytes(on.phoenix).hex(),
        **kwargs,  # type: ignore[arg-type]
    )


def _statement(prepared: phoenix_wallet.PreparedTransfer) -> bytes:
    key = VK_1 if prepared.circuit == "phoenix_transfer" else VK_2
    return key + b"".join(v.to_bytes(32, "little") for v in prepared.public_signals)


def test_the_contract_accepts_the_wallets_transfer_and_withdrawal(pool: Pool) -> None:  # noqa: F811
    first, second = _bob_note(pool, 300), _bob_note(pool, 200)
    send = _prepare(pool, [first, second], receiver_public_key=CAROL.public_key, amount=450)
    assert send.circuit == "phoenix_transfer_2"
    result = pool.call("transfer", send.args, RELAYER, statement=_statement(send))
    outputs = placed(result)
    assert [o.to_bytes() for o in outputs] == [
        Note.from_bytes(n).with_pos(o.pos).to_bytes() for n, o in zip(send.output_notes, outputs, strict=True)
    ]
    [carol] = phoenix_wallet.scan_notes(CAROL.view_key, [(o.pos, o.to_bytes()) for o in outputs])
    [change] = phoenix_wallet.scan_notes(BOB.view_key, [(o.pos, o.to_bytes()) for o in outputs])
    assert (carol.value, change.value) == (450, 50)

    payee = account(ALICE)
    before = pool.cash(payee)
    withdraw = _prepare(
        pool,
        [(change.note, change.position)],
        receiver_public_key=BOB.public_key,
        amount=0,
        deposit=30,
        withdraw_to=payee,
    )
    assert withdraw.circuit == "phoenix_transfer"
    pool.call("transfer", withdraw.args, RELAYER, statement=_statement(withdraw), height=13)
    assert pool.cash(payee) == before + 30
    assert pool.pooled() == 450 + 20


def test_invalid_transfers_are_refused_before_signing(pool: Pool) -> None:  # noqa: F811
    note = _bob_note(pool, 100)
    with pytest.raises(phoenix_wallet.PhoenixWalletError) as short:
        _prepare(pool, [note], receiver_public_key=CAROL.public_key, amount=101)
    assert short.value.reason == "insufficient_value"
    with pytest.raises(phoenix_wallet.PhoenixWalletError) as foreign:
        phoenix_wallet.prepare_transfer(
            secret_key=CAROL.secret_key,
            spends=[(note[0], note[1], NoteTree(pool.state).opening(note[1]))],
            root="0x" + NoteTree(pool.state).root().hex(),
            receiver_public_key=BOB.public_key,
            amount=1,
            chain_id=CHAIN_ID,
            contract_id="0x" + bytes(pool.phoenix).hex(),
        )
    assert foreign.value.reason in {"not_owner", "decryption_failed"}
    with pytest.raises(phoenix_wallet.PhoenixWalletError) as stale:
        phoenix_wallet.prepare_transfer(
            secret_key=BOB.secret_key,
            spends=[(note[0], note[1], NoteTree(pool.state).opening(note[1]))],
            root="0x" + bytes(32).hex(),
            receiver_public_key=CAROL.public_key,
            amount=1,
            chain_id=CHAIN_ID,
            contract_id="0x" + bytes(pool.phoenix).hex(),
        )
    assert stale.value.reason == "wrong_root"


def test_a_dvp_buyers_payment_to_the_sellers_chosen_note_settles_the_instruction(pool: Pool) -> None:  # noqa: F811
    """The seller's wallet chooses the note (choose_payment_note), the agent binds the
    instruction to its fields, the buyer's wallet pays with it in a version-2 transfer: the
    security leg moves in the same call and the seller finds the note."""
    note = _bob_note(pool, 500)  # Bob is the buyer here
    security = deploy_cash(pool.state, ISSUER, "SEC", nonce=1)
    dvp = deploy(pool.state, "dvp")
    pool.call("mint", S_ + u64(10), ISSUER, height=SHIELD_HEIGHT, target=security)
    pool.call("approve", contract_address(dvp) + u64(10), SELLER, height=SHIELD_HEIGHT, target=security)
    created = pool.call(
        "create", b"\x01" + bytes(security) + S_ + BUYER_ + u64(10), AGENT, height=SHIELD_HEIGHT, target=dvp
    )
    instruction = int.from_bytes(created.data, "little")
    pool.call("affirm", u64(instruction), SELLER, height=SHIELD_HEIGHT, target=dvp)
    payment = phoenix_wallet.choose_payment_note(receiver_public_key=CAROL.public_key, value=320)
    assert "blinder" not in repr(payment)
    pool.call(
        "bind_shielded_cash",
        encode_dvp_bind_shielded_cash(instruction, payment.fields),
        AGENT,
        height=SHIELD_HEIGHT,
        target=dvp,
    )
    with pytest.raises(phoenix_wallet.PhoenixWalletError):
        _prepare(pool, [note], receiver_public_key=CAROL.public_key, amount=319, payment=payment)

    pay = _prepare(
        pool,
        [note],
        receiver_public_key=CAROL.public_key,
        amount=320,
        payment=payment,
        dvp=("0x" + bytes(dvp).hex(), instruction),
    )
    assert pay.args[0] == 2  # version 2: names the instruction
    result = pool.call("transfer", pay.args, RELAYER, statement=_statement(pay))
    assert query(pool.state, dvp, "status_of", u64(instruction))[0] == 1  # settled
    assert balance(pool.state, security, BUYER_) == 10
    [paid] = phoenix_wallet.scan_notes(CAROL.view_key, [(o.pos, o.to_bytes()) for o in placed(result)])
    assert paid.value == 320
