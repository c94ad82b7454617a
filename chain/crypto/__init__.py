"""Hashes and BLS12-381 (later Poseidon and PlonK). Imports only ``chain.types``."""
