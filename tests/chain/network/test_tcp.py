"""Three nodes on loopback: every broadcast reaches every other node exactly once; a node
with an unknown key cannot join."""

from __future__ import annotations

import asyncio

from chain.network.messages import Envelope, Topic
from chain.network.tcp import TcpBroadcast
from chain.types.primitives import BlsPublicKey
from tests.chain.helpers import keypair
from tests.chain.nodeproc import free_ports

KEYS = [keypair(f"tcp-{i}") for i in range(3)]


async def _network(keys, ports, received):
    nodes = []
    for i, key in enumerate(keys):

        async def handler(peer: BlsPublicKey, envelope: Envelope, i: int = i) -> None:
            received[i].append((peer, envelope))

        peers = [
            (k.public, "127.0.0.1", p) for j, (k, p) in enumerate(zip(KEYS, ports, strict=True)) if j != i
        ]
        nodes.append(
            TcpBroadcast(
                network_id=9,
                node_secret=key.secret,
                node_key=key.public,
                listen=("127.0.0.1", ports[i]),
                peers=peers,
                on_message=handler,
            )
        )
    for node in nodes:
        await node.start()
    return nodes


async def _wait(predicate, timeout=10.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


def test_broadcast_reaches_every_peer_once():
    async def scenario() -> None:
        ports = free_ports(3)
        received: list[list[tuple[BlsPublicKey, Envelope]]] = [[], [], []]
        nodes = await _network(KEYS, ports, received)
        try:
            await _wait(lambda: all(len(n.connected_peers()) == 2 for n in nodes))
            await nodes[0].broadcast(Envelope(Topic.TX, b"payload-1"))
            await nodes[2].broadcast(Envelope(Topic.BLOCK, b"payload-2"))
            await _wait(lambda: len(received[1]) == 2 and len(received[0]) == 1 and len(received[2]) == 1)
            await asyncio.sleep(0.2)  # relays would arrive now if de-duplication failed
            assert sorted(e.payload for _, e in received[1]) == [b"payload-1", b"payload-2"]
            assert [e.payload for _, e in received[0]] == [b"payload-2"]
            assert [e.payload for _, e in received[2]] == [b"payload-1"]
            assert await nodes[1].send_to(KEYS[0].public, Envelope(Topic.GET_BLOCKS, b"from-1"))
            await _wait(lambda: len(received[0]) == 2)
            assert received[0][1] == (KEYS[1].public, Envelope(Topic.GET_BLOCKS, b"from-1"))
        finally:
            for node in nodes:
                await node.close()

    asyncio.run(scenario())


def test_invalid_unknown_node_cannot_join():
    async def scenario() -> None:
        ports = free_ports(2)
        received: list[list[tuple[BlsPublicKey, Envelope]]] = [[], []]
        stranger = keypair("stranger")

        async def handler(peer: BlsPublicKey, envelope: Envelope) -> None:
            received[0].append((peer, envelope))

        member = TcpBroadcast(
            network_id=9,
            node_secret=KEYS[0].secret,
            node_key=KEYS[0].public,
            listen=("127.0.0.1", ports[0]),
            peers=[(KEYS[1].public, "127.0.0.1", ports[1])],
            on_message=handler,
        )
        intruder = TcpBroadcast(
            network_id=9,
            node_secret=stranger.secret,
            node_key=stranger.public,
            listen=("127.0.0.1", ports[1]),
            peers=[(KEYS[0].public, "127.0.0.1", ports[0])],
            on_message=handler,
        )
        await member.start()
        await intruder.start()
        try:
            await asyncio.sleep(1.0)
            assert member.connected_peers() == []
            assert intruder.connected_peers() == []
            await intruder.broadcast(Envelope(Topic.TX, b"spam"))
            await asyncio.sleep(0.2)
            assert received[0] == []
        finally:
            await member.close()
            await intruder.close()

    asyncio.run(scenario())


def _member(port: int, peer_port: int, handler) -> TcpBroadcast:
    return TcpBroadcast(
        network_id=9,
        node_secret=KEYS[0].secret,
        node_key=KEYS[0].public,
        listen=("127.0.0.1", port),
        peers=[(KEYS[1].public, "127.0.0.1", peer_port)],
        on_message=handler,
    )


async def _ignore(peer: BlsPublicKey, envelope: Envelope) -> None:
    return None


def test_invalid_silent_client_is_disconnected_after_the_handshake_timeout(monkeypatch):
    """A client that never answers the hello is dropped (its socket closed) at the timeout."""
    from chain.network import tcp
    from chain.network.channel import HELLO_BYTES

    monkeypatch.setattr(tcp, "HANDSHAKE_TIMEOUT", 0.2)

    async def scenario() -> None:
        port, peer_port = free_ports(2)
        member = _member(port, peer_port, _ignore)
        await member.start()
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            await reader.readexactly(HELLO_BYTES)
            assert await asyncio.wait_for(reader.read(1), 3.0) == b""  # EOF: the server closed
            writer.close()
        finally:
            await member.close()

    asyncio.run(scenario())


def test_invalid_half_closed_client_is_disconnected():
    """EOF in the middle of the handshake closes the server's side too."""
    from chain.network.channel import HELLO_BYTES

    async def scenario() -> None:
        port, peer_port = free_ports(2)
        member = _member(port, peer_port, _ignore)
        await member.start()
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            await reader.readexactly(HELLO_BYTES)
            writer.write(b"\x00" * 3)
            writer.write_eof()
            assert await asyncio.wait_for(reader.read(1), 3.0) == b""
            writer.close()
        finally:
            await member.close()

    asyncio.run(scenario())


def test_invalid_failing_handler_does_not_break_the_connection():
    """An exception from ``on_message`` is counted; the connection and later messages live on."""

    async def scenario() -> None:
        ports = free_ports(2)
        received: list[bytes] = []

        async def handler(peer: BlsPublicKey, envelope: Envelope) -> None:
            if envelope.payload == b"poison":
                raise ValueError("handler bug")
            received.append(envelope.payload)

        nodes = [
            TcpBroadcast(
                network_id=9,
                node_secret=KEYS[i].secret,
                node_key=KEYS[i].public,
                listen=("127.0.0.1", ports[i]),
                peers=[(KEYS[1 - i].public, "127.0.0.1", ports[1 - i])],
                on_message=handler,
            )
            for i in range(2)
        ]
        for node in nodes:
            await node.start()
        try:
            await _wait(lambda: all(len(n.connected_peers()) == 1 for n in nodes))
            await nodes[0].broadcast(Envelope(Topic.TX, b"poison"))
            await _wait(lambda: nodes[1].handler_errors == 1)
            await nodes[0].broadcast(Envelope(Topic.TX, b"after"))
            await _wait(lambda: received == [b"after"])
            assert all(len(n.connected_peers()) == 1 for n in nodes)
        finally:
            for node in nodes:
                await node.close()

    asyncio.run(scenario())


def test_invalid_unexpected_dial_error_does_not_stop_redialling(monkeypatch):
    """Any exception while dialling is logged and the dial loop keeps trying."""

    async def scenario() -> None:
        port, peer_port = free_ports(2)
        low, high = sorted(KEYS[:2], key=lambda k: bytes(k.public))  # the lower key dials
        dialler = TcpBroadcast(
            network_id=9,
            node_secret=low.secret,
            node_key=low.public,
            listen=("127.0.0.1", port),
            peers=[(high.public, "127.0.0.1", peer_port)],
            on_message=_ignore,
        )
        calls = 0
        real_open = asyncio.open_connection

        async def flaky_open(*args, **kwargs):
            nonlocal calls
            calls += 1
            if calls == 1:
                raise RuntimeError("unexpected")
            return await real_open(*args, **kwargs)

        monkeypatch.setattr(asyncio, "open_connection", flaky_open)
        await dialler.start()
        try:
            await _wait(lambda: calls >= 3, timeout=5.0)
        finally:
            await dialler.close()

    asyncio.run(scenario())
