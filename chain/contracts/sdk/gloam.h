/*
 * gloam.h: the C SDK for Gloam contracts (docs/vm-abi.md, Piecrust's ABI).
 *
 * A contract is one C file, compiled freestanding (no libc) for wasm32 and linked with
 * sdk/gloam.c, which defines the argument buffer `A` and the few libc routines the compiler
 * may call (memcpy, memmove, memset, memcmp). Build with `make contracts`.
 *
 * The argument buffer. `A` is a 64 KiB byte array in linear memory, exported as the
 * immutable i32 global `A` (its address). An exported function receives its arguments as
 * the first `arg_len` bytes of `A` and returns the number of bytes of `A` that are its
 * result. Every host function below writes its answer to `A` too, so read (or copy) your
 * arguments before calling the host.
 *
 * State. Linear memory is the contract's state: C globals keep their value from one call
 * to the next. A call that panics or traps changes nothing.
 *
 * Integers in arguments and results are little-endian (gloam_read_u64 and friends).
 */
#ifndef GLOAM_H
#define GLOAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- the argument buffer ---------------------------------------------------------- */

#define GLOAM_ARGBUF_LEN 65536u

/* Defines the argument buffer. sdk/gloam.c does this once; contracts never need to. */
#define GLOAM_DEFINE_ARGBUF() __attribute__((aligned(16))) uint8_t A[GLOAM_ARGBUF_LEN]

/* The argument buffer (exported as the global `A`). */
extern uint8_t A[GLOAM_ARGBUF_LEN];

/* ---- exported functions ----------------------------------------------------------- */

/*
 * GLOAM_EXPORT(name) declares an exported contract function `name` with the ABI type
 * (i32 arg_len) -> i32 ret_len. Example:
 *
 *     GLOAM_EXPORT(get) {
 *         (void)arg_len;
 *         return gloam_ret_u64(counter);
 *     }
 *
 * An export named `init` is called once at deploy with the init arguments.
 */
#define GLOAM_EXPORT(name) \
    __attribute__((export_name(#name))) uint32_t name(uint32_t arg_len); \
    uint32_t name(uint32_t arg_len)

/* ---- host functions (module "env"), exactly the signatures of docs/vm-abi.md ------ */

#define GLOAM_IMPORT(name) __attribute__((import_module("env"), import_name(name)))

/* c: call `name` of contract `callee` (32-byte id) with A[0..arg_len); returns the result
 * length (result in A) or a negative GLOAM_CALL_* code. gas_limit 0: all that is left. */
GLOAM_IMPORT("c")
int32_t gloam_host_c(const uint8_t *callee, const char *name, uint32_t name_len, uint32_t arg_len,
                     uint64_t gas_limit);
/* hq: host query `name` over A[0..arg_len); the answer is written to A, its length returned.
 * An unknown query panics. */
GLOAM_IMPORT("hq") uint32_t gloam_host_hq(const char *name, uint32_t name_len, uint32_t arg_len);
/* emit: event with an ASCII topic (<= 64 bytes) and data A[0..data_len). */
GLOAM_IMPORT("emit") void gloam_host_emit(const char *topic, uint32_t topic_len, uint32_t data_len);
/* caller: writes the caller to A; returns 32 (a contract id), 48 (the sender's key) or 0. */
GLOAM_IMPORT("caller") uint32_t gloam_host_caller(void);
/* callstack: writes the 32-byte ids on the call stack to A, innermost first; returns the count. */
GLOAM_IMPORT("callstack") uint32_t gloam_host_callstack(void);
/* self_id: writes this contract's 32-byte id to A. */
GLOAM_IMPORT("self_id") void gloam_host_self_id(void);
/* owner: writes the 48-byte owner key of contract `id` to A; returns 48, or 0 if none. */
GLOAM_IMPORT("owner") uint32_t gloam_host_owner(const uint8_t *id);
/* limit / spent: gas limit of this call, gas spent by it so far. */
GLOAM_IMPORT("limit") uint64_t gloam_host_limit(void);
GLOAM_IMPORT("spent") uint64_t gloam_host_spent(void);
/* panic: aborts the call with A[0..msg_len) (UTF-8) as its message. Never returns. */
GLOAM_IMPORT("panic") __attribute__((noreturn)) void gloam_host_panic(uint32_t msg_len);

/* ---- the note tree (docs/vm-abi.md "Note tree"; docs/zk.md "Note tree") ---------- */
/* note_push: append the 32-byte leaf at `leaf` (a BLS12-381 scalar, little-endian, < r) to the
 * chain's note tree (Poseidon, arity 4, depth 17); returns its position (>= 0) or a negative
 * GLOAM_NOTE_* code. Reverted with the rest of the call if the call fails. */
GLOAM_IMPORT("note_push") int64_t gloam_host_note_push(const uint8_t *leaf);
/* phoenix_note_push: append the 302-byte Phoenix note at `note` (chain.crypto.phoenix encoding;
 * its pos field ignored) as the leaf Note.hash at the next position, then write its 12 public
 * fields (value commitment x, y, note_pk x, y, sender A.c1, A.c2, B.c1, B.c2 x, y; 32 bytes LE
 * each, 384 bytes) to A. Returns the position or a negative GLOAM_NOTE_* code (INVALID_LEAF:
 * the note does not decode, or a transparent note's commitment is not value*G).
 * Gas 22,500,000. Only the chain's note authority may append (GLOAM_NOTE_UNAUTHORISED). */
GLOAM_IMPORT("phoenix_note_push") int64_t gloam_host_phoenix_note_push(const uint8_t *note);
/* note_root: writes the tree's current root (32 bytes, little-endian) to A; returns 32. */
GLOAM_IMPORT("note_root") uint32_t gloam_host_note_root(void);
/* note_known_root: 1 if the 32 bytes at `root` are the root at the end of one of the last
 * 4,320 blocks before this one, else 0. */
GLOAM_IMPORT("note_known_root") uint32_t gloam_host_note_known_root(const uint8_t *root);

/* Negative results of gloam_host_note_push. */
#define GLOAM_NOTE_INVALID_LEAF (-1)
#define GLOAM_NOTE_TREE_FULL (-2)
#define GLOAM_NOTE_REFUSED (-3)
#define GLOAM_NOTE_UNAUTHORISED (-4)

/* ---- the licence tree (docs/vm-abi.md "Licence tree"; docs/zk.md "Citadel on chain") ---- */
/* licence_push: append the 32-byte leaf at `leaf` (a non-zero BLS12-381 scalar, little-endian,
 * < r) to the chain's Citadel licence tree (Poseidon, arity 4, depth 17); returns its position
 * (>= 0) or a negative GLOAM_LICENCE_* code. Only the chain's licence authority may append.
 * Reverted with the rest of the call if the call fails. Gas 12,500,000. */
GLOAM_IMPORT("licence_push") int64_t gloam_host_licence_push(const uint8_t *leaf);
/* licence_revoke: set the leaf at `pos` to 0 (the licence is revoked); 0 or a negative
 * GLOAM_LICENCE_* code. From then on no root that ended a block before this one is known.
 * Only the licence authority may revoke. Gas 12,500,000. */
GLOAM_IMPORT("licence_revoke") int32_t gloam_host_licence_revoke(int64_t pos);
/* licence_root: writes the licence tree's current root (32 bytes, little-endian) to A; returns 32. */
GLOAM_IMPORT("licence_root") uint32_t gloam_host_licence_root(void);
/* licence_known_root: 1 if the 32 bytes at `root` are the licence tree's root at the end of one
 * of the last 4,320 blocks before this one and no revocation happened after that block, else 0. */
GLOAM_IMPORT("licence_known_root") uint32_t gloam_host_licence_known_root(const uint8_t *root);

/* Negative results of gloam_host_licence_push and gloam_host_licence_revoke. */
#define GLOAM_LICENCE_INVALID_LEAF (-1) /* push: not a canonical scalar, or 0 */
#define GLOAM_LICENCE_TREE_FULL (-2)    /* push */
#define GLOAM_LICENCE_NOT_FOUND (-1)    /* revoke: not a position of the tree */
#define GLOAM_LICENCE_REVOKED (-2)      /* revoke: already revoked */
#define GLOAM_LICENCE_REFUSED (-3)
#define GLOAM_LICENCE_UNAUTHORISED (-4)

/* ---- the nullifier set (docs/vm-abi.md "Nullifier set"; docs/zk.md "Nullifier set") ---- */
/* nullifier_spend: spend the `count` (1..4) 32-byte nullifiers at `nullifiers` (BLS12-381
 * scalars, little-endian, < r) in the block being executed, all or none: 0, or a negative
 * GLOAM_NULLIFIER_* code and nothing is spent. Reverted with the call if the call fails.
 * Gas 5,000 + 25,000 per nullifier (a bad count: 5,000). */
GLOAM_IMPORT("nullifier_spend") int32_t gloam_host_nullifier_spend(const uint8_t *nullifiers, uint32_t count);
/* nullifier_spent: 1 if the 32-byte nullifier at `nullifier` is spent, 0 if not,
 * GLOAM_NULLIFIER_INVALID if it is not a canonical scalar. Allowed in queries. Gas 10,000. */
GLOAM_IMPORT("nullifier_spent") int32_t gloam_host_nullifier_spent(const uint8_t *nullifier);

/* Negative results of gloam_host_nullifier_spend (and INVALID of gloam_host_nullifier_spent). */
#define GLOAM_NULLIFIER_INVALID (-1)
#define GLOAM_NULLIFIER_DOUBLE_SPEND (-2)
#define GLOAM_NULLIFIER_DUPLICATE (-3)
#define GLOAM_NULLIFIER_BAD_COUNT (-4)
#define GLOAM_NULLIFIER_READ_ONLY (-5)
#define GLOAM_NULLIFIER_UNAUTHORISED (-6)
/* verify_proof: verifies a Groth16 proof over BLS12-381 (192 bytes, A ‖ B ‖ C compressed)
 * for the verification key registered in the chain state under the 32-byte `vk_id` and
 * `inputs_len` bytes of public inputs (32 bytes each, little-endian scalars). Returns 1 if it
 * holds, 0 if refused (any reason), GLOAM_PROOF_UNKNOWN_KEY if no key has that id. Gas is
 * charged from the lengths first (docs/vm-abi.md); docs/zk.md "Verification in the chain". */
GLOAM_IMPORT("verify_proof")
int32_t gloam_host_verify_proof(const uint8_t *vk_id, const uint8_t *inputs, uint32_t inputs_len,
                                const uint8_t *proof, uint32_t proof_len);
/* proof_statement: in the frame a proven call (transaction tag 4) called, writes the statement
 * its proof proved, vk_id[32] ‖ public inputs, to A and returns its length; the chain verified
 * the proof before the call. GLOAM_NO_PROOF_STATEMENT in a nested call, a query, or a
 * transaction without a proof. */
GLOAM_IMPORT("proof_statement") int32_t gloam_host_proof_statement(void);

#define GLOAM_PROOF_UNKNOWN_KEY (-1)
#define GLOAM_NO_PROOF_STATEMENT (-1)

/* Negative results of gloam_host_c / gloam_call. */
#define GLOAM_CALL_PANICKED (-1)
#define GLOAM_CALL_OUT_OF_GAS (-2)
#define GLOAM_CALL_NOT_FOUND (-3)
#define GLOAM_CALL_REENTRANCY (-4)
#define GLOAM_CALL_TOO_DEEP (-5)

/* ---- memory and little-endian helpers --------------------------------------------- */

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

static inline uint32_t gloam_strlen(const char *s) {
    uint32_t n = 0;
    while (s[n] != 0) n++;
    return n;
}

static inline uint16_t gloam_read_u16(const uint8_t *p) {
    return (uint16_t)(p[0] | (uint16_t)p[1] << 8);
}
static inline uint32_t gloam_read_u32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t gloam_read_u64(const uint8_t *p) {
    return (uint64_t)gloam_read_u32(p) | (uint64_t)gloam_read_u32(p + 4) << 32;
}
static inline void gloam_write_u16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void gloam_write_u32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline void gloam_write_u64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* Result helpers: write one value at A[0] and return its length, for `return gloam_ret_u64(x);`. */
static inline uint32_t gloam_ret_u32(uint32_t v) {
    gloam_write_u32(A, v);
    return 4;
}
static inline uint32_t gloam_ret_u64(uint64_t v) {
    gloam_write_u64(A, v);
    return 8;
}

/* ---- panics ------------------------------------------------------------------------ */

/* Aborts the call with `len` bytes at `msg` (anywhere in memory, A included) as its message. */
static inline __attribute__((noreturn)) void gloam_panic_bytes(const void *msg, uint32_t len) {
    if (len > GLOAM_ARGBUF_LEN) len = GLOAM_ARGBUF_LEN;
    memmove(A, msg, len);
    gloam_host_panic(len);
}

/* Aborts the call with the NUL-terminated message `msg`: gloam_panic("counter: bad init"). */
static inline __attribute__((noreturn)) void gloam_panic(const char *msg) {
    gloam_panic_bytes(msg, gloam_strlen(msg));
}

/* Panics with `msg` unless `cond` holds. */
static inline void gloam_require(bool cond, const char *msg) {
    if (!cond) gloam_panic(msg);
}

/* ---- events ------------------------------------------------------------------------ */

/* Emits an event with topic `topic` (NUL-terminated ASCII) and data A[0..data_len). */
static inline void gloam_emit(const char *topic, uint32_t data_len) {
    gloam_host_emit(topic, gloam_strlen(topic), data_len);
}

/* Emits an event with `len` bytes at `data` (copied into A first, so A is overwritten). */
static inline void gloam_emit_bytes(const char *topic, const void *data, uint32_t len) {
    memmove(A, data, len);
    gloam_emit(topic, len);
}

/* ---- calling another contract ------------------------------------------------------ */

/*
 * Calls function `fn` (NUL-terminated) of contract `callee` (32 bytes, anywhere in memory)
 * with A[0..arg_len) as its arguments and at most `gas_limit` gas (0: all that is left).
 * Returns the result length (the result is in A) or a negative GLOAM_CALL_* code; a failed
 * callee's changes are reverted and this contract may continue.
 */
static inline int32_t gloam_call(const uint8_t *callee, const char *fn, uint32_t arg_len,
                                 uint64_t gas_limit) {
    return gloam_host_c(callee, fn, gloam_strlen(fn), arg_len, gas_limit);
}

/* ---- context ----------------------------------------------------------------------- */

/* Copies this contract's 32-byte id to `out`. */
static inline void gloam_self_id(uint8_t out[32]) {
    gloam_host_self_id();
    memcpy(out, A, 32);
}

/* Writes the caller to A; returns its length: 32 (contract id), 48 (sender key) or 0 (query). */
static inline uint32_t gloam_caller(void) { return gloam_host_caller(); }

/* A bump arena above the linker's heap base, growing memory a page at a time, for records
 * that live until the contract is gone; `*top` is the contract's arena pointer (0: empty).
 * Panics with `full` past `limit` bytes or when memory cannot grow. */
extern uint8_t __heap_base;

static inline uint8_t *gloam_arena_alloc(uint32_t *top, uint32_t n, uint32_t limit, const char *full) {
    if (*top == 0) *top = ((uint32_t)(uintptr_t)&__heap_base + 7u) & ~7u;
    uint32_t start = *top;
    uint32_t end = start + n;
    if (end > limit) gloam_panic(full);
    uint32_t need = (end + 65535u) >> 16;
    uint32_t have = (uint32_t)__builtin_wasm_memory_size(0);
    if (need > have && __builtin_wasm_memory_grow(0, need - have) == (size_t)-1) gloam_panic(full);
    *top = (end + 7u) & ~7u;
    return (uint8_t *)(uintptr_t)start;
}

/* FNV-1a over `n` bytes, with the high half folded into the low bits. */
static inline uint32_t gloam_fnv1a(const uint8_t *p, uint32_t n) {
    uint32_t h = 2166136261u;
    for (uint32_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
    return h ^ (h >> 16);
}

/* Open addressing over `slots` (mask + 1 entries, each 0 or the address of a record whose
 * first `len` bytes are its key): the slot holding `key`, or the empty slot where it goes. */
static inline uint32_t gloam_find_slot(const uint32_t *slots, uint32_t mask, const uint8_t *key, uint32_t len) {
    uint32_t h = gloam_fnv1a(key, len) & mask;
    for (;;) {
        uint32_t r = slots[h];
        if (r == 0 || memcmp((const uint8_t *)(uintptr_t)r, key, len) == 0) return h;
        h = (h + 1) & mask;
    }
}

/* Addresses (docs/contracts.md, Conventions): tag 0 ‖ 48-byte account key, or
 * tag 1 ‖ 32-byte contract id ‖ 16 zero bytes. */
#define GLOAM_ADDRESS_LEN 49u

/* Panics `invalid_address` unless `a` is a well-formed Address. */
static inline void gloam_check_address(const uint8_t *a) {
    if (a[0] == 0) return;
    if (a[0] == 1) {
        for (uint32_t i = 33; i < GLOAM_ADDRESS_LEN; i++)
            if (a[i] != 0) gloam_panic("invalid_address: a contract Address ends in 16 zero bytes");
        return;
    }
    gloam_panic("invalid_address: the tag is 0 (account) or 1 (contract)");
}

/* The caller as an Address in `out` (49 bytes, not inside A's first 48 bytes); panics
 * `no_caller` in a read-only query. Overwrites A. */
static inline void gloam_caller_address(uint8_t *out) {
    uint32_t n = gloam_caller();
    if (n == 0) gloam_panic("no_caller: this function needs a caller");
    out[0] = n == 48 ? 0 : 1;
    memmove(out + 1, A, n);
    memset(out + 1 + n, 0, 48 - n);
}

/* Writes the call stack to A (32-byte ids, innermost first); returns the number of ids. */
static inline uint32_t gloam_callstack(void) { return gloam_host_callstack(); }

/* Copies the 48-byte owner key of contract `id` to `out`; false if there is no such contract. */
static inline bool gloam_owner(const uint8_t id[32], uint8_t out[48]) {
    if (gloam_host_owner(id) != 48) return false;
    memcpy(out, A, 48);
    return true;
}

static inline uint64_t gloam_gas_limit(void) { return gloam_host_limit(); }
static inline uint64_t gloam_gas_spent(void) { return gloam_host_spent(); }

/* ---- host queries ------------------------------------------------------------------ */

/* Host query `name` (NUL-terminated) over A[0..arg_len); the answer is in A, its length returned. */
static inline uint32_t gloam_hq(const char *name, uint32_t arg_len) {
    return gloam_host_hq(name, gloam_strlen(name), arg_len);
}

static inline void gloam_hash_query_(const char *name, const void *data, uint32_t len, uint8_t out[32]) {
    memmove(A, data, len);
    if (gloam_hq(name, len) != 32) gloam_panic("gloam: bad hash answer");
    memcpy(out, A, 32);
}

/* 32-byte digests of `len` bytes at `data` (anywhere in memory; A is overwritten). */
static inline void gloam_blake2b_256(const void *data, uint32_t len, uint8_t out[32]) {
    gloam_hash_query_("blake2b_256", data, len, out);
}
static inline void gloam_blake3_256(const void *data, uint32_t len, uint8_t out[32]) {
    gloam_hash_query_("blake3_256", data, len, out);
}
static inline void gloam_sha3_256(const void *data, uint32_t len, uint8_t out[32]) {
    gloam_hash_query_("sha3_256", data, len, out);
}
static inline void gloam_sha256(const void *data, uint32_t len, uint8_t out[32]) {
    gloam_hash_query_("sha256", data, len, out);
}

/* BLS12-381 signature check (keys in G1, signatures in G2, IETF POP ciphersuite). */
static inline bool gloam_verify_bls(const uint8_t pk[48], const uint8_t sig[96], const void *msg,
                                    uint32_t msg_len) {
    gloam_require(msg_len <= GLOAM_ARGBUF_LEN - 144, "gloam: message too long");
    memmove(A + 144, msg, msg_len);
    memmove(A, pk, 48);
    memmove(A + 48, sig, 96);
    if (gloam_hq("verify_bls", 144 + msg_len) != 1) gloam_panic("gloam: bad verify_bls answer");
    return A[0] == 1;
}

static inline uint64_t gloam_block_height(void) {
    if (gloam_hq("block_height", 0) != 8) gloam_panic("gloam: bad block_height answer");
    return gloam_read_u64(A);
}
static inline uint64_t gloam_block_timestamp(void) {
    if (gloam_hq("block_timestamp", 0) != 8) gloam_panic("gloam: bad block_timestamp answer");
    return gloam_read_u64(A);
}
static inline uint8_t gloam_chain_id(void) {
    if (gloam_hq("chain_id", 0) != 1) gloam_panic("gloam: bad chain_id answer");
    return A[0];
}

#endif /* GLOAM_H */
