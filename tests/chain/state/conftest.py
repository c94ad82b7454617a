"""Fixtures that run every store test over both stores (py_ecc's ``lib`` fixture pattern)."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager as ContextManager
from pathlib import Path

import pytest

from chain.state import LmdbStore, MemoryStore, StoreAPI

STORE_KINDS = ("memory", "lmdb")

StoreFactory = Callable[[], ContextManager[StoreAPI]]


@contextlib.contextmanager
def open_store(kind: str) -> Iterator[StoreAPI]:
    """A fresh, empty store of ``kind``; an LMDB one lives in a temporary directory."""
    if kind == "memory":
        store: StoreAPI = MemoryStore()
        yield store
        store.close()
        return
    with tempfile.TemporaryDirectory(prefix="gloam-state-") as directory:
        store = LmdbStore(Path(directory) / "store", map_size=64 << 20)
        try:
            yield store
        finally:
            store.close()


@pytest.fixture(params=STORE_KINDS)
def store_kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    return kind


@pytest.fixture
def store(store_kind: str) -> Iterator[StoreAPI]:
    with open_store(store_kind) as opened:
        yield opened


@pytest.fixture
def make_store(store_kind: str) -> StoreFactory:
    """For hypothesis tests: a fresh store per example (``with make_store() as store``)."""
    return lambda: open_store(store_kind)
