pragma circom 2.1.0;

include "bits.circom";
include "hades252.circom";

// Dusk's Poseidon hash (dusk-poseidon Hash::digest; chain.crypto.poseidon.hash_n with one
// output) as a gadget over Hades252 (compile with --prime bls12381).

// PoseidonSponge(n, tag): the SAFE sponge with io-pattern [Absorb(n), Squeeze(1)] whose initial
// state is [tag, 0, 0, 0, 0]: each input is added to state[1 + pos], permuting first whenever the
// 4 rate elements are used; the squeeze permutes once more and reads state[1]. ceil(n / 4)
// permutations, 305 constraints each (the additions are linear).
template PoseidonSponge(n, tag) {
    signal input in[n];
    signal output out;

    var nPermutations = (n + 3) \ 4;
    component permutation[nPermutations];
    var s[5] = [tag, 0, 0, 0, 0];
    var pos = 0;
    var k = 0;
    for (var i = 0; i < n; i++) {
        if (pos == 4) {
            permutation[k] = Hades252();
            for (var j = 0; j < 5; j++) {
                permutation[k].in[j] <== s[j];
            }
            for (var j = 0; j < 5; j++) {
                s[j] = permutation[k].out[j];
            }
            k++;
            pos = 0;
        }
        s[1 + pos] = s[1 + pos] + in[i];
        pos++;
    }
    permutation[k] = Hades252();
    for (var j = 0; j < 5; j++) {
        permutation[k].in[j] <== s[j];
    }
    out <== permutation[k].out[1];
}

// PoseidonHash(n): Hash::digest(Domain::Other, in)[0], n <= 16 (the tag is generated from
// chain/crypto/poseidon.py: POSEIDON_OTHER_TAG).
template PoseidonHash(n) {
    signal input in[n];
    signal output out;

    component sponge = PoseidonSponge(n, POSEIDON_OTHER_TAG(n));
    sponge.in <== in;
    out <== sponge.out;
}

// PoseidonHashTruncated(n): Hash::digest_truncated(Domain::Other, in)[0] (hash_truncated): the
// hash with its top 6 bits cleared, as bits[250] (little-endian) and as the value out < 2^250;
// hash is the untruncated digest.
// The hash's canonical bits are taken with FieldBits (strictly below p), so the truncation is of
// the integer the reference truncates. ceil(n / 4) * 305 + 511 constraints.
template PoseidonHashTruncated(n) {
    signal input in[n];
    signal output bits[250];
    signal output out;
    signal output hash;

    component digest = PoseidonHash(n);
    digest.in <== in;
    hash <== digest.out;
    component fieldBits = FieldBits();
    fieldBits.in <== digest.out;
    var value = 0;
    for (var i = 0; i < 250; i++) {
        bits[i] <== fieldBits.out[i];
        value += fieldBits.out[i] * (1 << i);
    }
    out <== value;
}
