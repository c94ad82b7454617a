"""Running contracts: deploys, calls, nested calls and read-only queries over a ``State``
(docs/vm-abi.md; reference/dusk-protocol.md §4, §2.4).

One :class:`VmSession` serves one transaction (or one query). Each top-level call gets its
own ``wasmtime.Store`` whose fuel is the call's gas; a nested call (host function ``c``) runs
in the same store with its own gas limit carved out of the caller's fuel. Every frame:

1. instantiates the contract's module and restores its memory from its pages in the state;
2. copies the arguments into the argument buffer and calls the export;
3. on success, clears the argument buffer (a mailbox, not state), then writes the pages
   that changed (4 gas per byte) and the new page hashes and memory commitment; the pages
   compared are those the instrumented module marked as written (:mod:`chain.vm.instrument`)
   and the argument buffer's, or every page for an instance's first frame; on any
   failure (panic, trap, out of gas, a host error) rolls the ``State`` back to a snapshot
   taken when the frame began, so every change of the frame and of the calls it made, and
   their events, are undone.

A contract already on the call stack cannot be called again (``reentrancy``); at most
``MAX_CALL_DEPTH`` frames are open.
"""

from __future__ import annotations

import collections
import ctypes
import functools
import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Final

import wasmtime
from wasmtime import _ffi as wasmtime_ffi

from chain.crypto import bls12_381 as bls
from chain.crypto import groth16, phoenix
from chain.crypto.exceptions import CryptoError, ProofRefused
from chain.crypto.hashes import blake2b_256, blake3_256, sha3_256
from chain.crypto.phoenix_circuit import output_fields
from chain.state.contracts import (
    PAGE_BYTES,
    ZERO_PAGE,
    ZERO_PAGE_HASH,
    ContractRecord,
    compute_page_hash,
)
from chain.state.exceptions import (
    DuplicateNullifier,
    InvalidLicenceLeaf,
    InvalidNoteLeaf,
    InvalidNullifier,
    InvalidStateValue,
    LicenceAlreadyRevoked,
    LicencePositionNotFound,
    LicenceTreeFull,
    NoteTreeFull,
    NullifierAlreadySpent,
    UnknownVerifyingKey,
)
from chain.state.licence_tree import LicenceTree
from chain.state.note_tree import NoteTree
from chain.state.nullifiers import MAX_NULLIFIERS_PER_SPEND, NULLIFIER_BYTES, NullifierSet
from chain.state.state import State
from chain.state.verifying_keys import get_verifying_key
from chain.types.primitives import BlsPublicKey, BlsSignature, ContractId, Hash32
from chain.types.receipts import Event
from chain.vm.exceptions import CallFailed, InvalidModule
from chain.vm.ids import compute_contract_id
from chain.vm.instrument import BITS_PER_GLOBAL, DIRTY_GLOBAL_NAMES, PAGE_SHIFT
from chain.vm.module import ARGBUF_BYTES, HOST_IMPORTS, MAX_MEMORY_PAGES, compile_module, get_engine

MAX_CALL_DEPTH: Final = 16
#: Live contract instances kept per thread (each up to 16 MiB of memory and its shadow).
MAX_LIVE_INSTANCES: Final = 32
MAX_TOPIC_BYTES: Final = 64
#: Gas per byte of a page written to the state (reference §4: "stores cost 4 gas per byte").
PAGE_WRITE_GAS_PER_BYTE: Final = 4
CALL_GAS: Final = 1_000
SIMPLE_HOST_GAS: Final = 100
EVENT_GAS_PER_BYTE: Final = 4
HASH_GAS: Final = 500
BLS_VERIFY_GAS: Final = 2_000_000
BLS_AGGREGATE_KEY_GAS: Final = 50_000
#: ``verify_proof`` costs ``PROOF_VERIFY_GAS + PROOF_INPUT_GAS · ⌈inputs_len / 32⌉``: the
#: Groth16 verification time with the key decoded once (the registry's cache), measured by
#: bench/bench_groth16.py as a multiple of a BLS ``Verify`` timed in the same run (1.17–1.29×
#: plus 0.0154–0.0165× per public input, four runs) and priced as ``verify_bls`` prices that
#: (2,000,000 gas), rounded up; derivation in docs/vm-abi.md. A ProvenCall's intrinsic gas
#: uses the same two constants.
PROOF_VERIFY_GAS: Final = 2_600_000
PROOF_INPUT_GAS: Final = 35_000
#: What ``verify_proof`` returns for a ``vk_id`` with no registered key (1 verified, 0 refused).
PROOF_UNKNOWN_KEY: Final = -1
#: What ``proof_statement`` returns when there is no statement to read.
NO_PROOF_STATEMENT: Final = -1
#: Note tree host functions (chain/state/note_tree.py): an append hashes 17 Merkle4 nodes;
#: priced from bench/bench_note_tree.py at ``verify_bls``'s rate (derivation in docs/vm-abi.md).
NOTE_PUSH_GAS: Final = 12_500_000
NOTE_ROOT_GAS: Final = 5_000
NOTE_KNOWN_ROOT_GAS: Final = 10_000
#: Negative results of ``note_push`` (docs/vm-abi.md).
NOTE_PUSH_INVALID_LEAF: Final = -1
NOTE_PUSH_TREE_FULL: Final = -2
NOTE_PUSH_REFUSED: Final = -3
#: ``note_push`` / ``phoenix_note_push`` from a contract that is not the chain's note
#: authority (chain/state/note_tree.py ``NoteTree.authority``; docs/zk.md "Note authority").
NOTE_PUSH_UNAUTHORISED: Final = -4
#: ``phoenix_note_push``: decodes a 302-byte Phoenix note (7 points checked to be in the
#: prime-order subgroup, about 12 ms in Python), hashes it with its position (Poseidon, about
#: 1 ms) and appends it (``NOTE_PUSH_GAS``); priced at ``verify_bls``'s rate, 0.74 gas per ns
#: (docs/vm-abi.md "Gas derivation"): 13 ms ≈ 9,600,000 gas, rounded up.
PHOENIX_NOTE_DECODE_GAS: Final = 10_000_000
#: What ``phoenix_note_push`` writes to argbuf after an append: the note's value commitment,
#: note_pk and sender ciphertexts as 12 scalars (32 bytes LE each), the order of the Phoenix
#: transfer circuit's public inputs (docs/zk.md "Phoenix transfer circuit").
PHOENIX_NOTE_FIELDS: Final = 12
#: Licence tree host functions (chain/state/licence_tree.py; docs/vm-abi.md "Licence tree"):
#: an append or a revocation hashes the 17 Merkle4 nodes of one path, as a note append, and
#: is priced as one (bench/bench_note_tree.py measures both); root and known root as the note
#: tree's.
LICENCE_PUSH_GAS: Final = NOTE_PUSH_GAS
LICENCE_REVOKE_GAS: Final = NOTE_PUSH_GAS
LICENCE_ROOT_GAS: Final = NOTE_ROOT_GAS
LICENCE_KNOWN_ROOT_GAS: Final = NOTE_KNOWN_ROOT_GAS
#: Negative results of ``licence_push`` (the note tree's codes; -1 also for a 0 leaf).
LICENCE_PUSH_INVALID_LEAF: Final = -1
LICENCE_PUSH_TREE_FULL: Final = -2
LICENCE_REFUSED: Final = -3
LICENCE_UNAUTHORISED: Final = -4
#: Negative results of ``licence_revoke`` (also ``LICENCE_REFUSED``, ``LICENCE_UNAUTHORISED``).
LICENCE_REVOKE_NOT_FOUND: Final = -1
LICENCE_REVOKE_ALREADY: Final = -2
#: Nullifier set host functions (chain/state/nullifiers.py): ``nullifier_spend`` costs
#: ``NULLIFIER_SPEND_GAS + NULLIFIER_ITEM_GAS · count`` (a bad count: the base only),
#: ``nullifier_spent`` ``NULLIFIER_SPENT_GAS``; derivation in docs/vm-abi.md.
NULLIFIER_SPEND_GAS: Final = 5_000
NULLIFIER_ITEM_GAS: Final = 25_000
NULLIFIER_SPENT_GAS: Final = 10_000
#: Negative results of ``nullifier_spend`` (and ``NULLIFIER_INVALID`` of ``nullifier_spent``);
#: docs/vm-abi.md. On any of them nothing is spent.
NULLIFIER_INVALID: Final = -1
NULLIFIER_DOUBLE_SPEND: Final = -2
NULLIFIER_DUPLICATE: Final = -3
NULLIFIER_BAD_COUNT: Final = -4
NULLIFIER_READ_ONLY: Final = -5
NULLIFIER_UNAUTHORISED: Final = -6
#: Gas of a read-only query (no transaction pays for it; it bounds the work a node does for
#: an RPC caller to tens of milliseconds).
QUERY_GAS_LIMIT: Final = 50_000_000

ZERO_ARGBUF: Final = bytes(ARGBUF_BYTES)
#: Codes the host function ``c`` returns for a failed nested call (docs/vm-abi.md).
CALL_ERROR_CODES: Final = {
    "panic": -1,
    "trap": -1,
    "bad_return": -1,
    "out_of_gas": -2,
    "contract_not_found": -3,
    "function_not_found": -3,
    "reentrancy": -4,
    "call_depth": -5,
    "argument_too_large": -1,
}


@dataclass(frozen=True, slots=True)
class BlockInfo:
    """What host queries may tell about the block executing the call."""

    height: int
    timestamp: int
    chain_id: int


@dataclass(frozen=True, slots=True)
class CallResult:
    data: bytes
    """The function's return bytes."""
    gas_spent: int
    events: tuple[Event, ...]


class _Abort(Exception):  # noqa: N818 - raised through wasm frames, turned into CallFailed
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(slots=True)
class _Live:
    """A contract instance kept alive between calls, in its own store, with a shadow copy of
    its memory as last committed: a call on an unchanged record needs no instantiation, and
    the pages it changed are found by comparing memory with the shadow (the pages marked in
    the dirty-page bitmap, once ``tracked``)."""

    code_hash: Hash32
    store: wasmtime.Store
    instance: wasmtime.Instance
    memory: wasmtime.Memory
    argbuf: int
    shadow: bytearray
    globals_at_start: tuple[tuple[wasmtime.Global, object, _RawValue | None], ...]
    """Each mutable global with its value after instantiation (and that value for the C API,
    :func:`_set_global`, when it is an integer), restored before every call (a contract's
    state is its memory alone)."""
    page_hashes: bytes
    """The record the memory matches; a call on another record (the state moved on, or was
    rolled back) makes a fresh instance."""
    dirty_bitmap: tuple[wasmtime.Global, ...]
    """The instrumentation's four i64 globals: bit ``p & 63`` of global ``p >> 6`` is set
    when the contract wrote page ``p``; zeroed at the start of every frame."""
    argbuf_pages: tuple[int, ...]
    """The pages the argument buffer spans (the host writes there, unmarked)."""
    tracked: bool = False
    """Whether the bitmap covers every write since memory last matched the shadow: not before
    the first save of a new instance (data segments and restored pages are unmarked)."""
    busy: bool = False


@dataclass(slots=True)
class _Frame:
    contract_id: ContractId
    caller: bytes
    """48-byte account key, 32-byte contract id, or empty (a query)."""
    gas_limit: int
    live: _Live


class VmSession:
    """Executes contracts against ``state`` for one transaction or query.

    Parameters
    ----------
    state
        The overlay to read and write (the caller owns its snapshots around the whole call).
    block
        Height, timestamp and chain id for host queries.
    statement
        ``vk_id ‖ public inputs`` of the proof the transaction carried and the chain verified
        (a ProvenCall), which the top-level frame reads with ``proof_statement``; ``None``
        otherwise.
    """

    def __init__(self, state: State, block: BlockInfo, *, statement: bytes | None = None) -> None:
        self.state = state
        self.block = block
        self.statement = statement
        self._stack: list[_Frame] = []
        self._events: list[Event] = []
        self._read_only = False

    # -- public ------------------------------------------------------------------------
    def call(
        self,
        contract_id: ContractId,
        fn_name: str,
        args: bytes,
        *,
        caller: BlsPublicKey | None,
        gas_limit: int,
    ) -> CallResult:
        """Call ``fn_name`` of ``contract_id`` with ``args`` as a top-level call.

        Raises
        ------
        CallFailed
            With ``gas_spent`` and a reason (class docstring of :class:`CallFailed`); the
            state is as before the call.
        """
        sender = b"" if caller is None else bytes(caller)
        return self._top_level(lambda gas: self._invoke(contract_id, fn_name, args, sender, gas), gas_limit)

    def deploy(
        self,
        bytecode: bytes,
        *,
        owner: BlsPublicKey,
        nonce: int,
        init_args: bytes | None,
        deployer: BlsPublicKey,
        gas_limit: int,
    ) -> tuple[ContractId, CallResult]:
        """Deploy ``bytecode``: check it, store it, instantiate it, run ``init`` (if exported)
        with ``init_args`` and store its memory. Returns the new contract's id.

        Raises
        ------
        InvalidModule
            Bytecode that breaks the ABI's module rules (nothing is written).
        CallFailed
            ``contract_exists``, or ``init`` failed; nothing is written.
        """
        compiled = compile_module(bytecode)
        code_hash = compiled.code_hash
        contract_id = compute_contract_id(bytecode, nonce, owner)
        if self.state.get_contract_record(contract_id) is not None:
            raise CallFailed(f"contract {contract_id.hex()} exists", reason="contract_exists")
        exports = {item.name for item in compiled.module.exports}

        def run(gas: int) -> tuple[bytes, int]:
            snapshot = self.state.snapshot()
            try:
                if self.state.get_contract_code(code_hash) is None:
                    self.state.set_contract_code(code_hash, bytecode)
                self.state.set_contract_record(contract_id, ContractRecord(owner, code_hash, b""))
                name = "init" if "init" in exports else None
                result = self._invoke(contract_id, name, init_args or b"", bytes(deployer), gas)
            except BaseException:
                self.state.rollback(snapshot)
                raise
            self.state.release(snapshot)
            return result

        return contract_id, self._top_level(run, gas_limit)

    def query(self, contract_id: ContractId, fn_name: str, args: bytes) -> bytes:
        """Run a read-only call (no caller, ``QUERY_GAS_LIMIT`` gas) and undo everything.

        Raises
        ------
        CallFailed
            As :meth:`call`.
        """
        snapshot = self.state.snapshot()
        self._read_only = True
        try:
            return self.call(contract_id, fn_name, args, caller=None, gas_limit=QUERY_GAS_LIMIT).data
        finally:
            self._read_only = False
            self.state.rollback(snapshot)

    # -- frames ------------------------------------------------------------------------
    def _top_level(self, run: Callable[[int], tuple[bytes, int]], gas_limit: int) -> CallResult:
        self._stack, self._events = [], []
        _ACTIVE.sessions = [*getattr(_ACTIVE, "sessions", []), self]
        try:
            data, spent = run(gas_limit)
        finally:
            _ACTIVE.sessions = _ACTIVE.sessions[:-1]
        return CallResult(data, spent, tuple(self._events))

    def _invoke(
        self, contract_id: ContractId, fn_name: str | None, args: bytes, caller: bytes, gas_limit: int
    ) -> tuple[bytes, int]:
        """One frame (module docstring) with ``gas_limit`` gas; returns (result, gas spent).
        ``fn_name`` None only instantiates (a deploy without ``init``). Raises ``CallFailed``
        (with ``gas_spent``); the state is then as before the frame."""
        record = self.state.get_contract_record(contract_id)
        if record is None:
            raise CallFailed(f"no contract {contract_id.hex()}", reason="contract_not_found")
        if any(frame.contract_id == contract_id for frame in self._stack):
            raise CallFailed("the contract is already on the call stack", reason="reentrancy")
        if len(self._stack) >= MAX_CALL_DEPTH:
            raise CallFailed(f"more than {MAX_CALL_DEPTH} nested calls", reason="call_depth")
        if len(args) > ARGBUF_BYTES:
            raise CallFailed(f"{len(args)} argument bytes exceed {ARGBUF_BYTES}", reason="argument_too_large")
        snapshot = self.state.snapshot()
        events_mark = len(self._events)
        live: _Live | None = None
        try:
            live = self._acquire(contract_id, record)
            live.store.set_fuel(gas_limit)
            func: wasmtime.Func | None = None
            if fn_name is not None:
                found = (
                    live.instance.exports(live.store).get(fn_name) if fn_name not in ("memory", "A") else None
                )
                if not isinstance(found, wasmtime.Func):
                    raise CallFailed(f"no function {fn_name!r}", reason="function_not_found")
                func = found
            _memory_write(live.store, live.memory, live.argbuf, bytes(args))
            self._stack.append(_Frame(contract_id, caller, gas_limit, live))
            try:
                result = b""
                if func is not None:
                    returned = func(live.store, len(args))
                    if not isinstance(returned, int) or not 0 <= returned <= ARGBUF_BYTES:
                        raise CallFailed(
                            f"return length {returned!r} is outside the buffer", reason="bad_return"
                        )
                    result = _memory_read(live.store, live.memory, live.argbuf, returned)
                self._save_memory(live, contract_id, record)
            finally:
                self._stack.pop()
        except BaseException as exc:
            spent = gas_limit if live is None else gas_limit - live.store.get_fuel()
            if live is not None:
                _discard(contract_id, live)  # its memory is no longer any record's
            self._undo(snapshot, events_mark)
            failure = _as_call_failed(exc)
            if failure is None:
                raise
            failure.gas_spent = spent if live is not None else 0
            if failure is exc:
                raise
            raise failure from exc
        live.busy = False
        self.state.release(snapshot)
        return result, gas_limit - live.store.get_fuel()

    def _undo(self, snapshot: int, events_mark: int) -> None:
        self.state.rollback(snapshot)
        del self._events[events_mark:]

    def _acquire(self, contract_id: ContractId, record: ContractRecord) -> _Live:
        """The contract's live instance if its memory matches ``record``, else a new one."""
        cache = _live_cache()
        live = cache.get(contract_id)
        fresh = live is not None and not live.busy and live.code_hash == record.code_hash
        if live is not None and fresh and live.page_hashes == record.page_hashes:
            cache.move_to_end(contract_id)
            for global_, value, raw in live.globals_at_start:
                if raw is None:
                    global_.set_value(live.store, value)
                else:
                    _set_global(live.store, global_, raw)
            for bitmap_word in live.dirty_bitmap:
                _set_global(live.store, bitmap_word, _RAW_ZERO_I64)
            live.busy = True
            return live
        if live is not None and not live.busy:
            del cache[contract_id]
        live = self._instantiate(contract_id, record)
        if contract_id not in cache:
            cache[contract_id] = live
            while len(cache) > MAX_LIVE_INSTANCES:
                cache.popitem(last=False)
        live.busy = True
        return live

    def _instantiate(self, contract_id: ContractId, record: ContractRecord) -> _Live:
        """A fresh instance whose memory is the stored pages (a new contract keeps what its
        data segments made, and is measured against zero pages)."""
        bytecode = self.state.get_contract_code(record.code_hash)
        if bytecode is None:
            raise CallFailed("the contract's code is missing", reason="contract_not_found")
        compiled = compile_module(bytecode)
        store = wasmtime.Store(get_engine())
        store.set_limits(memory_size=MAX_MEMORY_PAGES * PAGE_BYTES, instances=1)
        store.set_fuel(0)
        instance = _instance_pre(record.code_hash, compiled.module).instantiate(store)
        exports = instance.exports(store)
        memory, argbuf_global = exports["memory"], exports["A"]
        assert isinstance(memory, wasmtime.Memory)  # noqa: S101 - checked by validate_module
        assert isinstance(argbuf_global, wasmtime.Global)  # noqa: S101
        pages = record.page_count
        if pages > memory.size(store):
            memory.grow(store, pages - memory.size(store))
        for index in range(pages):
            offset = index * PAGE_BYTES
            if record.page_hash(index) != ZERO_PAGE_HASH:
                _memory_write(store, memory, offset, self.state.get_contract_page(contract_id, index))
            elif not _is_zero(store, memory, offset):  # zero in the state, not after data segments
                _memory_write(store, memory, offset, ZERO_PAGE)
        argbuf = int(argbuf_global.value(store))
        if not 0 <= argbuf <= memory.data_len(store) - ARGBUF_BYTES:
            raise _Abort("trap", "the argument buffer is outside memory")
        shadow = bytearray(_memory_read(store, memory, 0, pages * PAGE_BYTES)) if pages else bytearray()
        globals_at_start = []
        for name in compiled.mutable_globals:
            found = exports[name]
            assert isinstance(found, wasmtime.Global)  # noqa: S101 - found by find_mutable_globals
            value = found.value(store)
            globals_at_start.append((found, value, _raw_integer(str(found.type(store).content), value)))
        dirty_bitmap = tuple(exports[name] for name in DIRTY_GLOBAL_NAMES)
        assert all(isinstance(word, wasmtime.Global) for word in dirty_bitmap)  # noqa: S101 - instrumented
        argbuf_pages = tuple(range(argbuf >> PAGE_SHIFT, ((argbuf + ARGBUF_BYTES - 1) >> PAGE_SHIFT) + 1))
        return _Live(
            record.code_hash,
            store,
            instance,
            memory,
            argbuf,
            shadow,
            tuple(globals_at_start),
            record.page_hashes,
            dirty_bitmap,  # type: ignore[arg-type]
            argbuf_pages,
        )

    def _save_memory(self, live: _Live, contract_id: ContractId, record: ContractRecord) -> None:
        """Write the pages the call changed (compared with the shadow) to the state, with their
        hashes and the commitment; the argument buffer is cleared first (a mailbox, not state).
        Only the pages the bitmap marks and the argument buffer's are compared, except at an
        instance's first save, which compares them all (:func:`_changed_pages`)."""
        store, memory = live.store, live.memory
        _memory_write(store, memory, live.argbuf, ZERO_ARGBUF)
        size = memory.size(store)
        if len(live.shadow) < size * PAGE_BYTES:
            live.shadow.extend(bytes(size * PAGE_BYTES - len(live.shadow)))
        base = _memory_address(store, memory, 0, size * PAGE_BYTES)
        shadow = (ctypes.c_char * len(live.shadow)).from_buffer(live.shadow)
        shadow_base = ctypes.addressof(shadow)
        if live.tracked:
            dirty = _changed_marked_pages(base, shadow_base, size, _marked_pages(live))
        else:
            dirty = _changed_pages(base, shadow_base, size)
        del shadow
        self._charge(PAGE_WRITE_GAS_PER_BYTE * PAGE_BYTES * len(dirty))
        hashes = bytearray(record.page_hashes) + bytes(ZERO_PAGE_HASH) * (size - record.page_count)
        for index in dirty:
            page = _memory_read(store, memory, index * PAGE_BYTES, PAGE_BYTES)
            self.state.set_contract_page(contract_id, index, page)
            hashes[32 * index : 32 * index + 32] = compute_page_hash(page)
            live.shadow[index * PAGE_BYTES : (index + 1) * PAGE_BYTES] = page
        if dirty or size != record.page_count:
            self.state.set_contract_record(contract_id, replace(record, page_hashes=bytes(hashes)))
        live.page_hashes = bytes(hashes)
        live.tracked = True

    # -- gas ---------------------------------------------------------------------------
    def _charge(self, gas: int) -> None:
        store = self._frame.live.store
        fuel = store.get_fuel()
        if fuel < gas:
            store.set_fuel(0)
            raise _Abort("out_of_gas", f"{gas} gas needed, {fuel} left")
        store.set_fuel(fuel - gas)

    # -- host functions (docs/vm-abi.md) -------------------------------------------------
    # One linker per process (building one costs milliseconds); its functions dispatch to
    # the session running on this thread (:func:`_active_session`).
    @property
    def _frame(self) -> _Frame:
        return self._stack[-1]

    def _read(self, offset: int, length: int) -> bytes:
        live = self._frame.live
        return _memory_read(live.store, live.memory, offset, length)

    def _read_argbuf(self, length: int) -> bytes:
        if not 0 <= length <= ARGBUF_BYTES:
            raise _Abort("trap", f"{length} bytes exceed the argument buffer")
        return self._read(self._frame.live.argbuf, length)

    def _write_argbuf(self, data: bytes) -> int:
        if len(data) > ARGBUF_BYTES:
            raise _Abort("trap", "the answer does not fit the argument buffer")
        live = self._frame.live
        _memory_write(live.store, live.memory, live.argbuf, data)
        return len(data)

    def _host_call(self, callee_ofs: int, name_ofs: int, name_len: int, arg_len: int, gas_limit: int) -> int:
        callee = ContractId(self._read(callee_ofs, 32))
        if not 0 < name_len <= 64:
            raise _Abort("trap", "a function name is 1 to 64 bytes")
        try:
            fn_name = self._read(name_ofs, name_len).decode("ascii")
        except UnicodeDecodeError as exc:
            raise _Abort("trap", "a function name is ASCII") from exc
        args = self._read_argbuf(arg_len)
        self._charge(CALL_GAS + arg_len)
        store = self._frame.live.store
        caller_id = bytes(self._frame.contract_id)
        available = store.get_fuel()
        allowed = available if gas_limit <= 0 else min(gas_limit, available)
        try:
            result, used = self._invoke(callee, fn_name, args, caller_id, allowed)
        except CallFailed as exc:
            store.set_fuel(available - min(exc.gas_spent, allowed))
            return CALL_ERROR_CODES.get(exc.reason, -1)
        store.set_fuel(available - used)
        self._charge(len(result))
        return self._write_argbuf(result)

    def _host_query(self, name_ofs: int, name_len: int, arg_len: int) -> int:
        if not 0 < name_len <= 64:
            raise _Abort("trap", "a query name is 1 to 64 bytes")
        name = self._read(name_ofs, name_len).decode("ascii", errors="replace")
        query = _HOST_QUERIES.get(name)
        if query is None:
            raise _Abort("panic", f"unknown host query {name!r}")
        data = self._read_argbuf(arg_len)
        price, run = query
        self._charge(price(self, data))
        return self._write_argbuf(run(self, data))

    def _host_emit(self, topic_ofs: int, topic_len: int, data_len: int) -> None:
        if not 0 < topic_len <= MAX_TOPIC_BYTES:
            raise _Abort("trap", f"an event topic is 1 to {MAX_TOPIC_BYTES} bytes")
        raw_topic = self._read(topic_ofs, topic_len)
        if not raw_topic.isascii():
            raise _Abort("trap", "an event topic is ASCII")
        data = self._read_argbuf(data_len)
        self._charge(EVENT_GAS_PER_BYTE * (topic_len + data_len))
        self._events.append(Event(self._frame.contract_id, raw_topic.decode("ascii"), data))

    def _host_caller(self) -> int:
        self._charge(SIMPLE_HOST_GAS)
        return self._write_argbuf(self._frame.caller)

    def _host_callstack(self) -> int:
        ids = b"".join(bytes(frame.contract_id) for frame in reversed(self._stack))
        self._charge(SIMPLE_HOST_GAS + len(ids))
        self._write_argbuf(ids)
        return len(self._stack)

    def _host_self_id(self) -> None:
        self._charge(SIMPLE_HOST_GAS)
        self._write_argbuf(bytes(self._frame.contract_id))

    def _host_owner(self, id_ofs: int) -> int:
        self._charge(SIMPLE_HOST_GAS)
        record = self.state.get_contract_record(ContractId(self._read(id_ofs, 32)))
        return 0 if record is None else self._write_argbuf(bytes(record.owner))

    def _host_limit(self) -> int:
        self._charge(SIMPLE_HOST_GAS)
        return self._frame.gas_limit

    def _host_spent(self) -> int:
        self._charge(SIMPLE_HOST_GAS)
        return self._frame.gas_limit - self._frame.live.store.get_fuel()

    def _host_verify_proof(
        self, vk_id_ofs: int, inputs_ofs: int, inputs_len: int, proof_ofs: int, proof_len: int
    ) -> int:
        """1 if the Groth16 proof at ``proof_ofs`` holds for the registered key whose 32-byte
        id is at ``vk_id_ofs`` and the public inputs (byte layouts of
        :mod:`chain.crypto.groth16`), 0 for any refusal, ``PROOF_UNKNOWN_KEY`` (-1) if no key
        has that id. Traps if a range lies outside memory; charged from the lengths alone,
        before anything is read or decoded."""
        live = self._frame.live
        for offset, length in ((vk_id_ofs, 32), (inputs_ofs, inputs_len), (proof_ofs, proof_len)):
            _memory_address(live.store, live.memory, offset, length)
        inputs = -(-inputs_len // groth16.PUBLIC_INPUT_LENGTH)
        self._charge(PROOF_VERIFY_GAS + PROOF_INPUT_GAS * inputs)
        try:
            key = get_verifying_key(self.state, Hash32(self._read(vk_id_ofs, 32)))
        except UnknownVerifyingKey:
            return PROOF_UNKNOWN_KEY
        if proof_len != groth16.PROOF_LENGTH or inputs_len != groth16.PUBLIC_INPUT_LENGTH * key.n_public:
            return 0
        try:
            groth16.verify(key, self._read(inputs_ofs, inputs_len), self._read(proof_ofs, proof_len))
        except ProofRefused:
            return 0
        return 1

    def _host_proof_statement(self) -> int:
        """Write the transaction's verified statement (``vk_id ‖ public inputs``) to argbuf and
        return its length; ``NO_PROOF_STATEMENT`` (-1) in a nested call, a query or a
        transaction without a proof."""
        if self.statement is None or len(self._stack) != 1:
            self._charge(SIMPLE_HOST_GAS)
            return NO_PROOF_STATEMENT
        self._charge(SIMPLE_HOST_GAS + len(self.statement))
        return self._write_argbuf(self.statement)

    # -- the note tree (docs/vm-abi.md "Note tree") --------------------------------------
    def _host_note_push(self, leaf_ofs: int) -> int:
        """Append the 32-byte leaf at ``leaf_ofs`` to the note tree in the block at
        ``self.block.height``; its position, or ``NOTE_PUSH_INVALID_LEAF`` (not a canonical
        scalar), ``NOTE_PUSH_TREE_FULL`` or ``NOTE_PUSH_REFUSED`` (a block height below the
        tree's last append: not on a chain). Charged first; traps only outside memory. The rows
        go to the session's state, so a failed call takes the append back."""
        live = self._frame.live
        _memory_address(live.store, live.memory, leaf_ofs, 32)
        self._charge(NOTE_PUSH_GAS)
        tree = NoteTree(self.state)
        if not tree.allows(self._frame.contract_id):
            return NOTE_PUSH_UNAUTHORISED
        try:
            return tree.append(self._read(leaf_ofs, 32), height=self.block.height)
        except InvalidNoteLeaf:
            return NOTE_PUSH_INVALID_LEAF
        except NoteTreeFull:
            return NOTE_PUSH_TREE_FULL
        except InvalidStateValue:
            return NOTE_PUSH_REFUSED

    def _host_phoenix_note_push(self, note_ofs: int) -> int:
        """Append the 302-byte Phoenix note at ``note_ofs`` (``chain.crypto.phoenix.Note``
        encoding; its ``pos`` field is ignored) as the leaf ``Note.hash`` at the next position,
        and write its 12 public fields (``PHOENIX_NOTE_FIELDS``: value commitment x, y,
        note_pk x, y, then the sender's ``A.c1, A.c2, B.c1, B.c2`` x, y, or 8 zero scalars for
        a contract-info sender) to argbuf. Returns the position, or ``NOTE_PUSH_INVALID_LEAF``
        (the note does not decode: a point off the curve or outside the subgroup, an identity
        stealth address, a bad tag; or a transparent note whose commitment is not
        ``value·G``), ``NOTE_PUSH_TREE_FULL``, ``NOTE_PUSH_REFUSED``,
        ``NOTE_PUSH_UNAUTHORISED``. Charged first; traps only outside memory; a failed call
        takes the append back."""
        live = self._frame.live
        _memory_address(live.store, live.memory, note_ofs, phoenix.NOTE_SIZE)
        self._charge(PHOENIX_NOTE_DECODE_GAS + NOTE_PUSH_GAS)
        tree = NoteTree(self.state)
        if not tree.allows(self._frame.contract_id):
            return NOTE_PUSH_UNAUTHORISED
        try:
            note = phoenix.Note.from_bytes(self._read(note_ofs, phoenix.NOTE_SIZE))
            if note.note_type is phoenix.NoteType.TRANSPARENT:
                note.value_opening()  # a transparent note's commitment must open to its value
        except (CryptoError, ValueError):
            return NOTE_PUSH_INVALID_LEAF
        try:
            position = tree.size()
            placed = note.with_pos(position)
            tree.append(placed.hash().to_bytes(32, "little"), height=self.block.height)
        except NoteTreeFull:
            return NOTE_PUSH_TREE_FULL
        except InvalidStateValue:
            return NOTE_PUSH_REFUSED
        self._write_argbuf(b"".join(v.to_bytes(32, "little") for v in output_fields(note)))
        return position

    def _host_note_root(self) -> int:
        """Write the note tree's root (32 bytes, scalar little-endian) to the argument buffer;
        returns 32."""
        self._charge(NOTE_ROOT_GAS)
        return self._write_argbuf(NoteTree(self.state).root())

    def _host_note_known_root(self, root_ofs: int) -> int:
        """1 if the 32 bytes at ``root_ofs`` are the note tree's root at the end of one of the
        4,320 blocks before this one (``NoteTree.is_known_root``), else 0. Traps only outside
        memory."""
        live = self._frame.live
        _memory_address(live.store, live.memory, root_ofs, 32)
        self._charge(NOTE_KNOWN_ROOT_GAS)
        try:
            return int(NoteTree(self.state).is_known_root(self._read(root_ofs, 32), height=self.block.height))
        except InvalidStateValue:
            return 0

    # -- the licence tree (docs/vm-abi.md "Licence tree") ---------------------------------
    def _host_licence_push(self, leaf_ofs: int) -> int:
        """Append the 32-byte leaf at ``leaf_ofs`` to the licence tree in the block at
        ``self.block.height``; its position, or ``LICENCE_PUSH_INVALID_LEAF`` (not a canonical
        scalar, or 0), ``LICENCE_PUSH_TREE_FULL``, ``LICENCE_REFUSED`` (a block height below the
        tree's last change) or ``LICENCE_UNAUTHORISED`` (not the licence authority). Charged
        first; traps only outside memory; a failed call takes the append back."""
        live = self._frame.live
        _memory_address(live.store, live.memory, leaf_ofs, 32)
        self._charge(LICENCE_PUSH_GAS)
        tree = LicenceTree(self.state)
        if not tree.allows(self._frame.contract_id):
            return LICENCE_UNAUTHORISED
        try:
            return tree.append(self._read(leaf_ofs, 32), height=self.block.height)
        except InvalidLicenceLeaf:
            return LICENCE_PUSH_INVALID_LEAF
        except LicenceTreeFull:
            return LICENCE_PUSH_TREE_FULL
        except InvalidStateValue:
            return LICENCE_REFUSED

    def _host_licence_revoke(self, position: int) -> int:
        """Revoke the licence at ``position`` (an i64) in the block at ``self.block.height``
        (``LicenceTree.revoke``: its leaf becomes 0, and roots that ended a block before this
        one are no longer known). 0, or ``LICENCE_REVOKE_NOT_FOUND`` (not a position of the
        tree), ``LICENCE_REVOKE_ALREADY``, ``LICENCE_REFUSED``, ``LICENCE_UNAUTHORISED``.
        Charged first; a failed call takes the revocation back."""
        self._charge(LICENCE_REVOKE_GAS)
        tree = LicenceTree(self.state)
        if not tree.allows(self._frame.contract_id):
            return LICENCE_UNAUTHORISED
        try:
            tree.revoke(position, height=self.block.height)
        except LicencePositionNotFound:
            return LICENCE_REVOKE_NOT_FOUND
        except LicenceAlreadyRevoked:
            return LICENCE_REVOKE_ALREADY
        except InvalidStateValue:
            return LICENCE_REFUSED
        return 0

    def _host_licence_root(self) -> int:
        """Write the licence tree's root (32 bytes, scalar little-endian) to the argument
        buffer; returns 32."""
        self._charge(LICENCE_ROOT_GAS)
        return self._write_argbuf(LicenceTree(self.state).root())

    def _host_licence_known_root(self, root_ofs: int) -> int:
        """1 if the 32 bytes at ``root_ofs`` are the licence tree's root at the end of one of
        the 4,320 blocks before this one and no revocation happened after that block
        (``LicenceTree.is_known_root``), else 0. Traps only outside memory."""
        live = self._frame.live
        _memory_address(live.store, live.memory, root_ofs, 32)
        self._charge(LICENCE_KNOWN_ROOT_GAS)
        try:
            return int(
                LicenceTree(self.state).is_known_root(self._read(root_ofs, 32), height=self.block.height)
            )
        except InvalidStateValue:
            return 0

    # -- the nullifier set (docs/vm-abi.md "Nullifier set") --------------------------------
    def _host_nullifier_spend(self, ptr: int, count: int) -> int:
        """Spend the ``count`` 32-byte nullifiers at ``ptr`` in the block at
        ``self.block.height``, all or none (:meth:`NullifierSet.spend`): 0, or
        ``NULLIFIER_BAD_COUNT`` (``count`` not 1..4; charged the base only, memory not read),
        ``NULLIFIER_READ_ONLY`` (a query), ``NULLIFIER_INVALID``, ``NULLIFIER_DUPLICATE``,
        ``NULLIFIER_DOUBLE_SPEND``. Traps only for a range outside memory; charged before
        anything is read. The rows go to the session's state: a failed call takes them back."""
        if not 1 <= count <= MAX_NULLIFIERS_PER_SPEND:
            self._charge(NULLIFIER_SPEND_GAS)
            return NULLIFIER_BAD_COUNT
        live = self._frame.live
        _memory_address(live.store, live.memory, ptr, NULLIFIER_BYTES * count)
        self._charge(NULLIFIER_SPEND_GAS + NULLIFIER_ITEM_GAS * count)
        if self._read_only:
            return NULLIFIER_READ_ONLY
        if not NoteTree(self.state).allows(self._frame.contract_id):
            return NULLIFIER_UNAUTHORISED
        data = self._read(ptr, NULLIFIER_BYTES * count)
        batch = [data[i : i + NULLIFIER_BYTES] for i in range(0, len(data), NULLIFIER_BYTES)]
        try:
            NullifierSet(self.state).spend(batch, height=self.block.height)
        except InvalidNullifier:
            return NULLIFIER_INVALID
        except DuplicateNullifier:
            return NULLIFIER_DUPLICATE
        except NullifierAlreadySpent:
            return NULLIFIER_DOUBLE_SPEND
        return 0

    def _host_nullifier_spent(self, ptr: int) -> int:
        """1 if the 32-byte nullifier at ``ptr`` is spent, 0 if not, ``NULLIFIER_INVALID`` if
        it is not a canonical scalar. Allowed in queries. Traps only outside memory."""
        live = self._frame.live
        _memory_address(live.store, live.memory, ptr, NULLIFIER_BYTES)
        self._charge(NULLIFIER_SPENT_GAS)
        try:
            return int(NullifierSet(self.state).is_spent(self._read(ptr, NULLIFIER_BYTES)))
        except InvalidNullifier:
            return NULLIFIER_INVALID

    def _host_panic(self, msg_len: int) -> None:
        message = self._read_argbuf(msg_len).decode("utf-8", errors="replace")
        raise _Abort("panic", message or "panic")


def _memory_address(store: wasmtime.Store, memory: wasmtime.Memory, offset: int, length: int) -> int:
    """The host address of ``memory[offset : offset + length]``; ``_Abort`` (trap) if outside."""
    if offset < 0 or length < 0 or offset + length > memory.data_len(store):
        raise _Abort("trap", "an access points outside the contract's memory")
    return ctypes.addressof(memory.data_ptr(store).contents) + offset


def _memory_write(store: wasmtime.Store, memory: wasmtime.Memory, offset: int, data: bytes) -> None:
    ctypes.memmove(_memory_address(store, memory, offset, len(data)), data, len(data))


def _memory_read(store: wasmtime.Store, memory: wasmtime.Memory, offset: int, length: int) -> bytes:
    return ctypes.string_at(_memory_address(store, memory, offset, length), length)


_libc = ctypes.CDLL(None)
_libc.memcmp.argtypes = (ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t)
_libc.memcmp.restype = ctypes.c_int


def _memcmp(left: int, right: int, length: int) -> int:
    return int(_libc.memcmp(left, right, length))


#: Pages compared per ``memcmp`` before looking page by page inside an unequal chunk.
COMPARE_CHUNK_PAGES: Final = 8


def _changed_pages(base: int, shadow_base: int, count: int) -> list[int]:
    """The pages among the first ``count`` where memory and shadow differ, by reading them
    all (the reference, used for an instance's first save): chunks of
    ``COMPARE_CHUNK_PAGES`` compared at once, page by page only inside a chunk that differs
    (each byte of an unchanged chunk is read once)."""
    changed = []
    for first in range(0, count, COMPARE_CHUNK_PAGES):
        pages = min(COMPARE_CHUNK_PAGES, count - first)
        offset = first * PAGE_BYTES
        if _memcmp(base + offset, shadow_base + offset, pages * PAGE_BYTES) == 0:
            continue
        for index in range(first, first + pages):
            offset = index * PAGE_BYTES
            if _memcmp(base + offset, shadow_base + offset, PAGE_BYTES) != 0:
                changed.append(index)
    return changed


# -- globals through wasmtime's C API ----------------------------------------------------------
# wasmtime-py's ``Global.set_value`` and ``Global.value`` look the global's type up and convert
# through ``Val`` on every call (about 10 µs for a set); every frame resets the contract's
# mutable globals and zeroes the four bitmap words, and every save reads those, so the hot
# path calls the C functions wasmtime-py itself calls (``wasmtime_global_set`` and
# ``wasmtime_global_get``, wasmtime 50) with integer values converted once. The public API is
# the reference; tests compare the two.
_RawValue = wasmtime_ffi.wasmtime_val_t
_RAW_KINDS: Final = {"i32": wasmtime_ffi.WASMTIME_I32, "i64": wasmtime_ffi.WASMTIME_I64}


def _raw_integer(type_name: str, value: object) -> _RawValue | None:
    """``value`` as the C API's value of an ``i32`` or ``i64`` global; None for other types
    (they take the public API)."""
    kind = _RAW_KINDS.get(type_name)
    if kind is None or not isinstance(value, int):
        return None
    raw = wasmtime_ffi.wasmtime_val_t(kind=kind)
    setattr(raw.of, type_name, value)
    return raw


_RAW_ZERO_I64: Final = wasmtime_ffi.wasmtime_val_t(kind=wasmtime_ffi.WASMTIME_I64)


def _set_global(store: wasmtime.Store, global_: wasmtime.Global, raw: _RawValue) -> None:
    """``global_.set_value(store, value)`` for a value made by :func:`_raw_integer`."""
    error = wasmtime_ffi.wasmtime_global_set(
        store._context(), ctypes.byref(global_._global), ctypes.byref(raw)
    )
    if error:
        raise wasmtime.WasmtimeError._from_ptr(error)


def _get_global_i64(store: wasmtime.Store, global_: wasmtime.Global) -> int:
    """``global_.value(store)`` of an ``i64`` global (signed)."""
    raw = wasmtime_ffi.wasmtime_val_t()
    wasmtime_ffi.wasmtime_global_get(store._context(), ctypes.byref(global_._global), ctypes.byref(raw))
    return int(raw.of.i64)


def _marked_pages(live: _Live) -> list[int]:
    """The pages the bitmap marks as written by the contract, with the argument buffer's
    (the host writes there), ascending."""
    pages = set(live.argbuf_pages)
    for word_index, word in enumerate(live.dirty_bitmap):
        bits = _get_global_i64(live.store, word) & _U64_MASK
        while bits:
            lowest = bits & -bits
            pages.add(word_index * BITS_PER_GLOBAL + lowest.bit_length() - 1)
            bits ^= lowest
    return sorted(pages)


_U64_MASK: Final = (1 << 64) - 1


def _changed_marked_pages(base: int, shadow_base: int, count: int, marked: list[int]) -> list[int]:
    """The pages among ``marked`` (and below ``count``) where memory and shadow differ: the
    optimized path of :func:`_changed_pages`, exact as long as every page written since the
    shadow last matched memory is marked (tests compare the two)."""
    changed = []
    for index in marked:
        offset = index * PAGE_BYTES
        if index < count and _memcmp(base + offset, shadow_base + offset, PAGE_BYTES) != 0:
            changed.append(index)
    return changed


def _is_zero(store: wasmtime.Store, memory: wasmtime.Memory, offset: int) -> bool:
    return _memcmp(_memory_address(store, memory, offset, PAGE_BYTES), _ZERO_PAGE_ADDRESS, PAGE_BYTES) == 0


_ZERO_PAGE_BUFFER = ctypes.create_string_buffer(PAGE_BYTES)
_ZERO_PAGE_ADDRESS = ctypes.addressof(_ZERO_PAGE_BUFFER)
_LIVE = threading.local()


def _live_cache() -> collections.OrderedDict[ContractId, _Live]:
    """This thread's live instances, least recently used first."""
    cache = getattr(_LIVE, "cache", None)
    if cache is None:
        cache = _LIVE.cache = collections.OrderedDict()
    return cache


def _discard(contract_id: ContractId, live: _Live) -> None:
    live.busy = False
    cache = _live_cache()
    if cache.get(contract_id) is live:
        del cache[contract_id]


def _as_call_failed(exc: BaseException) -> CallFailed | None:
    """The ``CallFailed`` a failure inside a frame stands for; None for a host bug."""
    if isinstance(exc, CallFailed):
        return exc
    if isinstance(exc, _Abort):
        return CallFailed(str(exc), reason=exc.reason)
    if isinstance(exc, wasmtime.Trap):
        reason = "out_of_gas" if exc.trap_code == wasmtime.TrapCode.OUT_OF_FUEL else "trap"
        return CallFailed(str(exc).splitlines()[0], reason=reason)
    if isinstance(exc, wasmtime.WasmtimeError):
        return CallFailed(str(exc).splitlines()[0], reason="trap")
    return None


_ACTIVE = threading.local()
"""``sessions``: the sessions running top-level calls on this thread, innermost last."""


def _active_session() -> VmSession:
    return _ACTIVE.sessions[-1]  # type: ignore[no-any-return]


_HOST_METHODS: Final = {
    "c": "_host_call",
    "hq": "_host_query",
    "emit": "_host_emit",
    "caller": "_host_caller",
    "callstack": "_host_callstack",
    "self_id": "_host_self_id",
    "owner": "_host_owner",
    "limit": "_host_limit",
    "spent": "_host_spent",
    "panic": "_host_panic",
    "verify_proof": "_host_verify_proof",
    "proof_statement": "_host_proof_statement",
    "note_push": "_host_note_push",
    "phoenix_note_push": "_host_phoenix_note_push",
    "note_root": "_host_note_root",
    "note_known_root": "_host_note_known_root",
    "licence_push": "_host_licence_push",
    "licence_revoke": "_host_licence_revoke",
    "licence_root": "_host_licence_root",
    "licence_known_root": "_host_licence_known_root",
    "nullifier_spend": "_host_nullifier_spend",
    "nullifier_spent": "_host_nullifier_spent",
}


def _dispatch(method: str) -> Callable[..., object]:
    def host_function(*args: int) -> object:
        return getattr(_active_session(), method)(*args)

    return host_function


@functools.cache
def _linker() -> wasmtime.Linker:
    linker = wasmtime.Linker(get_engine())
    for name, (params, results) in HOST_IMPORTS.items():
        func_type = wasmtime.FuncType(list(params), list(results))
        linker.define_func("env", name, func_type, _dispatch(_HOST_METHODS[name]))
    return linker


_instance_pres: dict[Hash32, wasmtime.InstancePre] = {}
_instance_pres_lock = threading.Lock()


def _instance_pre(code_hash: Hash32, module: wasmtime.Module) -> wasmtime.InstancePre:
    """The module pre-linked to the host functions (cached: linking is per module, not per call)."""
    with _instance_pres_lock:
        pre = _instance_pres.get(code_hash)
        if pre is None:
            if len(_instance_pres) >= 512:
                _instance_pres.pop(next(iter(_instance_pres)))
            pre = _linker().instantiate_pre(module)
            _instance_pres[code_hash] = pre
        return pre


def _hash_query(
    function: Callable[[bytes], bytes], per_byte: int
) -> tuple[Callable[[VmSession, bytes], int], Callable[[VmSession, bytes], bytes]]:
    return (lambda _s, data: HASH_GAS + per_byte * len(data)), (lambda _s, data: bytes(function(data)))


def _verify_bls(_session: VmSession, data: bytes) -> bytes:
    if len(data) < 48 + 96:
        raise _Abort("panic", "verify_bls takes pk[48] ‖ sig[96] ‖ message")
    try:
        ok = bls.Verify(BlsPublicKey(data[:48]), data[144:], BlsSignature(data[48:144]))
    except ValueError:
        ok = False
    return bytes([1 if ok else 0])


def _aggregate_count(data: bytes) -> int:
    if len(data) < 4:
        raise _Abort("panic", "verify_bls_aggregate takes count:u32 ‖ pk[48]·count ‖ sig[96] ‖ message")
    return int.from_bytes(data[:4], "little")


def _verify_bls_aggregate(_session: VmSession, data: bytes) -> bytes:
    count = _aggregate_count(data)
    keys_end = 4 + 48 * count
    if count == 0 or len(data) < keys_end + 96:
        raise _Abort("panic", "verify_bls_aggregate takes count:u32 ‖ pk[48]·count ‖ sig[96] ‖ message")
    try:
        keys = [BlsPublicKey(data[4 + 48 * i : 52 + 48 * i]) for i in range(count)]
        ok = bls.FastAggregateVerify(
            keys, data[keys_end + 96 :], BlsSignature(data[keys_end : keys_end + 96])
        )
    except ValueError:
        ok = False
    return bytes([1 if ok else 0])


def _note_authority(session: VmSession, _data: bytes) -> bytes:
    """The id of the chain's note authority (32 bytes), or nothing when it has none."""
    authority = NoteTree(session.state).authority()
    return b"" if authority is None else bytes(authority)


def _u64(value: int) -> bytes:
    return value.to_bytes(8, "little")


_HOST_QUERIES: Final[
    dict[str, tuple[Callable[[VmSession, bytes], int], Callable[[VmSession, bytes], bytes]]]
] = {
    "blake2b_256": _hash_query(blake2b_256, 2),
    "blake3_256": _hash_query(blake3_256, 1),
    "sha3_256": _hash_query(sha3_256, 2),
    "sha256": _hash_query(lambda data: Hash32(hashlib.sha256(data).digest()), 2),
    "verify_bls": (lambda _s, _d: BLS_VERIFY_GAS, _verify_bls),
    "verify_bls_aggregate": (
        lambda _s, data: BLS_VERIFY_GAS + BLS_AGGREGATE_KEY_GAS * _aggregate_count(data),
        _verify_bls_aggregate,
    ),
    "block_height": (lambda _s, _d: SIMPLE_HOST_GAS, lambda s, _d: _u64(s.block.height)),
    "block_timestamp": (lambda _s, _d: SIMPLE_HOST_GAS, lambda s, _d: _u64(s.block.timestamp)),
    "chain_id": (lambda _s, _d: SIMPLE_HOST_GAS, lambda s, _d: bytes([s.block.chain_id])),
    "note_authority": (lambda _s, _d: SIMPLE_HOST_GAS, _note_authority),
}

__all__ = [
    "BlockInfo",
    "CallFailed",
    "CallResult",
    "InvalidModule",
    "VmSession",
    "compute_contract_id",
]
