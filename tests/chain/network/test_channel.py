"""Handshake and secure frames (sans-I/O)."""

from __future__ import annotations

import os

import pytest

from chain.network.channel import Handshake, SecureChannel
from chain.network.exceptions import FrameRejected, HandshakeFailed
from tests.chain.helpers import keypair

A, B, C = keypair("net-a"), keypair("net-b"), keypair("net-c")


def _pair(allowed_by_b=None, network_b: int = 1) -> tuple[SecureChannel, SecureChannel]:
    a = Handshake(network_id=1, node_secret=A.secret, allowed=lambda k: k == B.public, entropy=os.urandom(64))
    b = Handshake(
        network_id=network_b,
        node_secret=B.secret,
        allowed=allowed_by_b or (lambda k: k == A.public),
        entropy=os.urandom(64),
    )
    auth_a = a.on_peer_hello(b.hello.encode())
    auth_b = b.on_peer_hello(a.hello.encode())
    return a.on_peer_auth(auth_b), b.on_peer_auth(auth_a)


def test_handshake_authenticates_both_sides_and_frames_round_trip():
    a, b = _pair()
    assert a.peer == B.public
    assert b.peer == A.public
    for message in (b"hello", b"", os.urandom(5000)):
        frame = a.seal(message)
        assert int.from_bytes(frame[:4], "little") == len(frame) - 4
        assert b.open(frame[4:]) == message
    assert a.open(b.seal(b"back")[4:]) == b"back"


def test_invalid_unknown_peer_is_refused():
    with pytest.raises(HandshakeFailed) as error:
        _pair(allowed_by_b=lambda k: k == C.public)
    assert error.value.reason == "unknown_peer"


def test_invalid_other_network_is_refused():
    with pytest.raises(HandshakeFailed) as error:
        _pair(network_b=2)
    assert error.value.reason == "wrong_network"


def test_invalid_impostor_cannot_prove_the_key():
    """C claims to be A (sends A's key in its hello) but signs with its own secret."""
    b = Handshake(network_id=1, node_secret=B.secret, allowed=lambda k: k == A.public, entropy=os.urandom(64))
    impostor = Handshake(network_id=1, node_secret=C.secret, allowed=lambda k: True, entropy=os.urandom(64))
    forged_hello = bytes([1]) + bytes(A.public) + impostor.hello.encode()[49:]
    impostor.on_peer_hello(b.hello.encode())
    b.on_peer_hello(forged_hello)
    forged_auth = impostor.on_peer_hello(b.hello.encode())
    with pytest.raises(HandshakeFailed) as error:
        b.on_peer_auth(forged_auth)
    assert error.value.reason == "bad_auth"


def test_invalid_tampered_frame_is_rejected():
    a, b = _pair()
    frame = a.seal(b"one")[4:]
    with pytest.raises(FrameRejected):
        b.open(frame[:-1] + bytes([frame[-1] ^ 1]))


def test_invalid_replayed_frame_is_rejected():
    a, b = _pair()
    frame = a.seal(b"one")[4:]
    assert b.open(frame) == b"one"
    with pytest.raises(FrameRejected):
        b.open(frame)


def test_invalid_reordered_frame_is_rejected():
    a, b = _pair()
    a.seal(b"one")
    second = a.seal(b"two")[4:]
    with pytest.raises(FrameRejected):
        b.open(second)


def test_invalid_oversize_frames_are_refused_before_reading_or_decrypting():
    from chain.network.channel import MAX_FRAME_BYTES, frame_length

    a, b = _pair()
    with pytest.raises(FrameRejected) as error:
        a.seal(bytes(MAX_FRAME_BYTES + 1))
    assert error.value.reason == "frame_too_large"
    with pytest.raises(FrameRejected) as error:
        frame_length((MAX_FRAME_BYTES + 17).to_bytes(4, "little"))
    assert error.value.reason == "frame_too_large"
    with pytest.raises(FrameRejected) as error:
        b.open(bytes(MAX_FRAME_BYTES + 17))
    assert error.value.reason == "frame_too_large"
    # The channel still works: nothing was consumed by the refusals.
    assert b.open(a.seal(b"after")[4:]) == b"after"
    assert frame_length((MAX_FRAME_BYTES + 16).to_bytes(4, "little")) == MAX_FRAME_BYTES + 16
