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

// SchnorrDoubleVerify: Dusk's jubjub-schnorr double signature (chain.crypto.schnorr.verify_double;
// dusk-network/jubjub-schnorr 2cbc616d41194ac932ca480c26a54deab67ea4c4, src/signatures/double.rs)
// as a gadget over BLS12-381's scalar field (compile with --prime bls12381). Satisfiable exactly
// when
//   PK, PK', R and R' are points of the prime-order subgroup other than the identity (as the
//   reference's verify_double asks; JubjubPrimeOrder), and
//   [u]G + [c]PK == R  and  [u]G' + [c]PK' == R',
//   c = hash_truncated(Other, [JJSCHDBL, R.x, R.y, R'.x, R'.y, PK.x, PK.y, PK'.x, PK'.y, m]),
// G and G' being Dusk's GENERATOR and GENERATOR_NUMS and JJSCHDBL = u64::from_be_bytes(b"JJSCHDBL")
// = 5353182655523603020 (DOUBLE_CHALLENGE_DOMAIN). The two equations with one u and one c show
// that PK and PK' have the same discrete logarithm to the bases G and G' (Phoenix uses this to
// bind the nullifier key note_pk' = note_sk.G' to note_pk). u is a 252-bit integer and c's bits
// the canonical bits of the hash truncated to 250, as in SchnorrVerify.
// Inputs: pk, pkPrime, r, rPrime (x, y each), u, m (a field element). Output: c, the challenge.
// Constraints: 4 x 19 (points) + 3 x 305 + 511 (challenge) + 253 (u's bits) + 2 x 750
// ([u]G, [u]G') + 2 x 2,745 ([c]PK, [c]PK') + 2 x 6 (sums); the equalities are linear.
template SchnorrDoubleVerify() {
    signal input pk[2];
    signal input pkPrime[2];
    signal input r[2];
    signal input rPrime[2];
    signal input u;
    signal input m;
    signal output c;

    component pointCheck[4];
    for (var i = 0; i < 4; i++) {
        pointCheck[i] = JubjubPrimeOrder();
    }
    pointCheck[0].x <== pk[0];
    pointCheck[0].y <== pk[1];
    pointCheck[1].x <== pkPrime[0];
    pointCheck[1].y <== pkPrime[1];
    pointCheck[2].x <== r[0];
    pointCheck[2].y <== r[1];
    pointCheck[3].x <== rPrime[0];
    pointCheck[3].y <== rPrime[1];

    component challenge = PoseidonHashTruncated(10);
    challenge.in <== [5353182655523603020, r[0], r[1], rPrime[0], rPrime[1], pk[0], pk[1], pkPrime[0], pkPrime[1], m];
    c <== challenge.out;

    component uBits = Bits(252);
    uBits.in <== u;

    // [u]G + [c]PK == R
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

    // [u]G' + [c]PK' == R'
    component uGPrime = JubjubFixedBaseMul(252, 1);
    uGPrime.bits <== uBits.out;
    component cPkPrime = JubjubScalarMul(250);
    cPkPrime.bits <== challenge.bits;
    cPkPrime.px <== pkPrime[0];
    cPkPrime.py <== pkPrime[1];
    component sumPrime = JubjubAdd();
    sumPrime.x1 <== uGPrime.x;
    sumPrime.y1 <== uGPrime.y;
    sumPrime.x2 <== cPkPrime.x;
    sumPrime.y2 <== cPkPrime.y;
    sumPrime.x3 === rPrime[0];
    sumPrime.y3 === rPrime[1];
}
