/*
 * caller_probe: reports what the host says about the call context.
 *   get_caller() -> bytes          caller(): a contract id (32), the sender key (48) or empty
 *   get_self_id() -> [32]          self_id()
 *   get_callstack() -> [32]·n      callstack(), innermost (this contract) first
 *   get_owner() -> [48]            owner(self_id()), empty if the host knows no owner
 *   gas() -> limit: u64|spent: u64
 */
#include "gloam.h"

GLOAM_EXPORT(get_caller) {
    (void)arg_len;
    return gloam_caller();
}

GLOAM_EXPORT(get_self_id) {
    (void)arg_len;
    gloam_host_self_id();
    return 32;
}

GLOAM_EXPORT(get_callstack) {
    (void)arg_len;
    return 32 * gloam_callstack();
}

GLOAM_EXPORT(get_owner) {
    (void)arg_len;
    uint8_t id[32];
    gloam_self_id(id);
    return gloam_host_owner(id);
}

GLOAM_EXPORT(gas) {
    (void)arg_len;
    uint64_t limit = gloam_gas_limit();
    uint64_t spent = gloam_gas_spent();
    gloam_write_u64(A, limit);
    gloam_write_u64(A + 8, spent);
    return 16;
}
