pragma circom 2.1.0;

include "hades252.circom";

// PoseidonPermutation: out = Hades252(in), Dusk's Poseidon permutation (hades252.circom).
// Public signals, in snarkjs order: [out[0..4]]; the 5 inputs are witness-only. A test vehicle
// for the gadget (its witness is checked against chain.crypto.poseidon.permute); it has no
// trusted setup and proves nothing private.
component main = Hades252();
