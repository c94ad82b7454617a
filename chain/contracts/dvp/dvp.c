/*
 * dvp: delivery versus payment (docs/contracts.md). An instruction is up to 8 legs
 * token:id[32] | from:Address | to:Address | amount:u64 that settle all together or not at all.
 *
 *   create(count:u8 | leg * count) -> id:u64         by anyone; event `created` (id | args)
 *   affirm(id:u64)                                    by the `from` of a leg; event `affirmed` (id | caller)
 *   settle(id:u64) -> status:u8 | leg:u8 | code:u8    by its creator; status 0 settled, 1 not (nothing moved)
 *   settle_batch(count:u8 | id:u64 * count) -> status:u8 | index:u8 | leg:u8 | code:u8   by their creator
 *   status_of(id:u64) -> status:u8 | legs:u8 | affirmed:u8 (bitset of legs)
 *   bind_shielded_cash(id:u64 | expect[128])          by its creator, once, while pending
 *   settle_shielded(id:u64 | fields[128]) -> 0        by the chain's note authority (phoenix) only
 *
 * Shielded cash leg (docs/contracts.md "dvp", docs/zk.md "DvP against shielded cash"): an
 * instruction's creator may bind it to a Phoenix payment: `expect` is the output note the
 * payment must create, as the four scalars value commitment x, y and note_pk x, y (32 bytes
 * LE each; the seller's platform chose the note's stealth address and blinder, so it is known
 * before the payment). A bound instruction no longer settles with settle / settle_batch
 * (`shielded_cash`); it settles only inside the Phoenix transfer that creates that note: the
 * phoenix contract calls settle_shielded with the fields of its output 0, this contract checks
 * the caller is the note authority (host query note_authority), the fields hash to the bound
 * ones (`wrong_payment`), then checks and moves every leg like settle, but a failed check
 * panics (`settle_failed: leg | code`) so that the payment is reverted with it: all or nothing.
 *
 * Settling first checks every leg: its `from` affirmed (code 20 not_affirmed), then the
 * token's check_transfer_from with this contract as spender (the token's first code; 21
 * token_unavailable when the token cannot be called or answers nonsense). The first failure
 * is returned and nothing moves (event `settle_failed`: id | leg | code). Then every leg is
 * moved with the token's transfer_from; a failure there (e.g. two legs of the same holder
 * that each pass alone but not together) panics, which reverts every leg. A nested call that
 * runs out of gas panics `out_of_gas`. A settled instruction cannot settle again
 * (`already_settled`). Only the account that created an instruction settles it
 * (`not_authorised`): an instruction the settlement agent gave up on (a failed netting cycle
 * or corporate action payment, whose legs are affirmed and whose allowances stand) cannot be
 * settled later by anyone else, so nothing settles twice.
 *
 * Storage: instruction headers (8 bytes) indexed by id - 1, and their legs appended to an
 * arena of 32,768 legs of 144 bytes (4.5 MiB); a full arena or header table panics
 * `capacity`. Working copies live in the upper half of the argument buffer (cleared by the
 * host after every call), never on the stack.
 */
#include "gloam.h"

#define ADDR_LEN 49u
#define LEG_BYTES 138u /* token 32 | from 49 | to 49 | amount 8 */
#define MAX_LEGS_PER 8u
#define MAX_INSTRUCTIONS 32768u
#define MAX_LEGS 32768u

#define CODE_NOT_AFFIRMED 20u
#define CODE_TOKEN_UNAVAILABLE 21u

#define STATUS_PENDING 0u
#define STATUS_SETTLED 1u
#define FLAG_SHIELDED_CASH 1u
#define PAYMENT_FIELDS 128u

typedef struct {
    uint8_t token[32];
    uint8_t from[ADDR_LEN];
    uint8_t to[ADDR_LEN];
    uint8_t pad[6];
    uint64_t amount;
} Leg; /* 144 bytes */

typedef struct {
    uint32_t leg_start;
    uint8_t count;
    uint8_t status;
    uint8_t affirmed;
    uint8_t flags; /* FLAG_SHIELDED_CASH: bound to a Phoenix payment */
} Instruction; /* 8 bytes */

_Static_assert(sizeof(Leg) == 144, "leg is 144 bytes");
_Static_assert(sizeof(Instruction) == 8, "instruction header is 8 bytes");

static uint64_t instruction_count;
static uint32_t legs_used;
static Instruction instructions[MAX_INSTRUCTIONS];
static Leg legs[MAX_LEGS];
static uint8_t creators[MAX_INSTRUCTIONS][ADDR_LEN]; /* who created each instruction */
static uint8_t payments[MAX_INSTRUCTIONS][32];        /* BLAKE2b-256 of a bound payment's fields */

/* Scratch in the argument buffer's upper half (cleared by the host after each call). */
#define SCRATCH (A + 32768)
#define S_SELF (SCRATCH)          /* 49: this contract's Address */
#define S_CALLER (SCRATCH + 64)   /* 49: the caller's Address */
#define S_EVENT (SCRATCH + 128)   /* up to 1 + 8 * 138 + 8 bytes of event data */
#define S_IDS (SCRATCH + 2048)    /* up to 255 ids of a batch */
#define S_PAYER (SCRATCH + 4096)  /* 32: the caller of settle_shielded */
#define S_DIGEST (SCRATCH + 4160) /* 32: a payment's digest */

static __attribute__((noreturn)) void fail(const char *msg) { gloam_panic(msg); }

static void load_self(void) {
    gloam_host_self_id();
    memmove(S_SELF + 1, A, 32);
    memset(S_SELF + 33, 0, 16);
    S_SELF[0] = 1;
}

/* The instruction `id` (panics not_found). */
static Instruction *instruction(uint64_t id) {
    if (id == 0 || id > instruction_count) fail("not_found: no such instruction");
    return &instructions[id - 1];
}

static Instruction *pending(uint64_t id) {
    Instruction *in = instruction(id);
    if (in->status != STATUS_PENDING) fail("already_settled: the instruction is settled");
    return in;
}

/* A pending instruction that settles with settle / settle_batch (not bound to a payment). */
static Instruction *pending_public(uint64_t id) {
    Instruction *in = pending(id);
    if (in->flags & FLAG_SHIELDED_CASH) fail("shielded_cash: the instruction settles with its Phoenix payment");
    return in;
}

/*
 * Checks every leg of `in` (affirmations first, then the tokens). Returns 0 when all pass,
 * else 0x10000 | leg << 8 | code of the first failure. S_SELF must be loaded.
 */
static uint32_t check_instruction(const Instruction *in) {
    for (uint32_t i = 0; i < in->count; i++)
        if (!(in->affirmed >> i & 1u)) return 0x10000u | i << 8 | CODE_NOT_AFFIRMED;
    for (uint32_t i = 0; i < in->count; i++) {
        const Leg *leg = &legs[in->leg_start + i];
        memmove(A, S_SELF, ADDR_LEN);
        memcpy(A + ADDR_LEN, leg->from, ADDR_LEN);
        memcpy(A + 2 * ADDR_LEN, leg->to, ADDR_LEN);
        gloam_write_u64(A + 3 * ADDR_LEN, leg->amount);
        int32_t r = gloam_call(leg->token, "check_transfer_from", 3 * ADDR_LEN + 8, 0);
        if (r == GLOAM_CALL_OUT_OF_GAS) fail("out_of_gas: a token check ran out of gas");
        if (r < 1 || (uint32_t)r < 1u + A[0]) return 0x10000u | i << 8 | CODE_TOKEN_UNAVAILABLE;
        if (A[0] != 0) return 0x10000u | i << 8 | A[1];
    }
    return 0;
}

/* Moves every leg of `in` with transfer_from (a failure panics: everything reverts). */
static void move_instruction(const Instruction *in) {
    for (uint32_t i = 0; i < in->count; i++) {
        const Leg *leg = &legs[in->leg_start + i];
        memcpy(A, leg->from, ADDR_LEN);
        memcpy(A + ADDR_LEN, leg->to, ADDR_LEN);
        gloam_write_u64(A + 2 * ADDR_LEN, leg->amount);
        int32_t r = gloam_call(leg->token, "transfer_from", 2 * ADDR_LEN + 8, 0);
        if (r == GLOAM_CALL_OUT_OF_GAS) fail("out_of_gas: a leg's transfer ran out of gas");
        if (r < 0) fail("transfer_failed: a leg's transfer_from failed after its check passed");
    }
}

static void emit_id(const char *topic, uint64_t id) {
    gloam_write_u64(A, id);
    gloam_emit(topic, 8);
}

static void emit_failed(uint64_t id, uint32_t failure) {
    gloam_write_u64(A, id);
    A[8] = (uint8_t)(failure >> 8);
    A[9] = (uint8_t)failure;
    gloam_emit("settle_failed", 10);
}

GLOAM_EXPORT(create) {
    if (arg_len < 1 || A[0] < 1 || A[0] > MAX_LEGS_PER || arg_len != 1u + A[0] * LEG_BYTES)
        fail("invalid_arguments: create takes count:u8 (1 to 8) | leg * count");
    uint32_t count = A[0];
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *p = A + 1 + i * LEG_BYTES;
        gloam_check_address(p + 32);
        gloam_check_address(p + 32 + ADDR_LEN);
    }
    if (instruction_count >= MAX_INSTRUCTIONS || legs_used + count > MAX_LEGS)
        fail("capacity: the instruction store is full");
    Instruction *in = &instructions[instruction_count];
    in->leg_start = legs_used;
    in->count = (uint8_t)count;
    in->status = STATUS_PENDING;
    in->affirmed = 0;
    in->flags = 0;
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *p = A + 1 + i * LEG_BYTES;
        Leg *leg = &legs[legs_used + i];
        memcpy(leg->token, p, 32);
        memcpy(leg->from, p + 32, ADDR_LEN);
        memcpy(leg->to, p + 32 + ADDR_LEN, ADDR_LEN);
        leg->amount = gloam_read_u64(p + 32 + 2 * ADDR_LEN);
    }
    legs_used += count;
    memmove(S_EVENT + 8, A, arg_len); /* the host's caller answer overwrites A */
    gloam_caller_address(S_CALLER);
    memcpy(creators[instruction_count], S_CALLER, ADDR_LEN);
    uint64_t id = ++instruction_count;
    memmove(A + 8, S_EVENT + 8, arg_len);
    gloam_write_u64(A, id);
    gloam_emit("created", 8 + arg_len);
    return gloam_ret_u64(id);
}

GLOAM_EXPORT(affirm) {
    if (arg_len != 8) fail("invalid_arguments: affirm takes id:u64");
    uint64_t id = gloam_read_u64(A);
    Instruction *in = pending(id);
    gloam_caller_address(S_CALLER);
    uint8_t bits = 0;
    for (uint32_t i = 0; i < in->count; i++)
        if (memcmp(legs[in->leg_start + i].from, S_CALLER, ADDR_LEN) == 0) bits |= (uint8_t)(1u << i);
    if (bits == 0) fail("not_authorised: the caller is the from of no leg");
    in->affirmed |= bits;
    gloam_write_u64(A, id);
    memmove(A + 8, S_CALLER, ADDR_LEN);
    gloam_emit("affirmed", 8 + ADDR_LEN);
    return 0;
}

/* Panics unless the caller created instruction `id` (S_CALLER must hold the caller). */
static void require_creator(uint64_t id) {
    if (memcmp(creators[id - 1], S_CALLER, ADDR_LEN) != 0)
        fail("not_authorised: only the instruction's creator settles it");
}

GLOAM_EXPORT(settle) {
    if (arg_len != 8) fail("invalid_arguments: settle takes id:u64");
    uint64_t id = gloam_read_u64(A);
    Instruction *in = pending_public(id);
    gloam_caller_address(S_CALLER);
    require_creator(id);
    load_self();
    uint32_t failure = check_instruction(in);
    if (failure != 0) {
        emit_failed(id, failure);
        A[0] = 1;
        A[1] = (uint8_t)(failure >> 8);
        A[2] = (uint8_t)failure;
        return 3;
    }
    move_instruction(in);
    in->status = STATUS_SETTLED;
    emit_id("settled", id);
    A[0] = A[1] = A[2] = 0;
    return 3;
}

GLOAM_EXPORT(settle_batch) {
    if (arg_len < 1 || A[0] < 1 || arg_len != 1u + A[0] * 8u)
        fail("invalid_arguments: settle_batch takes count:u8 (at least 1) | id:u64 * count");
    uint32_t count = A[0];
    memmove(S_IDS, A + 1, count * 8);
    gloam_caller_address(S_CALLER);
    for (uint32_t k = 0; k < count; k++) {
        pending_public(gloam_read_u64(S_IDS + 8 * k));
        require_creator(gloam_read_u64(S_IDS + 8 * k));
        for (uint32_t j = 0; j < k; j++)
            if (memcmp(S_IDS + 8 * j, S_IDS + 8 * k, 8) == 0)
                fail("invalid_arguments: an instruction appears twice in the batch");
    }
    load_self();
    for (uint32_t k = 0; k < count; k++) {
        uint64_t id = gloam_read_u64(S_IDS + 8 * k);
        uint32_t failure = check_instruction(instruction(id));
        if (failure != 0) {
            emit_failed(id, failure);
            A[0] = 1;
            A[1] = (uint8_t)k;
            A[2] = (uint8_t)(failure >> 8);
            A[3] = (uint8_t)failure;
            return 4;
        }
    }
    for (uint32_t k = 0; k < count; k++) {
        uint64_t id = gloam_read_u64(S_IDS + 8 * k);
        Instruction *in = instruction(id);
        move_instruction(in);
        in->status = STATUS_SETTLED;
        emit_id("settled", id);
    }
    A[0] = A[1] = A[2] = A[3] = 0;
    return 4;
}

GLOAM_EXPORT(bind_shielded_cash) {
    if (arg_len != 8 + PAYMENT_FIELDS) fail("invalid_arguments: bind_shielded_cash takes id:u64 | fields[128]");
    uint64_t id = gloam_read_u64(A);
    Instruction *in = pending(id);
    if (in->flags & FLAG_SHIELDED_CASH) fail("already_bound: the instruction is bound to a payment");
    memmove(S_EVENT, A, 8 + PAYMENT_FIELDS);
    gloam_caller_address(S_CALLER);
    require_creator(id);
    gloam_blake2b_256(S_EVENT + 8, PAYMENT_FIELDS, payments[id - 1]);
    in->flags |= FLAG_SHIELDED_CASH;
    gloam_emit_bytes("bound", S_EVENT, 8 + PAYMENT_FIELDS);
    return 0;
}

GLOAM_EXPORT(settle_shielded) {
    if (arg_len != 8 + PAYMENT_FIELDS) fail("invalid_arguments: settle_shielded takes id:u64 | fields[128]");
    memmove(S_EVENT, A, 8 + PAYMENT_FIELDS);
    uint64_t id = gloam_read_u64(S_EVENT);
    Instruction *in = pending(id);
    if (!(in->flags & FLAG_SHIELDED_CASH)) fail("not_bound: the instruction has no shielded cash leg");
    if (gloam_caller() != 32) fail("not_authorised: only the note authority settles a shielded cash leg");
    memcpy(S_PAYER, A, 32);
    if (gloam_hq("note_authority", 0) != 32 || memcmp(A, S_PAYER, 32) != 0)
        fail("not_authorised: only the note authority settles a shielded cash leg");
    gloam_blake2b_256(S_EVENT + 8, PAYMENT_FIELDS, S_DIGEST);
    if (memcmp(S_DIGEST, payments[id - 1], 32) != 0) fail("wrong_payment: the payment is not the bound note");
    load_self();
    uint32_t failure = check_instruction(in);
    if (failure != 0) fail("settle_failed: a leg cannot move (its check failed)");
    move_instruction(in);
    in->status = STATUS_SETTLED;
    emit_id("settled", id);
    return 0;
}

GLOAM_EXPORT(status_of) {
    if (arg_len != 8) fail("invalid_arguments: status_of takes id:u64");
    const Instruction *in = instruction(gloam_read_u64(A));
    A[0] = in->status;
    A[1] = in->count;
    A[2] = in->affirmed;
    return 3;
}
