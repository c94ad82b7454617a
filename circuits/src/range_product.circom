pragma circom 2.1.0;

include "bits.circom";

// RangeProduct: "I know a 64-bit amount such that amount * price = total, with price < 2^64".
// Public signals, in snarkjs order (outputs first, then public inputs): [total, price].
// Witness-only input: amount. It hides nothing of value (a small amount is total / price) and
// is a test vehicle for the build, the setup and the verifier, not a product feature.
template RangeProduct() {
    signal input amount;
    signal input price;
    signal output total;

    component amountRange = InRange(64);
    amountRange.in <== amount;
    component priceRange = InRange(64);
    priceRange.in <== price;

    total <== amount * price;
}

component main {public [price]} = RangeProduct();
