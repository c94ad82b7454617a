pragma circom 2.1.0;

include "bits.circom";
include "jubjub.circom";
include "merkle_opening.circom";
include "poseidon.circom";
include "schnorr.circom";

// NoteSpend: what one input of a Phoenix-like transfer proves; the benchmark vehicle of issue
// 17 (a transfer-sized circuit) and the starting point of issue 18's Phoenix circuit. Not a
// product feature: nothing in Gloam uses it yet. Compile with --prime bls12381.
//
// Public: root, fee, message (inputs) and nullifier, outCommitment (outputs); in snarkjs's
// public.json order: [nullifier, outCommitment.x, outCommitment.y, root, fee, message].
// Witness: the note (type, value, blinder, notePk, position, noteSecret), its opening
// (siblings), the output blinder and the signature (sigR, sigU).
//
// Satisfiable exactly when (H = Poseidon Hash::digest with domain Other, Dusk's Jubjub, G and G'
// = GENERATOR and GENERATOR_NUMS, Merkle4 nodes as chain.crypto.poseidon.merkle4_hash):
//  1. value < 2^64, fee < 2^64, valueOut = value - fee < 2^64 (so fee <= value), type is 0 or 1;
//  2. the note's value commitment is C = [value]G + [blinder]G' (blinder < 2^252), Phoenix's
//     value_commitment;
//  3. noteHash = H([type, C.x, C.y, notePk.x, notePk.y, position, H([noteSecret])]) is the leaf
//     at `position` (< 4^17) of a depth-17 arity-4 tree with root `root`;
//  4. nullifier = H([noteSecret, position]);
//  5. outCommitment = [valueOut]G + [blinderOut]G' (blinderOut < 2^252);
//  6. (sigU, sigR) is a jubjub-schnorr signature of `message` under notePk (SchnorrVerify:
//     notePk and sigR in the prime-order subgroup, not the identity).
// Differences from Phoenix (dusk-network/phoenix circuits/src/circuit_impl.rs): the note hash
// carries H(noteSecret), a commitment to the nullifier secret, as a seventh element, and the
// nullifier is H(noteSecret, position), where Phoenix derives the nullifier from
// note_sk * G' and checks a double Schnorr signature binding it to note_pk; one input and one
// output instead of 1-4 and 2; no sender encryption, no deposit, no output note keys.
template NoteSpend(depth) {
    signal input root;
    signal input fee;
    signal input message;
    signal output nullifier;
    signal output outCommitment[2];

    signal input noteType;
    signal input value;
    signal input blinder;
    signal input notePk[2];
    signal input position;
    signal input noteSecret;
    signal input siblings[depth][3];
    signal input blinderOut;
    signal input sigR[2];
    signal input sigU;

    // 1. ranges
    noteType * (noteType - 1) === 0;
    component valueBits = Bits(64);
    valueBits.in <== value;
    component feeBits = Bits(64);
    feeBits.in <== fee;
    component valueOutBits = Bits(64);
    valueOutBits.in <== value - fee;

    // 2. the input note's value commitment
    component blinderBits = Bits(252);
    blinderBits.in <== blinder;
    component valueG = JubjubFixedBaseMul(64, 0);
    valueG.bits <== valueBits.out;
    component blinderG = JubjubFixedBaseMul(252, 1);
    blinderG.bits <== blinderBits.out;
    component commitment = JubjubAdd();
    commitment.x1 <== valueG.x;
    commitment.y1 <== valueG.y;
    commitment.x2 <== blinderG.x;
    commitment.y2 <== blinderG.y;

    // 3. the note hash in the tree
    component secretCommitment = PoseidonHash(1);
    secretCommitment.in <== [noteSecret];
    component noteHash = PoseidonHash(7);
    noteHash.in <== [noteType, commitment.x3, commitment.y3, notePk[0], notePk[1], position, secretCommitment.out];
    component opening = MerkleOpening(depth);
    opening.leaf <== noteHash.out;
    opening.position <== position;
    opening.siblings <== siblings;
    opening.root === root;

    // 4. the nullifier
    component nullifierHash = PoseidonHash(2);
    nullifierHash.in <== [noteSecret, position];
    nullifier <== nullifierHash.out;

    // 5. the output value commitment
    component blinderOutBits = Bits(252);
    blinderOutBits.in <== blinderOut;
    component valueOutG = JubjubFixedBaseMul(64, 0);
    valueOutG.bits <== valueOutBits.out;
    component blinderOutG = JubjubFixedBaseMul(252, 1);
    blinderOutG.bits <== blinderOutBits.out;
    component outSum = JubjubAdd();
    outSum.x1 <== valueOutG.x;
    outSum.y1 <== valueOutG.y;
    outSum.x2 <== blinderOutG.x;
    outSum.y2 <== blinderOutG.y;
    outCommitment <== [outSum.x3, outSum.y3];

    // 6. the owner's signature over the message
    component signature = SchnorrVerify();
    signature.pk <== notePk;
    signature.r <== sigR;
    signature.u <== sigU;
    signature.m <== message;
}

component main {public [root, fee, message]} = NoteSpend(17);
