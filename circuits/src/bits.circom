pragma circom 2.1.0;

// Gloam circuit gadgets: bit decomposition and range checks.
// Field-agnostic (no constant depends on the prime); compiled with --prime bls12381.

// Bits(n): out[i] is bit i (little-endian) of in, and in < 2^n.
// Constraints: n booleanity checks + 1 linear recomposition.
// Sound only when 2^n < the field prime (n <= 254 for BLS12-381's scalar field).
template Bits(n) {
    signal input in;
    signal output out[n];

    var weighted = 0;
    var power = 1;
    for (var i = 0; i < n; i++) {
        out[i] <-- (in >> i) & 1;
        out[i] * (out[i] - 1) === 0;
        weighted += out[i] * power;
        power = power + power;
    }
    weighted === in;
}

// InRange(n): constrains in < 2^n; no output.
template InRange(n) {
    signal input in;
    component bits = Bits(n);
    bits.in <== in;
}

// FieldBits(): out[i] is bit i (little-endian) of in, with the 255 bits read as an integer
// strictly below the field prime p, so the decomposition is the canonical one (Bits(255)
// alone would also accept the bits of in + p when that is below 2^255). Use it wherever the
// bits of a field element are used as an integer (e.g. the truncation of a hash to a scalar).
// Constraints: 255 booleanity checks + 1 recomposition + one per bit of p - 1 (255; the
// copies eq[i] <== eq[i + 1] are removed by circom's -O1 simplification).
// Only for a 255-bit prime (BLS12-381's scalar field; compile with --prime bls12381).
template FieldBits() {
    signal input in;
    signal output out[255];

    component bits = Bits(255);
    bits.in <== in;
    out <== bits.out;

    // out <= p - 1, most significant bit first: eq[i] = 1 while out[254..i] equals the bits of
    // p - 1. Where p - 1 has a 1, eq[i] = eq[i + 1] * out[i]; where it has a 0, out[i] must be 0
    // while the prefix is still equal (eq[i + 1] * out[i] = 0) and eq does not change.
    var c = -1; // p - 1
    signal eq[255];
    var prefix = 1;
    for (var i = 254; i >= 0; i--) {
        if (((c >> i) & 1) == 1) {
            eq[i] <== prefix * out[i];
        } else {
            prefix * out[i] === 0;
            eq[i] <== prefix;
        }
        prefix = eq[i];
    }
}
