pragma circom 2.1.0;

include "poseidon.circom";

// PoseidonHashes: a test vehicle for poseidon.circom, checked against chain.crypto.poseidon by
// tests/chain/crypto/test_poseidon_gadget.py. Inputs in[8]; outputs (public, snarkjs order):
// hash(in[0..n]) for n = 1, 4, 5, 8 (one and two permutations, either side of the rate) and
// hash_truncated(in[0..5]) (hash5 and truncated5 come from one PoseidonHashTruncated). No
// trusted setup; proves nothing private.
template PoseidonHashes() {
    signal input in[8];
    signal output hash1;
    signal output hash4;
    signal output hash5;
    signal output hash8;
    signal output truncated5;

    component h1 = PoseidonHash(1);
    h1.in[0] <== in[0];
    hash1 <== h1.out;
    component h4 = PoseidonHash(4);
    component t5 = PoseidonHashTruncated(5);
    component h8 = PoseidonHash(8);
    for (var i = 0; i < 8; i++) {
        if (i < 4) {
            h4.in[i] <== in[i];
        }
        if (i < 5) {
            t5.in[i] <== in[i];
        }
        h8.in[i] <== in[i];
    }
    hash4 <== h4.out;
    hash5 <== t5.hash;
    hash8 <== h8.out;
    truncated5 <== t5.out;
}

component main = PoseidonHashes();
