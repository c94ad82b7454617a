pragma circom 2.1.0;

include "hades252.circom";

// Merkle4Node: Dusk's 4-ary Poseidon Merkle node hash (poseidon-merkle: Hash::digest(Merkle4,
// children)[0]; chain.crypto.poseidon.merkle4_hash). The SAFE sponge with io-pattern
// [Absorb(4), Squeeze(1)] starts from [tag, 0, 0, 0, 0], adds the 4 children to state[1..4],
// permutes once and squeezes state[1]; the tag is a constant (MERKLE4_TAG, generated from
// chain/crypto/poseidon.py). Public signals, in snarkjs order: [hash]; the children are
// witness-only. No trusted setup: a test vehicle for the gadget, nothing private.
template Merkle4Node() {
    signal input children[4];
    signal output hash;

    component permutation = Hades252();
    permutation.in[0] <== MERKLE4_TAG();
    for (var i = 0; i < 4; i++) {
        permutation.in[i + 1] <== children[i];
    }
    hash <== permutation.out[1];
}

component main = Merkle4Node();
