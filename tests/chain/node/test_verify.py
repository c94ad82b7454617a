"""SignatureVerifier: never on the event loop; survives a dead worker process."""

from __future__ import annotations

import asyncio
import os
import signal
import threading

from chain.crypto import bls12_381 as bls
from chain.node import verify
from chain.node.verify import SignatureVerifier
from tests.chain.helpers import keypair

KEYS = [keypair(f"verify-{i}") for i in range(4)]


def _triples(bad: int | None = None):
    triples = []
    for i, key in enumerate(KEYS):
        message = f"message-{i}".encode()
        signer = KEYS[(i + 1) % len(KEYS)] if i == bad else key
        triples.append((key.public, message, bls.Sign(signer.secret, message)))
    return triples


def test_invalid_single_worker_does_not_verify_on_the_event_loop(monkeypatch):
    """With one worker (and for small batches) the check still runs off the loop's thread."""
    threads: list[int] = []
    real = verify.verify_chunk

    def recording(triples, entropy):
        threads.append(threading.get_ident())
        return real(triples, entropy)

    monkeypatch.setattr(verify, "verify_chunk", recording)
    verifier = SignatureVerifier(1)

    async def scenario() -> list[bool]:
        return await verifier.verify(_triples(bad=2))

    try:
        assert asyncio.run(scenario()) == [True, True, False, True]
    finally:
        verifier.close()
    assert threads
    assert threading.get_ident() not in threads


def test_invalid_dead_worker_process_is_replaced():
    """A worker killed mid-life breaks a ProcessPoolExecutor for good: the verifier starts
    a new pool and retries once."""
    verifier = SignatureVerifier(2)

    async def scenario() -> None:
        assert await verifier.verify(_triples()) == [True] * 4
        pool = verifier._pool
        for pid in list(pool._processes):  # type: ignore[attr-defined]
            os.kill(pid, signal.SIGKILL)
        await asyncio.sleep(0.5)
        assert await verifier.verify(_triples(bad=0)) == [False, True, True, True]

    try:
        asyncio.run(scenario())
    finally:
        verifier.close()
