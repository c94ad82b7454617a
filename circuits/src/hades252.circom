pragma circom 2.1.0;

include "hades252_constants.circom";

// Dusk's Hades252 permutation (dusk-poseidon, src/hades/permutation.rs) over the BLS12-381
// scalar field: compile with --prime bls12381. Width 5, x^5 S-box, 4 full rounds, 60 partial
// rounds (S-box on the last element only), 4 full rounds; each round adds its 5 round
// constants, applies the S-box(es), then multiplies by the MDS matrix. The constants come from
// hades252_constants.circom, generated from chain/crypto/poseidon.py. The reference the
// gadget is tested against is chain.crypto.poseidon.permute.
//
// Cost: 3 constraints per S-box (x^2, x^4, x^5), so 8 * 5 * 3 + 60 * 3 = 300 non-linear
// constraints, plus 5 linear ones naming the outputs; the round constants and the MDS products
// are linear and stay inside the linear combinations (305 in all, circom's default -O1).

// out = Hades252(in), 5 field elements each.
template Hades252() {
    signal input in[5];
    signal output out[5];

    var C[68][5] = HADES252_ROUND_CONSTANTS();
    var M[5][5] = HADES252_MDS();
    var fullHalf = 4;
    var partialRounds = 60;

    // One S-box per full-round element and per partial round: x^2, x^4 and x^5 of a linear
    // combination x of earlier signals, used directly in the products so that no linear
    // constraint is needed to name x.
    signal x2[100];
    signal x4[100];
    signal x5[100];
    var n = 0;

    var s[5];
    for (var i = 0; i < 5; i++) {
        s[i] = in[i];
    }
    for (var r = 0; r < 68; r++) {
        for (var i = 0; i < 5; i++) {
            s[i] = s[i] + C[r][i];
        }
        var first = 4;
        if (r < fullHalf || r >= fullHalf + partialRounds) {
            first = 0;
        }
        for (var i = first; i < 5; i++) {
            x2[n] <== s[i] * s[i];
            x4[n] <== x2[n] * x2[n];
            x5[n] <== x4[n] * s[i];
            s[i] = x5[n];
            n++;
        }
        var t[5];
        for (var k = 0; k < 5; k++) {
            t[k] = 0;
            for (var j = 0; j < 5; j++) {
                t[k] = t[k] + M[k][j] * s[j];
            }
        }
        for (var k = 0; k < 5; k++) {
            s[k] = t[k];
        }
    }
    for (var i = 0; i < 5; i++) {
        out[i] <== s[i];
    }
}
