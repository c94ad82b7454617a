/*
 * phoenix: Gloam's Phoenix transfer contract for shielded cash (docs/contracts.md "phoenix",
 * docs/zk.md "Phoenix transfers"; reference dusk-protocol.md §2.3, Dusk's genesis transfer
 * contract). It holds, as its own public balance of one cash token, exactly the value of the
 * unspent notes it created, and it is the chain's note authority: the only contract whose
 * note_push / phoenix_note_push / nullifier_spend the host accepts.
 *
 *   init(cash_token:id[32] | vk_1:id[32] | vk_2:id[32])   the token and the verifying-key ids of
 *       phoenix_transfer (1 input) and phoenix_transfer_2 (2 inputs), fixed for ever
 *   transfer(version:u8 | note[302] * 2 | has_withdraw:u8 | withdraw_to:Address
 *            [version 2: | dvp:id[32] | instruction:u64])
 *       only as a proven call (transaction tag 4) with a proof of one of the two circuits;
 *       -> position of output 0:u64 | position of output 1:u64
 *       Version 2 pays a DvP instruction's shielded cash leg: after the outputs are appended,
 *       it calls dvp.settle_shielded(instruction | output 0's commitment x, y and note_pk x, y),
 *       which moves the instruction's legs or panics; a refusal reverts the whole transfer
 *       (`dvp_refused`), so the payment and the delivery happen together or not at all.
 *   shield(note[302]) -> position:u64   Moonlight -> Phoenix: a transparent note of value v to
 *       any key, paid by the caller's v units of the token (approved to this contract first)
 *   info() -> cash_token[32] | vk_1[32] | vk_2[32] | transfers:u64 | notes:u64
 *
 * transfer checks, in this order (each failure panics "code: message" and changes nothing):
 *   not_proven      the call carries no proof statement (a nested call, a plain call)
 *   wrong_circuit   the statement's key is neither vk_1 nor vk_2, or its input count is wrong
 *   bad_arguments   the arguments are not the layout above
 *   wrong_payload   public input 0 is not the payload hash of these arguments:
 *                   BLAKE2b-256("GLOAM-PHOENIX-TX-V1" | chain_id:u8 | this contract id | args)
 *                   read little-endian with its top two bits cleared (< 2^254 < r); so the
 *                   output notes and the withdrawal are what the input owners signed
 *   unknown_root    public input 1 is not a note-tree root of the last 4,320 blocks
 *   double_spend    a nullifier is already spent (or named twice: duplicate_nullifier)
 *   wrong_note      an output note does not decode, or its commitment, note_pk or sender
 *                   ciphertexts are not the proof's public inputs
 *   bad_withdraw    a withdrawal without deposit, or a deposit without a withdrawal address
 *   token_refused   the cash token refused to pay the fee or the withdrawal
 * then: the nullifiers are spent, both output notes appended (event `note`: pos:u64 |
 * note[302]), max_fee paid in the token to the transaction's signer (who paid the gas:
 * Gloam's fee is a relayer fee in the shielded currency, not gas; docs/zk.md), deposit paid to
 * withdraw_to (Phoenix -> Moonlight), event `spend`: I:u8 | nullifiers[32 * I] | fee:u64 |
 * deposit:u64. Value is conserved by the circuit: sum(in) = sum(out) + max_fee + deposit.
 *
 * shield: caller_refused when the token's transfer_from fails (no allowance, frozen, balance);
 * wrong_note when the note is not transparent, has value 0 or its commitment is not value*G.
 * Events `note` and `shielded`: caller:Address | value:u64 | pos:u64.
 */
#include "gloam.h"

#define NOTE_LEN 302u
#define NOTE_VALUE_AT 105u /* type 1 | commitment 32 | stealth address 64 | pos 8 */
#define FIELDS 12u         /* per output: commitment 2, note_pk 2, sender 8 */
#define TRANSFER_ARGS (1u + 2u * NOTE_LEN + 1u + GLOAM_ADDRESS_LEN)
#define TRANSFER_DVP_ARGS (TRANSFER_ARGS + 32u + 8u)
#define DOMAIN "GLOAM-PHOENIX-TX-V1"
#define DOMAIN_LEN 19u

static uint8_t cash_token[32];
static uint8_t vk[2][32];
static uint8_t initialised;
static uint64_t transfers;
static uint64_t notes;

/* Scratch in the argument buffer's upper half (cleared by the host after each call). */
#define SCRATCH (A + 32768)
#define S_ARGS (SCRATCH)                /* 695: the transfer arguments */
#define S_STMT (SCRATCH + 1024)         /* 32 + 32 * 30: the proof statement */
#define S_ADDR (SCRATCH + 2048)         /* 49: an Address */
#define S_HASH (SCRATCH + 2112)         /* 32 */
#define S_EVENT (SCRATCH + 2176)        /* 8 + 302 */
#define S_POS (SCRATCH + 2560)          /* 16: the output positions */

static __attribute__((noreturn)) void fail(const char *msg) { gloam_panic(msg); }

static void require_init(void) {
    if (!initialised) fail("not_initialised: phoenix has no token");
}

/* The public input `i` of the statement in S_STMT (after the 32-byte key id). */
static const uint8_t *input(uint32_t i) { return S_STMT + 32u + 32u * i; }

/* A public input that the circuit range-checks to 64 bits, as a u64. */
static uint64_t input_u64(uint32_t i) {
    const uint8_t *p = input(i);
    for (uint32_t k = 8; k < 32; k++)
        if (p[k] != 0) fail("wrong_circuit: a 64-bit public input is not below 2^64");
    return gloam_read_u64(p);
}

/* Pays `amount` of the cash token from this contract to the Address at `to`. */
static void pay(const uint8_t *to, uint64_t amount) {
    memmove(A, to, GLOAM_ADDRESS_LEN);
    gloam_write_u64(A + GLOAM_ADDRESS_LEN, amount);
    int32_t r = gloam_call(cash_token, "transfer", GLOAM_ADDRESS_LEN + 8u, 0);
    if (r == GLOAM_CALL_OUT_OF_GAS) fail("out_of_gas: the cash token ran out of gas");
    if (r < 0) fail("token_refused: the cash token refused a payment");
}

/* Appends the note at `note`; panics wrong_note / capacity / not_authority. Leaves its
 * fields in A[0..384) and emits `note`. */
static uint64_t push_note(const uint8_t *note) {
    int64_t pos = gloam_host_phoenix_note_push(note);
    if (pos == GLOAM_NOTE_INVALID_LEAF) fail("wrong_note: an output note does not decode or open");
    if (pos == GLOAM_NOTE_TREE_FULL) fail("capacity: the note tree is full");
    if (pos == GLOAM_NOTE_UNAUTHORISED) fail("not_authority: phoenix is not the chain's note authority");
    if (pos < 0) fail("refused: the note tree refused the append");
    notes++;
    return (uint64_t)pos;
}

static void emit_note(uint64_t pos, const uint8_t *note) {
    gloam_write_u64(S_EVENT, pos);
    memcpy(S_EVENT + 8, note, NOTE_LEN);
    gloam_emit_bytes("note", S_EVENT, 8u + NOTE_LEN);
}

GLOAM_EXPORT(init) {
    if (arg_len != 96) fail("bad_arguments: init takes cash_token[32] | vk_1[32] | vk_2[32]");
    memcpy(cash_token, A, 32);
    memcpy(vk[0], A + 32, 32);
    memcpy(vk[1], A + 64, 32);
    initialised = 1;
    return 0;
}

GLOAM_EXPORT(transfer) {
    require_init();
    if (arg_len < 1 || !((A[0] == 1 && arg_len == TRANSFER_ARGS) || (A[0] == 2 && arg_len == TRANSFER_DVP_ARGS)))
        fail("bad_arguments: transfer takes version 1 (655 bytes) or 2 with a DvP instruction (695 bytes)");
    memcpy(S_ARGS, A, arg_len);
    uint8_t has_withdraw = S_ARGS[1 + 2 * NOTE_LEN];
    const uint8_t *withdraw_to = S_ARGS + 2 + 2 * NOTE_LEN;
    if (has_withdraw > 1) fail("bad_arguments: has_withdraw is 0 or 1");
    if (has_withdraw) gloam_check_address(withdraw_to);

    int32_t n = gloam_host_proof_statement();
    if (n < 0) fail("not_proven: transfer is a proven call (transaction tag 4)");
    if (n > 32 + 32 * 30) fail("wrong_circuit: too many public inputs");
    memcpy(S_STMT, A, (uint32_t)n);
    uint32_t inputs_count;
    if (memcmp(S_STMT, vk[0], 32) == 0) inputs_count = 1;
    else if (memcmp(S_STMT, vk[1], 32) == 0) inputs_count = 2;
    else fail("wrong_circuit: the proof is not of a Phoenix transfer circuit");
    if ((uint32_t)n != 32u + 32u * (28u + inputs_count)) fail("wrong_circuit: wrong public input count");

    /* payload hash */
    memcpy(A + 1024, DOMAIN, DOMAIN_LEN);
    gloam_hq("chain_id", 0);
    A[1024 + DOMAIN_LEN] = A[0];
    gloam_host_self_id();
    memmove(A + 1024 + DOMAIN_LEN + 1, A, 32);
    memcpy(A + 1024 + DOMAIN_LEN + 33, S_ARGS, arg_len);
    gloam_blake2b_256(A + 1024, DOMAIN_LEN + 33 + arg_len, S_HASH);
    S_HASH[31] &= 0x3f;
    if (memcmp(S_HASH, input(0), 32) != 0) fail("wrong_payload: the proof signs other arguments");

    if (gloam_host_note_known_root(input(1)) != 1) fail("unknown_root: the proof names no recent note-tree root");
    int32_t spent = gloam_host_nullifier_spend(input(2), inputs_count);
    if (spent == GLOAM_NULLIFIER_DOUBLE_SPEND) fail("double_spend: a note is already spent");
    if (spent == GLOAM_NULLIFIER_DUPLICATE) fail("duplicate_nullifier: a nullifier is named twice");
    if (spent == GLOAM_NULLIFIER_UNAUTHORISED) fail("not_authority: phoenix is not the chain's note authority");
    if (spent != 0) fail("wrong_circuit: the nullifiers are refused");

    uint32_t off = 2 + inputs_count; /* out commitments (4), max_fee, deposit, note pks (4), sender (16) */
    uint64_t max_fee = input_u64(off + 4);
    uint64_t deposit = input_u64(off + 5);
    if ((deposit > 0) != (has_withdraw == 1))
        fail("bad_withdraw: a deposit goes to a withdrawal address, and only a deposit");

    for (uint32_t j = 0; j < 2; j++) {
        const uint8_t *note = S_ARGS + 1 + j * NOTE_LEN;
        uint64_t pos = push_note(note);
        bool ok = memcmp(A, input(off + 2 * j), 64) == 0                  /* commitment x, y */
                  && memcmp(A + 64, input(off + 6 + 2 * j), 64) == 0      /* note_pk x, y */
                  && memcmp(A + 128, input(off + 10 + 8 * j), 256) == 0;  /* sender ciphertexts */
        if (!ok) fail("wrong_note: an output note is not the one the proof commits to");
        gloam_write_u64(S_POS + 8 * j, pos);
        emit_note(pos, note);
    }

    if (max_fee > 0) {
        uint32_t who = gloam_caller();
        if (who != 48) fail("not_proven: the fee goes to the transaction's signer");
        S_ADDR[0] = 0;
        memmove(S_ADDR + 1, A, 48);
        pay(S_ADDR, max_fee);
    }
    if (deposit > 0) pay(withdraw_to, deposit);
    if (S_ARGS[0] == 2) {
        /* the DvP instruction whose shielded cash leg output 0 pays */
        memcpy(A, S_ARGS + TRANSFER_ARGS + 32, 8);
        memcpy(A + 8, input(off), 64);       /* output 0's commitment x, y */
        memcpy(A + 72, input(off + 6), 64);  /* output 0's note_pk x, y */
        int32_t r = gloam_call(S_ARGS + TRANSFER_ARGS, "settle_shielded", 8u + 128u, 0);
        if (r == GLOAM_CALL_OUT_OF_GAS) fail("out_of_gas: the DvP settlement ran out of gas");
        if (r < 0) fail("dvp_refused: the DvP instruction did not settle against this payment");
    }
    transfers++;

    S_EVENT[0] = (uint8_t)inputs_count;
    memcpy(S_EVENT + 1, input(2), 32 * inputs_count);
    gloam_write_u64(S_EVENT + 1 + 32 * inputs_count, max_fee);
    gloam_write_u64(S_EVENT + 9 + 32 * inputs_count, deposit);
    gloam_emit_bytes("spend", S_EVENT, 17u + 32u * inputs_count);
    memcpy(A, S_POS, 16);
    return 16;
}

GLOAM_EXPORT(shield) {
    require_init();
    if (arg_len != NOTE_LEN) fail("bad_arguments: shield takes one 302-byte note");
    memcpy(S_ARGS, A, NOTE_LEN);
    if (S_ARGS[0] != 0) fail("wrong_note: shield makes a transparent note");
    uint64_t value = gloam_read_u64(S_ARGS + NOTE_VALUE_AT);
    if (value == 0) fail("wrong_note: shield needs a value above 0");

    gloam_caller_address(S_ADDR);
    gloam_host_self_id();
    S_EVENT[0] = 1; /* to: this contract */
    memmove(S_EVENT + 1, A, 32);
    memset(S_EVENT + 33, 0, 16);
    memcpy(A, S_ADDR, GLOAM_ADDRESS_LEN);
    memcpy(A + GLOAM_ADDRESS_LEN, S_EVENT, GLOAM_ADDRESS_LEN);
    gloam_write_u64(A + 2 * GLOAM_ADDRESS_LEN, value);
    int32_t r = gloam_call(cash_token, "transfer_from", 2 * GLOAM_ADDRESS_LEN + 8u, 0);
    if (r == GLOAM_CALL_OUT_OF_GAS) fail("out_of_gas: the cash token ran out of gas");
    if (r < 0) fail("caller_refused: the cash token refused the caller's payment (allowance, balance, freeze)");

    uint64_t pos = push_note(S_ARGS);
    emit_note(pos, S_ARGS);
    memcpy(S_EVENT, S_ADDR, GLOAM_ADDRESS_LEN);
    gloam_write_u64(S_EVENT + GLOAM_ADDRESS_LEN, value);
    gloam_write_u64(S_EVENT + GLOAM_ADDRESS_LEN + 8, pos);
    gloam_emit_bytes("shielded", S_EVENT, GLOAM_ADDRESS_LEN + 16u);
    return gloam_ret_u64(pos);
}

GLOAM_EXPORT(info) {
    (void)arg_len;
    require_init();
    memcpy(A, cash_token, 32);
    memcpy(A + 32, vk[0], 32);
    memcpy(A + 64, vk[1], 32);
    gloam_write_u64(A + 96, transfers);
    gloam_write_u64(A + 104, notes);
    return 112;
}
