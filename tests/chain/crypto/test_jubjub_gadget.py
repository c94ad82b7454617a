"""The circom Jubjub gadgets (circuits/src/jubjub.circom) against chain.crypto.jubjub.

``jubjub_ops`` (circuits/src/jubjub_ops.circom) exposes every gadget at once: p + q, [2]p,
[k]G, [k]G' (fixed-base, Dusk's GENERATOR and GENERATOR_NUMS), [k]p (variable base) for a
252-bit k, the on-curve check of p and q and the prime-order check of s. Its witness, computed
by ``snarkjs wtns calculate`` for seeded random inputs and edge cases, must hold the reference's
values; inputs off the curve (p, q) or outside the prime-order subgroup (s) must make the
witness generator refuse. The generated constants are compared with a fresh render.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Final

import pytest

from chain.crypto.exceptions import InvalidPoint
from chain.crypto.jubjub import GENERATOR, GENERATOR_NUMS, R_J, Point, Q
from chain.tools import jubjub_circom
from tests.chain.crypto.circuit_witness import CIRCUITS, WitnessFailed, needs_snarkjs, r1cs_header, witness

OUTPUTS: Final = 10
IDENTITY: Final = Point.identity()
#: (0, -1): the point of order 2. Added to a subgroup point it gives a point outside the subgroup.
ORDER_TWO: Final = Point.from_affine(0, Q - 1)


def _order_eight() -> Point:
    """A point of order 8: the torsion part [r_J]P of the first curve point P (by y = 2, 3, …)
    whose torsion part has order 8."""
    for y in range(2, 1000):
        try:
            point = Point.from_bytes(y.to_bytes(32, "little"), subgroup=False)
        except InvalidPoint:
            continue
        torsion = point * R_J
        if not torsion.double().double().is_identity():
            return torsion
    raise AssertionError("no point of order 8 found")


ORDER_EIGHT: Final = _order_eight()


def _ops(tmp_path: Path, p: Point, q: Point, k: int, s: Point = GENERATOR) -> list[tuple[int, int]]:
    """jubjub_ops's five output points for (p, q, k, s)."""
    values = witness(
        tmp_path,
        "jubjub_ops",
        {"p": list(p.affine()), "q": list(q.affine()), "k": k, "s": list(s.affine())},
    )
    outputs = values[1 : 1 + OUTPUTS]
    return [(outputs[i], outputs[i + 1]) for i in range(0, OUTPUTS, 2)]


def _expected(p: Point, q: Point, k: int) -> list[tuple[int, int]]:
    return [
        (p + q).affine(),
        p.double().affine(),
        (GENERATOR * k).affine(),
        (GENERATOR_NUMS * k).affine(),
        (p * k).affine(),
    ]


def test_committed_constants_are_the_reference() -> None:
    assert (CIRCUITS / "src" / "jubjub_constants.circom").read_text() == jubjub_circom.render()


def test_table_rows_are_multiples_of_the_generators() -> None:
    """Entry [i][k] is [k·8^i]·base, checked with the reference's own multiplication."""
    for base in (GENERATOR, GENERATOR_NUMS):
        table = jubjub_circom.base_table(base)
        assert len(table) == jubjub_circom.WINDOWS
        assert len(table[0]) == 8
        for i in (0, 1, 41, 83):
            for k in (0, 1, 5, 7):
                assert table[i][k] == (base * (k * 8**i)).affine()


def test_constraint_count() -> None:
    """2×3 on-curve, 6 add, 5 double, 252 + 1 bits, 2×750 fixed-base, 2,767 variable-base
    (252 bits), 19 prime-order: 4,556."""
    assert r1cs_header("jubjub_ops")[1:] == (OUTPUTS, 0, 7, 4556)


@needs_snarkjs
def test_random_points_and_scalars_match_the_reference(tmp_path: Path) -> None:
    rng = random.Random(2017)  # noqa: S311 - seeded test data, not keys
    for _ in range(4):
        p = GENERATOR * rng.randrange(R_J)
        q = GENERATOR_NUMS * rng.randrange(R_J) + ORDER_TWO  # outside the subgroup: any curve point works
        k = rng.randrange(1 << 252)
        assert _ops(tmp_path, p, q, k) == _expected(p, q, k)


@needs_snarkjs
@pytest.mark.parametrize(
    ("p", "q", "k"),
    [
        (IDENTITY, IDENTITY, 0),
        (GENERATOR, GENERATOR, 1),  # p + q is a doubling through the addition gadget
        (GENERATOR, -GENERATOR, R_J),  # p + (-p) = O; [r_J]G = O
        (ORDER_TWO, GENERATOR, (1 << 252) - 1),  # every bit set; a point of order 2
        (GENERATOR_NUMS + ORDER_EIGHT, ORDER_EIGHT, R_J - 1),
    ],
)
def test_edge_cases_match_the_reference(tmp_path: Path, p: Point, q: Point, k: int) -> None:
    assert _ops(tmp_path, p, q, k) == _expected(p, q, k)


@needs_snarkjs
@pytest.mark.parametrize("which", ["p", "q"])
def test_an_off_curve_point_is_refused(tmp_path: Path, which: str) -> None:
    rng = random.Random(which)  # noqa: S311 - seeded test data, not keys
    x, y = (GENERATOR * rng.randrange(R_J)).affine()
    points = {"p": [x, y], "q": list(GENERATOR.affine())}
    points[which] = [x, (y + 1) % Q]
    with pytest.raises(WitnessFailed, match="JubjubOnCurve"):
        witness(tmp_path, "jubjub_ops", {**points, "k": 3, "s": list(GENERATOR.affine())})


@needs_snarkjs
@pytest.mark.parametrize(
    "s", [IDENTITY, ORDER_TWO, ORDER_EIGHT, GENERATOR + ORDER_TWO, GENERATOR * 12345 + ORDER_EIGHT]
)
def test_prime_order_check_refuses_outside_the_subgroup_and_the_identity(tmp_path: Path, s: Point) -> None:
    with pytest.raises(WitnessFailed):
        _ops(tmp_path, GENERATOR, GENERATOR, 1, s)


@needs_snarkjs
def test_prime_order_check_accepts_subgroup_points(tmp_path: Path) -> None:
    rng = random.Random(8)  # noqa: S311 - seeded test data, not keys
    for s in (GENERATOR, GENERATOR_NUMS, GENERATOR * rng.randrange(1, R_J)):
        assert _ops(tmp_path, GENERATOR, GENERATOR, 2, s)[2] == (GENERATOR * 2).affine()
