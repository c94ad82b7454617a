"""Entry proofs: a key's value (or absence) against a state root, as a regulator checks it."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chain.state import (
    Account,
    EntryProof,
    State,
    StateDecodeError,
    StoreAPI,
    compute_account_key,
    decode_entry_proof,
    encode_account,
    encode_entry_proof,
    get_state_root,
    prove_entry,
    verify_entry_proof,
)
from chain.types.primitives import Hash32, Lux, Nonce
from tests.chain.state.conftest import StoreFactory
from tests.chain.state.helpers import commit_state, commit_writes, make_pk
from tests.chain.state.test_commitment import COLLIDING, KEYS

ACCOUNTS = 300  # ~0.07 per bucket: most proofs list 0-1 neighbours


@pytest.fixture
def populated(store: StoreAPI) -> StoreAPI:
    state = State(store)
    for i in range(ACCOUNTS):
        state.set_account(make_pk(i), Account(Nonce(i), Lux(1000 + i)))
    commit_state(store, state)
    # Crowd one bucket so that proofs with several entries are exercised too.
    commit_writes(store, {key: b"neighbour-" + key for key in COLLIDING})
    return store


def account_claim(i: int) -> tuple[bytes, bytes]:
    return compute_account_key(make_pk(i)), encode_account(Account(Nonce(i), Lux(1000 + i)))


def test_proof_of_present_entries_verifies(populated: StoreAPI) -> None:
    root = get_state_root(populated)
    for i in range(0, ACCOUNTS, 7):
        key, value = account_claim(i)
        assert verify_entry_proof(root, key, value, prove_entry(populated, key))


def test_proof_in_a_crowded_bucket(populated: StoreAPI) -> None:
    root = get_state_root(populated)
    key = COLLIDING[2]
    proof = prove_entry(populated, key)
    assert len(proof.entries) >= 5
    assert verify_entry_proof(root, key, b"neighbour-" + key, proof)


def test_proof_of_absence_verifies(populated: StoreAPI) -> None:
    root = get_state_root(populated)
    for i in range(ACCOUNTS, ACCOUNTS + 20):
        key = compute_account_key(make_pk(i))
        assert verify_entry_proof(root, key, None, prove_entry(populated, key))


def test_proof_round_trips_through_bytes(populated: StoreAPI) -> None:
    key, value = account_claim(5)
    proof = prove_entry(populated, COLLIDING[0])
    assert decode_entry_proof(encode_entry_proof(proof)) == proof
    proof = prove_entry(populated, key)
    raw = encode_entry_proof(proof)
    assert len(raw) == 4 + 64 * len(proof.entries) + 12 * 32
    assert verify_entry_proof(get_state_root(populated), key, value, decode_entry_proof(raw))


def test_proof_against_the_empty_state(store: StoreAPI) -> None:
    key = compute_account_key(make_pk(1))
    proof = prove_entry(store, key)
    assert proof.entries == ()
    assert verify_entry_proof(get_state_root(store), key, None, proof)
    assert not verify_entry_proof(get_state_root(store), key, b"x", proof)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.dictionaries(st.sampled_from(KEYS), st.binary(max_size=20), max_size=len(KEYS)),
    probe=st.sampled_from(KEYS),
)
def test_proofs_verify_for_any_state(
    make_store: StoreFactory, rows: dict[bytes, bytes], probe: bytes
) -> None:
    with make_store() as store:
        commit_writes(store, rows)
        root = get_state_root(store)
        proof = prove_entry(store, probe)
        assert verify_entry_proof(root, probe, rows.get(probe), proof)
        assert not verify_entry_proof(root, probe, rows.get(probe, b"") + b"!", proof)


# -- tampering: every one must fail ------------------------------------------------------------


def flip(h: bytes) -> Hash32:
    return Hash32(bytes([h[0] ^ 1]) + h[1:])


def test_invalid_proof_wrong_value(populated: StoreAPI) -> None:
    key, _ = account_claim(3)
    proof = prove_entry(populated, key)
    forged = encode_account(Account(Nonce(3), Lux(10**12)))
    assert not verify_entry_proof(get_state_root(populated), key, forged, proof)


def test_invalid_proof_claims_absence_of_a_present_key(populated: StoreAPI) -> None:
    key, _ = account_claim(3)
    assert not verify_entry_proof(get_state_root(populated), key, None, prove_entry(populated, key))


def test_invalid_proof_claims_presence_of_an_absent_key(populated: StoreAPI) -> None:
    key = compute_account_key(make_pk(ACCOUNTS + 1))
    proof = prove_entry(populated, key)
    assert not verify_entry_proof(
        get_state_root(populated), key, encode_account(Account(Nonce(0), Lux(1))), proof
    )


def test_invalid_proof_for_another_key(populated: StoreAPI) -> None:
    key, value = account_claim(3)
    other_key, _ = account_claim(4)
    proof = prove_entry(populated, other_key)
    assert not verify_entry_proof(get_state_root(populated), key, value, proof)


def test_invalid_proof_wrong_root(populated: StoreAPI) -> None:
    key, value = account_claim(3)
    proof = prove_entry(populated, key)
    assert not verify_entry_proof(flip(get_state_root(populated)), key, value, proof)


def test_invalid_proof_against_an_older_root(populated: StoreAPI) -> None:
    key, value = account_claim(3)
    old_root = get_state_root(populated)
    state = State(populated)
    state.set_account(make_pk(ACCOUNTS + 5), Account(Nonce(1), Lux(1)))
    commit_state(populated, state)
    # Still valid under the new root (nothing about key changed) but the path differs or not:
    new_proof = prove_entry(populated, key)
    assert verify_entry_proof(get_state_root(populated), key, value, new_proof)
    assert not verify_entry_proof(old_root, key, value, new_proof)


@pytest.mark.parametrize("level", [0, 5, 11])
def test_invalid_proof_tampered_sibling(populated: StoreAPI, level: int) -> None:
    key, value = account_claim(3)
    proof = prove_entry(populated, key)
    siblings = list(proof.siblings)
    siblings[level] = flip(siblings[level])
    tampered = dataclasses.replace(proof, siblings=tuple(siblings))
    assert not verify_entry_proof(get_state_root(populated), key, value, tampered)


def test_invalid_proof_wrong_number_of_siblings(populated: StoreAPI) -> None:
    key, value = account_claim(3)
    proof = prove_entry(populated, key)
    root = get_state_root(populated)
    assert not verify_entry_proof(root, key, value, dataclasses.replace(proof, siblings=proof.siblings[:-1]))
    longer = (*proof.siblings, proof.siblings[-1])
    assert not verify_entry_proof(root, key, value, dataclasses.replace(proof, siblings=longer))


def test_invalid_proof_tampered_neighbour_entry(populated: StoreAPI) -> None:
    key = COLLIDING[2]
    proof = prove_entry(populated, key)
    root = get_state_root(populated)
    own = next(
        i
        for i, (k, _) in enumerate(proof.entries)
        if k == Hash32(__import__("hashlib").sha3_256(key).digest())
    )
    other = (own + 1) % len(proof.entries)
    entries = list(proof.entries)
    entries[other] = (entries[other][0], flip(entries[other][1]))
    assert not verify_entry_proof(
        root, key, b"neighbour-" + key, dataclasses.replace(proof, entries=tuple(entries))
    )


def test_invalid_proof_dropped_or_duplicated_or_reordered_entry(populated: StoreAPI) -> None:
    key = COLLIDING[2]
    value = b"neighbour-" + key
    proof = prove_entry(populated, key)
    root = get_state_root(populated)
    entries = proof.entries
    variants = [
        entries[1:],
        entries[:-1],
        (*entries, entries[0]),
        tuple(reversed(entries)),
    ]
    for variant in variants:
        assert not verify_entry_proof(root, key, value, dataclasses.replace(proof, entries=variant))


def test_invalid_proof_hides_a_key_by_dropping_its_entry(populated: StoreAPI) -> None:
    # Absence cannot be faked by leaving the key's own leaf out.
    key = COLLIDING[2]
    proof = prove_entry(populated, key)
    key_hash = __import__("hashlib").sha3_256(key).digest()
    without = tuple(e for e in proof.entries if e[0] != key_hash)
    assert not verify_entry_proof(
        get_state_root(populated), key, None, dataclasses.replace(proof, entries=without)
    )


def test_invalid_proof_entries_from_another_bucket(populated: StoreAPI) -> None:
    key = COLLIDING[0]  # bucket 0
    stranger = COLLIDING[-1]  # bucket 4095
    proof = prove_entry(populated, key)
    foreign = prove_entry(populated, stranger).entries
    mixed = dataclasses.replace(proof, entries=proof.entries + foreign)
    assert not verify_entry_proof(get_state_root(populated), key, b"neighbour-" + key, mixed)


def test_invalid_proof_malformed_inputs_return_false(populated: StoreAPI) -> None:
    key, value = account_claim(3)
    proof = prove_entry(populated, key)
    root = get_state_root(populated)
    assert not verify_entry_proof(root[:31], key, value, proof)  # type: ignore[arg-type]
    assert not verify_entry_proof(root, b"", value, proof)
    assert not verify_entry_proof(root, key, "text", proof)  # type: ignore[arg-type]
    assert not verify_entry_proof(root, key, value, encode_entry_proof(proof))  # type: ignore[arg-type]
    short_sibling = dataclasses.replace(proof, siblings=(b"\x00" * 31, *proof.siblings[1:]))  # type: ignore[arg-type]
    assert not verify_entry_proof(root, key, value, short_sibling)
    bad_entry = dataclasses.replace(proof, entries=((proof.siblings[0],),))  # type: ignore[arg-type]
    assert not verify_entry_proof(root, key, value, bad_entry)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "short_input"),
        ((0).to_bytes(4, "little") + bytes(32 * 11), "short_input"),
        ((0).to_bytes(4, "little") + bytes(32 * 12 + 1), "trailing_bytes"),
        ((1).to_bytes(4, "little") + bytes(32 * 12), "short_input"),
        ((1 << 20).to_bytes(4, "little"), "out_of_range"),
    ],
)
def test_invalid_proof_bytes(data: bytes, reason: str) -> None:
    with pytest.raises(StateDecodeError) as caught:
        decode_entry_proof(data)
    assert caught.value.reason == reason


def test_empty_proof_bytes_decode() -> None:
    proof = decode_entry_proof((0).to_bytes(4, "little") + bytes(32 * 12))
    assert proof == EntryProof(entries=(), siblings=(Hash32(bytes(32)),) * 12)
