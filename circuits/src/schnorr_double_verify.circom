pragma circom 2.1.0;

include "schnorr.circom";

// A test vehicle for SchnorrDoubleVerify (schnorr.circom), checked against chain.crypto.schnorr
// by tests/chain/crypto/test_schnorr_gadget.py: public signals, in snarkjs order, [c, pk.x, pk.y,
// pkPrime.x, pkPrime.y, m]; the signature (u, R, R') is witness-only. No trusted setup; proves
// nothing private.
component main {public [pk, pkPrime, m]} = SchnorrDoubleVerify();
