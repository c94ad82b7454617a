"""Chain parameters: fixed at genesis, read by the transition and the node.

Defaults follow reference/dusk-protocol.md (block gas limit 3e9, §2.4; timestamp at most
3 s ahead of the local clock, §1.4); timing is configuration so a devnet makes a block
every second or two (DESIGN.md, Consensus).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from chain.types.primitives import ChainId, Gas, Lux

#: Gloam's gas schedule for native transactions until the VM (fuel) arrives.
BASE_TRANSACTION_GAS: Final = 21_000
GAS_PER_DATA_BYTE: Final = 16
#: Deploys cost max(100 gas/byte × length, 5,000,000) (reference §2.4).
DEPLOY_GAS_PER_BYTE: Final = 100
MIN_DEPLOY_GAS: Final = 5_000_000


@dataclass(frozen=True, slots=True)
class ChainParams:
    chain_id: ChainId
    block_gas_limit: Gas = Gas(3_000_000_000)
    """Gas a block may use (reference §2.4)."""
    min_block_time: int = 10
    """Seconds between a block and its parent, at least (reference §1.4; devnets use 1)."""
    max_future_seconds: int = 3
    """How far ahead of the local clock a timestamp may be (reference §1.4)."""
    min_gas_price: Lux = Lux(1)
    """Lowest gas price the mempool admits (consensus only needs > 0, reference §2.4)."""
    epoch_length: int = 2160
    """Blocks per epoch (reference §1.1; devnets use fewer)."""
