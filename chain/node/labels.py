"""Rolling-finality labels of one node's chain (reference/dusk-protocol.md §1.7).

The one implementation the node runner and the simulator share: it feeds each committed
header's PNI to :func:`chain.consensus.finality.apply_block_label`, remembers the last Final
height and prunes the store's undo records below it (Final blocks are never reverted).
"""

from __future__ import annotations

from chain.consensus.finality import BlockLabel, Label, apply_block_label, compute_pni
from chain.state.abc import StoreAPI
from chain.types.blocks import BlockHeader, decode_block
from chain.types.primitives import Height


def compute_header_pni(header: BlockHeader) -> int:
    """PNI of a block: its iteration less the failed iterations it attests (§1.7)."""
    return compute_pni(int(header.iteration), sum(1 for f in header.failed_iterations if f is not None))


class ChainLabels:
    """Labels of the blocks above the last Final block of ``store``'s chain.

    ``final_height`` only rises: a block made Final stays Final even if the tip that
    confirmed it is later replaced by fork choice (§1.7: a revert never passes a Final block).
    """

    def __init__(self, store: StoreAPI) -> None:
        self.store = store
        self.final_height = 0
        """Height of the last Final block (genesis, 0, is Final)."""
        self.open: tuple[BlockLabel, ...] = ()
        """Labels of the blocks above ``final_height``, ascending."""
        head = store.head()
        self.rebuild(int(head.height) if head is not None else 0)

    def rebuild(self, tip_height: int) -> None:
        """Relabel the blocks from ``final_height + 1`` to ``tip_height`` (at start, and after
        fork choice replaced the tip)."""
        self.open = ()
        for height in range(self.final_height + 1, tip_height + 1):
            raw = self.store.get_block_bytes(Height(height))
            if raw is not None:
                self.add(decode_block(raw).header)

    def add(self, header: BlockHeader) -> None:
        """Label a newly committed tip and roll the labels below it."""
        labels = apply_block_label(self.open, int(header.height), compute_header_pni(header))
        finals = [entry.height for entry in labels if entry.label is Label.FINAL]
        if finals and max(finals) > self.final_height:
            self.final_height = max(finals)
            # Final blocks are never reverted (§1.7): their undo records can go.
            self.store.prune_undo(Height(self.final_height + 1))
        self.open = tuple(entry for entry in labels if entry.label is not Label.FINAL)

    def label_of(self, height: int) -> Label | None:
        """The label of the block at ``height``; None above the labelled chain."""
        if height <= self.final_height:
            return Label.FINAL
        return next((entry.label for entry in self.open if entry.height == height), None)
