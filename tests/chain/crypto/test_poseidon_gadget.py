"""The circom Hades252 gadget (circuits/src/hades252.circom) against chain.crypto.poseidon.

The compiled circuit circuits/build/poseidon_permutation.wasm computes witnesses with
``snarkjs wtns calculate``; its public outputs (witness wires 1..5, after the constant 1)
must equal :func:`chain.crypto.poseidon.permute` of the same inputs. The witness tests need
the circuit tools (``make circuits``) and skip without them; the include file and constraint
count checks need only the committed files.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path
from typing import Final

import pytest

from chain.crypto.poseidon import MODULUS, permute
from chain.tools import poseidon_circom

CIRCUITS: Final = Path(__file__).resolve().parents[3] / "circuits"
WASM: Final = CIRCUITS / "build" / "poseidon_permutation.wasm"
R1CS: Final = CIRCUITS / "build" / "poseidon_permutation.r1cs"
SNARKJS: Final = CIRCUITS / "node_modules" / ".bin" / "snarkjs"

needs_snarkjs = pytest.mark.skipif(
    not SNARKJS.exists() or shutil.which("node") is None,
    reason="snarkjs is not installed: run make circuits",
)


def _circuit_permute(tmp_path: Path, state: list[int]) -> list[int]:
    """The circuit's 5 outputs for the 5 inputs ``state`` (decimal strings in the witness)."""
    (tmp_path / "input.json").write_text(json.dumps({"in": [str(v) for v in state]}))
    for args in (
        ["wtns", "calculate", WASM, "input.json", "w.wtns"],
        ["wtns", "export", "json", "w.wtns", "w.json"],
    ):
        subprocess.run([SNARKJS, *args], cwd=tmp_path, check=True, capture_output=True)  # noqa: S603
    witness = json.loads((tmp_path / "w.json").read_text())
    assert witness[0] == "1"
    assert [int(v) for v in witness[6:11]] == state  # the inputs follow the outputs
    return [int(v) for v in witness[1:6]]


def test_committed_constants_are_the_reference() -> None:
    committed = (CIRCUITS / "src" / "hades252_constants.circom").read_text()
    assert committed == poseidon_circom.render()


def test_constraint_count() -> None:
    """300 non-linear constraints (100 S-boxes x 3) + 5 linear; the r1cs header says 305."""
    data = R1CS.read_bytes()
    assert data[:4] == b"r1cs"
    # sections: u32 type, u64 size; the header section (type 1) holds, after the field size
    # n8 and the prime, nWires, nPubOut, nPubIn, nPrvIn (u32), nLabels (u64), nConstraints (u32)
    offset = 12
    while True:
        kind = int.from_bytes(data[offset : offset + 4], "little")
        size = int.from_bytes(data[offset + 4 : offset + 12], "little")
        body = data[offset + 12 : offset + 12 + size]
        if kind == 1:
            break
        offset += 12 + size
    n8 = int.from_bytes(body[:4], "little")
    assert int.from_bytes(body[4 : 4 + n8], "little") == MODULUS  # compiled with --prime bls12381
    fields = body[4 + n8 :]
    n_pub_out, n_pub_in, n_prv_in = (int.from_bytes(fields[i : i + 4], "little") for i in (4, 8, 12))
    n_constraints = int.from_bytes(fields[24:28], "little")
    assert (n_pub_out, n_pub_in, n_prv_in) == (5, 0, 5)
    assert n_constraints == 305


@needs_snarkjs
def test_witness_matches_reference(tmp_path: Path) -> None:
    rng = random.Random(17)  # noqa: S311 - seeded test data, not keys
    states = [[rng.randrange(MODULUS) for _ in range(5)] for _ in range(4)]
    states += [[0] * 5, [MODULUS - 1] * 5, [0, 1, 2, 3, 4]]
    for state in states:
        assert _circuit_permute(tmp_path, state) == list(permute(state))
