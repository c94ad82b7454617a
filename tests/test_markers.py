"""The ``devnet`` marker cannot be forgotten: the chain process helpers refuse to start in a
test without it (tests/testmarks.py), so ``make test-fast`` never starts a node."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.chain.devnetproc import Devnet
from tests.chain.nodeproc import NodeProcess


def test_an_unmarked_test_cannot_start_a_devnet(tmp_path: Path) -> None:
    with pytest.raises(AssertionError, match=r"mark it @pytest.mark.devnet"):
        Devnet(tmp_path, funds={})
    with pytest.raises(AssertionError, match=r"mark it @pytest.mark.devnet"):
        NodeProcess(tmp_path)
    assert not (tmp_path / "devnet.json").exists()


@pytest.mark.devnet
def test_a_marked_test_may(tmp_path: Path) -> None:
    node = NodeProcess(tmp_path)
    assert node.url.startswith("http://127.0.0.1:")
