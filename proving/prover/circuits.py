"""Which circuits can be proved, and whether a witness fits one, without Node.js.

A circuit ``<name>`` is provable when ``circuits/build/<name>.wasm`` (circom's witness
generator), ``circuits/ceremony/<name>.zkey`` (its Groth16 proving key) and
``circuits/build/<name>.vk`` (the verification key in the chain's bytes, exported by
``make circuits``) all exist. Circuits without a setup (witness-only) are not provable.

The witness is the circuit's input signals as JSON: ``{"name": value}``, a value an integer in
``[0, r)`` (r the BLS12-381 scalar field's order), written as an int or a decimal string, or a
(nested) list of them for an array signal. :func:`validate_witness` checks names and counts
against the circuit's own witness generator (its ``getInputSignalSize``/``getInputSize``
exports, run with wasmtime) and refuses values out of range instead of reducing them.
"""

from __future__ import annotations

import functools
import os
import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import wasmtime

from proving.prover.errors import UnknownCircuit, WitnessShapeError

#: The BLS12-381 scalar field's order r (circom's ``--prime bls12381``).
FIELD_ORDER = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001
#: The repository's circuits/ directory; ``GLOAM_CIRCUITS_DIR`` overrides it.
DEFAULT_CIRCUITS_DIR = Path(
    os.environ.get("GLOAM_CIRCUITS_DIR", Path(__file__).resolve().parents[2] / "circuits")
)

_NAME = re.compile(r"[a-z0-9_]{1,64}")
_INPUT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_DECIMAL = re.compile(r"[0-9]{1,80}")
#: Bounds on a witness accepted for proving (names, values, list nesting).
MAX_INPUT_NAMES = 256
MAX_INPUT_VALUES = 65_536
MAX_DEPTH = 4


@dataclass(frozen=True)
class Circuit:
    """A provable circuit's files."""

    name: str
    wasm: Path
    zkey: Path
    vk: Path
    r1cs: Path


def get_circuit(name: object, circuits_dir: Path | None = None) -> Circuit:
    """The circuit ``name`` under ``circuits_dir`` (default :data:`DEFAULT_CIRCUITS_DIR`).

    Raises :class:`UnknownCircuit` for a name that is not 1–64 of ``a-z0-9_`` or a circuit
    without a witness generator, a proving key or a verification key."""
    root = circuits_dir or DEFAULT_CIRCUITS_DIR
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise UnknownCircuit("a circuit name is 1-64 characters a-z, 0-9 and _", reason="bad_name")
    circuit = Circuit(
        name=name,
        wasm=root / "build" / f"{name}.wasm",
        zkey=root / "ceremony" / f"{name}.zkey",
        vk=root / "build" / f"{name}.vk",
        r1cs=root / "build" / f"{name}.r1cs",
    )
    if not (circuit.wasm.is_file() and circuit.zkey.is_file() and circuit.vk.is_file()):
        raise UnknownCircuit(
            f"no circuit {name!r} with a witness generator, a proving key and a verification key",
            reason="no_setup",
        )
    return circuit


def list_circuits(circuits_dir: Path | None = None) -> list[str]:
    """Names of the provable circuits, sorted."""
    root = circuits_dir or DEFAULT_CIRCUITS_DIR
    names = []
    for wasm in sorted((root / "build").glob("*.wasm")):
        try:
            names.append(get_circuit(wasm.stem, root).name)
        except UnknownCircuit:
            continue
    return names


class _Generator:
    """A circom 2 witness generator instantiated with wasmtime, for its input-size exports."""

    def __init__(self, wasm: Path) -> None:
        engine = wasmtime.Engine()
        module = wasmtime.Module.from_file(engine, str(wasm))
        self.store = wasmtime.Store(engine)
        imports: list[wasmtime.Func] = []
        for item in module.imports:
            if not isinstance(item.type, wasmtime.FuncType):
                raise UnknownCircuit(f"{wasm.name} is not a circom 2 witness generator", reason="bad_wasm")
            imports.append(wasmtime.Func(self.store, item.type, _ignore))
        self.exports = wasmtime.Instance(self.store, module, imports).exports(self.store)
        self.exports["init"](self.store, 0)  # type: ignore[operator]
        self.input_size = int(self.exports["getInputSize"](self.store))  # type: ignore[operator]

    def signal_size(self, name: str) -> int:
        digest = fnv1a_64(name)
        high, low = (digest >> 32), digest & 0xFFFFFFFF
        # wasm i32 arguments: the same bits as JavaScript's ToInt32 of circom's parseInt halves
        size = self.exports["getInputSignalSize"](self.store, _i32(high), _i32(low))  # type: ignore[operator]
        return int(size)


def _ignore(*args: Any) -> None:
    return None


def _i32(value: int) -> int:
    return value - (1 << 32) if value >= 1 << 31 else value


def fnv1a_64(text: str) -> int:
    """FNV-1a 64 of ``text``'s UTF-16 code units' low bytes, as circom_runtime's ``fnvHash``
    (input names are ASCII here, so it is the bytes)."""
    value = 0xCBF29CE484222325
    for char in text:
        value ^= ord(char) & 0xFF
        value = (value * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return value


@functools.lru_cache(maxsize=32)
def _generator(path: str, mtime_ns: int) -> _Generator:
    return _Generator(Path(path))


def _flatten(value: object, name: str, depth: int, out: list[int]) -> None:
    if isinstance(value, list):
        if depth >= MAX_DEPTH:
            raise WitnessShapeError(f"input {name}: lists nest at most {MAX_DEPTH} deep", reason="too_large")
        for item in value:
            _flatten(item, name, depth + 1, out)
            if len(out) > MAX_INPUT_VALUES:
                raise WitnessShapeError(f"at most {MAX_INPUT_VALUES} input values", reason="too_large")
        return
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise WitnessShapeError(
            f"input {name}: every value is an integer (int or decimal string)", reason="not_an_integer"
        )
    if isinstance(value, str):
        if not _DECIMAL.fullmatch(value):
            raise WitnessShapeError(
                f"input {name}: every value is an integer (int or decimal string)", reason="not_an_integer"
            )
        value = int(value)
    if not 0 <= value < FIELD_ORDER:
        raise WitnessShapeError(
            f"input {name}: values lie in [0, r) (BLS12-381 scalars)", reason="out_of_range"
        )
    out.append(value)


def _canonical(value: object) -> object:
    if isinstance(value, list):
        return [_canonical(item) for item in value]
    return str(int(value))  # type: ignore[call-overload]  # checked by _flatten


def validate_witness(circuit: Circuit, witness: object) -> dict[str, object]:
    """Check ``witness`` against ``circuit``'s inputs; return it with every value a decimal
    string (the form the prover takes).

    Raises :class:`WitnessShapeError` (reasons in its docstring). Messages name inputs and
    counts, never values."""
    if not isinstance(witness, dict) or not witness:
        raise WitnessShapeError(
            "the witness is a JSON object of input names to values", reason="not_an_object"
        )
    if len(witness) > MAX_INPUT_NAMES:
        raise WitnessShapeError(f"at most {MAX_INPUT_NAMES} input names", reason="too_large")
    generator = _generator(str(circuit.wasm), circuit.wasm.stat().st_mtime_ns)
    total = 0
    for name, value in witness.items():
        if not isinstance(name, str) or not _INPUT_NAME.fullmatch(name):
            raise WitnessShapeError("input names are identifiers of at most 64 characters", reason="bad_name")
        size = generator.signal_size(name)
        if size <= 0:
            raise WitnessShapeError(f"{name} is not an input of {circuit.name}", reason="unknown_input")
        flat: list[int] = []
        _flatten(value, name, 0, flat)
        if len(flat) != size:
            raise WitnessShapeError(
                f"input {name} of {circuit.name} takes {size} value(s), got {len(flat)}", reason="wrong_count"
            )
        total += size
    if total != generator.input_size:
        raise WitnessShapeError(
            f"{circuit.name} takes {generator.input_size} input value(s); {total} given",
            reason="missing_input",
        )
    return {name: _canonical(value) for name, value in witness.items()}


@dataclass(frozen=True)
class R1csInfo:
    """The header of an r1cs file (iden3's binary format, section 1)."""

    constraints: int
    wires: int
    public_outputs: int
    public_inputs: int
    private_inputs: int


def r1cs_info(path: Path) -> R1csInfo:
    """Read the header section of ``path`` (``ValueError`` if it is not an r1cs file)."""
    data = path.read_bytes()
    if data[:4] != b"r1cs":
        raise ValueError(f"{path} is not an r1cs file")
    (sections,) = struct.unpack_from("<I", data, 8)
    offset = 12
    for _ in range(sections):
        kind, size = struct.unpack_from("<IQ", data, offset)
        offset += 12
        if kind == 1:
            (n8,) = struct.unpack_from("<I", data, offset)
            wires, outputs, inputs, private, _labels, constraints = struct.unpack_from(
                "<IIIIQI", data, offset + 4 + n8
            )
            return R1csInfo(constraints, wires, outputs, inputs, private)
        offset += size
    raise ValueError(f"{path} has no header section")
