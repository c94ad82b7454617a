"""The devnet as docker/compose.yaml runs it: each provisioner reaches the others by host
name (``devnet --peer-host``), binds ``--host`` and keeps its chain in its own ``--data-dir``
(its own volume), apart from the shared keys and genesis."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.chain.devnetproc import Devnet, assert_no_fork, wait_for

pytestmark = pytest.mark.xdist_group("devnet")


def test_named_peers_and_separate_data_dirs_make_final_blocks(tmp_path: Path) -> None:
    config_dir = tmp_path / "chain"
    config_dir.mkdir()
    net = Devnet(config_dir, funds={}, peer_host="localhost")
    config = json.loads((config_dir / "devnet.json").read_text())
    assert {node["host"] for node in config["nodes"]} == {"localhost"}
    data_dirs = [tmp_path / f"node-{i}-data" for i in range(4)]
    try:
        for index in range(4):
            net.start(index, "--host", "127.0.0.1", "--data-dir", str(data_dirs[index]))
        wait_for(lambda: all((s := net.status(i)) and s["final_height"] >= 3 for i in range(4)), timeout=90)
        assert_no_fork(net, [0, 1, 2, 3])
    finally:
        net.stop_all()
    for index, data_dir in enumerate(data_dirs):
        assert (data_dir / "signing-record").exists(), f"node {index} keeps its signing record in its volume"
        assert any(data_dir.iterdir())
        assert not (config_dir / f"node{index}").exists(), "nothing is written beside the shared keys"


def test_peer_host_template_names_each_node(tmp_path: Path) -> None:
    Devnet(tmp_path, funds={}, peer_host="node-{index}")
    config = json.loads((tmp_path / "devnet.json").read_text())
    assert [node["host"] for node in config["nodes"]] == ["node-0", "node-1", "node-2", "node-3"]
