"""Hashes, BLS12-381, Poseidon, Jubjub, Pedersen value commitments and Schnorr signatures (later PlonK).
Imports only ``chain.types``."""
