"""Signature checks for transactions entering the node, off the event loop.

Each chunk is checked with one batched verification (random linear combination,
``chain.crypto.bls12_381.batch_verify``) and, only if the batch fails, one by one to name
the bad signatures. Chunks run in ``workers`` processes, or in one helper thread when
``workers`` is 1: never on the event loop, which a failing 1,000-transaction batch would
otherwise block for seconds. A pool broken by a dead worker process is replaced and the
batch retried once. Entropy comes from the caller (``os.urandom`` at the node's edge).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from chain.crypto import bls12_381 as bls
from chain.node.exceptions import NodeError
from chain.types.primitives import BlsPublicKey, BlsSignature

log = logging.getLogger("chain.node.verify")

Triple = tuple[BlsPublicKey, bytes, BlsSignature]


def verify_chunk(triples: Sequence[Triple], entropy: bytes) -> list[bool]:
    """One result per triple: a batch check first, each triple alone if the batch fails."""
    if not triples:
        return []
    if bls.batch_verify(triples, entropy=entropy):
        return [True] * len(triples)
    return [bls.Verify(pk, message, signature) for pk, message, signature in triples]


class SignatureVerifier:
    """Verifies batches in ``workers`` processes (one helper thread when ``workers`` is 1).

    Raises ``NodeError`` (``verifier_unavailable``) if the work cannot be done even on a
    fresh pool.
    """

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)
        self._pool: Executor = self._new_pool()

    def _new_pool(self) -> Executor:
        if self.workers > 1:
            return ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
        return ThreadPoolExecutor(1, thread_name_prefix="verify")

    async def _run(self, pool: Executor, chunks: list[list[Triple]]) -> list[list[bool]]:
        loop = asyncio.get_running_loop()
        return await asyncio.gather(
            *(loop.run_in_executor(pool, verify_chunk, chunk, os.urandom(32)) for chunk in chunks)
        )

    async def verify(self, triples: Sequence[Triple]) -> list[bool]:
        if not triples:
            return []
        size = -(-len(triples) // self.workers)
        chunks = [list(triples[i : i + size]) for i in range(0, len(triples), size)]
        pool = self._pool
        try:
            parts = await self._run(pool, chunks)
        except BrokenProcessPool:
            log.warning("a signature worker died; starting a new pool and retrying")
            if self._pool is pool:  # another request may have replaced it already
                pool.shutdown(wait=False, cancel_futures=True)
                self._pool = self._new_pool()
            try:
                parts = await self._run(self._pool, chunks)
            except BrokenProcessPool as exc:
                raise NodeError(
                    "signature verification is unavailable", reason="verifier_unavailable"
                ) from exc
        return [ok for part in parts for ok in part]

    def close(self) -> None:
        self._pool.shutdown(cancel_futures=True)
