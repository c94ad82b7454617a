"""Succinct Attestation: sortition, steps, attestation, fork choice, finality (§1)."""
