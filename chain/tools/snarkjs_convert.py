"""Convert snarkjs's JSON (verification key, proof, public inputs) to the chain's bytes.

Used by ``scripts/build_circuits.sh`` and ``scripts/ceremony.sh``; the byte layouts are in
:mod:`chain.crypto.groth16`. Every input is validated as the chain would (points on the
curve and in the subgroup, inputs < r); a refusal prints its reason and exits with status 1.

    python -m chain.tools.snarkjs_convert {vk|proof|public} IN.json OUT.bin
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from chain.crypto.exceptions import ProofRefused
from chain.crypto.groth16 import proof_from_snarkjs, public_inputs_from_snarkjs, verifying_key_from_snarkjs

_CONVERTERS = {
    "vk": verifying_key_from_snarkjs,
    "proof": proof_from_snarkjs,
    "public": public_inputs_from_snarkjs,
}


def main(argv: list[str]) -> int:
    """Run the command line; return the exit status (0 converted, 1 refused, 2 usage)."""
    if len(argv) != 3 or argv[0] not in _CONVERTERS:
        print(__doc__, file=sys.stderr)
        return 2
    kind, source, target = argv
    try:
        encoded = _CONVERTERS[kind](json.loads(Path(source).read_text()))
    except ProofRefused as exc:
        print(f"{source}: refused ({exc.reason}): {exc}", file=sys.stderr)
        return 1
    Path(target).write_bytes(encoded)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
