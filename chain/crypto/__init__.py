"""Hashes, BLS12-381, Jubjub and Pedersen value commitments (later Poseidon and PlonK).
Imports only ``chain.types``."""
