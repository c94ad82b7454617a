"""The running test, for helpers that must check how it is marked.

``tests/conftest.py`` sets :data:`current` around every test. The chain process helpers
(:class:`tests.chain.nodeproc.NodeProcess`, :class:`tests.chain.devnetproc.Devnet`) call
:func:`require_marker` with ``"devnet"``, so a test that starts node processes without the
``devnet`` marker fails at once instead of slipping into ``make test-fast``.
"""

from __future__ import annotations

import pytest

current: pytest.Item | None = None


def require_marker(name: str) -> None:
    """``AssertionError`` if a test is running and is not marked ``name``."""
    if current is not None and current.get_closest_marker(name) is None:
        raise AssertionError(
            f"{current.nodeid} starts chain node processes: mark it @pytest.mark.{name} "
            "(or add its module to CHAIN_PROCESS_MODULES in tests/conftest.py)"
        )
