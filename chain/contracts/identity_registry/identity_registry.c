/*
 * identity_registry: the identity claims registry of docs/contracts.md.
 *
 *   init(admin[48])
 *   add_trusted_issuer(issuer[48] | topics:u32)          admin; event trusted_issuer
 *   remove_trusted_issuer(issuer[48])                    admin; event trusted_issuer_removed
 *   is_trusted_issuer(issuer[48] | topic:u8) -> u8
 *   add_claim(subject:Address | topic:u8 | value:u16 | expiry:u64 | evidence[32])
 *                                                        trusted issuer for topic; add or renew;
 *                                                        event claim_added (args | issuer[48])
 *   revoke_claim(subject:Address | topic:u8)             the claim's issuer; event claim_revoked
 *                                                        (args | issuer[48])
 *   claims_of(subject:Address) -> count:u8 | (topic:u8 | issuer[48] | value:u16 | expiry:u64)*
 *                                                        valid claims at the block timestamp
 *
 * Memory. Subjects live in an arena above the static data that grows page by page
 * (memory.grow) as subjects and claims are added, found through an open-addressing index
 * of 2^18 u32 slots (1 MiB, linear probing, FNV-1a of the 49-byte Address). A subject
 * record is 56 bytes, a claim 16 bytes (linked from its subject, at most 8 per subject):
 * 100,000 subjects with 4 claims each take 12 MB of the 16 MiB. The evidence hash is not
 * kept in memory (it does not fit 16 MiB at that capacity): it is in the claim_added event.
 * Scratch work happens in the argument buffer A (cleared by the host after every call, so
 * it never costs a page write).
 */
#include "gloam.h"

#define ADDR 49
#define MAX_ISSUERS 64
#define MAX_CLAIMS 8
#define INDEX_BITS 18
#define INDEX_SLOTS (1u << INDEX_BITS)
#define INDEX_MASK (INDEX_SLOTS - 1)
#define MAX_RECORDS (INDEX_SLOTS * 3 / 4)
#define MEMORY_LIMIT 16777216u
#define SCR (A + 32768) /* scratch: arguments copied out of the way of host answers */

/* subject record */
#define S_NCLAIMS 49
#define S_FIRST 52
#define S_SIZE 56
/* claim record */
#define C_NEXT 0
#define C_ISSUER 4 /* index into issuers; bit 7: revoked */
#define C_TOPIC 5
#define C_VALUE 6
#define C_EXPIRY 8
#define C_SIZE 16
#define REVOKED 0x80u


static uint8_t admin[48];
static uint8_t initialised;
static uint32_t n_issuers;
static struct {
    uint8_t key[48];
    uint32_t topics;
} issuers[MAX_ISSUERS];
static uint32_t arena_top;
static uint32_t n_records;
static uint32_t index_slots[INDEX_SLOTS];

/* ---- helpers ------------------------------------------------------------------------ */

static uint8_t *at(uint32_t offset) { return (uint8_t *)(uintptr_t)offset; }

static uint8_t *alloc(uint32_t n) {
    return gloam_arena_alloc(&arena_top, n, MEMORY_LIMIT, "capacity: the registry's memory is full");
}

/* The index slot holding the record whose first `len` bytes are `key`, or the empty slot
 * where it would go. */
static uint32_t find_slot(const uint8_t *key, uint32_t len) {
    return gloam_find_slot(index_slots, INDEX_MASK, key, len);
}

/* The caller's 48-byte account key, copied to `out`; panics unless the caller is an account. */
static void caller_key(uint8_t *out) {
    uint32_t n = gloam_caller();
    if (n == 0) gloam_panic("no_caller: a query has no caller");
    if (n != 48) gloam_panic("not_authorised: the caller must be an account");
    memcpy(out, A, 48);
}

static void require_admin(void) {
    caller_key(SCR + 1024);
    if (memcmp(SCR + 1024, admin, 48) != 0) gloam_panic("not_authorised: admin only");
}

static int32_t issuer_index(const uint8_t *key) {
    for (uint32_t i = 0; i < n_issuers; i++)
        if (memcmp(issuers[i].key, key, 48) == 0) return (int32_t)i;
    return -1;
}

static bool trusted_for(uint32_t issuer, uint32_t topic) {
    return topic < 32 && issuer < n_issuers && (issuers[issuer].topics >> topic & 1u) != 0;
}

static void emit_from(const char *topic, const uint8_t *data, uint32_t len) {
    memmove(A, data, len);
    gloam_emit(topic, len);
}

/* ---- exports ------------------------------------------------------------------------ */

GLOAM_EXPORT(init) {
    gloam_require(arg_len == 48, "invalid_args: init takes admin[48]");
    memcpy(admin, A, 48);
    initialised = 1;
    arena_top = 0;
    return 0;
}

GLOAM_EXPORT(add_trusted_issuer) {
    gloam_require(arg_len == 52, "invalid_args: add_trusted_issuer takes issuer[48] | topics:u32");
    memcpy(SCR, A, 52);
    require_admin();
    uint32_t topics = gloam_read_u32(SCR + 48);
    int32_t i = issuer_index(SCR);
    if (i < 0) {
        if (n_issuers >= MAX_ISSUERS) gloam_panic("capacity: at most 64 trusted issuers");
        i = (int32_t)n_issuers++;
        memcpy(issuers[i].key, SCR, 48);
    }
    issuers[i].topics = topics;
    emit_from("trusted_issuer", SCR, 52);
    return 0;
}

GLOAM_EXPORT(remove_trusted_issuer) {
    gloam_require(arg_len == 48, "invalid_args: remove_trusted_issuer takes issuer[48]");
    memcpy(SCR, A, 48);
    require_admin();
    int32_t i = issuer_index(SCR);
    if (i < 0 || issuers[i].topics == 0) gloam_panic("not_found: not a trusted issuer");
    issuers[i].topics = 0; /* the slot stays: its claims' issuer index remains meaningful */
    emit_from("trusted_issuer_removed", SCR, 48);
    return 0;
}

GLOAM_EXPORT(is_trusted_issuer) {
    gloam_require(arg_len == 49, "invalid_args: is_trusted_issuer takes issuer[48] | topic:u8");
    int32_t i = issuer_index(A);
    uint8_t ok = i >= 0 && trusted_for((uint32_t)i, A[48]);
    A[0] = ok;
    return 1;
}

GLOAM_EXPORT(add_claim) {
    gloam_require(arg_len == ADDR + 1 + 2 + 8 + 32,
                  "invalid_args: add_claim takes subject:Address | topic:u8 | value:u16 | expiry:u64 | "
                  "evidence[32]");
    uint8_t *args = SCR;
    memcpy(args, A, arg_len);
    gloam_check_address(args);
    uint8_t topic = args[ADDR];
    uint16_t value = gloam_read_u16(args + ADDR + 1);
    uint64_t expiry = gloam_read_u64(args + ADDR + 3);
    uint8_t *issuer_key = args + 256;
    caller_key(issuer_key);
    int32_t issuer = issuer_index(issuer_key);
    if (issuer < 0 || !trusted_for((uint32_t)issuer, topic))
        gloam_panic("not_authorised: the caller is not a trusted issuer for this topic");
    if (expiry <= gloam_block_timestamp()) gloam_panic("invalid_expiry: the claim would already be expired");

    uint32_t slot = find_slot(args, ADDR);
    uint8_t *subject = at(index_slots[slot]);
    if (index_slots[slot] == 0) {
        if (n_records >= MAX_RECORDS) gloam_panic("capacity: the subject table is full");
        subject = alloc(S_SIZE);
        memcpy(subject, args, ADDR);
        index_slots[slot] = (uint32_t)(uintptr_t)subject;
        n_records++;
    }
    uint8_t *claim = 0;
    for (uint32_t c = gloam_read_u32(subject + S_FIRST); c != 0; c = gloam_read_u32(at(c) + C_NEXT)) {
        uint8_t *r = at(c);
        if ((r[C_ISSUER] & ~REVOKED) == (uint32_t)issuer && r[C_TOPIC] == topic) {
            claim = r;
            break;
        }
    }
    if (claim == 0) {
        if (subject[S_NCLAIMS] >= MAX_CLAIMS) gloam_panic("capacity: a subject holds at most 8 claims");
        claim = alloc(C_SIZE);
        gloam_write_u32(claim + C_NEXT, gloam_read_u32(subject + S_FIRST));
        gloam_write_u32(subject + S_FIRST, (uint32_t)(uintptr_t)claim);
        subject[S_NCLAIMS]++;
        claim[C_TOPIC] = topic;
    }
    claim[C_ISSUER] = (uint8_t)issuer; /* clears REVOKED: a renewal reinstates */
    gloam_write_u16(claim + C_VALUE, value);
    gloam_write_u64(claim + C_EXPIRY, expiry);
    memcpy(args + arg_len, issuer_key, 48);
    emit_from("claim_added", args, arg_len + 48);
    return 0;
}

GLOAM_EXPORT(revoke_claim) {
    gloam_require(arg_len == ADDR + 1, "invalid_args: revoke_claim takes subject:Address | topic:u8");
    uint8_t *args = SCR;
    memcpy(args, A, arg_len);
    gloam_check_address(args);
    uint8_t topic = args[ADDR];
    uint8_t *issuer_key = args + ADDR + 1;
    caller_key(issuer_key);
    int32_t issuer = issuer_index(issuer_key);
    uint32_t slot = find_slot(args, ADDR);
    if (issuer >= 0 && index_slots[slot] != 0) {
        uint8_t *subject = at(index_slots[slot]);
        for (uint32_t c = gloam_read_u32(subject + S_FIRST); c != 0; c = gloam_read_u32(at(c) + C_NEXT)) {
            uint8_t *r = at(c);
            if (r[C_ISSUER] == (uint32_t)issuer && r[C_TOPIC] == topic) {
                r[C_ISSUER] |= REVOKED;
                emit_from("claim_revoked", args, ADDR + 1 + 48);
                return 0;
            }
        }
    }
    gloam_panic("not_found: the caller has no unrevoked claim on this subject and topic");
}

GLOAM_EXPORT(claims_of) {
    gloam_require(arg_len == ADDR, "invalid_args: claims_of takes subject:Address");
    uint32_t slot = find_slot(A, ADDR);
    uint32_t first = index_slots[slot] == 0 ? 0 : gloam_read_u32(at(index_slots[slot]) + S_FIRST);
    uint64_t now = gloam_block_timestamp();
    uint32_t count = 0;
    uint8_t *out = A + 1;
    for (uint32_t c = first; c != 0; c = gloam_read_u32(at(c) + C_NEXT)) {
        uint8_t *r = at(c);
        uint32_t issuer = r[C_ISSUER];
        if ((issuer & REVOKED) != 0 || !trusted_for(issuer, r[C_TOPIC])) continue;
        uint64_t expiry = gloam_read_u64(r + C_EXPIRY);
        if (expiry <= now) continue;
        out[0] = r[C_TOPIC];
        memcpy(out + 1, issuers[issuer].key, 48);
        memcpy(out + 49, r + C_VALUE, 2);
        gloam_write_u64(out + 51, expiry);
        out += 59;
        count++;
    }
    A[0] = (uint8_t)count;
    return 1 + 59 * count;
}
