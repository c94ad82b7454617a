"""Where the Ethereum BLS vectors live and how to read them (never copied into the repo).

The vectors are github.com/ethereum/bls12-381-tests at commit
006855c56cb6491ee19b4aedfddb806aaeacb1db, generated as described in
``shared/vectors/README.md``. They are read in place from ``../shared`` beside the repository
root, so a CI clone of ``main`` with ``shared`` next to it finds them; without it the tests
that need them skip with a message.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final, cast

import pytest

from chain.types.primitives import BlsPublicKey, BlsSecretKey, BlsSignature

REPO_ROOT: Final = Path(__file__).resolve().parents[4]
VECTOR_ROOT: Final = REPO_ROOT.parent / "shared" / "vectors" / "bls" / "ethereum-bls12-381-tests"

EXPECTED_FILE_COUNTS: Final = {
    "sign": 10,
    "verify": 29,
    "aggregate": 6,
    "fast_aggregate_verify": 12,
    "aggregate_verify": 5,
    "batch_verify": 4,
    "hash_to_G2": 4,
    "deserialization_G1": 16,
    "deserialization_G2": 18,
}
"""Files per directory, from ``shared/vectors/README.md`` (104 in all)."""

HASH_TO_G2_DST: Final = b"QUUX-V01-CS02-with-BLS12381G2_XMD:SHA-256_SSWU_RO_"
"""The DST of the ``hash_to_G2`` files: RFC 9380 appendix J.10.1 (not stored in the files)."""

MISSING: Final = f"BLS vectors not found at {VECTOR_ROOT} (clone shared/ beside the repository)"


def vector_files(kind: str) -> list[Any]:
    """One ``pytest.param`` per JSON file of ``kind``, or one skipped param if absent."""
    folder = VECTOR_ROOT / kind
    if not folder.is_dir():
        return [pytest.param(None, id=f"{kind}-absent", marks=pytest.mark.skip(reason=MISSING))]
    return [pytest.param(path, id=path.stem) for path in sorted(folder.glob("*.json"))]


def load(path: Path) -> dict[str, Any]:
    """The ``{"input": ..., "output": ...}`` object of one vector file."""
    return cast(dict[str, Any], json.loads(path.read_text(encoding="utf-8")))


def raw(text: str) -> bytes:
    """Bytes from the vectors' ``0x``-prefixed hex."""
    return bytes.fromhex(text.removeprefix("0x"))


# Wire bytes are passed as the newtypes without the newtypes' length check, on purpose:
# the vectors include wrong lengths, and the backends must reject them themselves.
def pk(text: str) -> BlsPublicKey:
    return cast(BlsPublicKey, raw(text))


def sig(text: str) -> BlsSignature:
    return cast(BlsSignature, raw(text))


def sk(text: str) -> BlsSecretKey:
    return cast(BlsSecretKey, raw(text))


def fp2(text: str) -> tuple[int, int]:
    """``"0x<c0>,0x<c1>"`` as ``(c0, c1)``."""
    c0, c1 = text.split(",")
    return int(c0, 16), int(c1, 16)
