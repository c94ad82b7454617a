/*
 * proxy: calls another contract.
 *   call(callee: [32]|gas_limit: u64|name_len: u8|name|args) -> code: i32|result
 *       calls `name` of `callee` with `args` (gas_limit 0: all that is left); `code` is the
 *       result length, or the host's negative code (-1 panicked, -2 out of gas, -3 not found,
 *       -4 reentrancy, -5 too deep) with no result. Counts itself in `calls` either way.
 *   call_then_panic(same arguments)
 *       makes the same call, then panics: the callee's changes and this one's are reverted.
 *   calls() -> u64     how many `call`s have completed
 */
#include "gloam.h"

static uint64_t calls_made;
static uint8_t callee[32];
static char name[256];

static int32_t forward(uint32_t arg_len) {
    gloam_require(arg_len >= 41 && 41u + A[40] <= arg_len,
                  "proxy: call wants callee|gas_limit|name_len|name|args");
    memcpy(callee, A, 32);
    uint64_t gas_limit = gloam_read_u64(A + 32);
    uint32_t name_len = A[40];
    memcpy(name, A + 41, name_len);
    uint32_t args_len = arg_len - 41 - name_len;
    memmove(A, A + 41 + name_len, args_len);
    calls_made += 1;
    return gloam_host_c(callee, name, name_len, args_len, gas_limit);
}

GLOAM_EXPORT(call) {
    int32_t code = forward(arg_len);
    uint32_t result_len = code > 0 ? (uint32_t)code : 0;
    gloam_require(result_len <= GLOAM_ARGBUF_LEN - 4, "proxy: result too long to forward");
    memmove(A + 4, A, result_len);
    gloam_write_u32(A, (uint32_t)code);
    return 4 + result_len;
}

GLOAM_EXPORT(call_then_panic) {
    forward(arg_len);
    gloam_panic("proxy: call_then_panic");
}

GLOAM_EXPORT(calls) {
    (void)arg_len;
    return gloam_ret_u64(calls_made);
}
