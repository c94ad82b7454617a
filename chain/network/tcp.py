"""Asyncio TCP adapter: authenticated, encrypted channels (``channel.py``) between a fixed
set of peers, and a flooding broadcast that reaches every peer.

It only moves bytes: the handshake and framing are the sans-I/O ``Handshake`` and
``SecureChannel``; de-duplication is by message id. Each node dials the peers whose node key
sorts above its own and accepts the others, so every pair has one connection; broken
connections are redialled with back-off.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from chain.network.abc import BroadcastAPI, MessageHandler
from chain.network.channel import AUTH_BYTES, HELLO_BYTES, Handshake, SecureChannel, frame_length
from chain.network.exceptions import NetworkError
from chain.network.messages import Envelope, compute_message_id, decode_envelope, encode_envelope
from chain.types.exceptions import DecodeError
from chain.types.primitives import BlsPublicKey, BlsSecretKey, Hash32

log = logging.getLogger("chain.network")

SEEN_MESSAGES = 100_000
HANDSHAKE_TIMEOUT = 5.0


class _Connection:
    def __init__(self, channel: SecureChannel, writer: asyncio.StreamWriter) -> None:
        self.channel = channel
        self.writer = writer
        self.lock = asyncio.Lock()

    async def send(self, payload: bytes) -> None:
        async with self.lock:
            self.writer.write(self.channel.seal(payload))
            await self.writer.drain()


class TcpBroadcast(BroadcastAPI):
    """A node's network endpoint.

    Parameters
    ----------
    peers
        ``(node key, host, port)`` of every other node; only these keys may connect.
    on_message
        Awaited once for each distinct message received (relayed to the others first).
    """

    def __init__(
        self,
        *,
        network_id: int,
        node_secret: BlsSecretKey,
        node_key: BlsPublicKey,
        listen: tuple[str, int],
        peers: Sequence[tuple[BlsPublicKey, str, int]],
        on_message: MessageHandler,
        entropy: Callable[[int], bytes] = os.urandom,
    ) -> None:
        self.network_id = network_id
        self._secret = node_secret
        self.node_key = node_key
        self._listen = listen
        self._peers = {key: (host, port) for key, host, port in peers}
        self._on_message = on_message
        self._entropy = entropy
        self._connections: dict[BlsPublicKey, _Connection] = {}
        self._seen: OrderedDict[Hash32, None] = OrderedDict()
        self._server: asyncio.AbstractServer | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.rejected = 0
        """Frames and handshakes refused (bad auth, unknown peers, malformed messages)."""
        self.handler_errors = 0
        """Messages whose ``on_message`` raised (logged; the connection stays up)."""

    # -- lifecycle -------------------------------------------------------------------
    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, *self._listen)
        for key in self._peers:
            if bytes(self.node_key) < bytes(key):
                self._spawn(self._dial_forever(key))

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        for connection in list(self._connections.values()):
            connection.writer.close()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._connections.clear()

    def connected_peers(self) -> list[BlsPublicKey]:
        return sorted(self._connections)

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- sending ---------------------------------------------------------------------
    async def broadcast(self, envelope: Envelope) -> None:
        self._remember(compute_message_id(envelope))
        await self._send_all(encode_envelope(envelope), exclude=None)

    async def send_to(self, peer: BlsPublicKey, envelope: Envelope) -> bool:
        connection = self._connections.get(peer)
        if connection is None:
            return False
        try:
            await connection.send(encode_envelope(envelope))
        except (ConnectionError, NetworkError):
            return False
        return True

    async def _send_all(self, payload: bytes, *, exclude: BlsPublicKey | None) -> None:
        for key, connection in list(self._connections.items()):
            if key == exclude:
                continue
            try:
                await connection.send(payload)
            except (ConnectionError, NetworkError) as exc:
                log.info("send to %s failed: %s", key.hex()[:12], exc)

    def _remember(self, message_id: Hash32) -> bool:
        """True if new."""
        if message_id in self._seen:
            return False
        self._seen[message_id] = None
        if len(self._seen) > SEEN_MESSAGES:
            self._seen.popitem(last=False)
        return True

    # -- connections -----------------------------------------------------------------
    async def _dial_forever(self, key: BlsPublicKey) -> None:
        delay = 0.1
        host, port = self._peers[key]
        while True:
            if key not in self._connections:
                try:
                    reader, writer = await asyncio.open_connection(host, port)
                    await self._run(reader, writer, expected=key)
                    delay = 0.1
                except (OSError, NetworkError, asyncio.IncompleteReadError, TimeoutError) as exc:
                    log.debug("dial %s:%d: %s", host, port, exc)
                except Exception:  # noqa: BLE001 - the dial loop must outlive any one failure
                    log.exception("dial %s:%d failed unexpectedly; redialling", host, port)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self._run(reader, writer, expected=None)
        except asyncio.CancelledError:
            # The server closes at shutdown. Ending the handler here, rather than as a
            # cancelled task, keeps asyncio's stream callback from logging every open
            # connection as an ERROR with a traceback on each stop of a node.
            log.debug("inbound connection closed: the node is stopping")
        except (OSError, NetworkError, asyncio.IncompleteReadError, TimeoutError) as exc:
            log.debug("inbound connection: %s", exc)
        except Exception:  # noqa: BLE001 - one bad connection must not reach the server
            log.exception("inbound connection failed unexpectedly")

    async def _run(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, expected: BlsPublicKey | None
    ) -> None:
        handshake = Handshake(
            network_id=self.network_id,
            node_secret=self._secret,
            allowed=lambda key: key in self._peers and (expected is None or key == expected),
            entropy=self._entropy(64),
        )
        established = False
        try:
            writer.write(handshake.hello.encode())
            await writer.drain()
            auth = handshake.on_peer_hello(
                await asyncio.wait_for(reader.readexactly(HELLO_BYTES), HANDSHAKE_TIMEOUT)
            )
            writer.write(auth)
            await writer.drain()
            channel = handshake.on_peer_auth(
                await asyncio.wait_for(reader.readexactly(AUTH_BYTES), HANDSHAKE_TIMEOUT)
            )
            established = True
        except NetworkError:
            self.rejected += 1
            raise
        finally:
            if not established:  # timeout, EOF, OSError, refusal or cancellation: no leak
                writer.close()
        connection = _Connection(channel, writer)
        self._connections[channel.peer] = connection
        try:
            while True:
                length = frame_length(await reader.readexactly(4))
                plaintext = channel.open(await reader.readexactly(length))
                try:
                    envelope = decode_envelope(plaintext)
                except DecodeError:
                    self.rejected += 1
                    continue
                if self._remember(compute_message_id(envelope)):
                    await self._send_all(plaintext, exclude=channel.peer)
                    try:
                        await self._on_message(channel.peer, envelope)
                    except Exception:  # noqa: BLE001 - a handler bug must not drop the peer
                        self.handler_errors += 1
                        log.exception("message handler failed on a %s message", envelope.topic)
        except NetworkError:
            self.rejected += 1
            raise
        finally:
            if self._connections.get(channel.peer) is connection:
                del self._connections[channel.peer]
            writer.close()
