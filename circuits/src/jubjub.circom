pragma circom 2.1.0;

include "jubjub_constants.circom";

// Jubjub gadgets over the BLS12-381 scalar field (compile with --prime bls12381): the twisted
// Edwards curve -x^2 + y^2 = 1 + d*x^2*y^2 (a = -1, d = -(10240/10241)) as Dusk uses it. Points
// are affine (x, y) pairs of signals; the identity is (0, 1). The reference the gadgets are
// tested against is chain.crypto.jubjub (tests/chain/crypto/test_jubjub_gadget.py); d, 8^-1
// mod r_J and the generator tables come from jubjub_constants.circom, generated from it.
// circomlib's Baby Jubjub templates are for BN254 (other a, d and field) and are not used.
//
// The addition law is complete on Jubjub (d is not a square in F_q), so no gadget has a special
// case: the identity, doubling and P + (-P) all go through the same formulas.

// Constrains (x, y) to be on the curve. 3 constraints.
template JubjubOnCurve() {
    signal input x;
    signal input y;

    signal xx <== x * x;
    signal yy <== y * y;
    yy - xx - 1 === JUBJUB_D() * xx * yy;
}

// (x3, y3) = (x1, y1) + (x2, y2), the unified affine addition law with a = -1:
//   x3 = (x1*y2 + y1*x2) / (1 + d*x1*x2*y1*y2),  y3 = (y1*y2 + x1*x2) / (1 - d*x1*x2*y1*y2).
// For points on the curve the denominators are never 0 (completeness). 6 constraints.
template JubjubAdd() {
    signal input x1;
    signal input y1;
    signal input x2;
    signal input y2;
    signal output x3;
    signal output y3;

    var d = JUBJUB_D();
    signal beta <== x1 * y2;
    signal gamma <== y1 * x2;
    signal delta <== (x1 + y1) * (x2 + y2);
    signal tau <== beta * gamma;
    x3 <-- (beta + gamma) / (1 + d * tau);
    x3 * (1 + d * tau) === beta + gamma;
    y3 <-- (delta - beta - gamma) / (1 - d * tau);
    y3 * (1 - d * tau) === delta - beta - gamma;
}

// (x2, y2) = [2](x, y): the addition law with both operands equal (no use of the curve
// equation, so it agrees with JubjubAdd on any input). 5 constraints.
template JubjubDouble() {
    signal input x;
    signal input y;
    signal output x2;
    signal output y2;

    var d = JUBJUB_D();
    signal xy <== x * y;
    signal square <== (x + y) * (x + y);
    signal tau <== xy * xy;
    x2 <-- 2 * xy / (1 + d * tau);
    x2 * (1 + d * tau) === 2 * xy;
    y2 <-- (square - 2 * xy) / (1 - d * tau);
    y2 * (1 - d * tau) === square - 2 * xy;
}

// [k](x, y) for fixed generators: base 0 is Dusk's GENERATOR (G), base 1 GENERATOR_NUMS (G').
// bits[] are k's bits, little-endian, each already constrained to 0 or 1 by the caller (e.g.
// Bits(n) of bits.circom); k = sum bits[i] * 2^i, taken as an integer, so k and k + r_J give
// the same point. nBits <= 252. 3-bit windows: window i selects [k_i * 8^i]*base from a
// generated table of 8 constants (k_i*8^i*base, k_i in 0..7) with 3 constraints, and the
// windows are summed with JubjubAdd: 3 * W + 6 * (W - 1) constraints for W = ceil(nBits / 3)
// windows (750 for 252 bits, 192 for 64).
template JubjubFixedBaseMul(nBits, base) {
    signal input bits[nBits];
    signal output x;
    signal output y;

    var nWindows = (nBits + 2) \ 3;
    var T[84][8][2] = JUBJUB_BASE_TABLE(base);
    signal b01[nWindows];
    signal wx[nWindows];
    signal wy[nWindows];
    component add[nWindows];
    var accX = 0;
    var accY = 1;

    for (var w = 0; w < nWindows; w++) {
        var b[3];
        for (var j = 0; j < 3; j++) {
            if (3 * w + j < nBits) {
                b[j] = bits[3 * w + j];
            } else {
                b[j] = 0;
            }
        }
        b01[w] <== b[0] * b[1];
        var lo[2];
        var hi[2];
        for (var c = 0; c < 2; c++) {
            lo[c] = T[w][0][c] + b[0] * (T[w][1][c] - T[w][0][c]) + b[1] * (T[w][2][c] - T[w][0][c])
                + b01[w] * (T[w][3][c] - T[w][2][c] - T[w][1][c] + T[w][0][c]);
            hi[c] = T[w][4][c] + b[0] * (T[w][5][c] - T[w][4][c]) + b[1] * (T[w][6][c] - T[w][4][c])
                + b01[w] * (T[w][7][c] - T[w][6][c] - T[w][5][c] + T[w][4][c]);
        }
        wx[w] <== lo[0] + b[2] * (hi[0] - lo[0]);
        wy[w] <== lo[1] + b[2] * (hi[1] - lo[1]);
        if (w == 0) {
            accX = wx[w];
            accY = wy[w];
        } else {
            add[w] = JubjubAdd();
            add[w].x1 <== accX;
            add[w].y1 <== accY;
            add[w].x2 <== wx[w];
            add[w].y2 <== wy[w];
            accX = add[w].x3;
            accY = add[w].y3;
        }
    }
    x <== accX;
    y <== accY;
}

// [k](px, py) for a point given as signals: bits[] as for JubjubFixedBaseMul (little-endian,
// already boolean). 2-bit windows, most significant first: precompute [2]P and [3]P (11
// constraints), then per window two doublings (10), a selection among (O, P, 2P, 3P) (6) and an
// addition (6); the top window only selects. About 11 constraints per bit (2,745 for 250 bits).
// The point is not checked here: callers constrain it (on the curve, in the subgroup).
template JubjubScalarMul(nBits) {
    signal input bits[nBits];
    signal input px;
    signal input py;
    signal output x;
    signal output y;

    var nWindows = (nBits + 1) \ 2;
    component p2 = JubjubDouble();
    p2.x <== px;
    p2.y <== py;
    component p3 = JubjubAdd();
    p3.x1 <== p2.x2;
    p3.y1 <== p2.y2;
    p3.x2 <== px;
    p3.y2 <== py;

    signal ax[nWindows];
    signal ay[nWindows];
    signal bx[nWindows];
    signal by[nWindows];
    signal sx[nWindows];
    signal sy[nWindows];
    component dbl1[nWindows];
    component dbl2[nWindows];
    component add[nWindows];
    var accX = 0;
    var accY = 1;

    for (var w = nWindows - 1; w >= 0; w--) {
        var b0 = bits[2 * w];
        var b1 = 0;
        if (2 * w + 1 < nBits) {
            b1 = bits[2 * w + 1];
        }
        // A = b0 ? P : O;  B = b0 ? 3P : 2P;  S = b1 ? B : A.
        ax[w] <== b0 * px;
        ay[w] <== 1 + b0 * (py - 1);
        bx[w] <== p2.x2 + b0 * (p3.x3 - p2.x2);
        by[w] <== p2.y2 + b0 * (p3.y3 - p2.y2);
        sx[w] <== ax[w] + b1 * (bx[w] - ax[w]);
        sy[w] <== ay[w] + b1 * (by[w] - ay[w]);
        if (w == nWindows - 1) {
            accX = sx[w];
            accY = sy[w];
        } else {
            dbl1[w] = JubjubDouble();
            dbl1[w].x <== accX;
            dbl1[w].y <== accY;
            dbl2[w] = JubjubDouble();
            dbl2[w].x <== dbl1[w].x2;
            dbl2[w].y <== dbl1[w].y2;
            add[w] = JubjubAdd();
            add[w].x1 <== dbl2[w].x2;
            add[w].y1 <== dbl2[w].y2;
            add[w].x2 <== sx[w];
            add[w].y2 <== sy[w];
            accX = add[w].x3;
            accY = add[w].y3;
        }
    }
    x <== accX;
    y <== accY;
}

// Out-of-circuit helpers for the witness generator (field arithmetic on vars; no constraints).
function jubjub_add_affine(x1, y1, x2, y2) {
    var t = JUBJUB_D() * x1 * x2 * y1 * y2;
    return [(x1 * y2 + y1 * x2) / (1 + t), (y1 * y2 + x1 * x2) / (1 - t)];
}

function jubjub_mul_affine(x, y, k) {
    var acc[2] = [0, 1];
    for (var i = 252; i >= 0; i--) {
        var dbl[2] = jubjub_add_affine(acc[0], acc[1], acc[0], acc[1]);
        acc[0] = dbl[0];
        acc[1] = dbl[1];
        if (((k >> i) & 1) == 1) {
            var sum[2] = jubjub_add_affine(acc[0], acc[1], x, y);
            acc[0] = sum[0];
            acc[1] = sum[1];
        }
    }
    return acc;
}

// Constrains (x, y) to be a point of the prime-order subgroup other than the identity (what
// Dusk's jubjub-schnorr asks of keys and nonces: torsion-free and not the identity). The group
// is Z/8 x Z/r_J, so the subgroup is exactly the set of points [8]W for W on the curve: the
// witness generator computes W = [8^-1 mod r_J](x, y) and the circuit checks W on the curve and
// [8]W = (x, y) (3 + 15 constraints). For a point outside the subgroup no such W exists and the
// witness fails. Not the identity: the only subgroup point with x = 0 is (0, 1), so x must be
// invertible (1 constraint). 19 constraints; (x, y) is on the curve as a consequence.
template JubjubPrimeOrder() {
    signal input x;
    signal input y;

    signal wx;
    signal wy;
    var w[2] = jubjub_mul_affine(x, y, JUBJUB_COFACTOR_INVERSE());
    wx <-- w[0];
    wy <-- w[1];
    component onCurve = JubjubOnCurve();
    onCurve.x <== wx;
    onCurve.y <== wy;
    component dbl[3];
    for (var i = 0; i < 3; i++) {
        dbl[i] = JubjubDouble();
        if (i == 0) {
            dbl[i].x <== wx;
            dbl[i].y <== wy;
        } else {
            dbl[i].x <== dbl[i - 1].x2;
            dbl[i].y <== dbl[i - 1].y2;
        }
    }
    dbl[2].x2 === x;
    dbl[2].y2 === y;

    signal xInverse <-- x != 0 ? 1 / x : 0;
    xInverse * x === 1;
}
