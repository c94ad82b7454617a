pragma circom 2.1.0;

include "bits.circom";
include "jubjub.circom";
include "poseidon.circom";

// SchnorrVerify: Dusk's jubjub-schnorr single signature (chain.crypto.schnorr.verify;
// dusk-network/jubjub-schnorr 2cbc616d41194ac932ca480c26a54deab67ea4c4, src/signatures.rs) as a
// gadget over BLS12-381's scalar field (compile with --prime bls12381). Satisfiable exactly when
//   PK and R are points of the prime-order subgroup other than the identity (as upstream's
//   verify asks; JubjubPrimeOrder), and
//   [u]G + [c]PK == R,  c = hash_truncated(Other, [R.x, R.y, PK.x, PK.y, m]),
// G being Dusk's GENERATOR. u is taken as a 252-bit integer (u and u + r_J give the same point,
// so canonicity of u does not matter here; the reference refuses u >= r_J when decoding bytes);
// c's bits are the canonical bits of the hash (FieldBits), truncated to 250 as the reference.
// Inputs: pk (x, y), r (x, y), u, m (a field element). Output: c, the challenge.
// Constraints: 2 x 19 (points) + 2 x 305 + 511 (challenge) + 253 + 750 (u.G) + 2,745 (c.PK)
// + 6 (sum); the equality with R is linear.
template SchnorrVerify() {
    signal input pk[2];
    signal input r[2];
    signal input u;
    signal input m;
    signal output c;

    component pkCheck = JubjubPrimeOrder();
    pkCheck.x <== pk[0];
    pkCheck.y <== pk[1];
    component rCheck = JubjubPrimeOrder();
    rCheck.x <== r[0];
    rCheck.y <== r[1];

    component challenge = PoseidonHashTruncated(5);
    challenge.in <== [r[0], r[1], pk[0], pk[1], m];
    c <== challenge.out;

    component uBits = Bits(252);
    uBits.in <== u;
    component uG = JubjubFixedBaseMul(252, 0);
    uG.bits <== uBits.out;

    component cPk = JubjubScalarMul(250);
    cPk.bits <== challenge.bits;
    cPk.px <== pk[0];
    cPk.py <== pk[1];

    component sum = JubjubAdd();
    sum.x1 <== uG.x;
    sum.y1 <== uG.y;
    sum.x2 <== cPk.x;
    sum.y2 <== cPk.y;
    sum.x3 === r[0];
    sum.y3 === r[1];
}
