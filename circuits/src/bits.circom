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
