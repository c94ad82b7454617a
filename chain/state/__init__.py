"""Accounts, stakes, contract memory commitments, the state root and the stores.

Public API (DESIGN.md, Layout: ``state`` imports only ``types`` and ``crypto``):

- data: :class:`Account`, :class:`Stake`, :class:`StakeAmount` and their codecs;
- :class:`State`, the overlay a block executes against (snapshots, pending writes, root);
- the commitment (:mod:`chain.state.commitment`): root, reference root, entry proofs;
- stores behind :class:`StoreAPI`: :class:`MemoryStore` (tests), :class:`LmdbStore` (nodes).
"""

from chain.state.abc import Head, StateReadAPI, StateViewAPI, StoreAPI, StoredEvent, StoredReceipt
from chain.state.accounts import (
    EMPTY_ACCOUNT,
    Account,
    decode_account,
    encode_account,
    is_empty_account,
)
from chain.state.commitment import (
    BUCKET_COUNT,
    TREE_DEPTH,
    ZERO_HASHES,
    EntryProof,
    StateUpdate,
    compute_bucket,
    compute_bucket_hash,
    compute_entry_leaf,
    compute_state_root_reference,
    compute_state_update,
    decode_entry_proof,
    encode_entry_proof,
    get_state_root,
    prove_entry,
    verify_entry_proof,
)
from chain.state.exceptions import (
    DuplicateEntry,
    HeightMismatch,
    InvalidStateKey,
    InvalidStateValue,
    RevertRefused,
    SnapshotError,
    StateDecodeError,
    StateError,
    StateRootMismatch,
    StoreClosed,
    StoreCorrupt,
    StoreError,
    StoreFull,
)
from chain.state.keys import (
    ACCOUNT_PREFIX,
    CONTRACT_COMMITMENT_PREFIX,
    STAKE_OWNER_PREFIX,
    STAKE_PREFIX,
    compute_account_key,
    compute_contract_commitment_key,
    compute_stake_key,
    compute_stake_owner_key,
)
from chain.state.lmdb_store import LmdbStateView, LmdbStore
from chain.state.memory import MemoryStateView, MemoryStore
from chain.state.stakes import Stake, StakeAmount, decode_stake, encode_stake
from chain.state.state import State

__all__ = [
    "ACCOUNT_PREFIX",
    "BUCKET_COUNT",
    "CONTRACT_COMMITMENT_PREFIX",
    "EMPTY_ACCOUNT",
    "STAKE_OWNER_PREFIX",
    "STAKE_PREFIX",
    "TREE_DEPTH",
    "ZERO_HASHES",
    "Account",
    "DuplicateEntry",
    "EntryProof",
    "Head",
    "HeightMismatch",
    "InvalidStateKey",
    "InvalidStateValue",
    "LmdbStateView",
    "LmdbStore",
    "MemoryStateView",
    "MemoryStore",
    "RevertRefused",
    "SnapshotError",
    "Stake",
    "StakeAmount",
    "State",
    "StateDecodeError",
    "StateError",
    "StateReadAPI",
    "StateRootMismatch",
    "StateUpdate",
    "StateViewAPI",
    "StoreAPI",
    "StoreClosed",
    "StoreCorrupt",
    "StoreError",
    "StoreFull",
    "StoredEvent",
    "StoredReceipt",
    "compute_account_key",
    "compute_bucket",
    "compute_bucket_hash",
    "compute_entry_leaf",
    "compute_contract_commitment_key",
    "compute_stake_key",
    "compute_stake_owner_key",
    "compute_state_root_reference",
    "compute_state_update",
    "decode_account",
    "decode_entry_proof",
    "decode_stake",
    "encode_account",
    "encode_entry_proof",
    "encode_stake",
    "get_state_root",
    "is_empty_account",
    "prove_entry",
    "verify_entry_proof",
]
