"""The broadcast interface consensus and the node use; Kadcast will implement it later."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable

from chain.network.messages import Envelope
from chain.types.primitives import BlsPublicKey

#: Called once per distinct message: (the peer it came from, the envelope).
MessageHandler = Callable[[BlsPublicKey, Envelope], Awaitable[None]]


class BroadcastAPI(ABC):
    """Reach every peer with a message; deliver each distinct incoming message once."""

    @abstractmethod
    async def start(self) -> None:
        """Listen and connect to the configured peers."""

    @abstractmethod
    async def broadcast(self, envelope: Envelope) -> None:
        """Send ``envelope`` so that every connected peer receives it (once)."""

    @abstractmethod
    async def send_to(self, peer: BlsPublicKey, envelope: Envelope) -> bool:
        """Send to one peer (synchronisation requests); False if not connected."""

    @abstractmethod
    def connected_peers(self) -> list[BlsPublicKey]:
        """The peers with an established channel."""

    @abstractmethod
    async def close(self) -> None:
        """Close every connection and stop listening."""
