pragma circom 2.1.0;

include "merkle_opening.circom";

// A test vehicle for MerkleOpening (merkle_opening.circom) at the notes tree's shape, arity 4 and
// depth 17, checked against merkle4_hash iterated in tests/chain/crypto/test_merkle_gadget.py.
// Public signals: [root]; leaf, position and siblings are witness-only. No trusted setup;
// proves nothing private.
component main = MerkleOpening(17);
