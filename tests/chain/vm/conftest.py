"""A fresh state (over an empty memory store) for each VM test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chain.state.memory import MemoryStore
from chain.state.state import State


@pytest.fixture
def state() -> Iterator[State]:
    store = MemoryStore()
    with store.read_view() as view:
        yield State(view)
