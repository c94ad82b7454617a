"""Provisioner key files: JSON ``{"public_key": "0x…", "secret_key": "0x…"}``, mode 0600.

The secret key is written only to the file, never printed or logged.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from chain.crypto import bls12_381 as bls
from chain.node.exceptions import NodeError
from chain.types.exceptions import ChainTypesError
from chain.types.primitives import BlsPublicKey, BlsSecretKey


def generate_key_file(path: Path, *, entropy: bytes) -> BlsPublicKey:
    """Create a new key from 32+ bytes of ``entropy`` into ``path`` (refuses to overwrite)."""
    secret = bls.KeyGen(entropy)
    public = bls.SkToPk(secret)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump({"public_key": "0x" + public.hex(), "secret_key": "0x" + secret.hex()}, handle)
        handle.write("\n")
    return public


def load_key_file(path: Path) -> BlsSecretKey:
    """Read a key file; raises ``NodeError(reason="bad_key_file")``."""
    try:
        raw = json.loads(path.read_text())
        secret = BlsSecretKey.from_hex(raw["secret_key"])
        if bls.SkToPk(secret).hex() != raw["public_key"].removeprefix("0x"):
            raise NodeError("the public key does not match the secret key", reason="bad_key_file")
    except (OSError, ValueError, KeyError, TypeError, ChainTypesError) as exc:
        raise NodeError(f"cannot read key file {path}: {type(exc).__name__}", reason="bad_key_file") from exc
    return secret
