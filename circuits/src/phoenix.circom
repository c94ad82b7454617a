pragma circom 2.1.0;

include "bits.circom";
include "jubjub.circom";
include "merkle_opening.circom";
include "poseidon.circom";
include "schnorr.circom";

// Phoenix transfer gadgets (the templates only: circom refuses to include a file that has a main
// component, so the circuits are phoenix_transfer.circom, I = 1, and phoenix_transfer_2.circom,
// I = 2, each a main over PhoenixTransfer).

// PedersenValueCommitment: [value]G + [blinder]G' (Phoenix's value_commitment,
// chain.crypto.pedersen.value_commitment), value < 2^64 and blinder < 2^252 enforced by their
// bit decompositions. 65 + 253 (bits) + 192 + 750 (fixed-base products) + 6 (sum) constraints.
template PedersenValueCommitment() {
    signal input value;
    signal input blinder;
    signal output x;
    signal output y;

    component valueBits = Bits(64);
    valueBits.in <== value;
    component blinderBits = Bits(252);
    blinderBits.in <== blinder;
    component valueG = JubjubFixedBaseMul(64, 0);
    valueG.bits <== valueBits.out;
    component blinderG = JubjubFixedBaseMul(252, 1);
    blinderG.bits <== blinderBits.out;
    component sum = JubjubAdd();
    sum.x1 <== valueG.x;
    sum.y1 <== valueG.y;
    sum.x2 <== blinderG.x;
    sum.y2 <== blinderG.y;
    x <== sum.x3;
    y <== sum.y3;
}

// PhoenixTransfer(depth, I, O): Dusk's Phoenix transaction circuit TxCircuit<depth, I> with O
// outputs (Dusk: O = 2), all six items of Dusk's statement. Compile with
// --prime bls12381. Source: /work/shared/reference/dusk-protocol.md §2.3 and §8;
// dusk-network/phoenix 3f57c8adb7a1fa5ce3eb2338f1d4a788e3a745c3, circuits/src/circuit_impl.rs
// (read to learn the statement; this is an independent circom formulation). The Python oracle is
// chain.crypto.phoenix (Note.hash, Note.nullifier, SecretKey.note_secret_key), chain.crypto.schnorr
// (sign / verify, sign_double / verify_double), chain.crypto.phoenix.Sender (encrypt / decrypt) and
// chain.state.note_tree (the notes tree and its openings).
//
// Public inputs, in snarkjs's public.json order (Dusk's order):
//   payloadHash, root, nullifiers[I], outCommitments[O][2] (x, y), maxFee, deposit,
//   outNotePks[O][2] (x, y), senderEnc[O][4][2] (per output A.c1, A.c2, B.c1, B.c2, each x, y:
//   the order of Sender.to_bytes).
// Witness per input i: noteType, value, blinder, notePk (x, y), notePkPrime (x, y) = note_sk.G',
//   position, siblings[depth][3] (the Merkle opening), sigU, sigR, sigRPrime (a double Schnorr
//   signature of payloadHash); per output j: outValue, outBlinder, senderBlinder[j] (the ElGamal
//   blinders of A and B); once: senderPk (A, B: the sender's phoenix public key), senderSigU,
//   senderSigR (Schnorr signatures of payloadHash by a and b, A = a.G, B = b.G).
//
// Satisfiable exactly when (H = Poseidon Hash::digest, domain Other; G, G' = GENERATOR and
// GENERATOR_NUMS):
//  1. membership: for each input, C_i = [value_i]G + [blinder_i]G' (value_i < 2^64,
//     blinder_i < 2^252) and H([type_i, C_i.x, C_i.y, notePk_i.x, notePk_i.y, position_i]) (the
//     note hash of Note.hash, type_i in {0, 1}) is the leaf at position_i (< 4^depth) of the
//     Merkle4 tree with root `root` (MerkleOpening: the same position is hashed into the note
//     and used as the path);
//  2. ownership: (sigU_i, sigR_i, sigRPrime_i) is a double Schnorr signature of payloadHash
//     under (notePk_i, notePkPrime_i) (SchnorrDoubleVerify; all four points in the prime-order
//     subgroup, not the identity), so notePkPrime_i = note_sk.G' for the note_sk of notePk_i;
//  3. nullifiers[i] = H([notePkPrime_i.x, notePkPrime_i.y, position_i]) (Note.nullifier);
//  4. outCommitments[j] = [outValue_j]G + [outBlinder_j]G' with outValue_j < 2^64 and
//     outBlinder_j < 2^252; outNotePks[j] is a point on the curve;
//  5. maxFee < 2^64, deposit < 2^64 and sum(value_i) = sum(outValue_j) + maxFee + deposit (all
//     terms are below 2^64, so the field equation is the integer one);
//  6. sender data (Dusk's circuits/src/sender_enc.rs): (senderSigU[p], senderSigR[p]) is a
//     Schnorr signature of payloadHash under senderPk[p] for p = A, B (SchnorrVerify), and for
//     each output j, senderEnc[j] = (c1_A, c2_A, c1_B, c2_B) with c1_P = [k_P]G and
//     c2_P = P + [k_P]outNotePks[j], k_P = senderBlinder[j][P] < 2^252 (Sender.encrypt, ElGamal
//     with the default generator). The sender key is proved to be a key whose secrets signed
//     this payload; as in Dusk it is not tied to the input notes' owner (their note keys are
//     one-time stealth keys), so an output's owner learns, via Sender.decrypt, the (A, B) that
//     signed the transaction.
// Differences from Dusk: maxFee and deposit are range-checked here (Dusk's
// contract computes them from u64 fields); the note type is constrained to 0 or 1; one position
// signal is both hashed into the note and used as the Merkle path (Dusk's circuit_impl.rs passes
// the opening, with its own path, and pos as separate witnesses); outNotePks are checked to be
// on the curve; senderPk and senderSigR are checked to be in the prime-order subgroup and not
// the identity (SchnorrVerify's JubjubPrimeOrder; Dusk's verify_signature gadget, jubjub-schnorr
// 2cbc616 src/gadgets.rs, checks only the signature equation); the ElGamal blinders are taken
// as 252-bit integers.
// Constraints (snarkjs r1cs info): 43,884 for (17, 1, 2), 60,169 for (17, 2, 2); per input about
// 8,760 (double Schnorr) + 5,339 (opening) + 1,266 (commitment) + 610 + 305 (note hash,
// nullifier), per output about 1,270 + 2 x 3,776 (two ElGamal encryptions: 253 bits, 750 for
// [k]G, 2,767 for [k]note_pk, 6 for the sum), once 2 x 4,914 (the sender's two signatures).
template PhoenixTransfer(depth, I, O) {
    signal input payloadHash;
    signal input root;
    signal input nullifiers[I];
    signal input outCommitments[O][2];
    signal input maxFee;
    signal input deposit;
    signal input outNotePks[O][2];
    signal input senderEnc[O][4][2];

    signal input noteType[I];
    signal input value[I];
    signal input blinder[I];
    signal input notePk[I][2];
    signal input notePkPrime[I][2];
    signal input position[I];
    signal input siblings[I][depth][3];
    signal input sigU[I];
    signal input sigR[I][2];
    signal input sigRPrime[I][2];
    signal input outValue[O];
    signal input outBlinder[O];
    signal input senderPk[2][2];
    signal input senderSigU[2];
    signal input senderSigR[2][2];
    signal input senderBlinder[O][2];

    component inCommitment[I];
    component noteHash[I];
    component opening[I];
    component signature[I];
    component nullifier[I];
    var inSum = 0;
    for (var i = 0; i < I; i++) {
        // 1. membership of the note hash
        noteType[i] * (noteType[i] - 1) === 0;
        inCommitment[i] = PedersenValueCommitment();
        inCommitment[i].value <== value[i];
        inCommitment[i].blinder <== blinder[i];
        noteHash[i] = PoseidonHash(6);
        noteHash[i].in <== [noteType[i], inCommitment[i].x, inCommitment[i].y, notePk[i][0], notePk[i][1], position[i]];
        opening[i] = MerkleOpening(depth);
        opening[i].leaf <== noteHash[i].out;
        opening[i].position <== position[i];
        opening[i].siblings <== siblings[i];
        opening[i].root === root;

        // 2. ownership: double Schnorr over the payload hash
        signature[i] = SchnorrDoubleVerify();
        signature[i].pk <== notePk[i];
        signature[i].pkPrime <== notePkPrime[i];
        signature[i].r <== sigR[i];
        signature[i].rPrime <== sigRPrime[i];
        signature[i].u <== sigU[i];
        signature[i].m <== payloadHash;

        // 3. the nullifier
        nullifier[i] = PoseidonHash(3);
        nullifier[i].in <== [notePkPrime[i][0], notePkPrime[i][1], position[i]];
        nullifier[i].out === nullifiers[i];

        inSum += value[i];
    }

    // 4. the output commitments
    component outCommitment[O];
    component outNotePkOnCurve[O];
    var outSum = 0;
    for (var j = 0; j < O; j++) {
        outCommitment[j] = PedersenValueCommitment();
        outCommitment[j].value <== outValue[j];
        outCommitment[j].blinder <== outBlinder[j];
        outCommitment[j].x === outCommitments[j][0];
        outCommitment[j].y === outCommitments[j][1];
        outNotePkOnCurve[j] = JubjubOnCurve();
        outNotePkOnCurve[j].x <== outNotePks[j][0];
        outNotePkOnCurve[j].y <== outNotePks[j][1];
        outSum += outValue[j];
    }

    // 5. conservation
    component maxFeeRange = InRange(64);
    maxFeeRange.in <== maxFee;
    component depositRange = InRange(64);
    depositRange.in <== deposit;
    inSum === outSum + maxFee + deposit;

    // 6. the sender: a Schnorr signature of payloadHash under each of A and B (which also
    // puts A and B in the prime-order subgroup, not the identity), then per output j and key
    // P in (A, B) with blinder k: senderEnc[j] = (A.c1, A.c2, B.c1, B.c2), c1 = [k]G and
    // c2 = P + [k]outNotePks[j].
    component senderSig[2];
    for (var p = 0; p < 2; p++) {
        senderSig[p] = SchnorrVerify();
        senderSig[p].pk <== senderPk[p];
        senderSig[p].r <== senderSigR[p];
        senderSig[p].u <== senderSigU[p];
        senderSig[p].m <== payloadHash;
    }
    component encBits[O][2];
    component encC1[O][2];
    component encShared[O][2];
    component encC2[O][2];
    for (var j = 0; j < O; j++) {
        for (var p = 0; p < 2; p++) {
            encBits[j][p] = Bits(252);
            encBits[j][p].in <== senderBlinder[j][p];
            encC1[j][p] = JubjubFixedBaseMul(252, 0);
            encC1[j][p].bits <== encBits[j][p].out;
            encC1[j][p].x === senderEnc[j][2 * p][0];
            encC1[j][p].y === senderEnc[j][2 * p][1];
            encShared[j][p] = JubjubScalarMul(252);
            encShared[j][p].bits <== encBits[j][p].out;
            encShared[j][p].px <== outNotePks[j][0];
            encShared[j][p].py <== outNotePks[j][1];
            encC2[j][p] = JubjubAdd();
            encC2[j][p].x1 <== senderPk[p][0];
            encC2[j][p].y1 <== senderPk[p][1];
            encC2[j][p].x2 <== encShared[j][p].x;
            encC2[j][p].y2 <== encShared[j][p].y;
            encC2[j][p].x3 === senderEnc[j][2 * p + 1][0];
            encC2[j][p].y3 === senderEnc[j][2 * p + 1][1];
        }
    }
}
