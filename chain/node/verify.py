"""Signature checks for transactions entering the node, spread over worker processes.

Each worker checks a chunk with one batched verification (random linear combination,
``chain.crypto.bls12_381.batch_verify``) and, only if the batch fails, one by one to name
the bad signatures. Entropy comes from the caller (``os.urandom`` at the node's edge).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

from chain.crypto import bls12_381 as bls
from chain.types.primitives import BlsPublicKey, BlsSignature

Triple = tuple[BlsPublicKey, bytes, BlsSignature]


def verify_chunk(triples: Sequence[Triple], entropy: bytes) -> list[bool]:
    """One result per triple: a batch check first, each triple alone if the batch fails."""
    if not triples:
        return []
    if bls.batch_verify(triples, entropy=entropy):
        return [True] * len(triples)
    return [bls.Verify(pk, message, signature) for pk, message, signature in triples]


class SignatureVerifier:
    """Verifies batches in ``workers`` processes (inline when ``workers`` is 1)."""

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)
        self._pool = (
            ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
            if self.workers > 1
            else None
        )

    async def verify(self, triples: Sequence[Triple]) -> list[bool]:
        if self._pool is None or len(triples) < 2 * self.workers:
            return verify_chunk(triples, os.urandom(32))
        size = -(-len(triples) // self.workers)
        chunks = [list(triples[i : i + size]) for i in range(0, len(triples), size)]
        loop = asyncio.get_running_loop()
        parts = await asyncio.gather(
            *(loop.run_in_executor(self._pool, verify_chunk, chunk, os.urandom(32)) for chunk in chunks)
        )
        return [ok for part in parts for ok in part]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
