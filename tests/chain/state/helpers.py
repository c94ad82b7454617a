"""Small builders shared by the state tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from chain.crypto.hashes import sha3_256
from chain.state import State, StoreAPI, compute_state_update
from chain.types.primitives import BlsPublicKey, ContractId, Hash32, Height


def make_pk(i: int) -> BlsPublicKey:
    """A distinct 48-byte key per ``i`` (not a curve point: the state never checks)."""
    return BlsPublicKey(sha3_256(b"pk" + i.to_bytes(8, "big")) + bytes(16))


def make_contract_id(i: int) -> ContractId:
    return ContractId(sha3_256(b"contract" + i.to_bytes(8, "big")))


def make_block_hash(height: int, salt: bytes = b"") -> Hash32:
    return sha3_256(b"block" + height.to_bytes(8, "big") + salt)


def next_height(store: StoreAPI) -> Height:
    head = store.head()
    return Height(0 if head is None else head.height + 1)


def commit_writes(
    store: StoreAPI,
    writes: Mapping[bytes, bytes | None],
    *,
    receipts: Sequence[tuple[Hash32, bytes]] = (),
    events: Sequence[bytes] = (),
) -> Hash32:
    """Commit ``writes`` as the next block with its correct root; return the root."""
    height = next_height(store)
    with store.read_view() as view:
        root = compute_state_update(view, writes).root
    store.commit_block(
        height=height,
        block_hash=make_block_hash(height),
        block_bytes=b"block-" + height.to_bytes(8, "big"),
        state_writes=writes,
        receipts=receipts,
        events=events,
        state_root=root,
    )
    return root


def commit_state(store: StoreAPI, state: State) -> Hash32:
    """Commit a ``State``'s pending writes as the next block; return its root."""
    root = state.compute_state_root()
    assert commit_writes(store, state.pending_writes()) == root
    return root


def all_rows(store: StoreAPI) -> dict[bytes, bytes]:
    return dict(store.iter_prefix(b""))
