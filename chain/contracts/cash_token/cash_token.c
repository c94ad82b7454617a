/*
 * cash_token: an e-money token (EUR, USD, ...) with the token interface of docs/contracts.md.
 *
 *   init(issuer:key[48] | currency[3] | decimals:u8)
 *   balance_of(holder:Address) -> u64            total_supply() -> u64
 *   approve(spender:Address | amount:u64)         allowance(owner:Address | spender:Address) -> u64
 *   transfer(to:Address | amount:u64)             transfer_from(from | to | amount:u64)
 *   check_transfer_from(spender | from | to | amount:u64) -> count:u8 | code:u8 * count
 *   mint(to | amount:u64)  burn(from | amount:u64)  freeze(holder | frozen:u8)   (issuer only)
 *   is_frozen(holder) -> u8                        info() -> issuer[48] | currency[3] | decimals:u8
 *
 * Address: tag:u8 | body[48] (0: account key; 1: contract id[32] then 16 zero bytes).
 * Refusals panic "code: message". Every change emits an event.
 *
 * State layout. Holders live in an open-addressing (linear probing) hash table of 2^17 slots
 * of 64 bytes (8 MiB) holding at most 114,688 Addresses (7/8 full; then `capacity`); a slot
 * is kept once used (zero balances stay), so nothing is ever deleted. Allowances live in a
 * second table of 2^17 slots of 16 bytes (2 MiB) keyed by the (owner, spender) slot indices
 * of the holder table, so an approve also registers both Addresses as holders. A transfer
 * writes two holder slots (and one allowance slot for transfer_from), so it dirties at most
 * three table pages. Working copies of the arguments are kept in the upper half of the
 * argument buffer, which the host clears after every call, never on the stack (a shadow
 * stack would dirty page 0 on every call).
 */
#include "gloam.h"

#define ADDR_LEN 49u
#define HOLDER_SLOTS (1u << 17)
#define HOLDER_MAX (HOLDER_SLOTS / 8u * 7u)
#define ALLOW_SLOTS (1u << 17)
#define ALLOW_MAX (ALLOW_SLOTS / 8u * 7u)
#define NONE 0xffffffffu

/* transfer failure codes (docs/contracts.md), the ones this token can produce */
#define C_SENDER_FROZEN 2u
#define C_RECEIVER_FROZEN 3u
#define C_INSUFFICIENT_BALANCE 4u
#define C_INSUFFICIENT_ALLOWANCE 5u
#define C_INVALID_AMOUNT 12u
#define C_SELF_TRANSFER 13u

typedef struct {
    uint8_t used;
    uint8_t addr[ADDR_LEN];
    uint8_t frozen;
    uint8_t pad[5];
    uint64_t balance;
} Holder; /* 64 bytes */

typedef struct {
    uint32_t owner_plus1; /* 0: empty slot */
    uint32_t spender;
    uint64_t amount;
} Allowance; /* 16 bytes */

_Static_assert(sizeof(Holder) == 64, "holder slot is 64 bytes");
_Static_assert(sizeof(Allowance) == 16, "allowance slot is 16 bytes");

static uint8_t issuer[48];
static uint8_t currency[3];
static uint8_t decimals;
static uint8_t initialised;
static uint64_t supply;
static uint32_t holder_count;
static uint32_t allowance_count;
static Holder holders[HOLDER_SLOTS];
static Allowance allowances[ALLOW_SLOTS];

/* Scratch in the argument buffer's upper half (cleared by the host after each call). */
#define SCRATCH (A + 32768)
#define S_CALLER (SCRATCH)        /* 49: the caller's Address */
#define S_X (SCRATCH + 64)        /* 49: first Address argument */
#define S_Y (SCRATCH + 128)       /* 49: second Address argument */
#define S_Z (SCRATCH + 192)       /* 49: third Address argument */
#define S_CODES (SCRATCH + 256)   /* 1 + 16: count | codes */
#define S_EVENT (SCRATCH + 512)   /* event data */

/* ---- helpers ------------------------------------------------------------------------ */

static __attribute__((noreturn)) void fail(const char *msg) { gloam_panic(msg); }

static void want_len(uint32_t arg_len, uint32_t n, const char *msg) {
    if (arg_len != n) fail(msg);
}

/* Copies an Address argument from A+at to dst and checks it. */
static void take_address(uint8_t *dst, uint32_t at) {
    memcpy(dst, A + at, ADDR_LEN);
    gloam_check_address(dst);
}

static void require_issuer(const char *msg) {
    uint32_t n = gloam_caller();
    if (n == 0) fail("no_caller: this function needs a caller");
    if (n != 48 || memcmp(A, issuer, 48) != 0) fail(msg);
}

static uint64_t hash_bytes(const uint8_t *p, uint32_t n) {
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a, then a final mix */
    for (uint32_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

/* Slot index of `addr` in the holder table, or NONE (insert: add it, panics when full). */
static uint32_t holder_slot(const uint8_t *addr, bool insert) {
    uint32_t i = (uint32_t)hash_bytes(addr, ADDR_LEN) & (HOLDER_SLOTS - 1);
    for (;;) {
        Holder *h = &holders[i];
        if (!h->used) {
            if (!insert) return NONE;
            if (holder_count >= HOLDER_MAX) fail("capacity: the holder table is full");
            h->used = 1;
            memcpy(h->addr, addr, ADDR_LEN);
            holder_count++;
            return i;
        }
        if (memcmp(h->addr, addr, ADDR_LEN) == 0) return i;
        i = (i + 1) & (HOLDER_SLOTS - 1);
    }
}

static uint32_t allowance_slot(uint32_t owner, uint32_t spender, bool insert) {
    uint64_t h = ((uint64_t)owner << 32 | spender) * 0x9e3779b97f4a7c15ull;
    uint32_t i = (uint32_t)(h >> 40) & (ALLOW_SLOTS - 1);
    for (;;) {
        Allowance *a = &allowances[i];
        if (a->owner_plus1 == 0) {
            if (!insert) return NONE;
            if (allowance_count >= ALLOW_MAX) fail("capacity: the allowance table is full");
            a->owner_plus1 = owner + 1;
            a->spender = spender;
            allowance_count++;
            return i;
        }
        if (a->owner_plus1 == owner + 1 && a->spender == spender) return i;
        i = (i + 1) & (ALLOW_SLOTS - 1);
    }
}

static uint64_t balance_at(uint32_t slot) { return slot == NONE ? 0 : holders[slot].balance; }
static bool frozen_at(uint32_t slot) { return slot != NONE && holders[slot].frozen; }

static uint64_t allowance_of(const uint8_t *owner, const uint8_t *spender) {
    uint32_t o = holder_slot(owner, false);
    uint32_t s = holder_slot(spender, false);
    if (o == NONE || s == NONE) return 0;
    uint32_t a = allowance_slot(o, s, false);
    return a == NONE ? 0 : allowances[a].amount;
}

/*
 * Every reason a transfer of `amount` from `from` to `to` would fail, in code order, written
 * to S_CODES (count | codes); `spender` NULL: a plain transfer (no allowance). Returns the count.
 */
static uint32_t check(const uint8_t *spender, const uint8_t *from, const uint8_t *to, uint64_t amount) {
    uint32_t f = holder_slot(from, false);
    uint32_t t = holder_slot(to, false);
    uint32_t n = 0;
    uint8_t *codes = S_CODES + 1;
    if (frozen_at(f)) codes[n++] = C_SENDER_FROZEN;
    if (frozen_at(t)) codes[n++] = C_RECEIVER_FROZEN;
    if (balance_at(f) < amount) codes[n++] = C_INSUFFICIENT_BALANCE;
    if (spender != NULL && allowance_of(from, spender) < amount) codes[n++] = C_INSUFFICIENT_ALLOWANCE;
    if (amount == 0) codes[n++] = C_INVALID_AMOUNT;
    if (memcmp(from, to, ADDR_LEN) == 0) codes[n++] = C_SELF_TRANSFER;
    S_CODES[0] = (uint8_t)n;
    return n;
}

static __attribute__((noreturn)) void fail_code(uint8_t code) {
    switch (code) {
    case C_SENDER_FROZEN: fail("sender_frozen: the sender is frozen");
    case C_RECEIVER_FROZEN: fail("receiver_frozen: the receiver is frozen");
    case C_INSUFFICIENT_BALANCE: fail("insufficient_balance: the sender's balance is too low");
    case C_INSUFFICIENT_ALLOWANCE: fail("insufficient_allowance: the spender's allowance is too low");
    case C_INVALID_AMOUNT: fail("invalid_amount: the amount is zero");
    case C_SELF_TRANSFER: fail("self_transfer: the sender is the receiver");
    default: fail("transfer_failed: unknown code");
    }
}

/* Moves `amount` (already checked) and emits `transfer` (from | to | amount). */
static void move(const uint8_t *from, const uint8_t *to, uint64_t amount) {
    uint32_t f = holder_slot(from, false);
    uint32_t t = holder_slot(to, true);
    holders[f].balance -= amount;
    uint64_t after = holders[t].balance + amount;
    if (after < amount) fail("overflow: the receiver's balance would overflow");
    holders[t].balance = after;
    memmove(S_EVENT, from, ADDR_LEN);
    memmove(S_EVENT + ADDR_LEN, to, ADDR_LEN);
    gloam_write_u64(S_EVENT + 2 * ADDR_LEN, amount);
    gloam_emit_bytes("transfer", S_EVENT, 2 * ADDR_LEN + 8);
}

static void require_init(void) {
    if (!initialised) fail("not_initialised: the token has no issuer");
}

/* ---- init and reads ----------------------------------------------------------------- */

GLOAM_EXPORT(init) {
    want_len(arg_len, 52, "invalid_arguments: init takes issuer[48] | currency[3] | decimals:u8");
    for (uint32_t i = 48; i < 51; i++)
        if (A[i] < 'A' || A[i] > 'Z') fail("invalid_arguments: the currency is three letters A-Z");
    memcpy(issuer, A, 48);
    memcpy(currency, A + 48, 3);
    decimals = A[51];
    initialised = 1;
    return 0;
}

GLOAM_EXPORT(info) {
    (void)arg_len;
    memcpy(A, issuer, 48);
    memcpy(A + 48, currency, 3);
    A[51] = decimals;
    return 52;
}

GLOAM_EXPORT(total_supply) {
    (void)arg_len;
    return gloam_ret_u64(supply);
}

GLOAM_EXPORT(balance_of) {
    want_len(arg_len, ADDR_LEN, "invalid_arguments: balance_of takes holder:Address");
    take_address(S_X, 0);
    return gloam_ret_u64(balance_at(holder_slot(S_X, false)));
}

GLOAM_EXPORT(is_frozen) {
    want_len(arg_len, ADDR_LEN, "invalid_arguments: is_frozen takes holder:Address");
    take_address(S_X, 0);
    A[0] = frozen_at(holder_slot(S_X, false)) ? 1 : 0;
    return 1;
}

GLOAM_EXPORT(allowance) {
    want_len(arg_len, 2 * ADDR_LEN, "invalid_arguments: allowance takes owner:Address | spender:Address");
    take_address(S_X, 0);
    take_address(S_Y, ADDR_LEN);
    return gloam_ret_u64(allowance_of(S_X, S_Y));
}

GLOAM_EXPORT(check_transfer_from) {
    want_len(arg_len, 3 * ADDR_LEN + 8,
             "invalid_arguments: check_transfer_from takes spender | from | to | amount:u64");
    take_address(S_X, 0);
    take_address(S_Y, ADDR_LEN);
    take_address(S_Z, 2 * ADDR_LEN);
    uint64_t amount = gloam_read_u64(A + 3 * ADDR_LEN);
    uint32_t n = check(S_X, S_Y, S_Z, amount);
    memmove(A, S_CODES, 1 + n);
    return 1 + n;
}

/* ---- holders' functions ------------------------------------------------------------- */

GLOAM_EXPORT(approve) {
    want_len(arg_len, ADDR_LEN + 8, "invalid_arguments: approve takes spender:Address | amount:u64");
    require_init();
    take_address(S_Y, 0);
    uint64_t amount = gloam_read_u64(A + ADDR_LEN);
    gloam_caller_address(S_CALLER);
    uint32_t o = holder_slot(S_CALLER, amount != 0);
    uint32_t s = holder_slot(S_Y, amount != 0);
    if (o != NONE && s != NONE) {
        uint32_t a = allowance_slot(o, s, amount != 0);
        if (a != NONE) allowances[a].amount = amount;
    }
    memmove(S_EVENT, S_CALLER, ADDR_LEN);
    memmove(S_EVENT + ADDR_LEN, S_Y, ADDR_LEN);
    gloam_write_u64(S_EVENT + 2 * ADDR_LEN, amount);
    gloam_emit_bytes("approval", S_EVENT, 2 * ADDR_LEN + 8);
    return 0;
}

GLOAM_EXPORT(transfer) {
    want_len(arg_len, ADDR_LEN + 8, "invalid_arguments: transfer takes to:Address | amount:u64");
    require_init();
    take_address(S_Y, 0);
    uint64_t amount = gloam_read_u64(A + ADDR_LEN);
    gloam_caller_address(S_CALLER);
    if (check(NULL, S_CALLER, S_Y, amount) != 0) fail_code(S_CODES[1]);
    move(S_CALLER, S_Y, amount);
    return 0;
}

GLOAM_EXPORT(transfer_from) {
    want_len(arg_len, 2 * ADDR_LEN + 8,
             "invalid_arguments: transfer_from takes from:Address | to:Address | amount:u64");
    require_init();
    take_address(S_X, 0);
    take_address(S_Y, ADDR_LEN);
    uint64_t amount = gloam_read_u64(A + 2 * ADDR_LEN);
    gloam_caller_address(S_CALLER);
    if (check(S_CALLER, S_X, S_Y, amount) != 0) fail_code(S_CODES[1]);
    uint32_t a = allowance_slot(holder_slot(S_X, false), holder_slot(S_CALLER, false), false);
    allowances[a].amount -= amount;
    move(S_X, S_Y, amount);
    return 0;
}

/* ---- issuer's functions ------------------------------------------------------------- */

GLOAM_EXPORT(mint) {
    want_len(arg_len, ADDR_LEN + 8, "invalid_arguments: mint takes to:Address | amount:u64");
    require_init();
    take_address(S_X, 0);
    uint64_t amount = gloam_read_u64(A + ADDR_LEN);
    require_issuer("not_authorised: only the issuer may mint");
    if (amount == 0) fail("invalid_amount: the amount is zero");
    uint32_t t = holder_slot(S_X, true);
    if (holders[t].frozen) fail("receiver_frozen: the receiver is frozen");
    if (supply + amount < supply) fail("overflow: the total supply would exceed 2^64-1");
    supply += amount;
    holders[t].balance += amount; /* <= supply: cannot overflow */
    memmove(S_EVENT, S_X, ADDR_LEN);
    gloam_write_u64(S_EVENT + ADDR_LEN, amount);
    gloam_emit_bytes("mint", S_EVENT, ADDR_LEN + 8);
    return 0;
}

GLOAM_EXPORT(burn) {
    want_len(arg_len, ADDR_LEN + 8, "invalid_arguments: burn takes from:Address | amount:u64");
    require_init();
    take_address(S_X, 0);
    uint64_t amount = gloam_read_u64(A + ADDR_LEN);
    require_issuer("not_authorised: only the issuer may burn");
    if (amount == 0) fail("invalid_amount: the amount is zero");
    uint32_t f = holder_slot(S_X, false);
    if (balance_at(f) < amount) fail("insufficient_balance: the holder's balance is too low");
    holders[f].balance -= amount;
    supply -= amount;
    memmove(S_EVENT, S_X, ADDR_LEN);
    gloam_write_u64(S_EVENT + ADDR_LEN, amount);
    gloam_emit_bytes("burn", S_EVENT, ADDR_LEN + 8);
    return 0;
}

GLOAM_EXPORT(freeze) {
    want_len(arg_len, ADDR_LEN + 1, "invalid_arguments: freeze takes holder:Address | frozen:u8");
    require_init();
    take_address(S_X, 0);
    uint8_t frozen = A[ADDR_LEN];
    if (frozen > 1) fail("invalid_arguments: frozen is 0 or 1");
    require_issuer("not_authorised: only the issuer may freeze");
    uint32_t h = holder_slot(S_X, frozen != 0);
    if (h != NONE) holders[h].frozen = frozen;
    memmove(S_EVENT, S_X, ADDR_LEN);
    S_EVENT[ADDR_LEN] = frozen;
    gloam_emit_bytes("freeze", S_EVENT, ADDR_LEN + 1);
    return 0;
}
