"""Jubjub, the twisted Edwards curve over the BLS12-381 scalar field, as Dusk uses it.

A pure-Python reference: exact, variable-time (no constant-time guarantees; never use it where
timing leaks a secret to an observer), no randomness of its own.

Curve (Hopwood, Bowe et al., zkcrypto/jubjub; reference ``dusk-protocol.md`` §8)::

    -x² + y² = 1 + d·x²·y²   over F_q,   a = -1,   d = -(10240/10241)

- ``Q``: the base field, BLS12-381's scalar field (255 bits). Coordinates are ints in ``[0, Q)``.
- ``R_J``: the order of the prime-order subgroup (252 bits); the group has order ``8·R_J``
  (``COFACTOR`` = 8). Scalars of the subgroup (Dusk's ``JubJubScalar``) are ints in ``[0, R_J)``.
- ``D``: the curve constant; it is not a square in F_q, so the addition law used here
  (Hisil-Wong-Carter-Dawson 2008, extended coordinates, a = -1) is complete: it holds for every
  pair of points on the curve, doubling and the identity included.

Points are :class:`Point`, immutable, held in extended coordinates ``(X:Y:Z:T)`` with
``x = X/Z``, ``y = Y/Z``, ``x·y = T/Z``; :meth:`Point.affine` gives ``(x, y)``.

Encoding (zcash/Dusk, 32 bytes): ``y`` little-endian, with the low bit of ``x`` (its "sign") in
the top bit of the last byte. :meth:`Point.from_bytes` refuses a ``y`` ≥ Q, a point off the
curve, ``x = 0`` with the sign bit set (ZIP 216) and, unless told otherwise, a point outside the
prime-order subgroup, which is what Dusk's ``JubJubAffine::from_bytes`` does.

Sources (read 2026-08, cited by commit):

- zkcrypto/jubjub ``src/lib.rs`` at ec9aa2fd6e57cbe9647c96a8304c65396da2fcd3: ``EDWARDS_D``,
  the encoding (``to_bytes``/``from_bytes_inner``), ``FR_MODULUS_BYTES``; ``src/fr.rs``:
  ``MODULUS`` (R_J).
- dusk-network/jubjub ``src/dusk.rs`` at 09fde8ba03f896376dfe9b6bb3382684e06b925c (dusk-jubjub
  0.15.2): ``GENERATOR``, ``GENERATOR_NUMS`` and the subgroup check in ``from_bytes``.

Errors: :class:`~chain.crypto.exceptions.InvalidPoint` (reasons ``not_bytes``,
``wrong_length``, ``non_canonical``, ``not_on_curve``, ``not_in_subgroup``) and
:class:`~chain.crypto.exceptions.InvalidScalar` (``not_int``, ``scalar_out_of_range``,
``not_bytes``, ``wrong_length``).
"""

from __future__ import annotations

from typing import Final

from chain.crypto.exceptions import CryptoError, InvalidPoint, InvalidScalar

#: The base field modulus: BLS12-381's scalar field ``r`` (Dusk's ``BlsScalar``).
Q: Final = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001
#: The order of Jubjub's prime-order subgroup (zkcrypto/jubjub ``src/fr.rs`` ``MODULUS``).
R_J: Final = 0x0E7DB4EA6533AFA906673B0101343B00A6682093CCC81082D0970E5ED6F72CB7
#: The group has ``COFACTOR · R_J`` points.
COFACTOR: Final = 8
#: ``a`` of the twisted Edwards equation.
A: Final = Q - 1
#: ``d = -(10240/10241) mod Q`` (zkcrypto/jubjub ``EDWARDS_D``).
D: Final = (-10240 * pow(10241, -1, Q)) % Q
_D2: Final = 2 * D % Q

#: Encoded size of a point and of a scalar, in bytes.
POINT_SIZE: Final = 32
SCALAR_SIZE: Final = 32

# Tonelli-Shanks over F_Q: Q - 1 = 2^32 · _T_ODD; 7 is a quadratic non-residue (and F_Q*'s
# usual multiplicative generator).
_TWO_ADICITY: Final = 32
_T_ODD: Final = (Q - 1) >> _TWO_ADICITY
_NON_RESIDUE: Final = 7
_SIGN_BIT: Final = 1 << 255


def _sqrt(a: int) -> int | None:
    """A square root of ``a`` in F_Q (either of the two), or ``None`` if ``a`` is not a square."""
    if a == 0:
        return 0
    if pow(a, (Q - 1) >> 1, Q) != 1:
        return None
    m = _TWO_ADICITY
    c = pow(_NON_RESIDUE, _T_ODD, Q)
    t = pow(a, _T_ODD, Q)
    root = pow(a, (_T_ODD + 1) >> 1, Q)
    while t != 1:
        i, t2 = 1, t * t % Q
        while t2 != 1:
            t2 = t2 * t2 % Q
            i += 1
        b = pow(c, 1 << (m - i - 1), Q)
        m, c = i, b * b % Q
        t, root = t * c % Q, root * b % Q
    return root


def require_bytes(data: object, size: int, error: type[CryptoError], what: str) -> bytes:
    """``data`` as ``bytes`` if it is a bytes-like object of exactly ``size`` bytes; else
    ``error`` (any :class:`CryptoError`) with reason ``not_bytes`` or ``wrong_length``, the
    message naming ``what`` ("a Jubjub point", "a Phoenix note", ...). The one length check of
    the ``chain.crypto`` decoders of Jubjub-based encodings (points, scalars, Schnorr, Phoenix)."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise error(f"{what} must be bytes, got {type(data).__name__}", reason="not_bytes")
    raw = bytes(data)
    if len(raw) != size:
        raise error(f"{what} is {size} bytes, not {len(raw)}", reason="wrong_length")
    return raw


class Point:
    """A point of Jubjub (any point of the curve, not only of the subgroup), immutable.

    Build one with :meth:`from_affine`, :meth:`from_bytes`, :meth:`identity` or from the
    generators; combine with ``+``, ``-``, unary ``-``, :meth:`double` and ``k * P`` / ``P * k``
    for an ``int`` ``k`` (any sign; the integer is used as given, not reduced mod ``R_J``, so
    that it is also right for points outside the subgroup). ``==`` compares the points, not their
    coordinates' representation, and ``hash`` agrees with it.
    """

    __slots__ = ("_t", "_x", "_y", "_z")

    _x: int
    _y: int
    _z: int
    _t: int

    def __init__(self, x: int, y: int, z: int, t: int) -> None:
        """Unchecked extended coordinates; use :meth:`from_affine` for checked input."""
        object.__setattr__(self, "_x", x)
        object.__setattr__(self, "_y", y)
        object.__setattr__(self, "_z", z)
        object.__setattr__(self, "_t", t)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Point is immutable")

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def identity(cls) -> Point:
        """The neutral element ``(0, 1)``."""
        return cls(0, 1, 1, 0)

    @classmethod
    def from_affine(cls, x: int, y: int) -> Point:
        """The point ``(x, y)``; both ints in ``[0, Q)``.

        Raises :class:`InvalidPoint`: ``non_canonical`` for a coordinate outside ``[0, Q)`` (or
        not an int), ``not_on_curve`` if ``-x² + y² ≠ 1 + d·x²·y²``. No subgroup check.
        """
        for name, value in (("x", x), ("y", y)):
            if type(value) is not int or not 0 <= value < Q:
                raise InvalidPoint(f"{name} is not an integer in [0, Q)", reason="non_canonical")
        xx, yy = x * x % Q, y * y % Q
        if (yy - xx - 1 - D * xx % Q * yy) % Q != 0:
            raise InvalidPoint("(x, y) is not on Jubjub", reason="not_on_curve")
        return cls(x, y, 1, x * y % Q)

    @classmethod
    def from_bytes(cls, data: bytes, *, subgroup: bool = True) -> Point:
        """Decode the 32-byte compressed form (see the module docstring).

        With ``subgroup=True`` (the default, Dusk's ``JubJubAffine::from_bytes``) a point of the
        curve outside the prime-order subgroup is refused; with ``subgroup=False`` any point of the
        curve is accepted (zkcrypto's ``AffinePoint::from_bytes``). The identity is in the
        subgroup and decodes either way.

        Raises :class:`InvalidPoint` with reason ``not_bytes``, ``wrong_length``,
        ``non_canonical`` (``y ≥ Q``, or ``x = 0`` with the sign bit set: ZIP 216),
        ``not_on_curve`` (no ``x`` for this ``y``) or ``not_in_subgroup``.
        """
        raw = require_bytes(data, POINT_SIZE, InvalidPoint, "a Jubjub point")
        word = int.from_bytes(raw, "little")
        sign, y = word >> 255, word & (_SIGN_BIT - 1)
        if y >= Q:
            raise InvalidPoint("y is not below the field modulus", reason="non_canonical")
        yy = y * y % Q
        # x² = (y² - 1) / (1 + d·y²); the denominator is never 0 because -1/d is not a square.
        x = _sqrt((yy - 1) * pow(1 + D * yy, -1, Q) % Q)
        if x is None:
            raise InvalidPoint("no point of Jubjub has this y", reason="not_on_curve")
        if x == 0 and sign:
            raise InvalidPoint("x = 0 with the sign bit set (ZIP 216)", reason="non_canonical")
        if x & 1 != sign:
            x = Q - x
        point = cls(x, y, 1, x * y % Q)
        if subgroup and not point.is_torsion_free():
            raise InvalidPoint("point outside the prime-order subgroup", reason="not_in_subgroup")
        return point

    # -- views --------------------------------------------------------------------------------

    def affine(self) -> tuple[int, int]:
        """``(x, y)``, each an int in ``[0, Q)`` (one field inversion)."""
        z_inv = pow(self._z, -1, Q)
        return self._x * z_inv % Q, self._y * z_inv % Q

    def to_bytes(self) -> bytes:
        """The 32-byte compressed form: ``y`` little-endian, ``x``'s low bit in bit 255."""
        x, y = self.affine()
        return ((x & 1) << 255 | y).to_bytes(POINT_SIZE, "little")

    def __repr__(self) -> str:
        x, y = self.affine()
        return f"Point(x={x:#066x}, y={y:#066x})"

    # -- predicates ---------------------------------------------------------------------------

    def is_identity(self) -> bool:
        """Whether this is ``(0, 1)``."""
        return self._x == 0 and self._y == self._z

    def is_on_curve(self) -> bool:
        """Whether the coordinates satisfy the curve equation and ``T·Z = X·Y`` (always true
        for points built through the checked constructors)."""
        x, y, z, t = self._x, self._y, self._z, self._t
        if z % Q == 0:
            return False
        xx, yy, zz = x * x % Q, y * y % Q, z * z % Q
        return (yy - xx) * zz % Q == (zz * zz + D * xx % Q * yy) % Q and t * z % Q == x * y % Q

    def is_small_order(self) -> bool:
        """Whether ``[8]P`` is the identity (``P`` is one of the 8 torsion points)."""
        return self.mul_by_cofactor().is_identity()

    def is_torsion_free(self) -> bool:
        """Whether ``[R_J]P`` is the identity, i.e. ``P`` is in the prime-order subgroup."""
        return (self * R_J).is_identity()

    def is_prime_order(self) -> bool:
        """Whether ``P`` is in the prime-order subgroup and is not the identity (Dusk's
        ``is_prime_order``): such a point generates the subgroup."""
        return not self.is_identity() and self.is_torsion_free()

    # -- group law ----------------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Point):
            return NotImplemented
        return (self._x * other._z - other._x * self._z) % Q == 0 and (
            self._y * other._z - other._y * self._z
        ) % Q == 0

    def __hash__(self) -> int:
        return hash(self.affine())

    def __add__(self, other: Point) -> Point:
        """``P + Q`` (add-2008-hwcd-3 with ``k = 2d``; complete on Jubjub)."""
        if not isinstance(other, Point):
            return NotImplemented
        x1, y1, z1, t1 = self._x, self._y, self._z, self._t
        x2, y2, z2, t2 = other._x, other._y, other._z, other._t
        a = (y1 - x1) * (y2 - x2) % Q
        b = (y1 + x1) * (y2 + x2) % Q
        c = t1 * _D2 % Q * t2 % Q
        dd = 2 * z1 * z2 % Q
        e, f, g, h = b - a, dd - c, dd + c, b + a
        return Point(e * f % Q, g * h % Q, f * g % Q, e * h % Q)

    def __neg__(self) -> Point:
        return Point((Q - self._x) % Q, self._y, self._z, (Q - self._t) % Q)

    def __sub__(self, other: Point) -> Point:
        if not isinstance(other, Point):
            return NotImplemented
        return self + (-other)

    def double(self) -> Point:
        """``[2]P`` (dbl-2008-hwcd with a = -1)."""
        x, y, z = self._x, self._y, self._z
        a, b = x * x % Q, y * y % Q
        c = 2 * z * z % Q
        e = ((x + y) * (x + y) - a - b) % Q
        g = b - a  # D + B with D = a·A = -A
        f = g - c
        h = -a - b
        return Point(e * f % Q, g * h % Q, f * g % Q, e * h % Q)

    def mul_by_cofactor(self) -> Point:
        """``[8]P``."""
        return self.double().double().double()

    def __mul__(self, scalar: int) -> Point:
        """``[k]P`` for an int ``k`` (4-bit fixed window, variable time).

        Raises :class:`InvalidScalar` (``not_int``) for anything but an int (bools refused).
        """
        if type(scalar) is not int:
            raise InvalidScalar(f"a scalar must be an int, got {type(scalar).__name__}", reason="not_int")
        if scalar < 0:
            return (-self) * -scalar
        table = [Point.identity(), self]
        for _ in range(14):
            table.append(table[-1] + self)
        acc = Point.identity()
        for shift in range((scalar.bit_length() + 3) & ~3, 0, -4):
            acc = acc.double().double().double().double()
            nibble = (scalar >> (shift - 4)) & 15
            if nibble:
                acc = acc + table[nibble]
        return acc

    __rmul__ = __mul__


def scalar_from_bytes(data: bytes) -> int:
    """A scalar of the subgroup from its 32-byte little-endian canonical form (Dusk's
    ``JubJubScalar::from_bytes``).

    Raises :class:`InvalidScalar`: ``not_bytes``, ``wrong_length``, ``scalar_out_of_range``
    (value ≥ ``R_J``).
    """
    raw = require_bytes(data, SCALAR_SIZE, InvalidScalar, "a Jubjub scalar")
    value = int.from_bytes(raw, "little")
    if value >= R_J:
        raise InvalidScalar("scalar is not below R_J", reason="scalar_out_of_range")
    return value


def scalar_to_bytes(scalar: int) -> bytes:
    """The 32-byte little-endian form of a scalar in ``[0, R_J)``.

    Raises :class:`InvalidScalar`: ``not_int``, ``scalar_out_of_range``.
    """
    return check_scalar(scalar).to_bytes(SCALAR_SIZE, "little")


def check_scalar(scalar: object, *, name: str = "scalar") -> int:
    """``scalar`` itself if it is an int in ``[0, R_J)``.

    Raises :class:`InvalidScalar`: ``not_int`` (bools refused), ``scalar_out_of_range``.
    """
    if type(scalar) is not int:
        raise InvalidScalar(f"{name} must be an int, got {type(scalar).__name__}", reason="not_int")
    if not 0 <= scalar < R_J:
        raise InvalidScalar(f"{name} is not in [0, R_J)", reason="scalar_out_of_range")
    return scalar


#: Dusk's ``GENERATOR`` (dusk-network/jubjub ``src/dusk.rs`` at
#: 09fde8ba03f896376dfe9b6bb3382684e06b925c): of prime order ``R_J``.
GENERATOR: Final = Point.from_affine(
    0x3FD2814C43AC65A6F1FBF02D0FD6CCE62E3EBB21FD6C54ED4DF7B7FFEC7BEACA,
    0x0000000000000000000000000000000000000000000000000000000000000012,
)

#: Dusk's ``GENERATOR_NUMS`` (G', same file and commit): the first point of prime order met by
#: hashing ``GENERATOR.to_bytes() ‖ counter`` (u64 little-endian) with BLAKE2b-512 and decoding
#: the first 32 bytes, at ``counter = 18``; so no discrete logarithm to ``GENERATOR`` is known.
GENERATOR_NUMS: Final = Point.from_affine(
    0x5E67B8F316F414F7BD9514C773FD4456931E316A39FE4541921710179DF76377,
    0x43D80EB3B2F3EB1B7B162DBEEB3B34FD9949BA0F82A5507A6705B707162E3EF8,
)
