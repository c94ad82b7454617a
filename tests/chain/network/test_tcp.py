"""Three nodes on loopback: every broadcast reaches every other node exactly once; a node
with an unknown key cannot join."""

from __future__ import annotations

import asyncio
import socket

from chain.network.messages import Envelope, Topic
from chain.network.tcp import TcpBroadcast
from chain.types.primitives import BlsPublicKey
from tests.chain.helpers import keypair

KEYS = [keypair(f"tcp-{i}") for i in range(3)]


def _ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


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
        ports = _ports(3)
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
        ports = _ports(2)
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
