"""A deterministic block writer for the crash tests: the child process commits these blocks
(or reverts and recommits them) in a loop until it is killed; the test replays the same
functions to know what to expect."""

from __future__ import annotations

import sys

from chain.crypto.hashes import sha3_256
from chain.state import LmdbStore, compute_state_update
from chain.types.primitives import Hash32, Height

ROWS_PER_BLOCK = 1500
KEY_SPACE = 6000
EVENTS_PER_BLOCK = 3


def block_writes(height: int) -> dict[bytes, bytes | None]:
    """Overlapping updates, plus one delete per block, so rows are created, changed and removed."""
    writes: dict[bytes, bytes | None] = {}
    for j in range(ROWS_PER_BLOCK):
        i = (height * 977 + j) % KEY_SPACE
        writes[b"acct" + i.to_bytes(48, "big")] = height.to_bytes(8, "little") + j.to_bytes(8, "little")
    writes[b"acct" + ((height * 31) % KEY_SPACE).to_bytes(48, "big")] = None
    return writes


def block_hash(height: int) -> Hash32:
    return sha3_256(b"crash-block" + height.to_bytes(8, "big"))


def tx_id(height: int) -> Hash32:
    return sha3_256(b"crash-tx" + height.to_bytes(8, "big"))


def block_events(height: int) -> list[bytes]:
    return [b"event %d/%d" % (height, k) for k in range(EVENTS_PER_BLOCK)]


def expected_rows(head: int) -> dict[bytes, bytes]:
    rows: dict[bytes, bytes] = {}
    for height in range(head + 1):
        for key, value in block_writes(height).items():
            if value is None:
                rows.pop(key, None)
            else:
                rows[key] = value
    return rows


def commit(store: LmdbStore, height: int) -> None:
    """Commit block ``height``, printing ``begin h`` before and ``done h`` after;
    block bytes carry the state root."""
    writes = block_writes(height)
    with store.read_view() as view:
        root = compute_state_update(view, writes).root
    print("begin", height, flush=True)
    store.commit_block(
        height=Height(height),
        block_hash=block_hash(height),
        block_bytes=height.to_bytes(8, "big") + root,
        state_writes=writes,
        receipts=[(tx_id(height), b"receipt %d" % height)],
        events=block_events(height),
        state_root=root,
    )
    print("done", height, flush=True)


def run(path: str) -> None:
    """Commit blocks forever."""
    store = LmdbStore(path, map_size=1 << 20)  # small on purpose: growth happens mid-stream
    head = store.head()
    height = 0 if head is None else head.height + 1
    while True:
        commit(store, height)
        height += 1


def run_reverts(path: str, min_height: int = 3) -> None:
    """Commit up to ``min_height``, then forever revert the head (printing ``begin revert h``
    and ``done revert h``) and commit the same block again."""
    store = LmdbStore(path, map_size=1 << 20)
    head = store.head()
    height = 0 if head is None else head.height + 1
    while height <= min_height:
        commit(store, height)
        height += 1
    while True:
        top = height - 1
        print("begin revert", top, flush=True)
        store.revert_head(expected_hash=block_hash(top))
        print("done revert", top, flush=True)
        commit(store, top)


if __name__ == "__main__":
    run(sys.argv[1])
