/*
 * fail: every way a call can go wrong, for testing that nothing is kept.
 *   panic_now()                      panics with "fail: panic_now"
 *   loop_forever()                   never returns (runs out of gas)
 *   grow_memory(pages: u32) -> i32   memory.grow by `pages` (no arguments: up to 257 pages,
 *                                    one past the 256-page limit); returns the old size in
 *                                    pages or -1 if the grow was refused
 *   write_then_panic(v: u64)         stores v (no arguments: 0xDEADBEEF) in `scratch`, bumps
 *                                    `writes`, then panics: neither change may persist
 *   read() -> scratch: u64|writes: u64
 */
#include "gloam.h"

static uint64_t scratch;
static uint64_t writes;
static volatile uint64_t spins;

GLOAM_EXPORT(panic_now) {
    (void)arg_len;
    gloam_panic("fail: panic_now");
}

GLOAM_EXPORT(loop_forever) {
    (void)arg_len;
    for (;;) spins++;
}

GLOAM_EXPORT(grow_memory) {
    uint32_t pages;
    if (arg_len == 4) {
        pages = gloam_read_u32(A);
    } else {
        uint32_t now = (uint32_t)__builtin_wasm_memory_size(0);
        pages = now < 257 ? 257 - now : 1;
    }
    int32_t old = (int32_t)__builtin_wasm_memory_grow(0, pages);
    return gloam_ret_u32((uint32_t)old);
}

GLOAM_EXPORT(write_then_panic) {
    scratch = arg_len == 8 ? gloam_read_u64(A) : 0xDEADBEEFu;
    writes += 1;
    gloam_panic("fail: write_then_panic");
}

GLOAM_EXPORT(read) {
    (void)arg_len;
    gloam_write_u64(A, scratch);
    gloam_write_u64(A + 8, writes);
    return 16;
}
