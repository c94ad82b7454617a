"""``State``: the mutable overlay a block executes against (house style §2: only ``State``
and the fork-choice ``Store`` change).

``State`` reads through to a committed :class:`~chain.state.abc.StateReadAPI` (normally a
store's read view) and keeps every write in a pending map. Nothing reaches the store until the
node passes :meth:`State.pending_writes` to ``commit_block``.

Per-transaction atomicity follows execution-specs' snapshot stack (``begin_transaction`` /
``rollback_transaction`` in ``src/ethereum/prague/state.py``): :meth:`State.snapshot` opens a
level, :meth:`State.rollback` undoes every write since it, :meth:`State.release` keeps them.
Levels nest; only the innermost open level may be closed.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Final

from chain.state.abc import StateReadAPI
from chain.state.accounts import EMPTY_ACCOUNT, Account, decode_account, encode_account, is_empty_account
from chain.state.commitment import compute_state_update
from chain.state.contracts import (
    PAGE_BYTES,
    ZERO_PAGE,
    ContractRecord,
    compute_memory_commitment,
    decode_contract_record,
    encode_contract_record,
)
from chain.state.exceptions import InvalidStateValue, SnapshotError, StateDecodeError
from chain.state.keys import (
    LICENCE_TREE_PREFIX,
    NOTE_TREE_PREFIX,
    NULLIFIER_PREFIX,
    STAKE_PREFIX,
    VERIFYING_KEY_PREFIX,
    compute_account_key,
    compute_contract_code_key,
    compute_contract_commitment_key,
    compute_contract_page_key,
    compute_contract_record_key,
    compute_fault_report_key,
    compute_stake_key,
    compute_stake_owner_key,
    compute_verifying_key_key,
)
from chain.state.stakes import Stake, decode_stake, encode_stake
from chain.types.exceptions import ChainTypesError
from chain.types.primitives import BlsPublicKey, ContractId, Hash32, Height


class _Missing(enum.Enum):
    MISSING = enum.auto()


_MISSING: Final = _Missing.MISSING


class State:
    """A write overlay over committed state, with nested snapshots.

    Parameters
    ----------
    base
        Committed state to read through to; never written. Keep it open (and unchanged)
        for the overlay's lifetime, e.g. a store's :meth:`~chain.state.abc.StoreAPI.read_view`.
    """

    def __init__(self, base: StateReadAPI) -> None:
        if not isinstance(base, StateReadAPI):
            raise InvalidStateValue(f"State needs a StateReadAPI, not {type(base).__name__}")
        self._base = base
        self._writes: dict[bytes, bytes | None] = {}
        # Undo log of (key, previous pending value); kept only while a snapshot is open.
        self._journal: list[tuple[bytes, bytes | None | _Missing]] = []
        # Open snapshots, innermost last: (snapshot id, journal length when taken).
        self._snapshots: list[tuple[int, int]] = []
        self._next_snapshot_id = 1
        self._root_cache: Hash32 | None = None

    # -- accounts (reference §2.2) -------------------------------------------------------

    def get_account(self, pk: BlsPublicKey) -> Account:
        """The Moonlight account of ``pk``; a missing one is ``Account(Nonce(0), Lux(0))``.

        Raises
        ------
        InvalidStateValue
            If ``pk`` is not a :class:`BlsPublicKey`.
        StateDecodeError
            If the stored bytes do not decode (a corrupt store).
        """
        raw = self._read(compute_account_key(pk))
        return EMPTY_ACCOUNT if raw is None else decode_account(raw)

    def set_account(self, pk: BlsPublicKey, account: Account) -> None:
        """Set the account of ``pk``; the empty account deletes the row.

        Raises
        ------
        InvalidStateValue
            If ``pk`` or ``account`` has the wrong type.
        """
        key = compute_account_key(pk)
        encoded = encode_account(account)  # validates the type before anything else
        self._write(key, None if is_empty_account(account) else encoded)

    # -- stakes (reference §1.1) ---------------------------------------------------------

    def get_stake(self, pk: BlsPublicKey) -> Stake | None:
        """The stake of provisioner ``pk``, or ``None``.

        Raises
        ------
        InvalidStateValue, StateDecodeError
            As :meth:`get_account`.
        """
        raw = self._read(compute_stake_key(pk))
        return None if raw is None else decode_stake(raw)

    def set_stake(self, pk: BlsPublicKey, stake: Stake | None) -> None:
        """Set the stake of ``pk``; ``None`` deletes it.

        Raises
        ------
        InvalidStateValue
            If ``pk`` or ``stake`` has the wrong type.
        """
        key = compute_stake_key(pk)
        self._write(key, None if stake is None else encode_stake(stake))

    def get_stake_owner(self, pk: BlsPublicKey) -> BlsPublicKey | None:
        """The account recorded as owner of the stake of ``pk``, or ``None`` if none is
        recorded (the transition then treats ``pk`` as its own owner).

        Raises
        ------
        InvalidStateValue
            If ``pk`` is not a :class:`BlsPublicKey`.
        StateDecodeError
            If the stored value is not 48 bytes.
        """
        raw = self._read(compute_stake_owner_key(pk))
        if raw is None:
            return None
        try:
            return BlsPublicKey(raw)
        except ChainTypesError as exc:
            raise StateDecodeError(f"stake owner: {exc}", reason=exc.reason) from exc

    def set_stake_owner(self, pk: BlsPublicKey, owner: BlsPublicKey | None) -> None:
        """Record ``owner`` as the owner of the stake of ``pk``; ``None`` deletes the row.

        Raises
        ------
        InvalidStateValue
            If ``pk`` or ``owner`` is not a :class:`BlsPublicKey`.
        """
        key = compute_stake_owner_key(pk)
        if owner is not None and not isinstance(owner, BlsPublicKey):
            raise InvalidStateValue(f"owner must be a BlsPublicKey, not {type(owner).__name__}")
        self._write(key, None if owner is None else bytes(owner))

    def iter_stakes(self) -> Iterator[tuple[BlsPublicKey, Stake]]:
        """Every stake, committed and pending, sorted ascending by the raw public key bytes
        (the order sortition walks, reference §1.2).

        Returns
        -------
        Iterator[tuple[BlsPublicKey, Stake]]
            Materialised when called: later writes do not affect it.

        Raises
        ------
        StateDecodeError
            If a stored stake or key does not decode.
        """
        rows = dict(self._base.iter_prefix(STAKE_PREFIX))
        for key, value in self._writes.items():
            if key.startswith(STAKE_PREFIX):
                if value is None:
                    rows.pop(key, None)
                else:
                    rows[key] = value
        stakes = []
        for key in sorted(rows):
            try:
                pk = BlsPublicKey(key[len(STAKE_PREFIX) :])
            except ChainTypesError as exc:
                raise StateDecodeError(f"stake key: {exc}", reason=exc.reason) from exc
            stakes.append((pk, decode_stake(rows[key])))
        return iter(stakes)

    # -- contract memory commitments (reference §4) ----------------------------------------

    def get_contract_commitment(self, contract_id: ContractId) -> Hash32 | None:
        """The memory commitment of contract ``contract_id``, or ``None`` if it has none.

        Raises
        ------
        InvalidStateValue
            If ``contract_id`` is not a :class:`~chain.types.primitives.ContractId`.
        StateDecodeError
            If the stored value is not 32 bytes.
        """
        raw = self._read(compute_contract_commitment_key(contract_id))
        if raw is None:
            return None
        try:
            return Hash32(raw)
        except ChainTypesError as exc:
            raise StateDecodeError(f"contract commitment: {exc}", reason=exc.reason) from exc

    def set_contract_commitment(self, contract_id: ContractId, commitment: Hash32 | None) -> None:
        """Set the memory commitment of ``contract_id`` (32 bytes); ``None`` deletes it.

        Raises
        ------
        InvalidStateValue
            If ``contract_id`` is not a ``ContractId`` or ``commitment`` not a ``Hash32``.
        """
        key = compute_contract_commitment_key(contract_id)
        if commitment is not None and not isinstance(commitment, Hash32):
            raise InvalidStateValue(f"commitment must be a Hash32, not {type(commitment).__name__}")
        self._write(key, None if commitment is None else bytes(commitment))

    # -- contracts (reference §4; docs/vm-abi.md) ------------------------------------------

    def get_contract_record(self, contract_id: ContractId) -> ContractRecord | None:
        """The record of a deployed contract, or ``None``.

        Raises
        ------
        InvalidStateValue, StateDecodeError
            A wrong id type; a corrupt row.
        """
        raw = self._read(compute_contract_record_key(contract_id))
        return None if raw is None else decode_contract_record(raw)

    def set_contract_record(self, contract_id: ContractId, record: ContractRecord) -> None:
        """Write the record and the memory commitment it implies (the ``b"cmem"`` row)."""
        self._write(compute_contract_record_key(contract_id), encode_contract_record(record))
        self.set_contract_commitment(contract_id, compute_memory_commitment(record.page_hashes))

    def get_contract_code(self, code_hash: Hash32) -> bytes | None:
        """Bytecode by its BLAKE3 hash, or ``None``."""
        return self._read(compute_contract_code_key(code_hash))

    def set_contract_code(self, code_hash: Hash32, bytecode: bytes) -> None:
        """Store ``bytecode`` under ``code_hash`` (the caller computed it)."""
        self._write(compute_contract_code_key(code_hash), bytes(bytecode))

    def get_contract_page(self, contract_id: ContractId, page: int) -> bytes:
        """Page ``page`` of the contract's memory (64 KiB; zeros if never written).

        Raises
        ------
        StateDecodeError
            A stored page that is not 64 KiB.
        """
        raw = self._read(compute_contract_page_key(contract_id, page))
        if raw is None:
            return ZERO_PAGE
        if len(raw) != PAGE_BYTES:
            raise StateDecodeError(f"page of {len(raw)} bytes", reason="invalid_value")
        return raw

    def set_contract_page(self, contract_id: ContractId, page: int, data: bytes) -> None:
        """Write one 64 KiB page; an all-zero page deletes the row."""
        if len(data) != PAGE_BYTES:
            raise InvalidStateValue(f"a page is {PAGE_BYTES} bytes, not {len(data)}")
        key = compute_contract_page_key(contract_id, page)
        self._write(key, None if data == ZERO_PAGE else bytes(data))

    # -- fault reports (reference §1.8) ---------------------------------------------------

    def get_fault_report(self, digest: Hash32) -> Height | None:
        """The height of the block that carried the fault with SHA3 ``digest``, or ``None``.

        Raises
        ------
        InvalidStateValue
            If ``digest`` is not a ``Hash32``.
        StateDecodeError
            If the stored value is not 8 bytes.
        """
        raw = self._read(compute_fault_report_key(digest))
        if raw is None:
            return None
        if len(raw) != 8:
            raise StateDecodeError(f"fault report of {len(raw)} bytes, expected 8", reason="invalid_value")
        return Height(int.from_bytes(raw, "little"))

    def set_fault_report(self, digest: Hash32, height: Height) -> None:
        """Record that the block at ``height`` carried the fault with SHA3 ``digest``.

        Raises
        ------
        InvalidStateValue
            If ``digest`` is not a ``Hash32`` or ``height`` not a ``Height``.
        """
        key = compute_fault_report_key(digest)
        if not isinstance(height, Height):
            raise InvalidStateValue(f"height must be a Height, not {type(height).__name__}")
        self._write(key, int(height).to_bytes(8, "little"))

    # -- note tree rows (chain/state/note_tree.py) -----------------------------------------

    def get_note_tree_row(self, key: bytes) -> bytes | None:
        """The raw row ``key`` of the note tree's namespace (``b"note"``), or ``None``.

        :mod:`chain.state.note_tree` owns the layout; nothing else should call this.

        Raises
        ------
        InvalidStateValue
            ``key`` is not bytes of the ``b"note"`` namespace.
        """
        return self._read(_require_namespace_key(key, NOTE_TREE_PREFIX))

    def set_note_tree_row(self, key: bytes, value: bytes | None) -> None:
        """Write (``None``: delete) the raw row ``key`` of the note tree's namespace.

        Raises
        ------
        InvalidStateValue
            ``key`` is not bytes of the ``b"note"`` namespace, or ``value`` is not bytes.
        """
        if value is not None and not isinstance(value, bytes):
            raise InvalidStateValue(f"a note tree row is bytes, not {type(value).__name__}")
        self._write(_require_namespace_key(key, NOTE_TREE_PREFIX), value)

    # -- licence tree rows (chain/state/licence_tree.py) ----------------------------------

    def get_licence_tree_row(self, key: bytes) -> bytes | None:
        """The raw row ``key`` of the licence tree's namespace (``b"lict"``), or ``None``.

        :mod:`chain.state.licence_tree` owns the layout; nothing else should call this.

        Raises
        ------
        InvalidStateValue
            ``key`` is not bytes of the ``b"lict"`` namespace.
        """
        return self._read(_require_namespace_key(key, LICENCE_TREE_PREFIX))

    def set_licence_tree_row(self, key: bytes, value: bytes | None) -> None:
        """Write (``None``: delete) the raw row ``key`` of the licence tree's namespace.

        Raises
        ------
        InvalidStateValue
            ``key`` is not bytes of the ``b"lict"`` namespace, or ``value`` is not bytes.
        """
        if value is not None and not isinstance(value, bytes):
            raise InvalidStateValue(f"a licence tree row is bytes, not {type(value).__name__}")
        self._write(_require_namespace_key(key, LICENCE_TREE_PREFIX), value)

    # -- nullifier rows (chain/state/nullifiers.py) ---------------------------------------

    def get_nullifier_row(self, key: bytes) -> bytes | None:
        """The raw row ``key`` of the nullifier set's namespace (``b"nulf"``), or ``None``.

        :mod:`chain.state.nullifiers` owns the layout; nothing else should call this.

        Raises
        ------
        InvalidStateValue
            ``key`` is not bytes of the ``b"nulf"`` namespace.
        """
        return self._read(_require_namespace_key(key, NULLIFIER_PREFIX))

    def set_nullifier_row(self, key: bytes, value: bytes | None) -> None:
        """Write (``None``: delete) the raw row ``key`` of the nullifier set's namespace.

        Raises
        ------
        InvalidStateValue
            ``key`` is not bytes of the ``b"nulf"`` namespace, or ``value`` is not bytes.
        """
        if value is not None and not isinstance(value, bytes):
            raise InvalidStateValue(f"a nullifier row is bytes, not {type(value).__name__}")
        self._write(_require_namespace_key(key, NULLIFIER_PREFIX), value)

    # -- verifying keys (docs/zk.md, "Verification in the chain") --------------------------

    def get_verifying_key_bytes(self, vk_id: Hash32) -> bytes | None:
        """The bytes of the Groth16 verification key registered as ``vk_id``, or ``None``.
        Use :mod:`chain.state.verifying_keys` to register and decode keys.

        Raises
        ------
        InvalidStateValue
            If ``vk_id`` is not a ``Hash32``.
        """
        return self._read(compute_verifying_key_key(vk_id))

    def set_verifying_key_bytes(self, vk_id: Hash32, vk: bytes) -> None:
        """Write the row ``vk_id → vk``; the caller (:func:`chain.state.verifying_keys.
        register_verifying_key`) checked that ``vk`` decodes and that ``vk_id`` is its id.

        Raises
        ------
        InvalidStateValue
            If ``vk_id`` is not a ``Hash32`` or ``vk`` is not non-empty bytes.
        """
        key = compute_verifying_key_key(vk_id)
        if not isinstance(vk, bytes) or not vk:
            raise InvalidStateValue("a verification key is non-empty bytes")
        self._write(key, vk)

    def iter_verifying_key_rows(self) -> Iterator[tuple[Hash32, bytes]]:
        """Every registered ``(vk_id, key bytes)``, committed and pending, ascending by id;
        materialised when called."""
        rows = dict(self._base.iter_prefix(VERIFYING_KEY_PREFIX))
        for key, value in self._writes.items():
            if key.startswith(VERIFYING_KEY_PREFIX):
                if value is None:
                    rows.pop(key, None)
                else:
                    rows[key] = value
        return iter([(Hash32(key[len(VERIFYING_KEY_PREFIX) :]), rows[key]) for key in sorted(rows)])

    # -- atomicity -------------------------------------------------------------------------

    def snapshot(self) -> int:
        """Open a snapshot level and return its id (unique within this ``State``)."""
        snapshot_id = self._next_snapshot_id
        self._next_snapshot_id += 1
        self._snapshots.append((snapshot_id, len(self._journal)))
        return snapshot_id

    def rollback(self, snapshot_id: int) -> None:
        """Undo every write since ``snapshot(snapshot_id)`` and close that level.

        Raises
        ------
        SnapshotError
            ``unknown_snapshot`` if the id is not open, ``not_innermost`` if an inner level
            is still open. Nothing changes.
        """
        journal_length = self._pop_snapshot(snapshot_id)
        while len(self._journal) > journal_length:
            key, previous = self._journal.pop()
            if previous is _MISSING:
                del self._writes[key]
            else:
                self._writes[key] = previous
        self._root_cache = None
        if not self._snapshots:
            self._journal.clear()

    def release(self, snapshot_id: int) -> None:
        """Keep the writes since ``snapshot(snapshot_id)`` and close that level; an outer
        level can still roll them back.

        Raises
        ------
        SnapshotError
            As :meth:`rollback`.
        """
        self._pop_snapshot(snapshot_id)
        if not self._snapshots:
            self._journal.clear()

    # -- what to commit --------------------------------------------------------------------

    def pending_writes(self) -> Mapping[bytes, bytes | None]:
        """A read-only copy of the pending writes, ``key → value`` (``None`` = delete),
        including writes inside still-open snapshots."""
        return MappingProxyType(dict(self._writes))

    def compute_state_root(self) -> Hash32:
        """The state root of committed state plus pending writes, without committing.

        Rehashes only the buckets the pending writes touch and their tree paths
        (:func:`~chain.state.commitment.compute_state_update`); cached until the next write.
        """
        if self._root_cache is None:
            self._root_cache = compute_state_update(self._base, self._writes).root
        return self._root_cache

    # -- internals -------------------------------------------------------------------------

    def _read(self, key: bytes) -> bytes | None:
        if key in self._writes:
            return self._writes[key]
        return self._base.get(key)

    def _write(self, key: bytes, value: bytes | None) -> None:
        if self._snapshots:
            self._journal.append((key, self._writes.get(key, _MISSING)))
        self._writes[key] = value
        self._root_cache = None

    def _pop_snapshot(self, snapshot_id: int) -> int:
        open_ids = [sid for sid, _ in self._snapshots]
        if snapshot_id not in open_ids:
            raise SnapshotError(f"snapshot {snapshot_id!r} is not open", reason="unknown_snapshot")
        if open_ids[-1] != snapshot_id:
            raise SnapshotError(
                f"snapshot {snapshot_id} has inner snapshots still open", reason="not_innermost"
            )
        return self._snapshots.pop()[1]


def _require_namespace_key(key: bytes, prefix: bytes) -> bytes:
    """``key`` if it is bytes under ``prefix`` (the note tree's, the nullifier set's), longer
    than the prefix; else :class:`InvalidStateValue`."""
    if not isinstance(key, bytes) or not key.startswith(prefix) or len(key) <= len(prefix):
        raise InvalidStateValue(f"not a key of the {prefix!r} namespace")
    return key
