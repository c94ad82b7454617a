"""Groth16 verification (chain.crypto.groth16) against real snarkjs proofs and bad inputs.

The real proof is circuits/fixtures/range_product.*.json, made by scripts/ceremony.sh with the
committed proving key; the key is circuits/build/range_product.vk (bytes) and .vk.json.
``test_fresh_snarkjs_proofs_verify`` proves new statements with snarkjs when the circuit
tools are installed (``make circuits``), about 1 s each.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path
from typing import Final

import pytest
from py_arkworks_bls12381 import G1Point, G2Point, Scalar

from chain.crypto import groth16
from chain.crypto.bls12_381.ciphersuite import CURVE_ORDER
from chain.crypto.exceptions import (
    InvalidProofPoint,
    InvalidPublicInputs,
    MalformedProofData,
    ProofCheckFailed,
    ProofRefused,
)
from chain.crypto.groth16 import FIELD_MODULUS

CIRCUITS: Final = Path(__file__).resolve().parents[3] / "circuits"
VK_BYTES: Final = (CIRCUITS / "build" / "range_product.vk").read_bytes()
VK_JSON: Final = json.loads((CIRCUITS / "build" / "range_product.vk.json").read_text())
PROOF_JSON: Final = json.loads((CIRCUITS / "fixtures" / "range_product.proof.json").read_text())
PUBLIC_JSON: Final = json.loads((CIRCUITS / "fixtures" / "range_product.public.json").read_text())
PROOF: Final = groth16.proof_from_snarkjs(PROOF_JSON)
PUBLIC: Final = groth16.public_inputs_from_snarkjs(PUBLIC_JSON)
KEY: Final = groth16.decode_verifying_key(VK_BYTES)


def _refusal(call: object, *args: object) -> ProofRefused:
    assert callable(call)
    with pytest.raises(ProofRefused) as info:
        call(*args)
    return info.value


def _g1_off_curve() -> bytes:
    """A compressed G1 encoding whose x has no y (x³ + 4 is not a square mod p)."""
    x = 1
    while pow(x**3 + 4, (FIELD_MODULUS - 1) // 2, FIELD_MODULUS) == 1:
        x += 1
    return bytes([0x80]) + x.to_bytes(48, "big")[1:]


def _g1_outside_subgroup() -> bytes:
    """A compressed point of E(Fp) that is not in G1 (x³ + 4 is a square, cofactor ≠ 1)."""
    x = 1
    while True:
        if pow(x**3 + 4, (FIELD_MODULUS - 1) // 2, FIELD_MODULUS) == 1:
            encoded = bytes([0x80]) + x.to_bytes(48, "big")[1:]
            if not G1Point.from_compressed_bytes_unchecked(encoded).is_in_subgroup():
                return encoded
        x += 1


def _g2_candidates() -> list[tuple[bytes, bool | None]]:
    """Compressed G2 encodings for x = (k, 1): (bytes, in subgroup) or (bytes, None) if off the curve."""
    found: list[tuple[bytes, bool | None]] = []
    for k in range(1, 40):
        encoded = bytes([0x80]) + (1).to_bytes(48, "big")[1:] + k.to_bytes(48, "big")
        try:
            point = G2Point.from_compressed_bytes_unchecked(encoded)
        except ValueError:
            found.append((encoded, None))
        else:
            found.append((encoded, point.is_in_subgroup()))
    return found


def _with_public(values: list[int]) -> bytes:
    return b"".join(value.to_bytes(32, "little") for value in values)


def test_the_ceremony_proof_verifies() -> None:
    groth16.verify(KEY, PUBLIC, PROOF)  # returns None, raises a ProofRefused otherwise
    groth16.verify(VK_BYTES, PUBLIC, PROOF)


def test_sizes_and_the_committed_key_bytes_are_the_json_key() -> None:
    assert len(PROOF) == 192
    assert len(PUBLIC) == 64
    assert KEY.n_public == 2
    assert len(VK_BYTES) == 340 + 48 * 3
    assert groth16.verifying_key_from_snarkjs(VK_JSON) == VK_BYTES


def test_public_inputs_are_the_statement() -> None:
    # range_product: public signals [total, price], total = amount · price.
    total, price = (int(value) for value in PUBLIC_JSON)
    assert total == 1234567 * price
    assert groth16.decode_public_inputs(PUBLIC) == (total, price)


@pytest.mark.parametrize("index", [0, 1])
@pytest.mark.parametrize("delta", [1, -1, CURVE_ORDER // 2])
def test_a_changed_public_input_fails_the_pairing_check(index: int, delta: int) -> None:
    values = [int(value) for value in PUBLIC_JSON]
    values[index] = (values[index] + delta) % CURVE_ORDER
    error = _refusal(groth16.verify, KEY, _with_public(values), PROOF)
    assert isinstance(error, ProofCheckFailed)
    assert error.reason == "pairing_check_failed"


def test_swapped_public_inputs_fail() -> None:
    values = [int(value) for value in PUBLIC_JSON]
    error = _refusal(groth16.verify, KEY, _with_public(values[::-1]), PROOF)
    assert error.reason == "pairing_check_failed"


@pytest.mark.parametrize(("start", "end"), [(0, 48), (48, 144), (144, 192)])
def test_a_proof_point_replaced_by_another_valid_point_fails(start: int, end: int) -> None:
    point = G1Point() * Scalar(7) if end - start == 48 else G2Point() * Scalar(7)
    forged = PROOF[:start] + bytes(point.to_compressed_bytes()) + PROOF[end:]
    assert _refusal(groth16.verify, KEY, PUBLIC, forged).reason == "pairing_check_failed"


def test_a_proof_against_another_key_fails() -> None:
    other = groth16.decode_verifying_key(
        VK_BYTES[:-48] + bytes((G1Point() * Scalar(3)).to_compressed_bytes())
    )
    assert _refusal(groth16.verify, other, PUBLIC, PROOF).reason == "pairing_check_failed"


@pytest.mark.parametrize("start", [0, 144])
def test_a_g1_proof_point_off_the_curve_is_refused(start: int) -> None:
    forged = PROOF[:start] + _g1_off_curve() + PROOF[start + 48 :]
    error = _refusal(groth16.verify, KEY, PUBLIC, forged)
    assert isinstance(error, InvalidProofPoint)
    assert error.reason == "not_on_curve"


@pytest.mark.parametrize("start", [0, 144])
def test_a_g1_proof_point_outside_the_subgroup_is_refused(start: int) -> None:
    forged = PROOF[:start] + _g1_outside_subgroup() + PROOF[start + 48 :]
    assert _refusal(groth16.verify, KEY, PUBLIC, forged).reason == "not_in_subgroup"


def test_g2_proof_points_off_the_curve_or_outside_the_subgroup_are_refused() -> None:
    candidates = _g2_candidates()
    off_curve = next(encoded for encoded, in_group in candidates if in_group is None)
    outside = next(encoded for encoded, in_group in candidates if in_group is False)
    off_curve_proof = PROOF[:48] + off_curve + PROOF[144:]
    outside_proof = PROOF[:48] + outside + PROOF[144:]
    assert _refusal(groth16.verify, KEY, PUBLIC, off_curve_proof).reason == "not_on_curve"
    assert _refusal(groth16.verify, KEY, PUBLIC, outside_proof).reason == "not_in_subgroup"


def test_a_coordinate_not_below_p_is_refused() -> None:
    too_big = (FIELD_MODULUS + 1).to_bytes(48, "big")
    assert too_big[0] & 0xE0 == 0
    forged = bytes([too_big[0] | 0x80]) + too_big[1:] + PROOF[48:]
    error = _refusal(groth16.verify, KEY, PUBLIC, forged)
    assert isinstance(error, MalformedProofData)
    assert error.reason == "coordinate_out_of_range"
    g2_c0 = PROOF[:96] + FIELD_MODULUS.to_bytes(48, "big") + PROOF[144:]
    assert _refusal(groth16.verify, KEY, PUBLIC, g2_c0).reason == "coordinate_out_of_range"


@pytest.mark.parametrize(
    "first_byte",
    [0x00, 0x40, 0xE0, 0xD0],
    ids=["uncompressed", "infinity_without_compression", "infinity_with_sign", "infinity_with_x_bits"],
)
def test_bad_flag_bits_are_refused(first_byte: int) -> None:
    forged = bytes([first_byte]) + PROOF[1:]
    assert _refusal(groth16.verify, KEY, PUBLIC, forged).reason == "invalid_encoding"


def test_an_identity_with_trailing_bits_is_refused() -> None:
    forged = b"\xc0" + b"\x00" * 46 + b"\x01" + PROOF[48:]
    assert _refusal(groth16.verify, KEY, PUBLIC, forged).reason == "invalid_encoding"


@pytest.mark.parametrize("length", [0, 1, 191, 193, 384])
def test_a_proof_of_the_wrong_length_is_refused(length: int) -> None:
    forged = (PROOF * 2)[:length]
    assert _refusal(groth16.verify, KEY, PUBLIC, forged).reason == "wrong_length"


def test_public_input_count_and_range_are_checked() -> None:
    total, price = (int(value) for value in PUBLIC_JSON)
    error = _refusal(groth16.verify, KEY, _with_public([total]), PROOF)
    assert isinstance(error, InvalidPublicInputs)
    assert error.reason == "wrong_public_input_count"
    assert _refusal(groth16.verify, KEY, _with_public([total, price, 0]), PROOF).reason == (
        "wrong_public_input_count"
    )
    assert _refusal(groth16.verify, KEY, PUBLIC + b"\x00", PROOF).reason == "wrong_length"
    # total + r is the same field element: a verifier that reduced instead of refusing would accept it.
    assert _refusal(groth16.verify, KEY, _with_public([total + CURVE_ORDER, price]), PROOF).reason == (
        "public_input_out_of_range"
    )
    with pytest.raises(InvalidPublicInputs):
        groth16.encode_public_inputs([CURVE_ORDER])


def test_non_bytes_are_refused() -> None:
    assert _refusal(groth16.verify, KEY, PUBLIC, "00" * 192).reason == "not_bytes"
    assert _refusal(groth16.verify, KEY, None, PROOF).reason == "not_bytes"
    assert _refusal(groth16.verify, 12, PUBLIC, PROOF).reason == "not_bytes"


def test_a_key_with_an_identity_or_a_wrong_count_is_refused() -> None:
    identity_g2 = b"\xc0" + b"\x00" * 95
    for start in (48, 144, 240):
        forged = VK_BYTES[:start] + identity_g2 + VK_BYTES[start + 96 :]
        assert _refusal(groth16.decode_verifying_key, forged).reason == "infinity"
    assert _refusal(groth16.decode_verifying_key, b"\xc0" + b"\x00" * 47 + VK_BYTES[48:]).reason == "infinity"
    recounted = VK_BYTES[:336] + (3).to_bytes(4, "little") + VK_BYTES[340:]
    assert _refusal(groth16.decode_verifying_key, recounted).reason == "wrong_length"
    huge = VK_BYTES[:336] + (2**32 - 1).to_bytes(4, "little") + VK_BYTES[340:]
    assert _refusal(groth16.decode_verifying_key, huge).reason == "wrong_length"


def test_snarkjs_json_of_the_wrong_shape_is_refused() -> None:
    assert _refusal(groth16.proof_from_snarkjs, [1, 2]).reason == "invalid_json"
    assert _refusal(groth16.proof_from_snarkjs, {**PROOF_JSON, "curve": "bn128"}).reason == "invalid_json"
    assert _refusal(groth16.proof_from_snarkjs, {**PROOF_JSON, "pi_a": ["1", "2"]}).reason == "invalid_json"
    assert _refusal(groth16.proof_from_snarkjs, {**PROOF_JSON, "pi_a": ["-1", "2", "1"]}).reason == (
        "invalid_json"
    )
    assert _refusal(groth16.proof_from_snarkjs, {**PROOF_JSON, "pi_a": ["1", "1", "1"]}).reason == (
        "not_on_curve"
    )
    p_json = [str(FIELD_MODULUS), "1", "1"]
    assert _refusal(groth16.proof_from_snarkjs, {**PROOF_JSON, "pi_c": p_json}).reason == (
        "coordinate_out_of_range"
    )
    assert _refusal(groth16.public_inputs_from_snarkjs, ["1_000"]).reason == "invalid_json"
    assert _refusal(groth16.public_inputs_from_snarkjs, [str(CURVE_ORDER)]).reason == (
        "public_input_out_of_range"
    )
    assert _refusal(groth16.verifying_key_from_snarkjs, {**VK_JSON, "nPublic": 3}).reason == "invalid_json"


def test_ten_thousand_random_byte_strings_get_only_typed_refusals() -> None:
    rng = random.Random(17)  # noqa: S311 - seeded test data, not keys
    lengths = [0, 1, 31, 32, 47, 48, 64, 96, 191, 192, 193, 340, 388, 436, 484, 532]
    refusals: dict[str, int] = {}
    for case in range(10_000):
        length = rng.choice(lengths) if rng.random() < 0.7 else rng.randrange(0, 600)
        data = bytearray(rng.randbytes(length))
        if data and rng.random() < 0.5:
            data[0] = (data[0] & 0x1F) | 0x80  # a compressed point's flags, to reach deeper checks
        blob = bytes(data)
        target = rng.randrange(4)
        try:
            if target == 0:
                groth16.verify(KEY, PUBLIC, blob)
            elif target == 1:
                groth16.verify(KEY, blob, PROOF)
            elif target == 2:
                groth16.verify(blob, PUBLIC, PROOF)
            else:
                groth16.verify(blob, blob, blob)
        except ProofRefused as error:
            refusals[error.reason] = refusals.get(error.reason, 0) + 1
        else:
            pytest.fail(f"random bytes accepted: case {case}")
    assert sum(refusals.values()) == 10_000
    # the fuzz reached the curve checks and the pairing, not just the length checks
    assert {"wrong_length", "invalid_encoding", "not_on_curve", "not_in_subgroup"} <= set(refusals)
    assert {"coordinate_out_of_range", "pairing_check_failed", "public_input_out_of_range"} <= set(refusals)


SNARKJS: Final = CIRCUITS / "node_modules" / ".bin" / "snarkjs"


@pytest.mark.skipif(
    not SNARKJS.exists() or shutil.which("node") is None,
    reason="snarkjs is not installed: run make circuits",
)
def test_fresh_snarkjs_proofs_verify(tmp_path: Path) -> None:
    rng = random.Random(3)  # noqa: S311 - seeded test data, not keys
    for _ in range(2):
        amount, price = rng.randrange(2**64), rng.randrange(2**64)
        (tmp_path / "input.json").write_text(json.dumps({"amount": str(amount), "price": str(price)}))
        subprocess.run(  # noqa: S603 - fixed local tool, arguments are paths we made
            [SNARKJS, "wtns", "calculate", CIRCUITS / "build" / "range_product.wasm", "input.json", "w.wtns"],
            cwd=tmp_path,
            check=True,
            capture_output=True,
        )
        subprocess.run(  # noqa: S603
            [
                SNARKJS,
                "groth16",
                "prove",
                CIRCUITS / "ceremony" / "range_product.zkey",
                "w.wtns",
                "p.json",
                "x.json",
            ],
            cwd=tmp_path,
            check=True,
            capture_output=True,
        )
        proof = groth16.proof_from_snarkjs(json.loads((tmp_path / "p.json").read_text()))
        public = groth16.public_inputs_from_snarkjs(json.loads((tmp_path / "x.json").read_text()))
        assert groth16.decode_public_inputs(public) == (amount * price, price)
        groth16.verify(KEY, public, proof)
        with pytest.raises(ProofCheckFailed):
            groth16.verify(KEY, _with_public([amount * price + 1, price]), proof)
    # an amount of 65 bits has no witness: the circuit's range check rejects it
    (tmp_path / "input.json").write_text(json.dumps({"amount": str(2**64), "price": "3"}))
    result = subprocess.run(  # noqa: S603
        [SNARKJS, "wtns", "calculate", CIRCUITS / "build" / "range_product.wasm", "input.json", "w.wtns"],
        cwd=tmp_path,
        capture_output=True,
        check=False,
    )
    assert result.returncode != 0 or b"Error" in result.stdout + result.stderr
