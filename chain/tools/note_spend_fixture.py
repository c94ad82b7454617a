"""Inputs for the ``note_spend`` circuit (circuits/src/note_spend.circom), computed with the
Python references, and the public signals the circuit must produce for them.

    python -m chain.tools.note_spend_fixture OUT.json [SEED]

writes a snarkjs input file (every signal as a decimal string) for a note of a depth-17 tree
whose other leaves are random, spent with a fee and signed over a random message; the values
are derived from ``SEED`` (default 17) with :class:`random.Random`, so the file is
reproducible; nothing here is a key of value. :func:`example` gives the same as Python values;
:func:`public_signals` the expected ``public.json`` order ``[nullifier, out.x, out.y, root,
fee, message]``.

The statement (docs/zk.md, "note_spend"): ``H`` is :func:`chain.crypto.poseidon.hash` (domain
Other); the note hash is ``H([type, C.x, C.y, pk.x, pk.y, position, H([secret])])`` with ``C``
the :func:`chain.crypto.pedersen.value_commitment` of the note; the nullifier is ``H([secret,
position])``; the output commitment is ``value_commitment(value - fee, blinder_out)``; the
signature is :func:`chain.crypto.schnorr.sign` of the message by the note's key.
"""

from __future__ import annotations

import json
import random
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from chain.crypto.jubjub import R_J
from chain.crypto.pedersen import value_commitment
from chain.crypto.poseidon import MODULUS, Domain, hash, merkle4_hash
from chain.crypto.schnorr import public_key, sign

DEPTH: Final = 17


@dataclass(frozen=True)
class NoteSpendExample:
    """One satisfying assignment of note_spend and its public values."""

    inputs: dict[str, object]
    nullifier: int
    out_commitment: tuple[int, int]
    root: int
    fee: int
    message: int


def note_hash(
    note_type: int, value: int, blinder: int, pk: tuple[int, int], position: int, secret: int
) -> int:
    """``H([type, C.x, C.y, pk.x, pk.y, position, H([secret])])`` with
    ``C = value_commitment(value, blinder)``."""
    cx, cy = value_commitment(value, blinder).affine()
    return hash([note_type, cx, cy, *pk, position, hash([secret], Domain.OTHER)], Domain.OTHER)


def merkle_root(leaf: int, position: int, siblings: list[list[int]]) -> int:
    """The root over ``leaf`` at ``position``: at level l the node is inserted among its 3
    siblings at base-4 digit l of the position and hashed with merkle4_hash."""
    current = leaf
    for level, level_siblings in enumerate(siblings):
        digit = (position >> (2 * level)) & 3
        current = merkle4_hash([*level_siblings[:digit], current, *level_siblings[digit:]])
    return current


def example(seed: int = 17) -> NoteSpendExample:
    """A satisfying input of note_spend derived from ``seed``."""
    rng = random.Random(seed)  # noqa: S311 - reproducible fixture data, not keys of value
    sk = rng.randrange(1, R_J)
    pk = public_key(sk).affine()
    value = rng.randrange(1 << 40, 1 << 64)
    fee = rng.randrange(1, 1 << 32)
    blinder, blinder_out = rng.randrange(R_J), rng.randrange(R_J)
    secret = rng.randrange(MODULUS)
    position = rng.randrange(4**DEPTH)
    note_type = 1
    siblings = [[rng.randrange(MODULUS) for _ in range(3)] for _ in range(DEPTH)]
    root = merkle_root(note_hash(note_type, value, blinder, pk, position, secret), position, siblings)
    message = rng.randrange(MODULUS)
    signature = sign(sk, message, rng.randbytes(64))
    out = value_commitment(value - fee, blinder_out).affine()
    inputs: dict[str, object] = {
        "root": root,
        "fee": fee,
        "message": message,
        "noteType": note_type,
        "value": value,
        "blinder": blinder,
        "notePk": list(pk),
        "position": position,
        "noteSecret": secret,
        "siblings": siblings,
        "blinderOut": blinder_out,
        "sigR": list(signature.R.affine()),
        "sigU": signature.u,
    }
    nullifier = hash([secret, position], Domain.OTHER)
    return NoteSpendExample(inputs, nullifier, out, root, fee, message)


def public_signals(ex: NoteSpendExample) -> list[int]:
    """snarkjs's public.json order: outputs, then public inputs."""
    return [ex.nullifier, *ex.out_commitment, ex.root, ex.fee, ex.message]


def to_json(inputs: dict[str, object]) -> str:
    """A snarkjs input file: every value a decimal string, lists kept."""

    def strings(value: object) -> object:
        return [strings(v) for v in value] if isinstance(value, list) else str(value)

    return json.dumps({k: strings(v) for k, v in inputs.items()}, indent=1) + "\n"


def main(argv: list[str]) -> int:
    """Run the command line; return the exit status (0 written, 2 usage)."""
    if len(argv) not in (1, 2):
        print(__doc__, file=sys.stderr)
        return 2
    seed = int(argv[1]) if len(argv) == 2 else 17
    Path(argv[0]).write_text(to_json(example(seed).inputs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
