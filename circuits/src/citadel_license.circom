pragma circom 2.1.0;

include "citadel.circom";

// Dusk's LicenseCircuit<17> (use_license) with Gloam's attribute predicates over K = 8 allowed
// jurisdictions (CitadelLicense of citadel.circom). Public signals, in snarkjs order:
// [session_id, session_hash, com_0, com_1.u, com_1.v, com_2.u, com_2.v, root, challenge,
// pk_lp.A.u, pk_lp.A.v, today, adult_cutoff, require_accredited, allowed_jurisdictions (8)]:
// chain.crypto.citadel.license_circuit_public_signals. Checked against chain.crypto.citadel by
// tests/chain/crypto/test_citadel_circuit.py. Witness-only: no trusted setup, so nothing is
// proved with it.
component main {public [sessionId, sessionHash, com0, com1, com2, root, challenge, pkLp, today, adultCutoff, requireAccredited, allowedJurisdictions]} = CitadelLicense(17, 8);
