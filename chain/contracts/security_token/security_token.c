/*
 * security_token: one regulated security (docs/contracts.md, "Security token").
 *
 * Token interface: balance_of, supply, approve, allowance, transfer, transfer_from,
 * check_transfer_from. Agents: issue, redeem, pause/unpause, set_conditions, set_limits,
 * checkpoint, split (issuer agent); freeze, force_transfer (compliance agent). Anyone: burn (own).
 * Reads: check_transfer, balance_at, holders_at, n_holders, is_frozen, info.
 *
 * Rules. check() collects every failing transfer code (1..13 of docs/contracts.md) in
 * ascending order; transfer/transfer_from panic with the name of the first. Conditions are
 * kept as the validated bytes of set_conditions and evaluated against the registry's
 * claims_of (an inter-contract call, only for a non-empty list).
 *
 * Memory. Holders (64 bytes), allowances (112 bytes) and balance-history entries (16 bytes)
 * live in an arena above the static data that grows page by page, found through one
 * open-addressing index of 2^18 u32 slots (linear probing, FNV-1a of kind | key). Every
 * Address that ever held the token is listed once, in first-seen order, in `accounts`
 * (the stable order of holders_at). A balance change after checkpoint k that is the first
 * since k appends (k, balance before) to the holder's history, so balance_at is exact and
 * a transfer writes a few pages (two holder records, maybe a history entry, the globals).
 * 100,000 holders take 6.4 MB of the 16 MiB, the index 1 MiB, the account list 800 KB.
 * Scratch work happens in the argument buffer A (cleared by the host after every call).
 */
#include "gloam.h"

#define ADDR 49
#define INDEX_BITS 18
#define INDEX_SLOTS (1u << INDEX_BITS)
#define INDEX_MASK (INDEX_SLOTS - 1)
#define MAX_RECORDS (INDEX_SLOTS * 3 / 4)
#define MAX_ACCOUNTS 180000u
#define MEMORY_LIMIT 16777216u
#define MAX_CONDITIONS_BYTES 2200u
#define COND_SIZE 67 /* topic | kind | issuer[48] | n | value:u16 * 8 */

/* scratch regions inside A, out of the way of host answers (at most a few hundred bytes) */
#define SCR (A + 32768)  /* the call's arguments */
#define KEY (A + 40960)  /* index keys */
#define CODES (A + 45056) /* failing codes */
#define WHO (A + 46080)  /* the caller's Address */
#define CLAIMS (A + 47104) /* the registry's claims_of answer (at most 1 + 8 * 59 bytes) */

/* records: kind byte first, then the key */
#define KIND_HOLDER 1
#define KIND_ALLOWANCE 2
#define H_FROZEN 50
#define H_HIST 52
#define H_BALANCE 56
#define H_SIZE 64
#define AL_AMOUNT 104
#define AL_SIZE 112
#define E_ID 0
#define E_NEXT 4
#define E_BALANCE 8
#define E_SIZE 16

/* failure codes */
enum {
    PAUSED = 1,
    SENDER_FROZEN,
    RECEIVER_FROZEN,
    INSUFFICIENT_BALANCE,
    INSUFFICIENT_ALLOWANCE,
    SENDER_CONDITIONS,
    RECEIVER_CONDITIONS,
    MAX_HOLDERS,
    MAX_OWNERSHIP,
    LOCKUP,
    MIN_HOLDING,
    INVALID_AMOUNT,
    SELF_TRANSFER,
};
static const char *const CODE_NAMES[] = {
    "",
    "paused: the token is paused",
    "sender_frozen: the sender is frozen",
    "receiver_frozen: the receiver is frozen",
    "insufficient_balance: the sender's balance is too low",
    "insufficient_allowance: the spender's allowance is too low",
    "sender_conditions: the sender meets none of the sender requirements",
    "receiver_conditions: the receiver meets none of the receiver requirements",
    "max_holders: the transfer would exceed the maximum number of holders",
    "max_ownership: the receiver would hold more than the maximum share of the supply",
    "lockup: transfers are locked up",
    "min_holding: a holding would fall below the minimum",
    "invalid_amount: the amount is zero",
    "self_transfer: sender and receiver are the same",
};

/* check() modes */
#define MODE_TRANSFER 0
#define MODE_ISSUE 1


static uint8_t issuer_agent[48];
static uint8_t compliance_agent[48];
static uint8_t registry[32];
static uint8_t isin[12];
static uint8_t terms_hash[32];
static uint8_t decimals;
static uint8_t paused;
static uint64_t supply;
static uint32_t n_holders;
static uint32_t max_holders;
static uint32_t max_ownership_bps;
static uint64_t lockup_until;
static uint64_t min_holding;
static uint32_t checkpoints;
static uint32_t conditions_len;
static uint8_t conditions[MAX_CONDITIONS_BYTES];
static uint32_t arena_top;
static uint32_t n_records;
static uint32_t n_accounts;
static uint32_t index_slots[INDEX_SLOTS];
static uint32_t accounts[MAX_ACCOUNTS];

/* ---- memory ------------------------------------------------------------------------- */

static uint8_t *at(uint32_t offset) { return (uint8_t *)(uintptr_t)offset; }
static uint32_t off(const uint8_t *p) { return (uint32_t)(uintptr_t)p; }

static uint8_t *alloc(uint32_t n) {
    return gloam_arena_alloc(&arena_top, n, MEMORY_LIMIT, "capacity: the token's memory is full");
}

static uint32_t find_slot(const uint8_t *key, uint32_t len) {
    return gloam_find_slot(index_slots, INDEX_MASK, key, len);
}

static uint8_t *new_record(uint32_t slot, uint32_t size, uint32_t key_len) {
    if (n_records >= MAX_RECORDS) gloam_panic("capacity: the token's index is full");
    uint8_t *r = alloc(size);
    memcpy(r, KEY, key_len);
    index_slots[slot] = off(r);
    n_records++;
    return r;
}

/* ---- holders, allowances, history ---------------------------------------------------- */

static uint8_t *holder(const uint8_t *addr) {
    KEY[0] = KIND_HOLDER;
    memmove(KEY + 1, addr, ADDR);
    return at(index_slots[find_slot(KEY, 1 + ADDR)]);
}

static uint8_t *holder_or_new(const uint8_t *addr) {
    KEY[0] = KIND_HOLDER;
    memmove(KEY + 1, addr, ADDR);
    uint32_t slot = find_slot(KEY, 1 + ADDR);
    if (index_slots[slot] != 0) return at(index_slots[slot]);
    if (n_accounts >= MAX_ACCOUNTS) gloam_panic("capacity: the holder table is full");
    uint8_t *r = new_record(slot, H_SIZE, 1 + ADDR);
    accounts[n_accounts++] = off(r);
    return r;
}

static uint64_t balance(const uint8_t *h) { return h == 0 ? 0 : gloam_read_u64(h + H_BALANCE); }
static bool frozen(const uint8_t *h) { return h != 0 && h[H_FROZEN] != 0; }

static uint8_t *allowance_record(const uint8_t *owner, const uint8_t *spender, bool create) {
    KEY[0] = KIND_ALLOWANCE;
    memmove(KEY + 1, owner, ADDR);
    memmove(KEY + 1 + ADDR, spender, ADDR);
    uint32_t slot = find_slot(KEY, 1 + 2 * ADDR);
    if (index_slots[slot] != 0 || !create) return at(index_slots[slot]);
    return new_record(slot, AL_SIZE, 1 + 2 * ADDR);
}

static uint64_t allowance_of(const uint8_t *owner, const uint8_t *spender) {
    uint8_t *r = allowance_record(owner, spender, false);
    return r == 0 ? 0 : gloam_read_u64(r + AL_AMOUNT);
}

/* Sets a holder's balance: keeps its history exact for the checkpoints taken since its
 * last change, and the holder count. */
static void set_balance(uint8_t *h, uint64_t value) {
    uint64_t old = gloam_read_u64(h + H_BALANCE);
    if (old == value) return;
    uint32_t head = gloam_read_u32(h + H_HIST);
    if (checkpoints > 0 && (head == 0 || gloam_read_u32(at(head) + E_ID) < checkpoints)) {
        uint8_t *e = alloc(E_SIZE);
        gloam_write_u32(e + E_ID, checkpoints);
        gloam_write_u32(e + E_NEXT, head);
        gloam_write_u64(e + E_BALANCE, old);
        gloam_write_u32(h + H_HIST, off(e));
    }
    if (old == 0) n_holders++;
    if (value == 0) n_holders--;
    gloam_write_u64(h + H_BALANCE, value);
}

/* The balance when checkpoint `id` was taken (0: now). */
static uint64_t balance_at_cp(const uint8_t *h, uint32_t id) {
    if (h == 0) return 0;
    uint64_t result = gloam_read_u64(h + H_BALANCE);
    if (id == 0) return result;
    for (uint32_t e = gloam_read_u32(h + H_HIST); e != 0; e = gloam_read_u32(at(e) + E_NEXT)) {
        if (gloam_read_u32(at(e) + E_ID) < id) break;
        result = gloam_read_u64(at(e) + E_BALANCE);
    }
    return result;
}

/* ---- callers ------------------------------------------------------------------------- */

/* Writes the caller's Address to WHO; panics for a query. */
static void require_agent(const uint8_t *key, const char *message) {
    gloam_caller_address(WHO);
    if (WHO[0] != 0 || memcmp(WHO + 1, key, 48) != 0) gloam_panic(message);
}

static void require_issuer_agent(void) {
    require_agent(issuer_agent, "not_authorised: only the issuer agent may do this");
}

static void emit_from(const char *topic, const uint8_t *data, uint32_t len) {
    memmove(A, data, len);
    gloam_emit(topic, len);
}

/* ---- conditions ---------------------------------------------------------------------- */

/* Validates one list at p (at most `room` bytes); returns its length. */
static uint32_t list_length(const uint8_t *p, uint32_t room) {
    if (room < 1 || p[0] > 4) gloam_panic("invalid_conditions: a list has at most 4 requirements");
    uint32_t n = 1;
    for (uint32_t r = 0; r < p[0]; r++) {
        if (n >= room || p[n] > 4) gloam_panic("invalid_conditions: a requirement has at most 4 conditions");
        uint32_t count = p[n++];
        for (uint32_t c = 0; c < count; c++) {
            if (n + COND_SIZE > room) gloam_panic("invalid_conditions: truncated condition");
            const uint8_t *cond = p + n;
            if (cond[1] > 3) gloam_panic("invalid_conditions: kind is 0, 1, 2 or 3");
            if (cond[50] > 8) gloam_panic("invalid_conditions: at most 8 values");
            n += COND_SIZE;
        }
    }
    return n;
}

static bool all_zero(const uint8_t *p, uint32_t n) {
    for (uint32_t i = 0; i < n; i++)
        if (p[i] != 0) return false;
    return true;
}

/* Kind 3: `addr` holds a Citadel session for this token (the service is the token's id) in the
 * citadel contract whose id is the condition's first 32 issuer bytes (docs/contracts.md). */
static bool citadel_session(const uint8_t *citadel, const uint8_t *addr) {
    gloam_host_self_id();
    memmove(A + ADDR, A, 32);
    memmove(A, addr, ADDR);
    int32_t got = gloam_call(citadel, "has_session", ADDR + 32, 0);
    if (got == GLOAM_CALL_OUT_OF_GAS) gloam_panic("out_of_gas: the citadel contract ran out of gas");
    return got == 1 && A[0] == 1;
}

/* One condition for `addr` against the claims at CLAIMS (claims_of's answer). */
static bool condition_holds(const uint8_t *cond, const uint8_t *addr) {
    uint8_t topic = cond[0], kind = cond[1], n = cond[50];
    if (kind == 3) return citadel_session(cond + 2, addr);
    bool any_issuer = all_zero(cond + 2, 48);
    uint32_t count = CLAIMS[0];
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *claim = CLAIMS + 1 + 59 * i;
        if (claim[0] != topic || (!any_issuer && memcmp(claim + 1, cond + 2, 48) != 0)) continue;
        if (kind == 0) return true;
        uint16_t value = gloam_read_u16(claim + 49);
        bool listed = false;
        for (uint32_t v = 0; v < n; v++)
            if (gloam_read_u16(cond + 51 + 2 * v) == value) listed = true;
        if (listed) return kind == 1; /* allow list: found; deny list: refused */
    }
    return kind == 2;
}

/* Whether `addr` meets one requirement of the list at p (an empty list always passes). */
static bool list_holds(const uint8_t *p, const uint8_t *addr) {
    if (p[0] == 0) return true;
    memmove(A, addr, ADDR);
    int32_t got = gloam_call(registry, "claims_of", ADDR, 0);
    if (got < 1 || (uint32_t)got != 1u + 59u * A[0] || A[0] > 8)
        gloam_panic("registry_failed: the registry's claims_of failed");
    memmove(CLAIMS, A, (uint32_t)got);
    uint32_t n = 1;
    for (uint32_t r = 0; r < p[0]; r++) {
        uint32_t count = p[n++];
        bool ok = true;
        for (uint32_t c = 0; c < count; c++, n += COND_SIZE)
            if (ok && !condition_holds(p + n, addr)) ok = false;
        if (ok) return true;
    }
    return false;
}

/* ---- rules --------------------------------------------------------------------------- */

/* floor(bps * supply / 10000) without overflow. */
static uint64_t share_of(uint64_t supply, uint32_t bps) {
    return supply / 10000u * bps + supply % 10000u * bps / 10000u;
}

/* Every failing code of moving `amount` from `from` (NULL: issue) to `to`, spent by
 * `spender` (NULL: no allowance), into CODES; returns the count. */
static uint32_t check(const uint8_t *from, const uint8_t *to, uint64_t amount, const uint8_t *spender,
                      uint32_t mode) {
    uint32_t n = 0;
    const uint8_t *hf = from != 0 ? holder(from) : 0;
    uint64_t bal_from = balance(hf);
    bool sender_frozen = frozen(hf);
    const uint8_t *ht = holder(to);
    uint64_t bal_to = balance(ht);
    bool receiver_frozen = frozen(ht);
    bool self = from != 0 && memcmp(from, to, ADDR) == 0;
    bool issue = mode == MODE_ISSUE;

    if (!issue && paused) CODES[n++] = PAUSED;
    if (!issue && sender_frozen) CODES[n++] = SENDER_FROZEN;
    if (receiver_frozen) CODES[n++] = RECEIVER_FROZEN;
    if (!issue && bal_from < amount) CODES[n++] = INSUFFICIENT_BALANCE;
    if (spender != 0 && allowance_of(from, spender) < amount) CODES[n++] = INSUFFICIENT_ALLOWANCE;
    const uint8_t *sender_list = conditions;
    const uint8_t *receiver_list = conditions + list_length(conditions, conditions_len);
    if (!issue && !list_holds(sender_list, from)) CODES[n++] = SENDER_CONDITIONS;
    if (!list_holds(receiver_list, to)) CODES[n++] = RECEIVER_CONDITIONS;
    if (max_holders != 0 && amount > 0 && bal_to == 0 && !self) {
        uint32_t after = n_holders + 1 - (!issue && bal_from == amount ? 1 : 0);
        if (after > max_holders) CODES[n++] = MAX_HOLDERS;
    }
    if (max_ownership_bps != 0 && !self) {
        uint64_t after = issue ? supply + amount : supply;
        uint64_t cap = share_of(after, max_ownership_bps);
        if (amount > cap || bal_to > cap - amount) CODES[n++] = MAX_OWNERSHIP;
    }
    if (!issue && lockup_until != 0 && gloam_block_timestamp() < lockup_until) CODES[n++] = LOCKUP;
    if (min_holding != 0 && amount > 0 && !self) {
        bool sender_low = !issue && bal_from >= amount && bal_from - amount != 0 && bal_from - amount < min_holding;
        bool receiver_low = bal_to + amount < min_holding;
        if (sender_low || receiver_low) CODES[n++] = MIN_HOLDING;
    }
    if (amount == 0) CODES[n++] = INVALID_AMOUNT;
    if (self) CODES[n++] = SELF_TRANSFER;
    return n;
}

static uint32_t return_codes(uint32_t n) {
    A[0] = (uint8_t)n;
    memmove(A + 1, CODES, n);
    return 1 + n;
}

static void refuse_first(uint32_t n) {
    if (n > 0) gloam_panic(CODE_NAMES[CODES[0]]);
}

static void move(const uint8_t *from, const uint8_t *to, uint64_t amount) {
    uint8_t *hf = holder(from);
    if (balance(hf) < amount) gloam_panic(CODE_NAMES[INSUFFICIENT_BALANCE]);
    set_balance(hf, balance(hf) - amount);
    uint8_t *ht = holder_or_new(to);
    set_balance(ht, balance(ht) + amount);
}

/* ---- init and reads ------------------------------------------------------------------ */

GLOAM_EXPORT(init) {
    gloam_require(arg_len == 48 + 48 + 32 + 12 + 32 + 1,
                  "invalid_args: init takes issuer_agent[48] | compliance_agent[48] | registry[32] | "
                  "isin[12] | terms_hash[32] | decimals:u8");
    memcpy(issuer_agent, A, 48);
    memcpy(compliance_agent, A + 48, 48);
    memcpy(registry, A + 96, 32);
    memcpy(isin, A + 128, 12);
    memcpy(terms_hash, A + 140, 32);
    decimals = A[172];
    conditions[0] = 0;
    conditions[1] = 0;
    conditions_len = 2;
    return 0;
}

GLOAM_EXPORT(balance_of) {
    gloam_require(arg_len == ADDR, "invalid_args: balance_of takes holder:Address");
    return gloam_ret_u64(balance(holder(A)));
}

GLOAM_EXPORT(total_supply) {
    (void)arg_len;
    return gloam_ret_u64(supply);
}

GLOAM_EXPORT(holder_count) {
    (void)arg_len;
    return gloam_ret_u32(n_holders);
}

GLOAM_EXPORT(is_frozen) {
    gloam_require(arg_len == ADDR, "invalid_args: is_frozen takes holder:Address");
    A[0] = frozen(holder(A)) ? 1 : 0;
    return 1;
}

GLOAM_EXPORT(allowance) {
    gloam_require(arg_len == 2 * ADDR, "invalid_args: allowance takes owner:Address | spender:Address");
    memcpy(SCR, A, 2 * ADDR);
    return gloam_ret_u64(allowance_of(SCR, SCR + ADDR));
}

GLOAM_EXPORT(info) {
    (void)arg_len;
    memcpy(A, isin, 12);
    memcpy(A + 12, terms_hash, 32);
    A[44] = decimals;
    A[45] = paused;
    gloam_write_u32(A + 46, n_holders);
    gloam_write_u64(A + 50, supply);
    return 58;
}

GLOAM_EXPORT(check_transfer) {
    gloam_require(arg_len == 2 * ADDR + 8, "invalid_args: check_transfer takes from | to | amount:u64");
    memcpy(SCR, A, arg_len);
    gloam_check_address(SCR);
    gloam_check_address(SCR + ADDR);
    return return_codes(check(SCR, SCR + ADDR, gloam_read_u64(SCR + 2 * ADDR), 0, MODE_TRANSFER));
}

GLOAM_EXPORT(check_transfer_from) {
    gloam_require(arg_len == 3 * ADDR + 8,
                  "invalid_args: check_transfer_from takes spender | from | to | amount:u64");
    memcpy(SCR, A, arg_len);
    for (int i = 0; i < 3; i++) gloam_check_address(SCR + ADDR * i);
    uint64_t amount = gloam_read_u64(SCR + 3 * ADDR);
    return return_codes(check(SCR + ADDR, SCR + 2 * ADDR, amount, SCR, MODE_TRANSFER));
}

GLOAM_EXPORT(balance_at) {
    gloam_require(arg_len == ADDR + 4, "invalid_args: balance_at takes holder:Address | checkpoint:u32");
    uint32_t id = gloam_read_u32(A + ADDR);
    if (id > checkpoints) gloam_panic("invalid_checkpoint: no such checkpoint");
    return gloam_ret_u64(balance_at_cp(holder(A), id));
}

GLOAM_EXPORT(holders_at) {
    gloam_require(arg_len == 10, "invalid_args: holders_at takes checkpoint:u32 | offset:u32 | limit:u16");
    uint32_t id = gloam_read_u32(A);
    uint32_t offset = gloam_read_u32(A + 4);
    uint32_t limit = gloam_read_u16(A + 8);
    if (id > checkpoints) gloam_panic("invalid_checkpoint: no such checkpoint");
    uint32_t max = (GLOAM_ARGBUF_LEN - 2) / 57;
    if (limit > max) limit = max;
    uint32_t count = 0, seen = 0;
    for (uint32_t i = 0; i < n_accounts && count < limit; i++) {
        const uint8_t *h = at(accounts[i]);
        uint64_t b = balance_at_cp(h, id);
        if (b == 0) continue;
        if (seen++ < offset) continue;
        uint8_t *out = A + 2 + 57 * count++;
        memcpy(out, h + 1, ADDR);
        gloam_write_u64(out + ADDR, b);
    }
    gloam_write_u16(A, (uint16_t)count);
    return 2 + 57 * count;
}

/* ---- holders' functions -------------------------------------------------------------- */

GLOAM_EXPORT(approve) {
    gloam_require(arg_len == ADDR + 8, "invalid_args: approve takes spender:Address | amount:u64");
    memcpy(SCR + ADDR, A, arg_len); /* SCR: owner | spender | amount */
    gloam_check_address(SCR + ADDR);
    gloam_caller_address(WHO);
    memcpy(SCR, WHO, ADDR);
    uint8_t *r = allowance_record(SCR, SCR + ADDR, true);
    memcpy(r + AL_AMOUNT, SCR + 2 * ADDR, 8);
    emit_from("approval", SCR, 2 * ADDR + 8);
    return 0;
}

GLOAM_EXPORT(transfer) {
    gloam_require(arg_len == ADDR + 8, "invalid_args: transfer takes to:Address | amount:u64");
    memcpy(SCR + ADDR, A, arg_len); /* SCR: from | to | amount */
    gloam_check_address(SCR + ADDR);
    gloam_caller_address(WHO);
    memcpy(SCR, WHO, ADDR);
    uint64_t amount = gloam_read_u64(SCR + 2 * ADDR);
    refuse_first(check(SCR, SCR + ADDR, amount, 0, MODE_TRANSFER));
    move(SCR, SCR + ADDR, amount);
    emit_from("transfer", SCR, 2 * ADDR + 8);
    return 0;
}

GLOAM_EXPORT(transfer_from) {
    gloam_require(arg_len == 2 * ADDR + 8, "invalid_args: transfer_from takes from | to | amount:u64");
    uint8_t *spender = SCR + 256;
    memcpy(SCR, A, arg_len); /* SCR: from | to | amount */
    gloam_check_address(SCR);
    gloam_check_address(SCR + ADDR);
    gloam_caller_address(WHO);
    memcpy(spender, WHO, ADDR);
    uint64_t amount = gloam_read_u64(SCR + 2 * ADDR);
    refuse_first(check(SCR, SCR + ADDR, amount, spender, MODE_TRANSFER));
    uint8_t *r = allowance_record(SCR, spender, false);
    gloam_write_u64(r + AL_AMOUNT, gloam_read_u64(r + AL_AMOUNT) - amount);
    move(SCR, SCR + ADDR, amount);
    emit_from("transfer", SCR, 2 * ADDR + 8);
    return 0;
}

GLOAM_EXPORT(burn) {
    gloam_require(arg_len == 8, "invalid_args: burn takes amount:u64");
    memcpy(SCR + ADDR, A, 8); /* SCR: holder | amount */
    gloam_caller_address(WHO);
    memcpy(SCR, WHO, ADDR);
    uint64_t amount = gloam_read_u64(SCR + ADDR);
    if (amount == 0) gloam_panic(CODE_NAMES[INVALID_AMOUNT]);
    if (paused) gloam_panic(CODE_NAMES[PAUSED]);
    uint8_t *h = holder(SCR);
    if (frozen(h)) gloam_panic(CODE_NAMES[SENDER_FROZEN]);
    if (balance(h) < amount) gloam_panic(CODE_NAMES[INSUFFICIENT_BALANCE]);
    set_balance(h, balance(h) - amount);
    supply -= amount;
    emit_from("burn", SCR, ADDR + 8);
    return 0;
}

/* ---- the issuer agent's functions ---------------------------------------------------- */

GLOAM_EXPORT(issue) {
    gloam_require(arg_len == ADDR + 8, "invalid_args: issue takes to:Address | amount:u64");
    memcpy(SCR, A, arg_len);
    gloam_check_address(SCR);
    require_issuer_agent();
    uint64_t amount = gloam_read_u64(SCR + ADDR);
    if (supply + amount < supply) gloam_panic("invalid_amount: the supply would overflow");
    refuse_first(check(0, SCR, amount, 0, MODE_ISSUE));
    uint8_t *h = holder_or_new(SCR);
    set_balance(h, balance(h) + amount);
    supply += amount;
    emit_from("issue", SCR, ADDR + 8);
    return 0;
}

GLOAM_EXPORT(redeem) {
    gloam_require(arg_len == ADDR + 8, "invalid_args: redeem takes from:Address | amount:u64");
    memcpy(SCR, A, arg_len);
    gloam_check_address(SCR);
    require_issuer_agent();
    uint64_t amount = gloam_read_u64(SCR + ADDR);
    if (amount == 0) gloam_panic(CODE_NAMES[INVALID_AMOUNT]);
    uint8_t *h = holder(SCR);
    if (balance(h) < amount) gloam_panic(CODE_NAMES[INSUFFICIENT_BALANCE]);
    set_balance(h, balance(h) - amount);
    supply -= amount;
    emit_from("redeem", SCR, ADDR + 8);
    return 0;
}

GLOAM_EXPORT(pause) {
    (void)arg_len;
    require_issuer_agent();
    paused = 1;
    gloam_emit("paused", 0);
    return 0;
}

GLOAM_EXPORT(unpause) {
    (void)arg_len;
    require_issuer_agent();
    paused = 0;
    gloam_emit("unpaused", 0);
    return 0;
}

GLOAM_EXPORT(set_conditions) {
    gloam_require(arg_len >= 2 && arg_len <= MAX_CONDITIONS_BYTES, "invalid_conditions: bad length");
    memcpy(SCR, A, arg_len);
    uint32_t sender_len = list_length(SCR, arg_len);
    uint32_t receiver_len = list_length(SCR + sender_len, arg_len - sender_len);
    if (sender_len + receiver_len != arg_len) gloam_panic("invalid_conditions: trailing bytes");
    require_issuer_agent();
    memcpy(conditions, SCR, arg_len);
    conditions_len = arg_len;
    emit_from("conditions", SCR, arg_len);
    return 0;
}

GLOAM_EXPORT(set_limits) {
    gloam_require(arg_len == 22,
                  "invalid_args: set_limits takes max_holders:u32 | max_ownership_bps:u16 | lockup_until:u64 | "
                  "min_holding:u64");
    memcpy(SCR, A, arg_len);
    if (gloam_read_u16(SCR + 4) > 10000) gloam_panic("invalid_args: max_ownership_bps is at most 10000");
    require_issuer_agent();
    max_holders = gloam_read_u32(SCR);
    max_ownership_bps = gloam_read_u16(SCR + 4);
    lockup_until = gloam_read_u64(SCR + 6);
    min_holding = gloam_read_u64(SCR + 14);
    emit_from("limits", SCR, arg_len);
    return 0;
}

GLOAM_EXPORT(checkpoint) {
    (void)arg_len;
    require_issuer_agent();
    checkpoints++;
    gloam_write_u32(A, checkpoints);
    gloam_write_u64(A + 4, supply);
    gloam_write_u32(A + 12, n_holders);
    gloam_emit("checkpoint", 16);
    return gloam_ret_u32(checkpoints);
}

/* floor(b * n / d) for d > 0; false if it does not fit in a u64. */
static bool scaled(uint64_t b, uint32_t n, uint32_t d, uint64_t *out) {
    uint64_t q = b / d;
    /* q * n from 32-bit halves (each product fits in a u64; no 128-bit helper in wasm32) */
    uint64_t hi = (q >> 32) * n, lo = (q & 0xffffffffu) * n;
    if ((hi >> 32) != 0 || (hi << 32) + lo < lo) return false;
    uint64_t whole = (hi << 32) + lo;
    uint64_t part = (b % d) * (uint64_t)n / d; /* (b % d) * n < d * n <= 2^64 - 2^33 + 1 */
    if (whole + part < whole) return false;
    *out = whole + part;
    return true;
}

/* A stock split (n > d) or reverse split (n < d): takes checkpoint k (the record
 * checkpoint, so that holders_at(k) lists the holdings before), then sets every balance to
 * floor(balance * n / d). The fractions leave the token: the issuer pays them in cash. */
GLOAM_EXPORT(split) {
    gloam_require(arg_len == 8, "invalid_args: split takes numerator:u32 | denominator:u32");
    uint32_t n = gloam_read_u32(A), d = gloam_read_u32(A + 4);
    require_issuer_agent();
    if (n == 0 || d == 0) gloam_panic("invalid_ratio: numerator and denominator must be above zero");
    if (n == d) gloam_panic("invalid_ratio: a split of n for n changes nothing");
    uint64_t after = 0;
    for (uint32_t i = 0; i < n_accounts; i++) {
        uint64_t b = gloam_read_u64(at(accounts[i]) + H_BALANCE), nb;
        if (!scaled(b, n, d, &nb) || after + nb < after)
            gloam_panic("invalid_ratio: a balance or the supply would overflow");
        after += nb;
    }
    checkpoints++;
    gloam_write_u32(SCR, checkpoints);
    gloam_write_u64(SCR + 4, supply);
    gloam_write_u32(SCR + 12, n_holders);
    emit_from("checkpoint", SCR, 16);
    for (uint32_t i = 0; i < n_accounts; i++) {
        uint8_t *h = at(accounts[i]);
        uint64_t nb = 0;
        scaled(gloam_read_u64(h + H_BALANCE), n, d, &nb);
        set_balance(h, nb);
    }
    supply = after;
    gloam_write_u32(SCR, checkpoints);
    gloam_write_u32(SCR + 4, n);
    gloam_write_u32(SCR + 8, d);
    gloam_write_u64(SCR + 12, supply);
    gloam_write_u32(SCR + 20, n_holders);
    emit_from("split", SCR, 24);
    return gloam_ret_u32(checkpoints);
}

/* ---- the compliance agent's functions ------------------------------------------------ */

GLOAM_EXPORT(freeze) {
    gloam_require(arg_len == ADDR + 1, "invalid_args: freeze takes holder:Address | frozen:u8");
    memcpy(SCR, A, arg_len);
    gloam_check_address(SCR);
    require_agent(compliance_agent, "not_authorised: only the compliance agent may freeze");
    SCR[ADDR] = SCR[ADDR] != 0;
    holder_or_new(SCR)[H_FROZEN] = SCR[ADDR];
    emit_from("freeze", SCR, ADDR + 1);
    return 0;
}

GLOAM_EXPORT(force_transfer) {
    gloam_require(arg_len == 2 * ADDR + 8 + 2,
                  "invalid_args: force_transfer takes from | to | amount:u64 | reason:u16");
    memcpy(SCR, A, arg_len);
    gloam_check_address(SCR);
    gloam_check_address(SCR + ADDR);
    require_agent(compliance_agent, "not_authorised: only the compliance agent may force a transfer");
    move(SCR, SCR + ADDR, gloam_read_u64(SCR + 2 * ADDR));
    emit_from("forced_transfer", SCR, arg_len);
    return 0;
}
