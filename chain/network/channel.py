"""Authenticated, encrypted peer channels (sans-I/O): a handshake and framed messages.

Handshake (both sides play both parts; no byte is trusted before step 3):

1. Each side sends ``Hello = network_id:u8 ‖ node_key[48] ‖ ephemeral_x25519[32] ‖ nonce[32]``.
2. Each computes ``transcript = SHA3-256(DOMAIN ‖ hello_lo ‖ hello_hi)`` (the two hellos in
   byte order, so both sides agree without roles) and sends ``Auth = BLS signature over
   DOMAIN ‖ transcript ‖ own node_key`` (96 bytes).
3. Each checks the peer's signature with the peer's node key, that the key is an allowed
   peer, and the network id. Keys: ``HKDF-SHA256(X25519(ephemeral, peer ephemeral),
   salt=transcript)`` gives 64 bytes; each direction uses its own 32-byte ChaCha20-Poly1305
   key, chosen by comparing the node keys.

Frames after the handshake: ``length:u32 ‖ ciphertext``, with the nonce a per-direction
counter (so a replayed, dropped or reordered frame fails authentication). Fresh ephemeral
keys per connection give forward secrecy. Standard primitives from ``cryptography``
(RFC 7748 X25519, RFC 5869 HKDF, RFC 8439 ChaCha20-Poly1305); BLS from ``chain.crypto``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from chain.crypto import bls12_381 as bls
from chain.crypto.hashes import sha3_256
from chain.network.exceptions import FrameRejected, HandshakeFailed
from chain.types.primitives import BlsPublicKey, BlsSecretKey, BlsSignature

DOMAIN: Final = b"GLOAM-P2P-V1"
HELLO_BYTES: Final = 1 + 48 + 32 + 32
AUTH_BYTES: Final = 96
#: Largest plaintext a frame may carry (a 1 MiB block plus an envelope).
MAX_FRAME_BYTES: Final = 2 * 1024 * 1024
_TAG_BYTES: Final = 16


@dataclass(frozen=True, slots=True)
class Hello:
    network_id: int
    node_key: BlsPublicKey
    ephemeral: bytes
    nonce: bytes

    def encode(self) -> bytes:
        return bytes([self.network_id]) + bytes(self.node_key) + self.ephemeral + self.nonce


def decode_hello(data: bytes) -> Hello:
    if len(data) != HELLO_BYTES:
        raise HandshakeFailed(f"hello of {len(data)} bytes", reason="malformed_hello")
    try:
        key = BlsPublicKey(data[1:49])
    except ValueError as exc:
        raise HandshakeFailed("bad node key", reason="malformed_hello") from exc
    return Hello(data[0], key, data[49:81], data[81:113])


class Handshake:
    """One side of the handshake. Feed the peer's hello, then its auth; get a channel.

    ``allowed`` decides whether a node key may connect (e.g. the provisioner set).
    ``entropy`` is 64 fresh random bytes (ephemeral key and nonce): nothing ambient here.
    """

    def __init__(
        self,
        *,
        network_id: int,
        node_secret: BlsSecretKey,
        allowed: Callable[[BlsPublicKey], bool],
        entropy: bytes,
    ) -> None:
        if len(entropy) < 64:
            raise HandshakeFailed("64 bytes of entropy needed", reason="entropy_too_short")
        self.network_id = network_id
        self._secret = node_secret
        self._allowed = allowed
        self._ephemeral = X25519PrivateKey.from_private_bytes(entropy[:32])
        self.hello = Hello(
            network_id,
            bls.SkToPk(node_secret),
            self._ephemeral.public_key().public_bytes_raw(),
            entropy[32:64],
        )
        self._peer: Hello | None = None
        self._transcript: bytes | None = None

    def on_peer_hello(self, data: bytes) -> bytes:
        """Takes the peer's hello; returns our auth message to send."""
        peer = decode_hello(data)
        if peer.network_id != self.network_id:
            raise HandshakeFailed(f"peer is on network {peer.network_id}", reason="wrong_network")
        if peer.node_key == self.hello.node_key:
            raise HandshakeFailed("a node cannot connect to itself", reason="self_connection")
        if not self._allowed(peer.node_key):
            raise HandshakeFailed("the peer's key is not an allowed peer", reason="unknown_peer")
        low, high = sorted((self.hello.encode(), peer.encode()))
        self._peer = peer
        self._transcript = bytes(sha3_256(DOMAIN + low + high))
        return bytes(bls.Sign(self._secret, DOMAIN + self._transcript + bytes(self.hello.node_key)))

    def on_peer_auth(self, data: bytes) -> SecureChannel:
        """Takes the peer's auth; returns the established channel or raises HandshakeFailed."""
        if self._peer is None or self._transcript is None:
            raise HandshakeFailed("auth before hello", reason="out_of_order")
        if len(data) != AUTH_BYTES:
            raise HandshakeFailed("auth must be 96 bytes", reason="malformed_auth")
        signed = DOMAIN + self._transcript + bytes(self._peer.node_key)
        if not bls.Verify(self._peer.node_key, signed, BlsSignature(data)):
            raise HandshakeFailed("the peer did not prove its node key", reason="bad_auth")
        try:
            shared = self._ephemeral.exchange(X25519PublicKey.from_public_bytes(self._peer.ephemeral))
        except ValueError as exc:
            raise HandshakeFailed("bad ephemeral key", reason="bad_ephemeral") from exc
        keys = HKDF(algorithm=hashes.SHA256(), length=64, salt=self._transcript, info=DOMAIN).derive(shared)
        first = self.hello.node_key < self._peer.node_key
        send_key, receive_key = (keys[:32], keys[32:]) if first else (keys[32:], keys[:32])
        return SecureChannel(self._peer.node_key, send_key, receive_key)


class SecureChannel:
    """Encrypts outgoing and authenticates incoming frames of one established connection."""

    def __init__(self, peer: BlsPublicKey, send_key: bytes, receive_key: bytes) -> None:
        self.peer = peer
        self._send = ChaCha20Poly1305(send_key)
        self._receive = ChaCha20Poly1305(receive_key)
        self._send_counter = 0
        self._receive_counter = 0

    @staticmethod
    def _nonce(counter: int) -> bytes:
        return counter.to_bytes(12, "little")

    def seal(self, plaintext: bytes) -> bytes:
        """``length:u32 ‖ ciphertext`` for ``plaintext`` (at most ``MAX_FRAME_BYTES``)."""
        if len(plaintext) > MAX_FRAME_BYTES:
            raise FrameRejected(f"frame of {len(plaintext)} bytes is too large", reason="frame_too_large")
        ciphertext = self._send.encrypt(self._nonce(self._send_counter), plaintext, None)
        self._send_counter += 1
        return len(ciphertext).to_bytes(4, "little") + ciphertext

    def open(self, ciphertext: bytes) -> bytes:
        """The plaintext of the next frame's ciphertext, or ``FrameRejected``."""
        if len(ciphertext) > MAX_FRAME_BYTES + _TAG_BYTES:
            raise FrameRejected("frame too large", reason="frame_too_large")
        try:
            plaintext = self._receive.decrypt(self._nonce(self._receive_counter), ciphertext, None)
        except InvalidTag as exc:
            raise FrameRejected("frame failed authentication", reason="bad_frame") from exc
        self._receive_counter += 1
        return plaintext


def frame_length(header: bytes) -> int:
    """The ciphertext length announced by a 4-byte frame header; rejects oversize frames."""
    length = int.from_bytes(header, "little")
    if length > MAX_FRAME_BYTES + _TAG_BYTES:
        raise FrameRejected(f"announced frame of {length} bytes", reason="frame_too_large")
    return length
