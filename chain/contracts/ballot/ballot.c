/*
 * ballot: proxy voting on a security token's holders at a record checkpoint (issue 9;
 * docs/contracts.md, Ballot). One deployment per meeting.
 *
 *   init(token:id[32] | checkpoint:u32 | opens:u64 | closes:u64 | motions:u8 | options:u8 * motions)
 *   vote(motion:u8 | count:u8 | (option:u8 | weight:u64) * count)
 *                                   by a holder at the checkpoint, while opens <= now < closes;
 *                                   replaces the caller's vote on the motion (count 0 withdraws
 *                                   it); the weights may be split over options and sum to at
 *                                   most the caller's balance_at(checkpoint) on the token;
 *                                   event vote (caller:Address | the arguments)
 *   tally(motion:u8) -> options:u8 | weight:u64 * options | voters:u32
 *   vote_of(voter:Address | motion:u8) -> options:u8 | weight:u64 * options
 *   weight_of(voter:Address) -> u64      the voter's balance at the checkpoint
 *   info() -> token[32] | checkpoint:u32 | opens:u64 | closes:u64 | motions:u8 | options:u8 * motions
 *
 * Times are unix seconds compared with the block timestamp. Motions 1..16, options 2..8 per
 * motion. Errors: invalid_arguments, not_open (before opens), closed (at or after closes),
 * invalid_motion, invalid_option (out of range or named twice), over_weight, token_unavailable
 * (the token's balance_at cannot be called or answers out of shape), capacity.
 *
 * Memory: the tally is static (16 x 8 weights); voters are records in an arena found through
 * an open-addressing index of 2^16 slots (FNV-1a of the Address): a voter record is the
 * Address and one u32 per motion pointing at its vote record (8 weights, 64 bytes), made the
 * first time it votes on that motion. 49,152 voters at most (3/4 of the index).
 */
#include "gloam.h"

#define ADDR GLOAM_ADDRESS_LEN
#define MAX_MOTIONS 16u
#define MAX_OPTIONS 8u
#define INDEX_SLOTS (1u << 16)
#define INDEX_MASK (INDEX_SLOTS - 1u)
#define MAX_VOTERS (INDEX_SLOTS / 4u * 3u)
#define MEMORY_LIMIT 16777216u
#define V_VOTES 52u                       /* voter record: Address | pad 3 | u32 per motion */
#define V_SIZE (V_VOTES + 4u * MAX_MOTIONS)
#define VOTE_SIZE (8u * MAX_OPTIONS)
#define SCR (A + 32768)                   /* scratch: arguments copied out of the host's way */

static uint8_t initialised;
static uint8_t token[32];
static uint32_t checkpoint;
static uint64_t opens, closes;
static uint8_t motions;
static uint8_t options[MAX_MOTIONS];
static uint64_t tallies[MAX_MOTIONS][MAX_OPTIONS];
static uint32_t voters_on[MAX_MOTIONS];
static uint32_t n_voters;
static uint32_t arena_top;
static uint32_t index_slots[INDEX_SLOTS];

static uint8_t *at(uint32_t offset) { return (uint8_t *)(uintptr_t)offset; }

static uint8_t *alloc(uint32_t n) {
    return gloam_arena_alloc(&arena_top, n, MEMORY_LIMIT, "capacity: the ballot's memory is full");
}

static void require_init(void) { gloam_require(initialised, "not_initialised: init first"); }

/* The voter record of `address`, or 0 if it never voted (with `create`, made). */
static uint8_t *voter(const uint8_t *address, bool create) {
    uint32_t slot = gloam_find_slot(index_slots, INDEX_MASK, address, ADDR);
    if (index_slots[slot] != 0) return at(index_slots[slot]);
    if (!create) return 0;
    gloam_require(n_voters < MAX_VOTERS, "capacity: too many voters");
    uint8_t *record = alloc(V_SIZE);
    memset(record, 0, V_SIZE);
    memcpy(record, address, ADDR);
    index_slots[slot] = (uint32_t)(uintptr_t)record;
    n_voters++;
    return record;
}

/* The voter's vote record on `motion`, or 0 (with `create`, made, all weights zero). */
static uint64_t *vote_record(uint8_t *record, uint32_t motion, bool create) {
    uint32_t offset = gloam_read_u32(record + V_VOTES + 4u * motion);
    if (offset == 0) {
        if (!create) return 0;
        uint8_t *fresh = alloc(VOTE_SIZE);
        memset(fresh, 0, VOTE_SIZE);
        offset = (uint32_t)(uintptr_t)fresh;
        gloam_write_u32(record + V_VOTES + 4u * motion, offset);
    }
    return (uint64_t *)(uintptr_t)offset;
}

/* The balance of `address` (anywhere but A) at the checkpoint, asked of the token. */
static uint64_t weight_of_address(const uint8_t *address) {
    memmove(A, address, ADDR);
    gloam_write_u32(A + ADDR, checkpoint);
    int32_t r = gloam_call(token, "balance_at", ADDR + 4, 0);
    if (r == GLOAM_CALL_OUT_OF_GAS) gloam_panic("out_of_gas: the token's balance_at ran out of gas");
    if (r != 8) gloam_panic("token_unavailable: the token's balance_at failed or answered out of shape");
    return gloam_read_u64(A);
}

static uint32_t motion_arg(uint8_t value) {
    if (value >= motions) gloam_panic("invalid_motion: no such motion");
    return value;
}

GLOAM_EXPORT(init) {
    gloam_require(!initialised, "already_initialised: init runs once");
    gloam_require(arg_len >= 32 + 4 + 8 + 8 + 1, "invalid_arguments: init takes token | checkpoint | opens | closes | motions | options");
    uint8_t n = A[52];
    gloam_require(n >= 1 && n <= MAX_MOTIONS, "invalid_arguments: 1 to 16 motions");
    gloam_require(arg_len == 53u + n, "invalid_arguments: one options count per motion");
    memcpy(token, A, 32);
    checkpoint = gloam_read_u32(A + 32);
    opens = gloam_read_u64(A + 36);
    closes = gloam_read_u64(A + 44);
    gloam_require(checkpoint >= 1, "invalid_arguments: the record checkpoint is 1 or more");
    gloam_require(opens < closes, "invalid_arguments: the window must open before it closes");
    for (uint32_t i = 0; i < n; i++) {
        gloam_require(A[53 + i] >= 2 && A[53 + i] <= MAX_OPTIONS, "invalid_arguments: 2 to 8 options per motion");
        options[i] = A[53 + i];
    }
    motions = n;
    initialised = 1;
    return 0;
}

GLOAM_EXPORT(vote) {
    require_init();
    gloam_require(arg_len >= 2, "invalid_arguments: vote takes motion | count | (option | weight) * count");
    uint32_t count = A[1];
    gloam_require(arg_len == 2u + 9u * count, "invalid_arguments: each choice is option:u8 | weight:u64");
    memmove(SCR + 64, A, arg_len); /* the arguments, out of the way of host answers */
    const uint8_t *args = SCR + 64;
    uint32_t motion = motion_arg(args[0]);
    gloam_require(count <= options[motion], "invalid_option: more choices than options");
    uint64_t now = gloam_block_timestamp();
    if (now < opens) gloam_panic("not_open: voting has not opened");
    if (now >= closes) gloam_panic("closed: voting has closed");

    uint64_t chosen[MAX_OPTIONS] = {0};
    uint64_t total = 0;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t option = args[2 + 9 * i];
        uint64_t weight = gloam_read_u64(args + 3 + 9 * i);
        if (option >= options[motion]) gloam_panic("invalid_option: no such option");
        if (chosen[option] != 0) gloam_panic("invalid_option: an option is named twice");
        gloam_require(weight > 0, "invalid_amount: a choice carries a weight above 0");
        gloam_require(total + weight >= total, "over_weight: the weights overflow");
        chosen[option] = weight;
        total += weight;
    }
    gloam_caller_address(SCR);
    if (total > weight_of_address(SCR)) gloam_panic("over_weight: more than the voter held at the record checkpoint");

    uint8_t *record = voter(SCR, count > 0);
    uint64_t *previous = record ? vote_record(record, motion, count > 0) : 0;
    if (previous != 0) {
        bool had = false;
        for (uint32_t o = 0; o < MAX_OPTIONS; o++) {
            had |= previous[o] != 0;
            tallies[motion][o] -= previous[o];
            previous[o] = chosen[o];
            tallies[motion][o] += chosen[o];
        }
        if (had && count == 0) voters_on[motion]--;
        if (!had && count > 0) voters_on[motion]++;
    }
    memmove(A, SCR, ADDR);
    memmove(A + ADDR, args, arg_len);
    gloam_emit("vote", ADDR + arg_len);
    return 0;
}

GLOAM_EXPORT(tally) {
    require_init();
    gloam_require(arg_len == 1, "invalid_arguments: tally takes motion:u8");
    uint32_t motion = motion_arg(A[0]);
    uint32_t n = options[motion];
    A[0] = (uint8_t)n;
    for (uint32_t o = 0; o < n; o++) gloam_write_u64(A + 1 + 8 * o, tallies[motion][o]);
    gloam_write_u32(A + 1 + 8 * n, voters_on[motion]);
    return 1 + 8 * n + 4;
}

GLOAM_EXPORT(vote_of) {
    require_init();
    gloam_require(arg_len == ADDR + 1, "invalid_arguments: vote_of takes voter:Address | motion:u8");
    gloam_check_address(A);
    uint32_t motion = motion_arg(A[ADDR]);
    uint8_t *record = voter(A, false);
    uint64_t *vote = record ? vote_record(record, motion, false) : 0;
    uint32_t n = options[motion];
    A[0] = (uint8_t)n;
    for (uint32_t o = 0; o < n; o++) gloam_write_u64(A + 1 + 8 * o, vote ? vote[o] : 0);
    return 1 + 8 * n;
}

GLOAM_EXPORT(weight_of) {
    require_init();
    gloam_require(arg_len == ADDR, "invalid_arguments: weight_of takes voter:Address");
    gloam_check_address(A);
    memmove(SCR, A, ADDR);
    return gloam_ret_u64(weight_of_address(SCR));
}

GLOAM_EXPORT(info) {
    (void)arg_len;
    require_init();
    memcpy(A, token, 32);
    gloam_write_u32(A + 32, checkpoint);
    gloam_write_u64(A + 36, opens);
    gloam_write_u64(A + 44, closes);
    A[52] = motions;
    memcpy(A + 53, options, motions);
    return 53u + motions;
}
