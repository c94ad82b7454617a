"""process_transaction and state_transition (reference §2.1, §2.2, §2.4)."""

from __future__ import annotations

import os
from dataclasses import replace

import pytest

from chain.node.commit import commit_genesis
from chain.state.accounts import Account
from chain.state.memory import MemoryStore
from chain.state.state import State
from chain.transition.exceptions import InvalidBlock, InvalidTransaction
from chain.transition.params import BASE_TRANSACTION_GAS
from chain.transition.process import (
    BlockContext,
    assemble_block,
    process_transaction,
    state_transition,
    validate_transaction,
)
from chain.transition.roots import compute_block_hash
from chain.types.blocks import Block, BlockHeader
from chain.types.primitives import U64, ContractId, Hash32, Height, Lux, Nonce, Timestamp
from chain.types.receipts import ReceiptStatus
from chain.types.transactions import Call, Deploy, Memo
from tests.chain.helpers import CHAIN_ID, GENESIS_TIME, genesis, keypair, transfer

ALICE, BOB, CAROL, AUTHORITY = (keypair(n) for n in ("alice", "bob", "carol", "authority"))
START = 10**12


@pytest.fixture
def chain():
    """A committed genesis in a memory store: (store, genesis config, genesis header)."""
    store = MemoryStore()
    config = genesis({ALICE.public: START, CAROL.public: START})
    block = commit_genesis(store, config)
    return store, config, block.header


def _context(config) -> BlockContext:
    return BlockContext(config.params, Height(1), Timestamp(GENESIS_TIME + 1))


def test_transfer_moves_value_charges_gas_and_refunds(chain):
    store, config, _ = chain
    state = State(store)
    tx = transfer(ALICE, BOB.public, value=5_000, nonce=1, gas_limit=50_000, gas_price=3)
    receipt = process_transaction(state, tx, _context(config))
    assert receipt.status is ReceiptStatus.SUCCESS
    assert receipt.gas_spent == BASE_TRANSACTION_GAS
    assert receipt.fee_paid == BASE_TRANSACTION_GAS * 3
    assert state.get_account(ALICE.public).balance == START - 5_000 - BASE_TRANSACTION_GAS * 3
    assert state.get_account(ALICE.public).nonce == 1
    assert state.get_account(BOB.public).balance == 5_000
    # The fee joins the block reward (paid to stakes after the transactions), not an account.
    assert state.get_account(AUTHORITY.public).balance == 0
    assert [e.topic for e in receipt.events] == ["moonlight"]


def test_unused_gas_goes_to_the_refund_address(chain):
    store, config, _ = chain
    state = State(store)
    tx = transfer(ALICE, BOB.public, value=1, nonce=1, gas_limit=100_000, gas_price=2, refund=CAROL.public)
    process_transaction(state, tx, _context(config))
    assert state.get_account(CAROL.public).balance == START + (100_000 - BASE_TRANSACTION_GAS) * 2


def test_failed_call_is_charged_and_reverted(chain):
    store, config, _ = chain
    state = State(store)
    call = Call(ContractId(b"\x09" * 32), "transfer", b"args")
    for value, error in ((0, "contract_not_found"), (7_000, "value_not_accepted")):
        tx = transfer(ALICE, BOB.public, value=value, nonce=1, gas_limit=200_000, deposit=11, data=call)
        receipt = process_transaction(State(store), tx, _context(config))
        assert receipt.status is ReceiptStatus.FAILED
        assert receipt.error == error
    receipt = process_transaction(state, tx, _context(config))
    assert state.get_account(BOB.public).balance == 0
    assert state.get_account(ALICE.public).balance == START - receipt.fee_paid
    assert state.get_account(ALICE.public).nonce == 1


def test_failed_deploy_burns_its_gas_limit(chain):
    store, config, _ = chain
    state = State(store)
    deploy = Deploy(b"\x00asm" + bytes(100), ALICE.public, None, U64(0))
    tx = transfer(ALICE, ALICE.public, value=0, nonce=1, gas_limit=6_000_000, gas_price=2000, data=deploy)
    receipt = process_transaction(state, tx, _context(config))
    assert receipt.error == "malformed"
    assert receipt.fee_paid == 6_000_000 * 2000
    assert state.get_account(ALICE.public).balance == START - 6_000_000 * 2000


@pytest.mark.parametrize(("nonce", "reason"), [(0, "nonce_replay"), (2, "nonce_gap")])
def test_invalid_nonce_changes_nothing(chain, nonce, reason):
    store, config, _ = chain
    state = State(store)
    before = state.compute_state_root()
    with pytest.raises(InvalidTransaction) as error:
        process_transaction(state, transfer(ALICE, BOB.public, value=1, nonce=nonce), _context(config))
    assert error.value.reason == reason
    assert state.compute_state_root() == before


def test_invalid_insufficient_balance_changes_nothing(chain):
    store, config, _ = chain
    state = State(store)
    before = state.compute_state_root()
    with pytest.raises(InvalidTransaction) as error:
        process_transaction(state, transfer(BOB, ALICE.public, value=1, nonce=1), _context(config))
    assert error.value.reason == "insufficient_balance"
    assert state.compute_state_root() == before


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"chain_id": CHAIN_ID + 1}, "wrong_chain_id"),
        ({"gas_price": 0}, "zero_gas_price"),
        ({"gas_limit": BASE_TRANSACTION_GAS - 1}, "gas_limit_too_low"),
        ({"value": 2**64 - 1, "gas_limit": 2**40}, "value_overflow"),
    ],
)
def test_invalid_stateless_checks(chain, kwargs, reason):
    _, config, _ = chain
    with pytest.raises(InvalidTransaction) as error:
        validate_transaction(
            transfer(ALICE, BOB.public, **{"value": 1, "nonce": 1, **kwargs}), params=config.params
        )
    assert error.value.reason == reason


def test_invalid_signature_is_rejected(chain):
    _, config, _ = chain
    tx = transfer(ALICE, BOB.public, value=1, nonce=1)
    forged = replace(tx, value=Lux(2))
    with pytest.raises(InvalidTransaction) as error:
        validate_transaction(forged, params=config.params)
    assert error.value.reason == "bad_signature"


def test_memo_costs_gas_per_byte(chain):
    store, config, _ = chain
    tx = transfer(ALICE, BOB.public, value=1, nonce=1, data=Memo(b"x" * 100))
    receipt = process_transaction(State(store), tx, _context(config))
    assert receipt.gas_spent == BASE_TRANSACTION_GAS + 16 * 100


def _assemble(chain, txs):
    store, config, parent = chain
    state = State(store)
    return assemble_block(
        state,
        parent=parent,
        candidates=txs,
        params=config.params,
        timestamp=Timestamp(GENESIS_TIME + 2),
        generator_key=AUTHORITY.secret,
    )


def test_assembled_block_replays_on_another_node(chain):
    store, config, parent = chain
    txs = [transfer(ALICE, BOB.public, value=10 + i, nonce=1 + i) for i in range(5)]
    txs.append(transfer(BOB, ALICE.public, value=1, nonce=5))  # nonce gap: left out
    assembled = _assemble(chain, txs)
    assert len(assembled.block.transactions) == 5
    assert [reason for _, reason in assembled.rejected] == ["nonce_gap"]
    replica = State(store)
    receipts = state_transition(
        replica,
        assembled.block,
        parent=parent,
        params=config.params,
        now=Timestamp(GENESIS_TIME + 2),
        entropy=os.urandom(32),
    )
    assert receipts == assembled.receipts
    assert replica.compute_state_root() == assembled.block.header.state_root
    assert replica.get_account(BOB.public).balance == sum(10 + i for i in range(5))


def _tamper(block: Block, **changes) -> Block:
    return replace(block, header=replace(block.header, **changes))


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"height": Height(5)}, "wrong_height"),
        ({"prev_block_hash": Hash32(b"\x01" * 32)}, "wrong_prev_hash"),
        ({"timestamp": Timestamp(GENESIS_TIME)}, "timestamp_too_early"),
        ({"timestamp": Timestamp(GENESIS_TIME + 10_000)}, "timestamp_in_future"),
        ({"state_root": Hash32(b"\x02" * 32)}, "bad_signature"),
        ({"tx_root": Hash32(b"\x03" * 32)}, "wrong_tx_root"),
    ],
)
def test_invalid_tampered_block_is_rejected_and_state_untouched(chain, change, reason):
    store, config, parent = chain
    block = _assemble(chain, [transfer(ALICE, BOB.public, value=10, nonce=1)]).block
    replica = State(store)
    before = replica.compute_state_root()
    with pytest.raises(InvalidBlock) as error:
        state_transition(
            replica,
            _tamper(block, **change),
            parent=parent,
            params=config.params,
            now=Timestamp(GENESIS_TIME + 2),
            entropy=os.urandom(32),
        )
    assert error.value.reason == reason
    assert replica.compute_state_root() == before
    assert replica.pending_writes() == {}


def test_invalid_state_root_with_valid_signature_is_rejected(chain):
    """A generator that signs a wrong state root is still caught by re-execution."""
    from chain.crypto import bls12_381 as bls

    store, config, parent = chain
    block = _assemble(chain, [transfer(ALICE, BOB.public, value=10, nonce=1)]).block
    header: BlockHeader = replace(block.header, state_root=Hash32(b"\x02" * 32))
    header = replace(header, signature=bls.Sign(AUTHORITY.secret, bytes(compute_block_hash(header))))
    replica = State(store)
    with pytest.raises(InvalidBlock) as error:
        state_transition(
            replica,
            replace(block, header=header),
            parent=parent,
            params=config.params,
            now=Timestamp(GENESIS_TIME + 2),
            entropy=os.urandom(32),
        )
    assert error.value.reason == "wrong_state_root"
    assert replica.pending_writes() == {}


def test_invalid_gas_limit_above_the_block_gas_limit(chain):
    """A transaction that could never fit in a block is refused statelessly."""
    _, config, _ = chain
    tx = transfer(ALICE, BOB.public, value=1, nonce=1, gas_limit=int(config.params.block_gas_limit) + 1)
    with pytest.raises(InvalidTransaction) as error:
        validate_transaction(tx, params=config.params)
    assert error.value.reason == "gas_limit_too_high"


def _transition(chain, state, block):
    _, config, parent = chain
    return state_transition(
        state,
        block,
        parent=parent,
        params=config.params,
        now=Timestamp(GENESIS_TIME + 2),
        entropy=os.urandom(32),
    )


def test_invalid_duplicated_last_transaction_is_rejected(chain):
    """[a, b, c] and [a, b, c, c] share the Merkle root (the last leaf is repeated), hence
    the header and its signature: the copy must be refused on its own (CVE-2012-2459)."""
    from chain.transition.roots import compute_tx_root

    store, _, _ = chain
    block = _assemble(chain, [transfer(ALICE, BOB.public, value=10 + i, nonce=1 + i) for i in range(3)]).block
    assert len(block.transactions) == 3
    padded = replace(block, transactions=(*block.transactions, block.transactions[-1]))
    assert compute_tx_root(padded.transactions) == compute_tx_root(block.transactions)
    assert compute_block_hash(padded.header) == compute_block_hash(block.header)
    replica = State(store)
    with pytest.raises(InvalidBlock) as error:
        _transition(chain, replica, padded)
    assert error.value.reason == "duplicate_transaction"
    assert replica.pending_writes() == {}
    assert len(_transition(chain, replica, block)) == 3


def test_invalid_duplicated_fault_is_rejected(chain):
    from chain.types.blocks import Fault
    from chain.types.primitives import U8

    store, _, _ = chain
    block = _assemble(chain, []).block
    fault = Fault(U8(1), b"evidence")
    with pytest.raises(InvalidBlock) as error:
        _transition(chain, State(store), replace(block, faults=(fault, fault)))
    assert error.value.reason == "duplicate_fault"


def test_invalid_receiver_overflow_rolls_back_cleanly():
    """An overflow while the payload runs (inner snapshot open) is an invalid transaction
    that leaves the state untouched, not a snapshot error."""
    state = State(MemoryStore())
    state.set_account(ALICE.public, Account(Nonce(0), Lux(10**12)))
    state.set_account(BOB.public, Account(Nonce(0), Lux(2**64 - 5)))
    before = dict(state.pending_writes())
    config = genesis({ALICE.public: 1})
    with pytest.raises(InvalidTransaction) as error:
        process_transaction(state, transfer(ALICE, BOB.public, value=10, nonce=1), _context(config))
    assert error.value.reason == "value_overflow"
    assert dict(state.pending_writes()) == before
    state.rollback(state.snapshot())  # no snapshot left open


def test_invalid_unexpected_error_during_execution_rolls_back(chain, monkeypatch):
    import chain.transition.process as process

    store, _, _ = chain
    block = _assemble(chain, [transfer(ALICE, BOB.public, value=10, nonce=1)]).block
    original = process.process_transactions

    def explode(state, transactions, context):
        original(state, transactions, context)
        raise RuntimeError("boom")

    monkeypatch.setattr(process, "process_transactions", explode)
    replica = State(store)
    with pytest.raises(RuntimeError):
        _transition(chain, replica, block)
    assert replica.pending_writes() == {}


def test_signatures_vouched_for_are_skipped_the_others_still_checked(chain):
    """``is_verified`` (the node's mempool) spares re-checking signatures it verified on
    entry; a transaction it does not vouch for is still checked in the block."""
    from chain.crypto import bls12_381 as bls
    from chain.transition.roots import compute_tx_root
    from chain.types.primitives import BlsSignature

    store, config, parent = chain
    good = transfer(ALICE, BOB.public, value=10, nonce=1)
    block = _assemble(chain, [good]).block
    forged_tx = replace(
        good, signature=BlsSignature(transfer(CAROL, BOB.public, value=10, nonce=1).signature)
    )
    header = replace(block.header, tx_root=compute_tx_root([forged_tx]))
    header = replace(header, signature=bls.Sign(AUTHORITY.secret, bytes(compute_block_hash(header))))
    forged = Block(header, (forged_tx,))

    def run(is_verified):
        return state_transition(
            State(store),
            forged,
            parent=parent,
            params=config.params,
            now=Timestamp(GENESIS_TIME + 2),
            entropy=os.urandom(32),
            is_verified=is_verified,
        )

    for vouching in (None, lambda tx: tx == good):
        with pytest.raises(InvalidBlock) as error:
            run(vouching)
        assert error.value.reason == "bad_signature"
    # The same transaction id with the original signature verified on entry: not re-checked.
    calls = []

    def vouch(tx):
        calls.append(tx)
        return tx == good

    receipts = state_transition(
        State(store),
        block,
        parent=parent,
        params=config.params,
        now=Timestamp(GENESIS_TIME + 2),
        entropy=os.urandom(32),
        is_verified=vouch,
    )
    assert calls == [good]
    assert len(receipts) == 1


def test_deploy_and_call_a_contract(chain):
    """A deploy runs the module's init and emits ``deployed``; a call runs in the VM and is
    charged the intrinsic gas plus what the VM spent (reference §2.4)."""
    from pathlib import Path

    from chain.vm.ids import compute_contract_id
    from chain.vm.session import BlockInfo, VmSession

    store, config, _ = chain
    state = State(store)
    bytecode = (Path(__file__).resolve().parents[3] / "chain/contracts/build/counter.wasm").read_bytes()
    deploy = Deploy(bytecode, ALICE.public, (40).to_bytes(8, "little"), U64(3))
    tx = transfer(ALICE, ALICE.public, value=0, nonce=1, gas_limit=20_000_000, gas_price=2000, data=deploy)
    receipt = process_transaction(state, tx, _context(config))
    assert receipt.status is ReceiptStatus.SUCCESS, receipt.error
    counter = compute_contract_id(bytecode, 3, ALICE.public)
    assert [(e.source, e.topic) for e in receipt.events] == [(counter, "deployed")]
    assert receipt.gas_spent < 20_000_000
    increment = Call(counter, "increment", b"")
    call = transfer(ALICE, BOB.public, value=0, nonce=2, gas_limit=2_000_000, data=increment)
    receipt = process_transaction(state, call, _context(config))
    assert receipt.status is ReceiptStatus.SUCCESS, receipt.error
    assert receipt.gas_spent > BASE_TRANSACTION_GAS
    answer = VmSession(state, BlockInfo(1, GENESIS_TIME + 1, CHAIN_ID)).query(counter, "get", b"")
    assert int.from_bytes(answer, "little") == 41
