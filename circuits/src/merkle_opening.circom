pragma circom 2.1.0;

include "bits.circom";
include "poseidon.circom";

// MerkleOpening(depth): the root of Dusk's 4-ary Poseidon Merkle tree (poseidon-merkle; the
// Phoenix notes tree has depth 17) from a leaf, its position and the 3 siblings of each node
// on the path (compile with --prime bls12381). Each node is merkle4_hash(children) of
// chain/crypto/poseidon.py: Hash::digest(Merkle4, children)[0], the sponge with the generated
// MERKLE4_TAG. position < 4^depth is constrained through its 2 * depth bits; level l (0 at the
// leaves) uses base-4 digit l = bits 2l and 2l + 1, the child index of the path's node there:
// the children are the siblings in order with the path's node inserted at that index. An
// empty subtree is the value 0 like any other sibling (the tree, not this gadget, decides where
// 0 stands). Output: root. Constraints: 2 * depth + 1 (bits) + depth * (7 + 305).
template MerkleOpening(depth) {
    signal input leaf;
    signal input position;
    signal input siblings[depth][3];
    signal output root;

    component digits = Bits(2 * depth);
    digits.in <== position;

    signal b01[depth];
    signal c0[depth];
    signal c1Part[depth];
    signal c1[depth];
    signal c2Part[depth];
    signal c2[depth];
    signal c3[depth];
    component node[depth];
    var current = leaf;
    for (var l = 0; l < depth; l++) {
        var b0 = digits.out[2 * l];
        var b1 = digits.out[2 * l + 1];
        b01[l] <== b0 * b1;
        // e_j = 1 exactly when the digit is j (linear in b0, b1, b01).
        var e0 = 1 - b0 - b1 + b01[l];
        var e1 = b0 - b01[l];
        var e2 = b1 - b01[l];
        var e3 = b01[l];
        var s0 = siblings[l][0];
        var s1 = siblings[l][1];
        var s2 = siblings[l][2];
        // digit 0: [cur, s0, s1, s2]; 1: [s0, cur, s1, s2]; 2: [s0, s1, cur, s2]; 3: [s0, s1, s2, cur]
        c0[l] <== s0 + e0 * (current - s0);
        c1Part[l] <== e0 * (s0 - s1);
        c1[l] <== s1 + c1Part[l] + e1 * (current - s1);
        c2Part[l] <== e3 * (s2 - s1);
        c2[l] <== s1 + c2Part[l] + e2 * (current - s1);
        c3[l] <== s2 + e3 * (current - s2);
        node[l] = PoseidonSponge(4, MERKLE4_TAG());
        node[l].in <== [c0[l], c1[l], c2[l], c3[l]];
        current = node[l].out;
    }
    root <== current;
}
