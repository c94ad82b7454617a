"""The circom Hades252 gadget (circuits/src/hades252.circom) against chain.crypto.poseidon.

The compiled circuits circuits/build/poseidon_permutation.wasm and merkle4_node.wasm compute
witnesses with ``snarkjs wtns calculate``; their public outputs (the witness wires after the
constant 1) must equal :func:`chain.crypto.poseidon.permute` and
:func:`chain.crypto.poseidon.merkle4_hash` of the same inputs. The witness tests need
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

from chain.crypto.poseidon import MODULUS, merkle4_hash, permute
from chain.tools import poseidon_circom

CIRCUITS: Final = Path(__file__).resolve().parents[3] / "circuits"
BUILD: Final = CIRCUITS / "build"
SNARKJS: Final = CIRCUITS / "node_modules" / ".bin" / "snarkjs"

needs_snarkjs = pytest.mark.skipif(
    not SNARKJS.exists() or shutil.which("node") is None,
    reason="snarkjs is not installed: run make circuits",
)


def _witness(tmp_path: Path, circuit: str, inputs: dict[str, list[int]]) -> list[int]:
    """The whole witness of ``circuit`` (build/<circuit>.wasm) for ``inputs`` (signal name ->
    values, written as decimal strings): wire 0 is 1, then the outputs, then the inputs."""
    (tmp_path / "input.json").write_text(json.dumps({k: [str(v) for v in vs] for k, vs in inputs.items()}))
    for args in (
        ["wtns", "calculate", BUILD / f"{circuit}.wasm", "input.json", "w.wtns"],
        ["wtns", "export", "json", "w.wtns", "w.json"],
    ):
        subprocess.run([SNARKJS, *args], cwd=tmp_path, check=True, capture_output=True)  # noqa: S603
    witness = [int(v) for v in json.loads((tmp_path / "w.json").read_text())]
    assert witness[0] == 1
    return witness


def _circuit_permute(tmp_path: Path, state: list[int]) -> list[int]:
    """poseidon_permutation's 5 outputs for the 5 inputs ``state``."""
    witness = _witness(tmp_path, "poseidon_permutation", {"in": state})
    assert witness[6:11] == state  # the inputs follow the outputs
    return witness[1:6]


def _circuit_merkle4(tmp_path: Path, children: list[int]) -> int:
    """merkle4_node's output for the 4 ``children``."""
    witness = _witness(tmp_path, "merkle4_node", {"children": children})
    assert witness[2:6] == children
    return witness[1]


def _r1cs_header(circuit: str) -> tuple[int, int, int, int, int]:
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


def test_committed_constants_are_the_reference() -> None:
    committed = (CIRCUITS / "src" / "hades252_constants.circom").read_text()
    assert committed == poseidon_circom.render()


def test_constraint_counts() -> None:
    """poseidon_permutation: 300 non-linear constraints (100 S-boxes x 3) + 5 linear;
    merkle4_node: the same permutation, where circom folds the constant tag's first S-box
    (298 non-linear + 7 linear). Both compiled with --prime bls12381."""
    assert _r1cs_header("poseidon_permutation") == (MODULUS, 5, 0, 5, 305)
    assert _r1cs_header("merkle4_node") == (MODULUS, 1, 0, 4, 305)


@needs_snarkjs
def test_witness_matches_reference(tmp_path: Path) -> None:
    rng = random.Random(17)  # noqa: S311 - seeded test data, not keys
    states = [[rng.randrange(MODULUS) for _ in range(5)] for _ in range(4)]
    states += [[0] * 5, [MODULUS - 1] * 5, [0, 1, 2, 3, 4]]
    for state in states:
        assert _circuit_permute(tmp_path, state) == list(permute(state))


@needs_snarkjs
def test_merkle4_witness_matches_reference(tmp_path: Path) -> None:
    rng = random.Random(4)  # noqa: S311 - seeded test data, not keys
    cases = [[rng.randrange(MODULUS) for _ in range(4)] for _ in range(3)]
    cases += [[0, 0, 0, 0], [1, 2, 3, 4], [MODULUS - 1, 0, 0, 0]]
    for children in cases:
        assert _circuit_merkle4(tmp_path, children) == merkle4_hash(children)
