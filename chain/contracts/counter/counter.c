/*
 * counter: a u64 kept in memory (memory is state).
 *   init(start: u64)      sets the start value (no arguments: 0)
 *   increment() -> u64    adds one, returns the new value
 *   get() -> u64          the current value
 */
#include "gloam.h"

static uint64_t value;

GLOAM_EXPORT(init) {
    gloam_require(arg_len == 0 || arg_len == 8, "counter: init takes a u64 or nothing");
    value = arg_len == 8 ? gloam_read_u64(A) : 0;
    return 0;
}

GLOAM_EXPORT(increment) {
    (void)arg_len;
    value += 1;
    return gloam_ret_u64(value);
}

GLOAM_EXPORT(get) {
    (void)arg_len;
    return gloam_ret_u64(value);
}
