"""The verifying-key registry: Groth16 verification keys in the chain state, by id
(issue 17 item 5; docs/zk.md, "Verification in the chain").

- **Id.** ``vk_id = BLAKE2b-256(VK_ID_DOMAIN ‖ vk)`` (:func:`chain.crypto.groth16.compute_vk_id`),
  ``vk`` the canonical key bytes of :mod:`chain.crypto.groth16` (``340 + 48·(n+1)`` bytes).
  BLAKE2b-256 because the chain uses it for ids (DESIGN.md, "Hashes"; contract ids too);
  the domain tag keeps a key's id apart from any other id computed over the same bytes.
- **Rows.** ``b"vkey" ‖ vk_id → vk`` (:mod:`chain.state.keys`), so the keys are part of the
  state commitment and a light client can prove which keys a state holds.
- **Who registers.** Genesis only (:func:`chain.transition.genesis.apply_genesis`); no
  transaction or contract can add, replace or remove a key. Adding a circuit means a new
  genesis (or, later, a native call restricted to a governance key: not built).
- **Cache.** Decoding a key (its points checked on the curve and in the subgroup) costs about
  0.6 ms; this process keeps up to :data:`MAX_CACHED_KEYS` decoded keys by id, least
  recently used evicted. The cache never answers without the state: a key is found only if
  the state given holds its row, and the cached key's bytes must equal the row's.
"""

from __future__ import annotations

import collections
import threading
from typing import Final

from chain.crypto import groth16
from chain.crypto.exceptions import ProofRefused
from chain.state.exceptions import StateDecodeError, UnknownVerifyingKey
from chain.state.state import State
from chain.types.primitives import Hash32

__all__ = [
    "MAX_CACHED_KEYS",
    "VK_ID_DOMAIN",
    "compute_vk_id",
    "get_verifying_key",
    "list_verifying_keys",
    "register_verifying_key",
    "verify_statement",
]

VK_ID_DOMAIN: Final = groth16.VK_ID_DOMAIN
compute_vk_id = groth16.compute_vk_id
#: Decoded keys kept per process (each a few KiB: 4 + n + 1 points).
MAX_CACHED_KEYS: Final = 64

_cache: collections.OrderedDict[Hash32, groth16.VerifyingKey] = collections.OrderedDict()
_cache_lock = threading.Lock()


def register_verifying_key(state: State, vk: bytes) -> Hash32:
    """Decode ``vk`` (every point validated) and write its row; returns its id. Registering
    a key twice is harmless (same row).

    Raises
    ------
    ProofRefused
        ``MalformedProofData`` or ``InvalidProofPoint`` from
        :func:`chain.crypto.groth16.decode_verifying_key`; nothing is written.
    """
    decoded = groth16.decode_verifying_key(vk)
    vk_id = compute_vk_id(decoded.encoded)
    state.set_verifying_key_bytes(vk_id, decoded.encoded)
    _remember(vk_id, decoded)
    return vk_id


def get_verifying_key(state: State, vk_id: Hash32) -> groth16.VerifyingKey:
    """The decoded key registered in ``state`` as ``vk_id`` (decoded once per process).

    Raises
    ------
    UnknownVerifyingKey
        ``unknown_verifying_key``: ``state`` has no such row.
    StateDecodeError
        A stored row that does not decode (corrupt state: rows are validated on registration).
    """
    raw = state.get_verifying_key_bytes(vk_id)
    if raw is None:
        raise UnknownVerifyingKey(f"no verification key {bytes(vk_id).hex()} is registered")
    with _cache_lock:
        cached = _cache.get(vk_id)
        if cached is not None and cached.encoded == raw:
            _cache.move_to_end(vk_id)
            return cached
    try:
        decoded = groth16.decode_verifying_key(raw)
    except ProofRefused as exc:
        message = f"verification key {bytes(vk_id).hex()}: {exc}"
        raise StateDecodeError(message, reason="invalid_value") from exc
    _remember(vk_id, decoded)
    return decoded


def verify_statement(state: State, vk_id: Hash32, public_inputs: bytes, proof: bytes) -> None:
    """Verify ``proof`` for ``public_inputs`` (``32·n`` bytes) under the key ``vk_id`` of
    ``state``; returns ``None`` if it holds.

    Raises
    ------
    UnknownVerifyingKey
        No key ``vk_id`` in ``state``.
    ProofRefused
        Any refusal of :func:`chain.crypto.groth16.verify` (its ``reason``).
    """
    groth16.verify(get_verifying_key(state, vk_id), public_inputs, proof)


def list_verifying_keys(state: State) -> list[tuple[Hash32, int]]:
    """Every registered ``(vk_id, number of public inputs)``, ascending by id."""
    return [(vk_id, int.from_bytes(raw[336:340], "little")) for vk_id, raw in state.iter_verifying_key_rows()]


def _remember(vk_id: Hash32, decoded: groth16.VerifyingKey) -> None:
    with _cache_lock:
        _cache[vk_id] = decoded
        _cache.move_to_end(vk_id)
        while len(_cache) > MAX_CACHED_KEYS:
            _cache.popitem(last=False)
