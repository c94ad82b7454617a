"""Proof jobs: Groth16 proofs made by Celery workers on the ``proving`` queue (issue 17 item 6)."""
