"""The nullifier set's host functions (docs/vm-abi.md "Nullifier set"; issue 18):
``nullifier_spend`` spends 1 to 4 nullifiers all or none, ``nullifier_spent`` reads; a double
spend, a duplicate in the batch, a bad count and a non-canonical value are refused with
distinct codes and write nothing; a query cannot spend; gas is charged as documented. The
contract is the note tree tests' WAT contract (``NOTES``), which carries both."""

from __future__ import annotations

import pytest

from chain.crypto.poseidon import MODULUS
from chain.state.note_tree import NoteTree
from chain.state.nullifiers import NullifierSet
from chain.state.state import State
from chain.types.primitives import ContractId
from chain.vm.exceptions import CallFailed
from chain.vm.session import (
    NULLIFIER_BAD_COUNT,
    NULLIFIER_DOUBLE_SPEND,
    NULLIFIER_DUPLICATE,
    NULLIFIER_INVALID,
    NULLIFIER_ITEM_GAS,
    NULLIFIER_READ_ONLY,
    NULLIFIER_SPEND_GAS,
    NULLIFIER_SPENT_GAS,
    NULLIFIER_UNAUTHORISED,
    VmSession,
)
from tests.chain.vm.test_note_tree_host import GAS, OVERHEAD, OWNER, block, call, deploy, leaf


def nullifier_rows(state: State) -> dict[bytes, bytes | None]:
    return {k: v for k, v in state.pending_writes().items() if k.startswith(b"nulf")}


def spend(
    state: State, contract: ContractId, values: list[int], *, count: int | None = None, height: int = 1
) -> int:
    n = len(values) if count is None else count
    args = n.to_bytes(4, "little", signed=True) + b"".join(leaf(v) for v in values)
    return int.from_bytes(call(state, contract, "spend", args, height=height), "little", signed=True)


def is_spent(state: State, contract: ContractId, value: bytes) -> int:
    return int.from_bytes(call(state, contract, "is_spent", value), "little", signed=True)


def test_spend_then_the_same_again_is_a_double_spend_that_writes_nothing(state):
    contract = deploy(state)
    assert is_spent(state, contract, leaf(11)) == 0
    assert spend(state, contract, [11], height=3) == 0
    assert is_spent(state, contract, leaf(11)) == 1
    assert NullifierSet(state).spent_height(leaf(11)) == 3
    before_rows, before_root = nullifier_rows(state), state.compute_state_root()
    assert spend(state, contract, [11], height=4) == NULLIFIER_DOUBLE_SPEND == -2
    # a batch with one spent nullifier spends none of the others
    assert spend(state, contract, [12, 11, 13], height=4) == NULLIFIER_DOUBLE_SPEND
    assert nullifier_rows(state) == before_rows
    assert state.compute_state_root() == before_root
    assert is_spent(state, contract, leaf(12)) == 0
    assert NullifierSet(state).spent_height(leaf(11)) == 3


def test_a_batch_of_four_is_spent_whole(state):
    contract = deploy(state)
    assert spend(state, contract, [1, 2, 3, 0], height=7) == 0
    assert [is_spent(state, contract, leaf(v)) for v in (0, 1, 2, 3, 4)] == [1, 1, 1, 1, 0]
    assert len(nullifier_rows(state)) == 4


def test_a_batch_with_an_internal_duplicate_is_refused_whole(state):
    contract = deploy(state)
    assert spend(state, contract, [21, 22, 21]) == NULLIFIER_DUPLICATE == -3
    assert nullifier_rows(state) == {}
    assert is_spent(state, contract, leaf(22)) == 0


@pytest.mark.parametrize("count", [0, 5, -1])
def test_a_count_outside_1_to_4_is_refused(state, count):
    contract = deploy(state)
    values = [31, 32, 33, 34, 35]
    assert spend(state, contract, values, count=count) == NULLIFIER_BAD_COUNT == -4
    assert nullifier_rows(state) == {}


@pytest.mark.parametrize("bad", [MODULUS, MODULUS + 5, 2**256 - 1])
def test_a_non_canonical_nullifier_is_refused_and_spends_none(state, bad):
    contract = deploy(state)
    assert spend(state, contract, [41, bad]) == NULLIFIER_INVALID == -1
    assert nullifier_rows(state) == {}
    assert is_spent(state, contract, leaf(41)) == 0
    raw = bad.to_bytes(32, "little")
    assert is_spent(state, contract, raw) == NULLIFIER_INVALID
    # the canonical encoding of the same scalar is a different, valid nullifier
    assert spend(state, contract, [bad % MODULUS]) == 0


def test_a_query_may_read_but_not_spend(state):
    contract = deploy(state)
    assert spend(state, contract, [51]) == 0
    session = VmSession(state, block(2))
    assert session.query(contract, "is_spent", leaf(51)) == (1).to_bytes(4, "little")
    assert session.query(contract, "is_spent", leaf(52)) == (0).to_bytes(4, "little")
    answer = session.query(contract, "spend", (1).to_bytes(4, "little") + leaf(52))
    assert int.from_bytes(answer, "little", signed=True) == NULLIFIER_READ_ONLY == -5
    assert not NullifierSet(state).is_spent(leaf(52))
    # the same session spends outside a query
    data = session.call(
        contract, "spend", (1).to_bytes(4, "little") + leaf(52), caller=OWNER.public, gas_limit=GAS
    ).data
    assert data == (0).to_bytes(4, "little")


def test_a_failed_call_takes_its_spend_back(state):
    contract = deploy(state)
    with pytest.raises(CallFailed) as error:
        call(state, contract, "spend_then_trap", (1).to_bytes(4, "little") + leaf(61))
    assert error.value.reason == "trap"
    assert nullifier_rows(state) == {}
    assert spend(state, contract, [61]) == 0


def test_a_range_outside_memory_traps(state):
    contract = deploy(state)
    with pytest.raises(CallFailed) as error:
        call(state, contract, "spend_outside")
    assert error.value.reason == "trap"
    assert nullifier_rows(state) == {}


@pytest.mark.parametrize("count", [1, 2, 4])
def test_spend_costs_the_base_plus_one_price_per_nullifier(state, count):
    contract = deploy(state)
    args = count.to_bytes(4, "little") + b"".join(leaf(70 + i) for i in range(count))
    data = call(state, contract, "gas_spend", args)
    assert int.from_bytes(data[8:12], "little", signed=True) == 0
    gas = int.from_bytes(data[:8], "little")
    assert gas - (NULLIFIER_SPEND_GAS + NULLIFIER_ITEM_GAS * count) in OVERHEAD
    # a refusal costs the same as an acceptance (charged before anything is read)
    refused = call(state, contract, "gas_spend", args)
    assert int.from_bytes(refused[8:12], "little", signed=True) == NULLIFIER_DOUBLE_SPEND
    assert int.from_bytes(refused[:8], "little") == gas


def test_a_bad_count_costs_the_base_and_spent_its_price(state):
    contract = deploy(state)
    data = call(state, contract, "gas_spend", (9).to_bytes(4, "little"))
    assert int.from_bytes(data[8:12], "little", signed=True) == NULLIFIER_BAD_COUNT
    assert int.from_bytes(data[:8], "little") - NULLIFIER_SPEND_GAS in OVERHEAD
    gas = int.from_bytes(call(state, contract, "gas_is_spent", leaf(5)), "little")
    assert gas - NULLIFIER_SPENT_GAS in OVERHEAD


def test_too_little_gas_runs_out_and_spends_nothing(state):
    contract = deploy(state)
    with pytest.raises(CallFailed) as error:
        VmSession(state, block(1)).call(
            contract,
            "spend",
            (1).to_bytes(4, "little") + leaf(81),
            caller=OWNER.public,
            gas_limit=NULLIFIER_SPEND_GAS,
        )
    assert error.value.reason == "out_of_gas"
    assert nullifier_rows(state) == {}


def test_only_the_note_authority_spends_once_one_is_set(state):
    """With a note authority in the state, another contract's spend is -6 and spends none."""
    contract = deploy(state)
    authority = ContractId(b"\x07" * 32)
    NoteTree(state).set_authority(authority)
    assert spend(state, contract, [21]) == NULLIFIER_UNAUTHORISED == -6
    assert nullifier_rows(state) == {}
    assert is_spent(state, contract, leaf(21)) == 0
