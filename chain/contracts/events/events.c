/*
 * events: emits events.
 *   emit(topic_len: u8|topic|data)   one event with that topic and data
 *   ping(data)                           one event with topic "ping" and the arguments as data
 *   emit_then_panic(data)                emits "ping" then panics: the event must be dropped
 */
#include "gloam.h"

static char topic[256];

GLOAM_EXPORT(emit) {
    gloam_require(arg_len >= 1 && A[0] + 1u <= arg_len, "events: emit wants topic_len|topic|data");
    uint32_t topic_len = A[0];
    memcpy(topic, A + 1, topic_len);
    uint32_t data_len = arg_len - 1 - topic_len;
    memmove(A, A + 1 + topic_len, data_len);
    gloam_host_emit(topic, topic_len, data_len);
    return 0;
}

GLOAM_EXPORT(ping) {
    gloam_emit("ping", arg_len);
    return 0;
}

GLOAM_EXPORT(emit_then_panic) {
    gloam_emit("ping", arg_len);
    gloam_panic("events: emit_then_panic");
}
