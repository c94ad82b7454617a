pragma circom 2.1.0;

include "bits.circom";
include "jubjub.circom";

// JubjubOps: a test vehicle for the Jubjub gadgets (jubjub.circom), checked against
// chain.crypto.jubjub by tests/chain/crypto/test_jubjub_gadget.py. Inputs: two points p, q
// (constrained to be on the curve: an off-curve input makes the witness fail), a 252-bit
// scalar k, a point s constrained to the prime-order subgroup minus the identity.
// Public signals, in snarkjs order (outputs only): p + q, [2]p, [k]G, [k]G', [k]p, each (x, y).
// No trusted setup; proves nothing private.
template JubjubOps() {
    signal input p[2];
    signal input q[2];
    signal input k;
    signal input s[2];
    signal output sum[2];
    signal output doubled[2];
    signal output kG[2];
    signal output kGNums[2];
    signal output kP[2];

    component pOn = JubjubOnCurve();
    pOn.x <== p[0];
    pOn.y <== p[1];
    component qOn = JubjubOnCurve();
    qOn.x <== q[0];
    qOn.y <== q[1];

    component add = JubjubAdd();
    add.x1 <== p[0];
    add.y1 <== p[1];
    add.x2 <== q[0];
    add.y2 <== q[1];
    sum <== [add.x3, add.y3];

    component dbl = JubjubDouble();
    dbl.x <== p[0];
    dbl.y <== p[1];
    doubled <== [dbl.x2, dbl.y2];

    component kBits = Bits(252);
    kBits.in <== k;
    component g = JubjubFixedBaseMul(252, 0);
    g.bits <== kBits.out;
    kG <== [g.x, g.y];
    component gNums = JubjubFixedBaseMul(252, 1);
    gNums.bits <== kBits.out;
    kGNums <== [gNums.x, gNums.y];

    component mul = JubjubScalarMul(252);
    mul.bits <== kBits.out;
    mul.px <== p[0];
    mul.py <== p[1];
    kP <== [mul.x, mul.y];

    component sPrime = JubjubPrimeOrder();
    sPrime.x <== s[0];
    sPrime.y <== s[1];
}

component main = JubjubOps();
