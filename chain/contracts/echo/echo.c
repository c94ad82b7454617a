/*
 * echo: returns what it is given, and asks the host to hash it.
 *   echo(bytes) -> bytes              the arguments unchanged
 *   hash(bytes) -> [32]               host query blake3_256 over the arguments
 *   query(name_len: u8|name|bytes) -> answer
 *                                     any host query `name` over `bytes`, answer unchanged
 */
#include "gloam.h"

GLOAM_EXPORT(echo) {
    return arg_len;
}

GLOAM_EXPORT(hash) {
    return gloam_hq("blake3_256", arg_len);
}

static char name[256];

GLOAM_EXPORT(query) {
    gloam_require(arg_len >= 1 && A[0] + 1u <= arg_len, "echo: query wants name_len|name|bytes");
    uint32_t name_len = A[0];
    memcpy(name, A + 1, name_len);
    uint32_t data_len = arg_len - 1 - name_len;
    memmove(A, A + 1 + name_len, data_len);
    return gloam_host_hq(name, name_len, data_len);
}
