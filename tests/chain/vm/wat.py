"""Small WebAssembly test contracts, in the text format, written against docs/vm-abi.md.

The argument buffer ``A`` is at address 1024 in every module; state variables live below it.
"""

from __future__ import annotations

import wasmtime

IMPORTS = """
 (import "env" "c" (func $c (param i32 i32 i32 i32 i64) (result i32)))
 (import "env" "hq" (func $hq (param i32 i32 i32) (result i32)))
 (import "env" "emit" (func $emit (param i32 i32 i32)))
 (import "env" "caller" (func $caller (result i32)))
 (import "env" "callstack" (func $callstack (result i32)))
 (import "env" "self_id" (func $self_id))
 (import "env" "owner" (func $owner (param i32) (result i32)))
 (import "env" "limit" (func $limit (result i64)))
 (import "env" "spent" (func $spent (result i64)))
 (import "env" "panic" (func $panic (param i32)))
"""

#: A u64 counter at address 0: init(start:u64), increment() -> u64, get() -> u64,
#: emit_count() emits topic "count" with the counter, whoami() -> caller bytes.
COUNTER = f"""(module {IMPORTS}
 (memory (export "memory") 2 4)
 (global (export "A") i32 (i32.const 1024))
 (data (i32.const 512) "count")
 (func (export "init") (param $n i32) (result i32)
   (if (i32.eq (local.get $n) (i32.const 8)) (then (i64.store (i32.const 0) (i64.load (i32.const 1024)))))
   (i32.const 0))
 (func (export "increment") (param i32) (result i32)
   (i64.store (i32.const 0) (i64.add (i64.load (i32.const 0)) (i64.const 1)))
   (i64.store (i32.const 1024) (i64.load (i32.const 0)))
   (i32.const 8))
 (func (export "get") (param i32) (result i32)
   (i64.store (i32.const 1024) (i64.load (i32.const 0)))
   (i32.const 8))
 (func (export "emit_count") (param i32) (result i32)
   (i64.store (i32.const 1024) (i64.load (i32.const 0)))
   (call $emit (i32.const 512) (i32.const 5) (i32.const 8))
   (i32.const 0))
 (func (export "whoami") (param i32) (result i32) (call $caller))
 (func (export "hash") (param $n i32) (result i32)
   (call $hq (i32.const 600) (i32.const 10) (local.get $n)))
 (data (i32.const 600) "blake3_256")
 (func (export "height") (param i32) (result i32)
   (call $hq (i32.const 620) (i32.const 12) (i32.const 0)))
 (data (i32.const 620) "block_height")
)"""

#: Failures: panic_now, write_then_panic (writes 99 at 0 first), loop, grow (past the
#: limit: memory.grow returns -1, then traps), bad_return (returns 70,000), query_unknown.
FAILER = f"""(module {IMPORTS}
 (memory (export "memory") 2 4)
 (global (export "A") i32 (i32.const 1024))
 (data (i32.const 512) "bad")
 (data (i32.const 520) "no_such_query")
 (func (export "panic_now") (param i32) (result i32)
   (i32.store8 (i32.const 1024) (i32.const 98)) (call $panic (i32.const 1)) (i32.const 0))
 (func (export "write_then_panic") (param i32) (result i32)
   (i64.store (i32.const 0) (i64.const 99)) (call $panic (i32.const 0)) (i32.const 0))
 (func (export "loop") (param i32) (result i32) (loop $l (br $l)) (i32.const 0))
 (func (export "grow") (param i32) (result i32)
   (if (i32.eq (memory.grow (i32.const 1000)) (i32.const -1)) (then unreachable)) (i32.const 0))
 (func (export "bad_return") (param i32) (result i32) (i32.const 70000))
 (func (export "query_unknown") (param i32) (result i32)
   (call $hq (i32.const 520) (i32.const 13) (i32.const 0)))
 (func (export "get") (param i32) (result i32)
   (i64.store (i32.const 1024) (i64.load (i32.const 0))) (i32.const 8))
)"""

#: Calls the contract whose id init() stored at address 0 (scratch space is the argument
#: buffer's tail, which is not state). call(name_len ‖ name ‖ args) calls
#: ``name`` with ``args`` and returns its result or the negative code as i32; call_then_panic
#: calls, then panics; reenter calls itself.
PROXY = f"""(module {IMPORTS}
 (memory (export "memory") 2 4)
 (global (export "A") i32 (i32.const 1024))
 (func (export "init") (param i32) (result i32)
   (memory.copy (i32.const 0) (i32.const 1024) (i32.const 32)) (i32.const 0))
 (func $forward (param $n i32) (param $gas i64) (result i32) (local $name_len i32) (local $r i32)
   (local.set $name_len (i32.load8_u (i32.const 1024)))
   (memory.copy (i32.const 61024) (i32.const 1025) (local.get $name_len))
   (memory.copy (i32.const 1024) (i32.add (i32.const 1025) (local.get $name_len))
                (i32.sub (local.get $n) (i32.add (i32.const 1) (local.get $name_len))))
   (local.set $r (call $c (i32.const 0) (i32.const 61024) (local.get $name_len)
                 (i32.sub (local.get $n) (i32.add (i32.const 1) (local.get $name_len))) (local.get $gas)))
   (if (i32.lt_s (local.get $r) (i32.const 0))
     (then (i32.store (i32.const 1024) (local.get $r)) (local.set $r (i32.const 4))))
   (local.get $r))
 (func (export "call") (param $n i32) (result i32) (call $forward (local.get $n) (i64.const 0)))
 (func (export "call_limited") (param $n i32) (result i32) (call $forward (local.get $n) (i64.const 5000)))
 (func (export "call_then_panic") (param $n i32) (result i32)
   (drop (call $forward (local.get $n) (i64.const 0))) (call $panic (i32.const 0)) (i32.const 0))
 (func (export "reenter") (param i32) (result i32)
   (call $self_id)
   (memory.copy (i32.const 61024) (i32.const 1024) (i32.const 32))
   (i32.store (i32.const 1024)
     (call $c (i32.const 61024) (i32.const 300) (i32.const 7) (i32.const 0) (i64.const 0)))
   (i32.const 4))
 (data (i32.const 300) "reenter")
 (func (export "stack") (param i32) (result i32) (i32.mul (call $callstack) (i32.const 32)))
)"""


def wasm(text: str) -> bytes:
    return bytes(wasmtime.wat2wasm(text))
