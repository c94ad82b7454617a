"""The state root: a bucketed SHA3-256 Merkle commitment over all state rows.

Definition (also in ``docs/state-commitment.md``)
--------------------------------------------------
Let the state be a set of rows ``key → value`` (raw bytes, namespaces in :mod:`.keys`).

1. **Bucket.** ``bucket(key)`` = the first 12 bits of ``SHA3-256(key)``, i.e.
   ``int.from_bytes(SHA3-256(key)[0:2], "big") >> 4``, in ``0 .. 4095``.
2. **Bucket hash.** The rows of a bucket, sorted by key (bytewise), each give a 64-byte leaf
   ``SHA3-256(key) ‖ SHA3-256(value)``; ``bucket_hash = SHA3-256(leaf_0 ‖ leaf_1 ‖ …)``.
   An empty bucket hashes to 32 zero bytes.
3. **Root.** A binary Merkle tree of fixed depth 12 over the 4,096 bucket hashes in bucket
   order; every internal node is ``SHA3-256(left ‖ right)`` (also over empty subtrees).
   Level 0 holds the bucket hashes, level 12 the root.

The empty state's root is therefore ``ZERO_HASHES[12]``, where ``ZERO_HASHES[0]`` is 32 zero
bytes and ``ZERO_HASHES[l+1] = SHA3-256(ZERO_HASHES[l] ‖ ZERO_HASHES[l])``.

Why buckets: a block rehashes only the buckets it touches (≈ 24 rows each at 100,000 rows)
and their 12-node paths, instead of every row; stores keep rows under
``bucket:u16BE ‖ key`` so that one prefix scan lists a bucket, keep each row's 64-byte leaf
beside its value (so only changed rows are hashed again), and persist the tree nodes.

Two implementations, tested against each other (house style §11):

- :func:`compute_state_root_reference` recomputes everything from a plain mapping;
- :func:`compute_state_update` recomputes only the buckets and paths touched by a set of
  writes over a :class:`~chain.state.abc.StateReadAPI`.

SHA3-256 is the chain's hash for Merkle roots (DESIGN.md, Chain decisions: Hashes). This
replaces Piecrust's page tree (reference/dusk-protocol.md §4) as the block ``state_hash``;
contracts enter it through their memory commitment rows (``b"cmem" ‖ contract_id``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from chain.crypto.hashes import sha3_256
from chain.state.abc import StateReadAPI
from chain.state.exceptions import InvalidStateValue, StateDecodeError
from chain.state.keys import validate_key
from chain.types.codec import Reader, Writer
from chain.types.exceptions import ChainTypesError
from chain.types.primitives import Hash32

BUCKET_BITS: Final = 12
BUCKET_COUNT: Final = 1 << BUCKET_BITS
TREE_DEPTH: Final = BUCKET_BITS
EMPTY_BUCKET_HASH: Final = Hash32(bytes(32))

#: Most entries a decoded proof may list (a bucket holds ~rows/4096 entries).
MAX_PROOF_ENTRIES: Final = 1 << 16


def _compute_zero_hashes() -> tuple[Hash32, ...]:
    hashes = [EMPTY_BUCKET_HASH]
    for _ in range(TREE_DEPTH):
        hashes.append(sha3_256(hashes[-1] + hashes[-1]))
    return tuple(hashes)


#: ``ZERO_HASHES[l]`` is the node of an empty subtree at level ``l``; ``ZERO_HASHES[12]`` is
#: the root of the empty state.
ZERO_HASHES: Final = _compute_zero_hashes()


def _sha3(data: bytes) -> bytes:
    # The hot path hashes raw bytes and wraps only results that leave the module.
    return hashlib.sha3_256(data).digest()


def compute_bucket(key: bytes) -> int:
    """The bucket of ``key``: the first 12 bits of SHA3-256(key), in ``0 .. 4095``."""
    return int.from_bytes(_sha3(key)[:2], "big") >> (16 - BUCKET_BITS)


def compute_entry_leaf(key: bytes, value: bytes) -> bytes:
    """The 64-byte leaf of one row: ``SHA3-256(key) ‖ SHA3-256(value)``."""
    return _sha3(key) + _sha3(value)


def compute_bucket_hash(entries: Iterable[tuple[bytes, bytes]]) -> Hash32:
    """Hash one bucket's rows.

    Parameters
    ----------
    entries
        ``(key, value)`` pairs of one bucket, any order, keys unique.

    Returns
    -------
    Hash32
        ``SHA3-256(‖ SHA3-256(key) ‖ SHA3-256(value))`` over the rows sorted by key, or 32 zero
        bytes if there are none.
    """
    ordered = sorted(entries)
    if not ordered:
        return EMPTY_BUCKET_HASH
    return Hash32(_sha3(b"".join(_sha3(key) + _sha3(value) for key, value in ordered)))


def compute_state_root_reference(entries: Mapping[bytes, bytes]) -> Hash32:
    """The state root of ``entries``, computed from scratch: slow and obviously correct.

    Parameters
    ----------
    entries
        Every state row, ``key → value``.

    Returns
    -------
    Hash32
        The root defined in this module's docstring (4,096 bucket hashes, depth-12 tree).
    """
    buckets: list[list[tuple[bytes, bytes]]] = [[] for _ in range(BUCKET_COUNT)]
    for key, value in entries.items():
        key_hash = sha3_256(key)
        bucket = (key_hash[0] << 4) | (key_hash[1] >> 4)  # the first 12 bits
        buckets[bucket].append((key, value))

    level: list[Hash32] = []
    for rows in buckets:
        if rows:
            leaves = [sha3_256(key) + sha3_256(value) for key, value in sorted(rows)]
            level.append(sha3_256(b"".join(leaves)))
        else:
            level.append(Hash32(bytes(32)))

    while len(level) > 1:
        level = [sha3_256(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


@dataclass(frozen=True, slots=True)
class StateUpdate:
    """The commitment after a set of writes: the new root and every tree node that changed."""

    root: Hash32
    """The new state root (level 12, index 0)."""

    nodes: Mapping[tuple[int, int], Hash32]
    """``(level, index) → hash`` for each recomputed node, bucket hashes at level 0 and the
    root at ``(12, 0)`` included. A store persists these to keep its tree current."""


def validate_state_writes(writes: Mapping[bytes, bytes | None]) -> None:
    """Check a write set: valid keys (:func:`~chain.state.keys.validate_key`), values bytes or None.

    Raises
    ------
    InvalidStateKey
        For a bad key.
    InvalidStateValue
        For a value that is neither ``bytes`` nor ``None``, or a non-mapping.
    """
    if not isinstance(writes, Mapping):
        raise InvalidStateValue(f"state writes must be a mapping, not {type(writes).__name__}")
    for key, value in writes.items():
        validate_key(key)
        if value is not None and not isinstance(value, bytes):
            raise InvalidStateValue(f"state value must be bytes or None, not {type(value).__name__}")


def compute_state_update(base: StateReadAPI, writes: Mapping[bytes, bytes | None]) -> StateUpdate:
    """Recompute the root after ``writes`` by rehashing only the touched buckets and paths.

    Parameters
    ----------
    base
        The committed state: its rows (``iter_bucket``) and tree (``get_tree_node``).
    writes
        ``key → value`` to set, or ``None`` to delete; keys need not exist in ``base``.

    Returns
    -------
    StateUpdate
        The new root and the changed nodes. Cost: one bucket scan per touched bucket and at
        most ``12 × touched buckets`` node hashes; ``base`` is not modified.

    Raises
    ------
    InvalidStateKey, InvalidStateValue
        From :func:`validate_state_writes`.
    """
    validate_state_writes(writes)
    by_bucket: dict[int, list[tuple[bytes, bytes | None]]] = {}
    for key, value in writes.items():
        by_bucket.setdefault(compute_bucket(key), []).append((key, value))

    changed: dict[int, bytes] = {}
    for bucket, bucket_writes in by_bucket.items():
        leaves = dict(base.iter_bucket_leaves(bucket))  # unchanged rows are not rehashed
        for key, value in bucket_writes:
            if value is None:
                leaves.pop(key, None)
            else:
                leaves[key] = _sha3(key) + _sha3(value)
        if leaves:
            changed[bucket] = _sha3(b"".join(leaves[key] for key in sorted(leaves)))
        else:
            changed[bucket] = EMPTY_BUCKET_HASH

    nodes: dict[tuple[int, int], Hash32] = {(0, index): Hash32(h) for index, h in changed.items()}
    for level in range(1, TREE_DEPTH + 1):
        below = changed
        changed = {}
        for parent in {index >> 1 for index in below}:
            left_index, right_index = 2 * parent, 2 * parent + 1
            left = below[left_index] if left_index in below else base.get_tree_node(level - 1, left_index)
            right = below[right_index] if right_index in below else base.get_tree_node(level - 1, right_index)
            changed[parent] = _sha3(left + right)
        nodes.update(((level, index), Hash32(h)) for index, h in changed.items())

    root = nodes[(TREE_DEPTH, 0)] if changed else base.get_tree_node(TREE_DEPTH, 0)
    return StateUpdate(root=root, nodes=nodes)


def get_state_root(base: StateReadAPI) -> Hash32:
    """The committed state root of ``base`` (its tree node at level 12, index 0)."""
    return base.get_tree_node(TREE_DEPTH, 0)


@dataclass(frozen=True, slots=True)
class EntryProof:
    """Evidence that a key holds a value (or is absent) under a state root.

    Only hashes are revealed: the other rows of the bucket appear as
    ``(SHA3(key), SHA3(value))``. Low-entropy values (balances) can still be guessed from
    their hash, so this is an integrity proof, not a private one.
    """

    entries: tuple[tuple[Hash32, Hash32], ...]
    """The bucket's leaves ``(SHA3(key), SHA3(value))``, in bucket (key) order."""

    siblings: tuple[Hash32, ...]
    """The 12 sibling hashes from level 0 (the neighbouring bucket) up to level 11."""


def prove_entry(base: StateReadAPI, key: bytes) -> EntryProof:
    """Build the proof for ``key`` against ``get_state_root(base)``.

    Parameters
    ----------
    base
        Committed state.
    key
        Raw state key (e.g. :func:`~chain.state.keys.compute_account_key`); it may be absent,
        and then the proof shows its absence.

    Returns
    -------
    EntryProof
        The bucket's leaves and the 12-hash Merkle path (size ``64 × rows + 384`` bytes).

    Raises
    ------
    InvalidStateKey
        For a bad key.
    """
    validate_key(key)
    bucket = compute_bucket(key)
    entries = tuple((Hash32(leaf[:32]), Hash32(leaf[32:])) for _, leaf in base.iter_bucket_leaves(bucket))
    siblings = tuple(base.get_tree_node(level, (bucket >> level) ^ 1) for level in range(TREE_DEPTH))
    return EntryProof(entries=entries, siblings=siblings)


def verify_entry_proof(root: Hash32, key: bytes, value: bytes | None, proof: EntryProof) -> bool:
    """Check that under ``root`` the state maps ``key`` to ``value`` (``None``: key absent).

    Parameters
    ----------
    root
        A block's ``state_hash``.
    key, value
        The claimed row; ``value`` is the encoded value (e.g. ``encode_account(...)``).
    proof
        From :func:`prove_entry`.

    Returns
    -------
    bool
        ``True`` only if the proof is well formed, every listed leaf lies in ``key``'s
        bucket, the key occurs at most once, the claim matches the leaves and the recomputed
        root equals ``root``. Never raises for a malformed proof or claim.
    """
    if not isinstance(root, bytes) or len(root) != 32:
        return False
    if not isinstance(key, bytes) or not key or (value is not None and not isinstance(value, bytes)):
        return False
    if not isinstance(proof, EntryProof) or len(proof.siblings) != TREE_DEPTH:
        return False
    if any(not isinstance(s, bytes) or len(s) != 32 for s in proof.siblings):
        return False
    for entry in proof.entries:
        if len(entry) != 2 or any(not isinstance(h, bytes) or len(h) != 32 for h in entry):
            return False

    key_hash = _sha3(key)
    bucket = int.from_bytes(key_hash[:2], "big") >> (16 - BUCKET_BITS)
    if any(int.from_bytes(k[:2], "big") >> (16 - BUCKET_BITS) != bucket for k, _ in proof.entries):
        return False
    matches = [v for k, v in proof.entries if k == key_hash]
    if len({k for k, _ in proof.entries}) != len(proof.entries):
        return False
    if value is None:
        if matches:
            return False
    elif matches != [_sha3(value)]:
        return False

    node = _sha3(b"".join(k + v for k, v in proof.entries)) if proof.entries else bytes(32)
    for level, sibling in enumerate(proof.siblings):
        node = _sha3(sibling + node) if (bucket >> level) & 1 else _sha3(node + sibling)
    return node == root


def encode_entry_proof(proof: EntryProof) -> bytes:
    """``count:u32LE ‖ count × (key_hash[32] ‖ value_hash[32]) ‖ 12 × sibling[32]``.

    Raises
    ------
    InvalidStateValue
        If ``proof`` is not an :class:`EntryProof` of 12 siblings and at most
        ``MAX_PROOF_ENTRIES`` entries.
    """
    if not isinstance(proof, EntryProof) or len(proof.siblings) != TREE_DEPTH:
        raise InvalidStateValue("expected an EntryProof with 12 siblings")
    if len(proof.entries) > MAX_PROOF_ENTRIES:
        raise InvalidStateValue(f"a proof lists at most {MAX_PROOF_ENTRIES} entries")
    writer = Writer().u32(len(proof.entries))
    for key_hash, value_hash in proof.entries:
        writer.fixed(key_hash).fixed(value_hash)
    for sibling in proof.siblings:
        writer.fixed(sibling)
    return writer.to_bytes()


def decode_entry_proof(data: bytes) -> EntryProof:
    """Decode :func:`encode_entry_proof`'s bytes.

    Raises
    ------
    StateDecodeError
        ``short_input``, ``trailing_bytes``, ``out_of_range`` (more than
        ``MAX_PROOF_ENTRIES`` entries) or ``invalid_value``.
    """
    try:
        reader = Reader(data)
        count = reader.u32()
        if count > MAX_PROOF_ENTRIES:
            raise StateDecodeError(f"proof lists {count} entries", reason="out_of_range")
        entries = tuple((reader.fixed(Hash32), reader.fixed(Hash32)) for _ in range(count))
        siblings = tuple(reader.fixed(Hash32) for _ in range(TREE_DEPTH))
        reader.finish()
    except ChainTypesError as exc:
        raise StateDecodeError(f"entry proof: {exc}", reason=exc.reason) from exc
    return EntryProof(entries=entries, siblings=siblings)
