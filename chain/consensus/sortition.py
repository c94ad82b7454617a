"""Deterministic sortition: generators and voting committees (reference/dusk-protocol.md §1.2),
and who may be drawn at all (§1.1).

Every function is pure: the same provisioners, seed and step give the same committee on every
node. Weights are stakes in Lux; one credit consumes at most one unit (10^9 Lux) of its
winner's weight.

Gloam's seed is 96 bytes (a G2 signature, DESIGN.md "Signatures") where Dusk's is 48; the
sortition hash takes the seed bytes as they are, so the reference vectors (48-byte seeds) and
Gloam's seeds go through the same code.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

from chain.consensus.exceptions import InvalidParameter
from chain.crypto.hashes import sha3_256
from chain.state.stakes import Stake
from chain.types.primitives import BlsPublicKey, Hash32, Lux

LUX_PER_UNIT: Final = 10**9
"""One unit of the native token in Lux: the weight one credit consumes (reference preamble)."""

PROPOSAL_COMMITTEE_CREDITS: Final = 1
"""The proposal step draws one generator (§1.2)."""

VALIDATION_COMMITTEE_CREDITS: Final = 64
"""Credits of the validation committee (§1.2, rusk: consensus/src/config.rs)."""

RATIFICATION_COMMITTEE_CREDITS: Final = 64
"""Credits of the ratification committee (§1.2)."""

NEXT_GENERATOR_EXCLUSION_ITERATIONS: Final = 49
"""The next iteration's generator is kept out of the voting committees while
``iteration < 49`` (§1.2, rusk: consensus/src/quorum/verifiers.rs)."""

MAX_COMMITTEE_MEMBERS: Final = 64
"""A step-votes bitset is a u64: at most 64 distinct members (§1.6)."""

Provisioners = Sequence[tuple[BlsPublicKey, Lux]]
"""Eligible provisioners as ``(public key, stake in Lux)``, sorted ascending by raw key bytes."""


class StepKind(enum.IntEnum):
    """The three steps of an iteration (§1.2, §1.4). The value is ``k`` in
    ``step = iteration*3 + k`` and, for the two voting steps, the tag signed with a vote
    (§1.5: 0x01 Validation, 0x02 Ratification)."""

    PROPOSAL = 0
    VALIDATION = 1
    RATIFICATION = 2


@dataclass(frozen=True, slots=True)
class Committee:
    """The members of one step's committee and the credits (voting weight) each won.

    ``members`` are sorted ascending by raw key bytes; bit ``j`` of a step-votes bitset stands
    for ``members[j]`` (§1.6). The lookups below are read-only queries over the frozen data.
    """

    members: tuple[BlsPublicKey, ...]
    """Distinct keys, ascending by raw bytes, at most 64."""

    credits: tuple[int, ...]
    """``credits[j]`` ≥ 1 is the number of credits ``members[j]`` won."""

    _index: dict[bytes, int] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if len(self.members) != len(self.credits):
            raise InvalidParameter("a committee needs one credit count per member")
        if len(self.members) > MAX_COMMITTEE_MEMBERS:
            raise InvalidParameter(f"a committee has at most {MAX_COMMITTEE_MEMBERS} members")
        raw = [bytes(pk) for pk in self.members]
        if any(a >= b for a, b in zip(raw, raw[1:], strict=False)):
            raise InvalidParameter("committee members must be distinct and sorted by key bytes")
        if any(c < 1 for c in self.credits):
            raise InvalidParameter("every committee member holds at least one credit")
        object.__setattr__(self, "_index", {pk: j for j, pk in enumerate(raw)})

    @property
    def total_credits(self) -> int:
        """The sum of all members' credits (64 for a full voting committee)."""
        return sum(self.credits)

    def credits_of(self, pk: BlsPublicKey) -> int:
        """Credits held by ``pk``; 0 if it is not a member."""
        j = self._index.get(bytes(pk))
        return 0 if j is None else self.credits[j]

    def index_of(self, pk: BlsPublicKey) -> int | None:
        """The bit position of ``pk`` in a bitset, or ``None`` if it is not a member."""
        return self._index.get(bytes(pk))

    def bitset_of(self, pks: Iterable[BlsPublicKey]) -> int:
        """The bitset with the bits of ``pks`` set (§1.6).

        Raises
        ------
        InvalidParameter
            If a key is not a member.
        """
        bitset = 0
        for pk in pks:
            j = self._index.get(bytes(pk))
            if j is None:
                raise InvalidParameter(f"{pk!r} is not a member of the committee")
            bitset |= 1 << j
        return bitset

    def members_of_bitset(self, bitset: int) -> tuple[BlsPublicKey, ...]:
        """The members whose bits are set, in committee order; bits beyond the members are
        ignored here (:func:`chain.consensus.quorum.verify_step_votes` rejects them)."""
        return tuple(pk for j, pk in enumerate(self.members) if bitset >> j & 1)


EMPTY_COMMITTEE: Final = Committee((), ())


def compute_step(iteration: int, kind: StepKind) -> int:
    """The sortition step number ``iteration*3 + k`` (§1.2, rusk: node-data/src/lib.rs).

    Parameters
    ----------
    iteration
        The iteration within the round, 0 ≤ iteration ≤ 84 (the step must fit a u8).
    kind
        Proposal (k = 0), Validation (1) or Ratification (2).

    Returns
    -------
    int
        The step number, 0..255.

    Raises
    ------
    InvalidParameter
        If the step does not fit a u8.
    """
    step = iteration * 3 + int(kind)
    if not 0 <= step <= 0xFF:
        raise InvalidParameter(f"step {step} of iteration {iteration} does not fit a u8")
    return step


def compute_sortition_hash(seed: bytes, step: int, index: int) -> Hash32:
    """``SHA3-256(seed ‖ step:u8 ‖ index:u32LE)``; the round is not hashed (§1.2 step 1).

    Parameters
    ----------
    seed
        The previous block's seed: 96 bytes in Gloam (:class:`~chain.types.primitives.Seed`),
        48 in Dusk's vectors; hashed as given.
    step
        The step number, 0..255 (:func:`compute_step`).
    index
        The credit index, 0..2^32 − 1.

    Returns
    -------
    Hash32
        The 32-byte digest.

    Raises
    ------
    InvalidParameter
        If ``step`` or ``index`` is out of range.
    """
    if not 0 <= step <= 0xFF:
        raise InvalidParameter(f"step {step} does not fit a u8")
    if not 0 <= index < 1 << 32:
        raise InvalidParameter(f"credit index {index} does not fit a u32")
    return sha3_256(bytes(seed) + bytes([step]) + index.to_bytes(4, "little"))


def compute_score(sortition_hash: Hash32, total_weight: int) -> int:
    """``big-endian-int(hash) mod W`` (§1.2 step 2).

    Parameters
    ----------
    sortition_hash
        From :func:`compute_sortition_hash`.
    total_weight
        ``W`` in Lux, > 0.

    Returns
    -------
    int
        The score in ``[0, W)``.

    Raises
    ------
    InvalidParameter
        If ``total_weight`` ≤ 0.
    """
    if total_weight <= 0:
        raise InvalidParameter(f"total weight must be positive, got {total_weight}")
    return int.from_bytes(sortition_hash, "big") % total_weight


def compute_committee(
    provisioners: Provisioners,
    seed: bytes,
    step: int,
    size: int,
    exclude: Collection[BlsPublicKey] = frozenset(),
) -> Committee:
    """Draw ``size`` credits among ``provisioners`` (§1.2 "Extraction").

    Excluded keys are removed from the list first, unless the list holds a single
    provisioner (§1.2). Gloam also keeps the exclusions out when they would remove every
    provisioner (two provisioners, both generators), so that a tiny devnet keeps a committee.
    Then, for each credit index i: score = SHA3(seed ‖ step ‖ i) mod W; walk the list
    (wrapping) and give the credit to the first provisioner whose weight ≥ score, subtracting
    each skipped weight from the score; reduce the winner's weight and W by
    ``min(1 unit, weight)``. The credit of the draw that brings W to 0 is awarded, and the
    extraction stops there (rusk: consensus/src/user/provisioners.rs ``create_committee``).
    Repeat wins accumulate credits.

    Parameters
    ----------
    provisioners
        ``(pk, stake in Lux)``, sorted strictly ascending by raw key bytes
        (:func:`get_eligible_provisioners`).
    seed
        The previous block's seed (any length, hashed as given).
    step
        The step number (:func:`compute_step`).
    size
        Credits to draw: 1 for the proposal, 64 for validation and ratification.
    exclude
        Keys to leave out (this iteration's generator, and the next one's while
        iteration < 49).

    Returns
    -------
    Committee
        The winners with their credits; ``total_credits`` is ``size`` unless the stakes ran
        out.

    Raises
    ------
    InvalidParameter
        ``no_provisioners`` for an empty list; ``invalid_parameter`` for an unsorted or
        duplicated list, a non-positive size or an out-of-range step.
    """
    if not provisioners:
        raise InvalidParameter("no eligible provisioners", reason="no_provisioners")
    if size < 1:
        raise InvalidParameter(f"committee size must be positive, got {size}")
    raw = [bytes(pk) for pk, _ in provisioners]
    if any(a >= b for a, b in zip(raw, raw[1:], strict=False)):
        raise InvalidParameter("provisioners must be sorted strictly ascending by key bytes")
    candidates = list(provisioners)
    if len(candidates) > 1 and exclude:
        excluded = {bytes(pk) for pk in exclude}
        remaining = [entry for entry in candidates if bytes(entry[0]) not in excluded]
        if remaining:
            candidates = remaining
    keys = [pk for pk, _ in candidates]
    weights = [int(w) for _, w in candidates]
    total = sum(weights)
    won = [0] * len(keys)
    for index in range(size):
        if total <= 0:
            break
        score = compute_score(compute_sortition_hash(seed, step, index), total)
        j = 0
        while weights[j] < score:
            score -= weights[j]
            j = (j + 1) % len(weights)
        taken = min(LUX_PER_UNIT, weights[j])
        weights[j] -= taken
        total -= taken
        won[j] += 1
    return Committee(
        members=tuple(pk for pk, n in zip(keys, won, strict=True) if n),
        credits=tuple(n for n in won if n),
    )


def get_generator(provisioners: Provisioners, seed: bytes, iteration: int) -> BlsPublicKey:
    """The generator of ``iteration``: the one-credit proposal committee (§1.2).

    Raises
    ------
    InvalidParameter
        As :func:`compute_committee`, or if the stakes cannot give one credit.
    """
    step = compute_step(iteration, StepKind.PROPOSAL)
    committee = compute_committee(provisioners, seed, step, PROPOSAL_COMMITTEE_CREDITS)
    if not committee.members:
        raise InvalidParameter("the stakes are too small to draw a generator", reason="no_provisioners")
    return committee.members[0]


def get_step_committee(
    provisioners: Provisioners,
    seed: bytes,
    iteration: int,
    kind: StepKind,
    *,
    exclude_next_below: int = NEXT_GENERATOR_EXCLUSION_ITERATIONS,
) -> Committee:
    """The validation or ratification committee of ``iteration`` (§1.2 "Committees").

    64 credits, excluding this iteration's generator and, while
    ``iteration < exclude_next_below``, the next iteration's generator.

    Parameters
    ----------
    provisioners
        As :func:`compute_committee`.
    seed
        The previous block's seed.
    iteration
        The iteration, 0-based.
    kind
        ``VALIDATION`` or ``RATIFICATION``.
    exclude_next_below
        The iteration from which the next generator is no longer excluded (49 by default).

    Returns
    -------
    Committee

    Raises
    ------
    InvalidParameter
        For ``PROPOSAL``, or as :func:`compute_committee`.
    """
    if kind is StepKind.PROPOSAL:
        raise InvalidParameter("the proposal step has a generator, not a voting committee")
    exclude = {get_generator(provisioners, seed, iteration)}
    if iteration < exclude_next_below:
        exclude.add(get_generator(provisioners, seed, iteration + 1))
    size = VALIDATION_COMMITTEE_CREDITS if kind is StepKind.VALIDATION else RATIFICATION_COMMITTEE_CREDITS
    return compute_committee(provisioners, seed, compute_step(iteration, kind), size, exclude)


def is_eligible(stake: Stake, round: int, min_stake: int) -> bool:
    """Whether ``stake`` may be drawn in ``round``: ``eligibility ≤ round`` and
    ``value ≥ min_stake`` (§1.1, rusk: consensus/src/user/provisioners.rs)."""
    amount = stake.amount
    return amount is not None and amount.eligibility <= round and amount.value >= min_stake


def get_eligible_provisioners(
    stakes: Iterable[tuple[BlsPublicKey, Stake]], round: int, min_stake: int
) -> tuple[tuple[BlsPublicKey, Lux], ...]:
    """The provisioners that may be drawn in ``round``, as sortition takes them (§1.1, §1.2).

    Parameters
    ----------
    stakes
        ``(pk, Stake)`` pairs, e.g. ``State.iter_stakes()``.
    round
        The round (height of the block being made).
    min_stake
        Minimum active stake in Lux (1,000 units on Dusk mainnet).

    Returns
    -------
    tuple of (BlsPublicKey, Lux)
        ``(pk, value)`` of eligible stakes, ascending by raw key bytes.
    """
    eligible = [
        (pk, stake.amount.value)
        for pk, stake in stakes
        if stake.amount is not None and is_eligible(stake, round, min_stake)
    ]
    return tuple(sorted(eligible, key=lambda entry: bytes(entry[0])))
