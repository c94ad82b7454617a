"""Poseidon as Dusk specifies it: the Hades252 permutation, the SAFE sponge and the Merkle hash.

Pure Python over the BLS12-381 scalar field (``MODULUS``, p below). Field elements are ``int``
in ``[0, p)``; their wire form is 32 bytes little-endian, canonical (``BlsScalar::to_bytes``).
Nothing here is a circuit gadget: this is the reference the chain and, later, circuits are
checked against.

Sources (dusk-protocol.md §2.3 note tree, §8 Poseidon/Hades252):

- github.com/dusk-network/Poseidon252 (crate ``dusk-poseidon`` 0.42.0-rc.0) at commit
  ``36993ece8884608bb0667074b4a5d6282be20aed``: ``src/hades.rs`` (parameters),
  ``src/hades/permutation.rs`` and ``permutation/scalar.rs`` (rounds), ``assets/HOWTO.md``
  (how ``arc.bin`` and ``mds.bin`` are generated), ``src/hash.rs`` (``Domain``, ``Hash``).
- github.com/dusk-network/safe (crate ``dusk-safe`` 0.3.0) at commit
  ``d3eddd1d20386705ab2b97724e7e597e59be6bd7``: ``src/sponge.rs`` and ``src/lib.rs``
  (``tag_input``, ``validate_io_pattern``).
- github.com/dusk-network/bls12_381 at commit ``4bbf3fabe57a14383e46b5754071e5af4e75587c``
  (before the domain argument of March 2026): ``src/scalar/dusk.rs`` ``hash_to_scalar``
  (BLAKE2b-512, read as a little-endian 512-bit integer, reduced mod p) and the ``&`` used by
  ``finalize_truncated``.
- github.com/dusk-network/merkle at commit ``3416f48f6e97d8098490af73fd49ec3785a517be``:
  ``poseidon-merkle/src/lib.rs`` (node hash = ``Hash::digest(Domain::Merkle4, children)``,
  ``EMPTY_SUBTREE`` hash 0) and ``dusk-merkle/src/node.rs`` (a node with no children is the
  empty subtree itself, never hashed).

Round count: 4 + 4 full rounds and **60** partial rounds, as the vectors and upstream (since
commit ``7de51fa``, 2024-04-16) have it; issue 17's text says 59, which is the older count.

The constants are derived at import as ``assets/HOWTO.md`` shows (SHA-512 chain from
``b"poseidon-for-plonk"``; a Cauchy matrix ``1 / (i + j + 5)``), not read from files. Upstream
writes each value's *Montgomery* limbs (``internal_repr``) to the asset and loads them back with
``BlsScalar::from_raw``, so the constants the permutation really uses are ``c * 2^256 mod p``;
this module uses those. The tests compare the derivation with ``arc.bin`` / ``mds.bin`` byte for
byte.
"""

from __future__ import annotations

import builtins
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from operator import add, mul
from typing import Final

from chain.crypto.exceptions import InvalidFieldElement, InvalidInput

MODULUS: Final = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001
"""p, the order of BLS12-381's prime-order subgroup (its scalar field); 255 bits."""

SCALAR_BYTES: Final = 32
"""Length of a field element's wire encoding (little-endian, canonical)."""

WIDTH: Final = 5
"""Hades252 state width in field elements: capacity 1 (``state[0]``) + rate 4."""

RATE: Final = WIDTH - 1

EMPTY_SUBTREE: Final = 0
"""The hash of an empty subtree in Dusk's Poseidon Merkle tree (``Item::EMPTY_SUBTREE``)."""

_MONTGOMERY_R: Final = pow(2, 256, MODULUS)
_MAX_CALL_LEN: Final = (1 << 31) - 1  # dusk-safe: 0 < len < 2^31
_TRUNCATION_MASK: Final = (1 << 250) - 1  # dusk-poseidon ``finalize_truncated``


# -- field elements ------------------------------------------------------------------------------


def check_element(value: object) -> int:
    """``value`` if it is an ``int`` in ``[0, p)``.

    Raises ``InvalidFieldElement`` (``not_int`` for anything else, ``bool`` included;
    ``out_of_range`` for a negative ``int`` or one ``>= p``): nothing is reduced silently.
    """
    if type(value) is not int:
        raise InvalidFieldElement(
            f"a field element must be an int, not {type(value).__name__}", reason="not_int"
        )
    if not 0 <= value < MODULUS:
        raise InvalidFieldElement("a field element must be in [0, p)", reason="out_of_range")
    return value


def check_elements(values: Iterable[object]) -> list[int]:
    """A list of checked field elements (see :func:`check_element`); all or nothing."""
    return [check_element(v) for v in values]


def scalar_from_bytes(data: bytes) -> int:
    """The field element encoded by 32 little-endian bytes (``BlsScalar::from_bytes``).

    Raises ``InvalidFieldElement``: ``not_bytes``, ``wrong_length`` (not exactly 32 bytes) or
    ``out_of_range`` (a non-canonical value ``>= p``).
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise InvalidFieldElement("a field element encoding must be bytes", reason="not_bytes")
    raw = bytes(data)
    if len(raw) != SCALAR_BYTES:
        raise InvalidFieldElement(
            f"a field element is {SCALAR_BYTES} bytes, not {len(raw)}", reason="wrong_length"
        )
    value = int.from_bytes(raw, "little")
    if value >= MODULUS:
        raise InvalidFieldElement("a field element encoding must be canonical (< p)", reason="out_of_range")
    return value


def scalar_to_bytes(value: int) -> bytes:
    """The 32-byte little-endian encoding of a field element (``BlsScalar::to_bytes``).

    Raises ``InvalidFieldElement`` as :func:`check_element`.
    """
    return check_element(value).to_bytes(SCALAR_BYTES, "little")


def hash_to_scalar(data: bytes) -> int:
    """Dusk's ``BlsScalar::hash_to_scalar`` without a domain: BLAKE2b-512 of ``data``, read as
    a little-endian 512-bit integer, reduced mod p."""
    return int.from_bytes(hashlib.blake2b(data, digest_size=64).digest(), "little") % MODULUS


# -- the permutation -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HadesParams:
    """One instance of the Hades/Poseidon permutation over the BLS12-381 scalar field, x^5 S-box.

    ``round_constants`` has ``full_rounds + partial_rounds`` rows of ``width`` elements (round r
    adds row r); ``mds`` is ``width`` x ``width``, row-major (``new[k] = sum_j mds[k][j] * s[j]``);
    ``partial_sbox_index`` is the element the S-box touches in partial rounds (Dusk: the last,
    4; the Poseidon authors' reference: the first, 0). Half the full rounds come first, half
    last. Raises ``InvalidInput`` (``wrong_width``) for inconsistent shapes and
    ``InvalidFieldElement`` for a constant outside ``[0, p)``.
    """

    width: int
    full_rounds: int
    partial_rounds: int
    round_constants: tuple[tuple[int, ...], ...]
    mds: tuple[tuple[int, ...], ...]
    partial_sbox_index: int

    def __post_init__(self) -> None:
        rounds = self.full_rounds + self.partial_rounds
        shapes_ok = (
            self.width >= 2
            and self.full_rounds >= 0
            and self.full_rounds % 2 == 0
            and self.partial_rounds >= 0
            and len(self.round_constants) == rounds
            and all(len(row) == self.width for row in self.round_constants)
            and len(self.mds) == self.width
            and all(len(row) == self.width for row in self.mds)
            and 0 <= self.partial_sbox_index < self.width
        )
        if not shapes_ok:
            raise InvalidInput("inconsistent Hades parameters", reason="wrong_width")
        for row in (*self.round_constants, *self.mds):
            check_elements(row)

    def __hash__(self) -> int:  # spelled out: the generated one would call this module's ``hash``
        return builtins.hash(
            (
                self.width,
                self.full_rounds,
                self.partial_rounds,
                self.round_constants,
                self.mds,
                self.partial_sbox_index,
            )
        )


def permute_with(params: HadesParams, state: Sequence[int]) -> tuple[int, ...]:
    """One Hades permutation of ``state`` (``params.width`` field elements) under ``params``.

    Each round adds its constants, applies x^5 to every element (full rounds) or to
    ``state[partial_sbox_index]`` (partial rounds), then multiplies by the MDS matrix. Returns a
    new tuple; ``state`` is not modified. Raises ``InvalidInput`` (``wrong_width``) or
    ``InvalidFieldElement``.
    """
    values = check_elements(state)
    if len(values) != params.width:
        raise InvalidInput(f"the state has {params.width} elements, not {len(values)}", reason="wrong_width")
    return _permute(params, values)


def _permute(params: HadesParams, s: list[int]) -> tuple[int, ...]:
    # Widths are checked by the callers (``map`` does not). Elements stay below a few multiples
    # of p between reductions and Python ints do not overflow, so constants are added
    # unreduced and each MDS row is reduced once.
    p = MODULUS
    mds = params.mds
    half = params.full_rounds // 2
    partial_end = half + params.partial_rounds
    i = params.partial_sbox_index
    for r, constants in enumerate(params.round_constants):
        s = list(map(add, s, constants))
        if half <= r < partial_end:
            s[i] = pow(s[i], 5, p)
        else:
            s = [pow(x, 5, p) for x in s]
        s = [sum(map(mul, row, s)) % p for row in mds]
    return tuple(s)


def derive_round_constants(count: int = 340) -> list[int]:
    """The round constants as ``assets/HOWTO.md`` generates them, in their canonical form.

    ``h_0 = b"poseidon-for-plonk"``, ``h_i = SHA-512(h_{i-1})``;
    ``c_i = (h_i as a little-endian 512-bit integer mod p) + c_{i-1}``, with ``c_0 = 1`` before
    the first. Upstream stores ``c_i * 2^256 mod p`` (see the module docstring); see
    :func:`encode_montgomery_le`.
    """
    digest = b"poseidon-for-plonk"
    previous = 1
    constants = []
    for _ in range(count):
        digest = hashlib.sha512(digest).digest()
        previous = (int.from_bytes(digest, "little") + previous) % MODULUS
        constants.append(previous)
    return constants


def derive_mds(width: int = WIDTH) -> list[list[int]]:
    """The Cauchy MDS matrix of ``assets/HOWTO.md``: ``M[i][j] = 1 / (x_i + y_j)`` with
    ``x_i = i`` and ``y_j = j + width``, in canonical form (stored in Montgomery form)."""
    return [[pow(i + j + width, -1, MODULUS) for j in range(width)] for i in range(width)]


def encode_montgomery_le(values: Iterable[int]) -> bytes:
    """What upstream writes for ``values`` (``internal_repr`` limbs, little-endian): each as
    ``v * 2^256 mod p`` in 32 little-endian bytes. Equal to ``arc.bin`` / ``mds.bin`` for the
    derived constants."""
    return b"".join((v * _MONTGOMERY_R % MODULUS).to_bytes(SCALAR_BYTES, "little") for v in values)


def _hades252() -> HadesParams:
    flat = [c * _MONTGOMERY_R % MODULUS for c in derive_round_constants()]
    return HadesParams(
        width=WIDTH,
        full_rounds=8,
        partial_rounds=60,
        round_constants=tuple(tuple(flat[r * WIDTH : (r + 1) * WIDTH]) for r in range(68)),
        mds=tuple(tuple(m * _MONTGOMERY_R % MODULUS for m in row) for row in derive_mds()),
        partial_sbox_index=WIDTH - 1,
    )


HADES252: Final = _hades252()
"""Dusk's Hades252: width 5, 4 + 4 full and 60 partial rounds, S-box on the last element in
partial rounds, 340 round constants and a 5 x 5 MDS as upstream's assets hold them."""


def permute(state: Sequence[int]) -> tuple[int, ...]:
    """Dusk's Hades252 permutation of 5 field elements (``ScalarPermutation::permute``).

    Returns a new 5-tuple. Raises ``InvalidInput`` (``wrong_width``) or ``InvalidFieldElement``.
    """
    return permute_with(HADES252, state)


# -- the SAFE sponge (dusk-safe) -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Absorb:
    """An io-pattern call: absorb ``length`` elements."""

    length: int

    def __hash__(self) -> int:  # spelled out: the generated one would call this module's ``hash``
        return builtins.hash(("Absorb", self.length))


@dataclass(frozen=True, slots=True)
class Squeeze:
    """An io-pattern call: squeeze ``length`` elements."""

    length: int

    def __hash__(self) -> int:  # spelled out: the generated one would call this module's ``hash``
        return builtins.hash(("Squeeze", self.length))


Call = Absorb | Squeeze


def _validate_io_pattern(pattern: Sequence[Call]) -> None:
    sensible = (
        len(pattern) > 0
        and isinstance(pattern[0], Absorb)
        and isinstance(pattern[-1], Squeeze)
        and all(isinstance(c, Absorb | Squeeze) for c in pattern)
        and all(type(c.length) is int and 0 < c.length <= _MAX_CALL_LEN for c in pattern)
    )
    if not sensible:
        raise InvalidInput(
            "an io-pattern starts with an absorb, ends with a squeeze, and every length is in (0, 2^31)",
            reason="invalid_io_pattern",
        )


def tag_input(pattern: Sequence[Call], domain_sep: int) -> bytes:
    """dusk-safe ``tag_input``: the bytes hashed into the sponge's tag.

    u32 words, big-endian: the first word starts at ``0x8000_0000``; consecutive absorbs are
    summed into one word ``0x8000_0000 + n`` (the first absorb is added to the initial word),
    consecutive squeezes into one word ``n``; then ``domain_sep`` as a big-endian u64.
    Raises ``InvalidInput`` (``invalid_io_pattern``) for a pattern that is not sensible or a
    ``domain_sep`` outside ``[0, 2^64)``.
    """
    _validate_io_pattern(pattern)
    if type(domain_sep) is not int and not isinstance(domain_sep, IntEnum):
        raise InvalidInput("a domain separator is an int", reason="invalid_io_pattern")
    if not 0 <= domain_sep < 1 << 64:
        raise InvalidInput("a domain separator is a u64", reason="invalid_io_pattern")
    absorb_mask = 0x8000_0000
    words = [absorb_mask]
    for call in pattern:
        previous_is_absorb = words[-1] & absorb_mask != 0
        if isinstance(call, Absorb) == previous_is_absorb:
            words[-1] += call.length
        elif isinstance(call, Absorb):
            words.append(absorb_mask + call.length)
        else:
            words.append(call.length)
    return b"".join(w.to_bytes(4, "big") for w in words) + int(domain_sep).to_bytes(8, "big")


class Sponge:
    """dusk-safe's SAFE sponge over Hades252: capacity 1 (``state[0]``), rate 4.

    ``Sponge(pattern, domain_sep)`` starts with ``state = [tag, 0, 0, 0, 0]`` where
    ``tag = hash_to_scalar(tag_input(pattern, domain_sep))``; ``tag=`` overrides it (Dusk's own
    sponge vectors fix it to 0). ``absorb`` adds each element to ``state[1 + pos]``, permuting
    first whenever the rate is full; ``squeeze`` permutes first after any absorb (or when the
    rate is used up) and reads ``state[1 + pos]``. Each call must be the next one of
    ``pattern`` with the same length; ``finish`` returns everything squeezed once the whole
    pattern has run.

    Errors: ``InvalidInput`` with ``invalid_io_pattern`` (at construction) or
    ``io_pattern_violation`` (a call off the pattern; the sponge is then spent and refuses
    every further call, as upstream zeroizes it); ``InvalidFieldElement`` for a bad element,
    which leaves the sponge as it was.
    """

    __slots__ = ("_state", "_pattern", "_io_count", "_pos_absorb", "_pos_squeeze", "_output", "_spent")

    def __init__(self, pattern: Sequence[Call], domain_sep: int, *, tag: int | None = None) -> None:
        encoded = tag_input(pattern, domain_sep)
        start = hash_to_scalar(encoded) if tag is None else check_element(tag)
        self._state = [start] + [0] * RATE
        self._pattern = tuple(pattern)
        self._io_count = 0
        self._pos_absorb = 0
        self._pos_squeeze = 0
        self._output: list[int] = []
        self._spent = False

    def _expect(self, kind: type[Absorb] | type[Squeeze], length: int) -> None:
        expected = self._pattern[self._io_count] if self._io_count < len(self._pattern) else None
        if self._spent or expected is None or type(expected) is not kind or expected.length != length:
            self._spent = True
            self._state = [0] * WIDTH
            self._output = []
            raise InvalidInput(
                f"{kind.__name__}({length}) is not the next call of the io-pattern",
                reason="io_pattern_violation",
            )

    def absorb(self, elements: Sequence[int]) -> None:
        """Absorb ``elements`` (one ``Absorb(len(elements))`` call of the pattern)."""
        values = check_elements(elements)
        self._expect(Absorb, len(values))
        state = self._state
        for value in values:
            if self._pos_absorb == RATE:
                state = list(_permute(HADES252, state))
                self._pos_absorb = 0
            state[self._pos_absorb + 1] = (state[self._pos_absorb + 1] + value) % MODULUS
            self._pos_absorb += 1
        self._state = state
        self._pos_squeeze = RATE
        self._io_count += 1

    def squeeze(self, count: int) -> None:
        """Squeeze ``count`` elements into the output (one ``Squeeze(count)`` call)."""
        self._expect(Squeeze, count)
        for _ in range(count):
            if self._pos_squeeze == RATE:
                self._state = list(_permute(HADES252, self._state))
                self._pos_squeeze = 0
                self._pos_absorb = 0
            self._output.append(self._state[self._pos_squeeze + 1])
            self._pos_squeeze += 1
        self._io_count += 1

    def finish(self) -> list[int]:
        """Everything squeezed, once the whole pattern has run; raises ``InvalidInput``
        (``io_pattern_violation``) otherwise. The sponge is spent afterwards."""
        if self._spent or self._io_count != len(self._pattern):
            self._spent = True
            raise InvalidInput("the io-pattern has not run to its end", reason="io_pattern_violation")
        output = self._output
        self._spent = True
        self._state = [0] * WIDTH
        self._output = []
        return output


# -- Dusk's Hash (dusk-poseidon src/hash.rs) -----------------------------------------------------


class Domain(IntEnum):
    """Dusk's domain separators (``impl From<Domain> for u64``)."""

    MERKLE4 = 0x0000_0000_0000_000F
    """4-ary Merkle node: exactly 4 inputs, 1 output."""
    MERKLE2 = 0x0000_0000_0000_0003
    """2-ary Merkle node: exactly 2 inputs, 1 output."""
    ENCRYPTION = 0x0000_0001_0000_0000
    """Poseidon encryption (not built here)."""
    OTHER = 0x0000_0000_0000_0000
    """Anything else; the io-pattern in the tag separates lengths."""


def hash_n(inputs: Sequence[int], domain: Domain, output_len: int) -> tuple[int, ...]:
    """``Hash::digest`` with ``output_len`` outputs: io-pattern ``[Absorb(n), Squeeze(k)]``.

    Raises ``InvalidFieldElement`` for a bad input; ``InvalidInput`` with
    ``invalid_io_pattern`` (no inputs, ``output_len < 1``) or ``io_pattern_violation`` (a
    Merkle domain without exactly 4 / 2 inputs and 1 output; upstream panics there).
    """
    values = check_elements(inputs)
    domain = Domain(domain)
    arity = {Domain.MERKLE4: 4, Domain.MERKLE2: 2}.get(domain)
    if arity is not None and (len(values) != arity or output_len != 1):
        raise InvalidInput(
            f"domain {domain.name} takes exactly {arity} inputs and 1 output", reason="io_pattern_violation"
        )
    sponge = Sponge([Absorb(len(values)), Squeeze(output_len)], domain)
    sponge.absorb(values)
    sponge.squeeze(output_len)
    return tuple(sponge.finish())


def hash(inputs: Sequence[int], domain: Domain = Domain.OTHER) -> int:  # noqa: A001 - Dusk's name
    """Dusk's ``Hash::digest(domain, inputs)[0]``: one field element. Errors as :func:`hash_n`."""
    return hash_n(inputs, domain, 1)[0]


def hash_truncated(inputs: Sequence[int], domain: Domain = Domain.OTHER) -> int:
    """Dusk's ``Hash::digest_truncated(domain, inputs)[0]``: the hash with its top 6 bits
    cleared, a value below 2^250 (so already a Jubjub scalar). Errors as :func:`hash_n`."""
    return hash(inputs, domain) & _TRUNCATION_MASK


def merkle4_hash(children: Sequence[int]) -> int:
    """A 4-ary Merkle node of Dusk's ``poseidon-merkle``: ``Hash::digest(Merkle4, children)[0]``.

    ``children`` are the 4 child hashes, an absent child as ``EMPTY_SUBTREE`` (0). A node whose
    children are all absent is itself ``EMPTY_SUBTREE`` in Dusk's tree and is not hashed: that
    rule belongs to the tree, not to this function. Errors as :func:`hash_n`.
    """
    return hash(children, Domain.MERKLE4)
