"""``chain.node.client`` is what every web and worker process imports: it must not load the
contract VM (wasmtime), LMDB or the state transition (issue 21; the import-linter contract
"chain.node.client is thin" holds the same line statically)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_importing_the_client_loads_neither_wasmtime_nor_lmdb() -> None:
    probe = (
        "import json, sys, chain.node.client; "
        "print(json.dumps(sorted(m for m in sys.modules "
        "if m.split('.')[0] in ('wasmtime', 'lmdb') or m.startswith(('chain.vm.session', 'chain.state', "
        "'chain.transition.process', 'chain.consensus', 'chain.network')))))"
    )
    loaded = json.loads(
        subprocess.run(
            [sys.executable, "-c", probe], cwd=ROOT, check=True, capture_output=True, text=True
        ).stdout
    )
    assert loaded == []
