pragma circom 2.1.0;

include "phoenix.circom";

// Dusk's TxCircuit<17, 2>: two input notes, two outputs (PhoenixTransfer of phoenix.circom,
// with the sender encryption). Public signals, in snarkjs order: [payloadHash, root,
// nullifier0, nullifier1, out0.x, out0.y, out1.x, out1.y, maxFee, deposit, npk0.x, npk0.y, npk1.x,
// npk1.y, then per output the sender ciphertexts A.c1, A.c2, B.c1, B.c2 (x, y each: 16)]. Checked against chain.crypto.phoenix by tests/chain/crypto/test_phoenix_transfer_circuit.py.
// Witness-only: no trusted setup yet, so nothing is proved with it.
component main {public [payloadHash, root, nullifiers, outCommitments, maxFee, deposit, outNotePks, senderEnc]} = PhoenixTransfer(17, 2, 2);
