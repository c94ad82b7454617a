"""Running Gloam's compiled circuits (circuits/build/<name>.wasm) for tests: witnesses with
``snarkjs wtns calculate`` and the header of an r1cs file.

A witness is the list of every wire's value: wire 0 is 1, then the outputs, then the public
inputs, then the private inputs, each in declaration order (arrays flattened row by row), then
the internal signals. ``witness`` raises :class:`WitnessFailed` when the witness generator
refuses the input (an assertion or a constraint the generator checks fails), which is how a
test sees that an input makes a circuit unsatisfiable.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Final

import pytest

CIRCUITS: Final = Path(__file__).resolve().parents[3] / "circuits"
BUILD: Final = CIRCUITS / "build"
SNARKJS: Final = CIRCUITS / "node_modules" / ".bin" / "snarkjs"

needs_snarkjs = pytest.mark.skipif(
    not SNARKJS.exists() or shutil.which("node") is None,
    reason="snarkjs is not installed: run make circuits",
)


class WitnessFailed(Exception):
    """The witness generator refused the input (its stderr is the message)."""


def _strings(value: object) -> object:
    if isinstance(value, list):
        return [_strings(v) for v in value]
    return str(value)


def witness(tmp_path: Path, circuit: str, inputs: Mapping[str, object]) -> list[int]:
    """The whole witness of ``circuit`` (build/<circuit>.wasm) for ``inputs`` (signal name ->
    an int or nested lists of ints, written as decimal strings). Raises :class:`WitnessFailed`."""
    (tmp_path / "input.json").write_text(json.dumps({k: _strings(v) for k, v in inputs.items()}))
    for args in (
        ["wtns", "calculate", BUILD / f"{circuit}.wasm", "input.json", "w.wtns"],
        ["wtns", "export", "json", "w.wtns", "w.json"],
    ):
        done = subprocess.run([SNARKJS, *args], cwd=tmp_path, capture_output=True, text=True)  # noqa: S603
        if done.returncode != 0:
            raise WitnessFailed(done.stderr.strip() or done.stdout.strip())
    values = [int(v) for v in json.loads((tmp_path / "w.json").read_text())]
    assert values[0] == 1
    return values


def r1cs_header(circuit: str) -> tuple[int, int, int, int, int]:
    """(prime, nPubOut, nPubIn, nPrvIn, nConstraints) from build/<circuit>.r1cs (iden3's r1cs
    format: "r1cs", u32 version, u32 section count, then sections of u32 type, u64 size; the
    header, type 1, holds n8, the prime, nWires, nPubOut, nPubIn, nPrvIn (u32), nLabels (u64)
    and nConstraints (u32))."""
    data = (BUILD / f"{circuit}.r1cs").read_bytes()
    assert data[:4] == b"r1cs"
    offset = 12
    while True:
        kind = int.from_bytes(data[offset : offset + 4], "little")
        size = int.from_bytes(data[offset + 4 : offset + 12], "little")
        body = data[offset + 12 : offset + 12 + size]
        if kind == 1:
            break
        offset += 12 + size
    n8 = int.from_bytes(body[:4], "little")
    prime = int.from_bytes(body[4 : 4 + n8], "little")
    fields = body[4 + n8 :]
    n_pub_out, n_pub_in, n_prv_in = (int.from_bytes(fields[i : i + 4], "little") for i in (4, 8, 12))
    return prime, n_pub_out, n_pub_in, n_prv_in, int.from_bytes(fields[24:28], "little")
