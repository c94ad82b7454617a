/*
 * citadel: Gloam's Citadel contract (docs/contracts.md "citadel", docs/zk.md "Citadel on
 * chain"; reference dusk-protocol.md §6). Licence providers (LPs) registered by the operator
 * issue licences (leaves of the chain's licence tree) and revoke them; a holder opens a
 * session for an account and a service with a proven call of the citadel_license circuit,
 * and services read the session as a KYC claim. The contract is the chain's licence
 * authority: the only contract whose licence_push / licence_revoke the host accepts.
 *
 *   init(operator_key[48] | vk_id[32])          the operator and the citadel_license key id
 *   add_provider(pk_lp_A_u[32] | pk_lp_A_v[32] | account_key[48])     operator; a provider is
 *       its Jubjub signing point (the circuit's public pk_lp.A) and the BLS account that may
 *       issue and revoke for it; event provider_added (the arguments). A removed provider may
 *       be added again (with any account not used by another provider).
 *   remove_provider(pk_lp_A_u[32] | pk_lp_A_v[32])   operator; its sessions can no longer be
 *       opened; it can still revoke what it issued; event provider_removed (the arguments)
 *   issue(leaf[32]) -> pos:u64         a registered provider's account; appends the leaf (a
 *       licence hash, License.leaf()); event licence: pos:u64 | leaf[32] | provider u v
 *   revoke(pos:u64)                    the account of the provider that issued pos (also after
 *       its removal); the leaf becomes 0; event revoked: pos:u64 | provider u v
 *   use_licence(holder:Address[49] | service[32])   a proven call (transaction tag 4) with a
 *       citadel_license statement; records the session of holder on service; event session:
 *       holder | service | session_id[32] | provider u v | day:u32 | require_accredited:u8 |
 *       jurisdictions[8]:u16
 *   session_of(holder | service) -> found:u8 | provider u v | day:u32 | require_accredited:u8
 *       | jurisdictions[8]:u16        (86 bytes; zeros after found = 0)
 *   has_session(holder | service) -> u8
 *   provider_of(u[32] | v[32]) -> status:u8 (0 unknown, 1 registered, 2 removed) | account[48]
 *   info() -> operator[48] | vk_id[32] | providers:u32 | licences:u64 | sessions:u64
 *
 * use_licence checks, in this order (each failure panics "code: message", changing nothing):
 *   not_proven        no proof statement (a plain or nested call, a query)
 *   wrong_circuit     the statement's key is not vk_id, or it has not 22 public inputs
 *   unknown_root      the root (input 7) is not a licence-tree root of the last 4,320 blocks
 *                     with no revocation after it (licence_known_root)
 *   unknown_provider  pk_lp.A (inputs 9, 10) is not a registered provider
 *   wrong_challenge   input 8 is not BLAKE2b-256("GLOAM-CITADEL-CHALLENGE-V1" | chain_id:u8 |
 *                     holder | service) read little-endian with its top five bits cleared
 *                     (< 2^251 < r_J: the circuit takes c as a canonical Jubjub scalar)
 *   stale_today       today (input 11) is not the block's day (timestamp // 86400) +- 1
 *   weak_cutoff       adult_cutoff (input 12) is after today - 6,575 days (18 years)
 *   bad_policy        require_accredited is not 0 or 1, or a jurisdiction slot >= 2^16
 *   session_used      the session id (input 0) was used before: the same licence cannot open
 *                     two sessions for one holder and service
 * Anyone may submit the call (a relayer): the proof binds the holder through the challenge.
 * A new session for the same holder and service (from another licence) replaces the record.
 * Sessions stand after their licence is revoked; a service that wants fresher KYC compares
 * the session's day with its own limit (docs/contracts.md "citadel").
 *
 * Memory: providers in a static table of 32; the issuer of each position in a static byte
 * array (1,048,576 licences); sessions and used session ids in an arena found through two
 * open-addressing indexes of 2^16 slots (49,152 entries each, FNV-1a, linear probing).
 */
#include "gloam.h"

#define ADDR GLOAM_ADDRESS_LEN
#define KEY_LEN (ADDR + 32u)            /* holder | service */
#define N_INPUTS 22u
#define STMT_LEN (32u + 32u * N_INPUTS)
#define MAX_PROVIDERS 32u
#define MAX_LICENCES (1u << 20)
#define INDEX_BITS 16
#define INDEX_SLOTS (1u << INDEX_BITS)
#define INDEX_MASK (INDEX_SLOTS - 1u)
#define MAX_ENTRIES (INDEX_SLOTS * 3u / 4u)
#define MEMORY_LIMIT 16777216u
#define DAY_SECONDS 86400u
#define ADULT_DAYS 6575
#define DOMAIN "GLOAM-CITADEL-CHALLENGE-V1"
#define DOMAIN_LEN 26u

/* session record: key | provider:u8 | day:u32 | require_accredited:u8 | jurisdictions 16 */
#define R_PROVIDER KEY_LEN
#define R_DAY (KEY_LEN + 1u)
#define R_ACCREDITED (KEY_LEN + 5u)
#define R_JURISDICTIONS (KEY_LEN + 6u)
#define R_SIZE (KEY_LEN + 22u)
#define POLICY_LEN 21u /* day | require_accredited | jurisdictions */

static uint8_t operator_key[48];
static uint8_t vk_id[32];
static uint8_t initialised;
static uint32_t n_providers;
static struct {
    uint8_t point[64]; /* pk_lp.A u | v */
    uint8_t account[48];
    uint8_t active;
} providers[MAX_PROVIDERS];
static uint64_t n_licences;
static uint8_t issuer_of[MAX_LICENCES]; /* provider index + 1 */
static uint64_t n_sessions;
static uint32_t n_used;
static uint32_t arena_top;
static uint32_t session_slots[INDEX_SLOTS];
static uint32_t used_slots[INDEX_SLOTS];

/* Scratch in the argument buffer's upper half (cleared by the host after each call). */
#define SCRATCH (A + 32768)
#define S_ARGS (SCRATCH)         /* 112: the arguments */
#define S_STMT (SCRATCH + 256)   /* 736: the proof statement */
#define S_KEY (SCRATCH + 1024)   /* 48: the caller */
#define S_HASH (SCRATCH + 1088)  /* 32 */
#define S_EVENT (SCRATCH + 1152) /* 256 */
#define S_WORK (SCRATCH + 1536)  /* 128: hash input */

static __attribute__((noreturn)) void fail(const char *msg) { gloam_panic(msg); }

static uint8_t *at(uint32_t offset) { return (uint8_t *)(uintptr_t)offset; }

static void require_init(void) {
    if (!initialised) fail("not_initialised: citadel has no operator");
}

/* The caller's 48-byte account key in S_KEY; panics unless the caller is an account. */
static void caller_key(void) {
    uint32_t n = gloam_caller();
    if (n == 0) fail("no_caller: a query has no caller");
    if (n != 48) fail("not_authorised: the caller must be an account");
    memcpy(S_KEY, A, 48);
}

static void require_operator(void) {
    caller_key();
    if (memcmp(S_KEY, operator_key, 48) != 0) fail("not_authorised: operator only");
}

static int32_t provider_by_point(const uint8_t *point) {
    for (uint32_t i = 0; i < n_providers; i++)
        if (memcmp(providers[i].point, point, 64) == 0) return (int32_t)i;
    return -1;
}

/* The registered (not removed) provider that `account` acts for, or -1. */
static int32_t active_provider_by_account(const uint8_t *account) {
    for (uint32_t i = 0; i < n_providers; i++)
        if (providers[i].active && memcmp(providers[i].account, account, 48) == 0) return (int32_t)i;
    return -1;
}

/* The public input `i` of the statement in S_STMT (after the 32-byte key id). */
static const uint8_t *input(uint32_t i) { return S_STMT + 32u + 32u * i; }

static bool zero_from(const uint8_t *p, uint32_t from) {
    for (uint32_t k = from; k < 32; k++)
        if (p[k] != 0) return false;
    return true;
}

/* BLS12-381 scalar field modulus q, little-endian. */
static const uint8_t Q[32] = {
    0x01, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xfe, 0x5b, 0xfe, 0xff, 0x02, 0xa4, 0xbd, 0x53,
    0x05, 0xd8, 0xa1, 0x09, 0x08, 0xd8, 0x39, 0x33, 0x48, 0x7d, 0x9d, 0x29, 0x53, 0xa7, 0xed, 0x73,
};

/* A signed 32-bit day encoded as the circuit's field element (day mod q) into *out; false if
 * the 32 bytes at p encode no such day (chain.crypto.citadel.day_from_field). */
static bool read_day(const uint8_t *p, int64_t *out) {
    if (zero_from(p, 4)) {
        uint32_t v = gloam_read_u32(p);
        if (v > 0x7fffffffu) return false;
        *out = v;
        return true;
    }
    uint8_t d[32]; /* q - value */
    int32_t borrow = 0;
    for (uint32_t k = 0; k < 32; k++) {
        int32_t x = (int32_t)Q[k] - (int32_t)p[k] - borrow;
        borrow = x < 0;
        d[k] = (uint8_t)(x + (borrow ? 256 : 0));
    }
    if (borrow || !zero_from(d, 4)) return false;
    uint32_t n = gloam_read_u32(d);
    if (n == 0 || n > 0x80000000u) return false;
    *out = -(int64_t)n;
    return true;
}

static void emit_from(const char *topic, const uint8_t *data, uint32_t len) {
    memmove(A, data, len);
    gloam_emit(topic, len);
}

static uint8_t *alloc(uint32_t n) {
    return gloam_arena_alloc(&arena_top, n, MEMORY_LIMIT, "capacity: citadel's memory is full");
}

/* The session record of holder | service at `key`, or 0. */
static uint8_t *session_at(const uint8_t *key) {
    uint32_t r = session_slots[gloam_find_slot(session_slots, INDEX_MASK, key, KEY_LEN)];
    return r == 0 ? 0 : at(r);
}

/* ---- exports ------------------------------------------------------------------------ */

GLOAM_EXPORT(init) {
    if (arg_len != 80) fail("bad_arguments: init takes operator_key[48] | vk_id[32]");
    memcpy(operator_key, A, 48);
    memcpy(vk_id, A + 48, 32);
    initialised = 1;
    return 0;
}

GLOAM_EXPORT(add_provider) {
    require_init();
    if (arg_len != 112) fail("bad_arguments: add_provider takes u[32] | v[32] | account_key[48]");
    memcpy(S_ARGS, A, 112);
    require_operator();
    int32_t i = provider_by_point(S_ARGS);
    if (i >= 0 && providers[i].active) fail("provider_exists: the provider is registered");
    int32_t other = active_provider_by_account(S_ARGS + 64);
    if (other >= 0 && other != i)
        fail("account_in_use: the account acts for another provider");
    if (i < 0) {
        if (n_providers >= MAX_PROVIDERS) fail("capacity: 32 providers at most");
        i = (int32_t)n_providers++;
        memcpy(providers[i].point, S_ARGS, 64);
    }
    memcpy(providers[i].account, S_ARGS + 64, 48);
    providers[i].active = 1;
    emit_from("provider_added", S_ARGS, 112);
    return 0;
}

GLOAM_EXPORT(remove_provider) {
    require_init();
    if (arg_len != 64) fail("bad_arguments: remove_provider takes u[32] | v[32]");
    memcpy(S_ARGS, A, 64);
    require_operator();
    int32_t i = provider_by_point(S_ARGS);
    if (i < 0 || !providers[i].active) fail("unknown_provider: the provider is not registered");
    providers[i].active = 0;
    emit_from("provider_removed", S_ARGS, 64);
    return 0;
}

GLOAM_EXPORT(issue) {
    require_init();
    if (arg_len != 32) fail("bad_arguments: issue takes leaf[32]");
    memcpy(S_ARGS, A, 32);
    caller_key();
    int32_t i = active_provider_by_account(S_KEY);
    if (i < 0) fail("not_authorised: the caller is no registered provider's account");
    if (n_licences >= MAX_LICENCES) fail("capacity: citadel holds 1,048,576 licences");
    int64_t pos = gloam_host_licence_push(S_ARGS);
    if (pos == GLOAM_LICENCE_INVALID_LEAF) fail("bad_leaf: a leaf is a non-zero scalar below r");
    if (pos == GLOAM_LICENCE_UNAUTHORISED) fail("not_authority: citadel is not the chain's licence authority");
    if (pos == GLOAM_LICENCE_TREE_FULL) fail("capacity: the licence tree is full");
    if (pos < 0) fail("refused: the licence tree refused the append");
    if ((uint64_t)pos >= MAX_LICENCES) fail("capacity: citadel holds 1,048,576 licences");
    issuer_of[pos] = (uint8_t)(i + 1);
    n_licences++;
    gloam_write_u64(S_EVENT, (uint64_t)pos);
    memcpy(S_EVENT + 8, S_ARGS, 32);
    memcpy(S_EVENT + 40, providers[i].point, 64);
    emit_from("licence", S_EVENT, 104);
    return gloam_ret_u64((uint64_t)pos);
}

GLOAM_EXPORT(revoke) {
    require_init();
    if (arg_len != 8) fail("bad_arguments: revoke takes pos:u64");
    uint64_t pos = gloam_read_u64(A);
    caller_key();
    /* the account of the provider that issued pos, as it is now (also after a removal) */
    if (pos >= n_licences || pos >= MAX_LICENCES || issuer_of[pos] == 0 ||
        memcmp(providers[issuer_of[pos] - 1].account, S_KEY, 48) != 0)
        fail("not_issuer: the caller's provider did not issue this licence");
    int32_t i = issuer_of[pos] - 1;
    int32_t r = gloam_host_licence_revoke((int64_t)pos);
    if (r == GLOAM_LICENCE_REVOKED) fail("already_revoked: the licence is revoked");
    if (r == GLOAM_LICENCE_UNAUTHORISED) fail("not_authority: citadel is not the chain's licence authority");
    if (r != 0) fail("refused: the licence tree refused the revocation");
    gloam_write_u64(S_EVENT, pos);
    memcpy(S_EVENT + 8, providers[i].point, 64);
    emit_from("revoked", S_EVENT, 72);
    return 0;
}

GLOAM_EXPORT(use_licence) {
    require_init();
    if (arg_len != KEY_LEN) fail("bad_arguments: use_licence takes holder:Address | service[32]");
    memcpy(S_ARGS, A, KEY_LEN);
    gloam_check_address(S_ARGS);

    int32_t n = gloam_host_proof_statement();
    if (n < 0) fail("not_proven: use_licence is a proven call (transaction tag 4)");
    if ((uint32_t)n != STMT_LEN) fail("wrong_circuit: the statement has not 22 public inputs");
    memcpy(S_STMT, A, STMT_LEN);
    if (memcmp(S_STMT, vk_id, 32) != 0) fail("wrong_circuit: the proof is not of citadel_license");

    if (gloam_host_licence_known_root(input(7)) != 1)
        fail("unknown_root: the proof names no licence-tree root of the last 4,320 blocks since the last revocation");
    int32_t provider = provider_by_point(input(9));
    if (provider < 0 || !providers[provider].active) fail("unknown_provider: the licence's provider is not registered");

    memcpy(S_WORK, DOMAIN, DOMAIN_LEN);
    S_WORK[DOMAIN_LEN] = gloam_chain_id();
    memcpy(S_WORK + DOMAIN_LEN + 1, S_ARGS, KEY_LEN);
    gloam_blake2b_256(S_WORK, DOMAIN_LEN + 1 + KEY_LEN, S_HASH);
    S_HASH[31] &= 0x07;
    if (memcmp(S_HASH, input(8), 32) != 0) fail("wrong_challenge: the session is for another holder or service");

    int64_t today, cutoff;
    int64_t block_day = (int64_t)(gloam_block_timestamp() / DAY_SECONDS);
    if (!read_day(input(11), &today) || today < block_day - 1 || today > block_day + 1)
        fail("stale_today: the proof's today is not the block's day");
    if (!read_day(input(12), &cutoff) || cutoff > today - ADULT_DAYS)
        fail("weak_cutoff: the adult cutoff is less than 18 years (6,575 days) before today");
    const uint8_t *accredited = input(13);
    if (!zero_from(accredited, 1) || accredited[0] > 1) fail("bad_policy: require_accredited is 0 or 1");
    for (uint32_t j = 0; j < 8; j++)
        if (!zero_from(input(14 + j), 2)) fail("bad_policy: a jurisdiction slot is not below 2^16");

    uint32_t used = gloam_find_slot(used_slots, INDEX_MASK, input(0), 32);
    if (used_slots[used] != 0) fail("session_used: this licence opened a session for this holder and service");
    if (n_used >= MAX_ENTRIES) fail("capacity: citadel holds 49,152 sessions");

    uint32_t slot = gloam_find_slot(session_slots, INDEX_MASK, S_ARGS, KEY_LEN);
    uint8_t *record;
    if (session_slots[slot] == 0) {
        if (n_sessions >= MAX_ENTRIES) fail("capacity: citadel holds 49,152 sessions");
        record = alloc(R_SIZE);
        memcpy(record, S_ARGS, KEY_LEN);
        session_slots[slot] = (uint32_t)(uintptr_t)record;
        n_sessions++;
    } else {
        record = at(session_slots[slot]);
    }
    uint8_t *id = alloc(32);
    memcpy(id, input(0), 32);
    used_slots[used] = (uint32_t)(uintptr_t)id;
    n_used++;

    record[R_PROVIDER] = (uint8_t)provider;
    gloam_write_u32(record + R_DAY, (uint32_t)(int32_t)today);
    record[R_ACCREDITED] = accredited[0];
    for (uint32_t j = 0; j < 8; j++)
        gloam_write_u16(record + R_JURISDICTIONS + 2 * j, gloam_read_u16(input(14 + j)));

    memcpy(S_EVENT, S_ARGS, KEY_LEN);
    memcpy(S_EVENT + KEY_LEN, input(0), 32);
    memcpy(S_EVENT + KEY_LEN + 32, providers[provider].point, 64);
    memcpy(S_EVENT + KEY_LEN + 96, record + R_DAY, POLICY_LEN);
    emit_from("session", S_EVENT, KEY_LEN + 96 + POLICY_LEN);
    return 0;
}

GLOAM_EXPORT(session_of) {
    require_init();
    if (arg_len != KEY_LEN) fail("bad_arguments: session_of takes holder:Address | service[32]");
    memcpy(S_ARGS, A, KEY_LEN);
    const uint8_t *record = session_at(S_ARGS);
    memset(A, 0, 1 + 64 + POLICY_LEN);
    if (record != 0) {
        A[0] = 1;
        memcpy(A + 1, providers[record[R_PROVIDER]].point, 64);
        memcpy(A + 65, record + R_DAY, POLICY_LEN);
    }
    return 1 + 64 + POLICY_LEN;
}

GLOAM_EXPORT(has_session) {
    require_init();
    if (arg_len != KEY_LEN) fail("bad_arguments: has_session takes holder:Address | service[32]");
    memcpy(S_ARGS, A, KEY_LEN);
    A[0] = session_at(S_ARGS) != 0;
    return 1;
}

GLOAM_EXPORT(provider_of) {
    require_init();
    if (arg_len != 64) fail("bad_arguments: provider_of takes u[32] | v[32]");
    memcpy(S_ARGS, A, 64);
    int32_t i = provider_by_point(S_ARGS);
    memset(A, 0, 49);
    if (i >= 0) {
        A[0] = providers[i].active ? 1 : 2;
        memcpy(A + 1, providers[i].account, 48);
    }
    return 49;
}

GLOAM_EXPORT(info) {
    (void)arg_len;
    require_init();
    memcpy(A, operator_key, 48);
    memcpy(A + 48, vk_id, 32);
    gloam_write_u32(A + 80, n_providers);
    gloam_write_u64(A + 84, n_licences);
    gloam_write_u64(A + 92, n_sessions);
    return 100;
}
