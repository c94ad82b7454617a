"""Rolling finality and fork choice (reference/dusk-protocol.md §1.7).

Labels: a new block is **Attested** if its PNI (previous non-attested iterations) is 0, else
**Accepted**. A block is *stable* when Attested or Confirmed. Following rusk
(node/src/chain/acceptor.rs ``rolling_finality``), only an Attested tip moves labels:

1. from the tip's parent down to the last Final block, each Attested or Accepted block is
   **Confirmed** if at least ``confirmed_after`` stable blocks lie above it (1 for an
   Attested block, 2·PNI for an Accepted one); the scan stops at the first block that is not;
2. then, from the last Final block up, each Confirmed block whose parent is Final becomes
   **Final**, stopping at the first block that is not Confirmed.

The tip itself is never Confirmed or Final when it arrives. The reference's summary ("Attested
→ Confirmed once its successor is Attested/Confirmed; Accepted → Confirmed after 2·PNI such
blocks") is this scan; its stop-at-first-failure is the one detail the summary omits.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Final, Protocol

from chain.consensus.exceptions import InvalidParameter

MAX_PNI_ITERATIONS: Final = 50
"""PNI counts at most 50 iterations (``CONSENSUS_MAX_ITER``, §1.4, §1.7)."""


class Label(enum.Enum):
    """A block's finality label (§1.7)."""

    ACCEPTED = "accepted"
    ATTESTED = "attested"
    CONFIRMED = "confirmed"
    FINAL = "final"


@dataclass(frozen=True, slots=True)
class BlockLabel:
    """A block's label in the rolling-finality window."""

    height: int
    label: Label
    confirmed_after: int
    """Stable blocks needed above it to confirm it: 1 if PNI = 0, else 2·PNI."""


def compute_pni(iteration: int, failed_attestations_count: int) -> int:
    """PNI = ``min(iteration, 50) − failed attestations listed in the header`` (§1.7).

    Parameters
    ----------
    iteration
        The block's iteration (0-based).
    failed_attestations_count
        Entries of ``failed_iterations`` that carry an attestation.

    Returns
    -------
    int
        ≥ 0; 0 means every earlier iteration's failure is attested.

    Raises
    ------
    InvalidParameter
        For a negative iteration or count, or more attestations than counted iterations.
    """
    if iteration < 0 or failed_attestations_count < 0:
        raise InvalidParameter("iteration and count must be non-negative")
    counted = min(iteration, MAX_PNI_ITERATIONS)
    if failed_attestations_count > counted:
        raise InvalidParameter(f"{failed_attestations_count} failed attestations for {counted} iterations")
    return counted - failed_attestations_count


def compute_confirmed_after(pni: int) -> int:
    """Stable blocks needed above a block to confirm it: 1 if PNI = 0, else 2·PNI (§1.7)."""
    if pni < 0:
        raise InvalidParameter(f"PNI must be non-negative, got {pni}")
    return 1 if pni == 0 else 2 * pni


def apply_block_label(chain: Sequence[BlockLabel], height: int, pni: int) -> tuple[BlockLabel, ...]:
    """Add a new tip at ``height`` with ``pni`` and roll the labels (§1.7, module docstring).

    Parameters
    ----------
    chain
        The blocks above the last Final block (Final blocks at its start are allowed and kept),
        ascending and consecutive.
    height
        The new block's height: one above the last entry of ``chain``.
    pni
        The new block's PNI (:func:`compute_pni`).

    Returns
    -------
    tuple of BlockLabel
        ``chain`` with the new tip appended and the labels updated.

    Raises
    ------
    InvalidParameter
        For a height that does not follow the chain, or a negative PNI.
    """
    if chain and height != chain[-1].height + 1:
        raise InvalidParameter(f"block {height} does not follow block {chain[-1].height}")
    confirmed_after = compute_confirmed_after(pni)
    label = Label.ATTESTED if pni == 0 else Label.ACCEPTED
    entries = [*chain, BlockLabel(height, label, confirmed_after)]
    if label is Label.ACCEPTED:
        return tuple(entries)
    first_open = next((i for i, e in enumerate(entries) if e.label is not Label.FINAL), len(entries))
    stable = 1  # the Attested tip
    for i in range(len(entries) - 2, first_open - 1, -1):
        entry = entries[i]
        if entry.label is Label.CONFIRMED:
            stable += 1
        elif stable >= entry.confirmed_after:
            entries[i] = replace(entry, label=Label.CONFIRMED)
            stable += 1
        else:
            break
    for i in range(first_open, len(entries)):
        if entries[i].label is not Label.CONFIRMED:
            break
        entries[i] = replace(entries[i], label=Label.FINAL)
    return tuple(entries)


def compute_labels(blocks: Sequence[tuple[int, int]]) -> tuple[tuple[int, Label], ...]:
    """The labels of the blocks above the last Final block, added one by one (§1.7).

    Parameters
    ----------
    blocks
        ``(height, PNI)`` of each block after the last Final block, ascending, consecutive.

    Returns
    -------
    tuple of (height, Label)

    Raises
    ------
    InvalidParameter
        For non-consecutive heights or a negative PNI.
    """
    chain: tuple[BlockLabel, ...] = ()
    for height, pni in blocks:
        chain = apply_block_label(chain, height, pni)
    return tuple((entry.height, entry.label) for entry in chain)


class CandidateHeader(Protocol):
    """What fork choice reads of a header (:class:`chain.types.blocks.BlockHeader` fits)."""

    @property
    def prev_block_hash(self) -> bytes: ...

    @property
    def iteration(self) -> int: ...


def is_better_candidate(candidate: CandidateHeader, current: CandidateHeader) -> bool:
    """Whether ``candidate`` should replace ``current`` (§1.7 "Fork choice").

    Between blocks with the same parent the lowest iteration wins. Blocks with different
    parents are not compared by this rule (False).
    """
    if bytes(candidate.prev_block_hash) != bytes(current.prev_block_hash):
        return False
    return int(candidate.iteration) < int(current.iteration)


def is_revert_allowed(*, ancestor_height: int, last_final_height: int) -> bool:
    """Whether the chain may be reverted to a common ancestor at ``ancestor_height``: never
    past the last Final block (genesis is always Final) (§1.7)."""
    return ancestor_height >= last_final_height
