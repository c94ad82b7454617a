"""The platform wallet's Phoenix costs (chain/node/phoenix_wallet.py; docs/settlement.md
"Shielded cash"): what the note scanner pays per note event and per organisation key, and what
a send costs the web request before the proof (witness of 1 and 2 inputs, openings from a
depth-17 note tree in memory). Pure Python, one core. Not a test.

    .venv/bin/python bench/bench_phoenix_wallet.py
"""

from __future__ import annotations

import functools
import hashlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchlib import timed  # noqa: E402

from chain.crypto.phoenix import Note  # noqa: E402
from chain.node.client import phoenix_wallet  # noqa: E402
from chain.state import MemoryStore  # noqa: E402
from chain.state.note_tree import NoteTree  # noqa: E402
from chain.state.state import State  # noqa: E402


def keys(label: str) -> phoenix_wallet.WalletKeys:
    return phoenix_wallet.generate_keys(hashlib.sha512(label.encode()).digest())


def main() -> None:
    owner, other = keys("bench-owner"), keys("bench-other")
    note = phoenix_wallet.make_shield_note(
        sender_public_key=other.public_key, receiver_public_key=owner.public_key, value=1_000
    )
    for label, view_key in (("owned", owner.view_key), ("not owned", other.view_key)):
        wall, cpu = timed(functools.partial(phoenix_wallet.scan_notes, view_key, [(0, note)]), 50, 5)
        print(f"scan one note event, one key, {label}: {wall * 1e3:.2f} ms (CPU {cpu * 1e3:.2f} ms)")
    wall, cpu = timed(lambda: phoenix_wallet.compute_nullifier(owner.secret_key, note, 0), 50, 5)
    print(f"nullifier of an owned note: {wall * 1e3:.2f} ms (CPU {cpu * 1e3:.2f} ms)")

    with MemoryStore().read_view() as view:
        tree = NoteTree(State(view))
        placed = []
        for value in (700, 500):
            raw = phoenix_wallet.make_shield_note(
                sender_public_key=other.public_key, receiver_public_key=owner.public_key, value=value
            )
            pos = tree.size()
            tree.append(Note.from_bytes(raw).with_pos(pos).hash().to_bytes(32, "little"), height=1)
            placed.append((Note.from_bytes(raw).with_pos(pos).to_bytes(), pos))
        root = "0x" + tree.root().hex()
        for count in (1, 2):
            spends = [(n, p, tree.opening(p)) for n, p in placed[:count]]

            def prepare(spends=spends) -> None:
                phoenix_wallet.prepare_transfer(
                    secret_key=owner.secret_key,
                    spends=spends,
                    root=root,
                    receiver_public_key=other.public_key,
                    amount=400,
                    chain_id=71,
                    contract_id="0x" + "ab" * 32,
                )

            wall, cpu = timed(prepare, 3, 3)
            print(
                f"prepare a transfer of {count} input(s) (witness, outputs, signatures): "
                f"{wall * 1e3:.0f} ms (CPU {cpu * 1e3:.0f} ms)"
            )


if __name__ == "__main__":
    main()
