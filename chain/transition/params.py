"""Chain parameters: fixed at genesis, read by the transition and the node.

Defaults follow reference/dusk-protocol.md (block gas limit 3e9, §2.4; timestamp at most
3 s ahead of the local clock, §1.4); timing is configuration so a devnet makes a block
every second or two (DESIGN.md, Consensus).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from chain.types.primitives import BlsPublicKey, ChainId, Gas, Lux

#: Gloam's gas schedule for native transactions until the VM (fuel) arrives.
BASE_TRANSACTION_GAS: Final = 21_000
GAS_PER_DATA_BYTE: Final = 16
#: Deploys cost max(100 gas/byte × length, 5,000,000) (reference §2.4).
DEPLOY_GAS_PER_BYTE: Final = 100
MIN_DEPLOY_GAS: Final = 5_000_000
#: Deploys need a gas price of at least 2,000 Lux (reference §2.4).
MIN_DEPLOY_GAS_PRICE: Final = 2000
#: Gas of a native stake-contract call over its intrinsic gas: ``stake`` checks two BLS
#: signatures (the proof of possession and the provisioner's consent, reference §3).
STAKE_CALL_GAS: Final = 100_000
UNSTAKE_CALL_GAS: Final = 10_000
WITHDRAW_CALL_GAS: Final = 10_000
#: 1 unit of the native token in Lux (reference preamble: 1 DUSK = 10^9 LUX).
LUX_PER_UNIT: Final = 10**9
#: 1,000 units (reference §1.1).
DEFAULT_MINIMUM_STAKE: Final = 1_000 * LUX_PER_UNIT


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
    minimum_stake: Lux = Lux(DEFAULT_MINIMUM_STAKE)
    """Smallest stake a provisioner may hold, in Lux (1,000 units, reference §1.1, §3;
    devnets may stake less)."""
    treasury: BlsPublicKey = BlsPublicKey.zero()
    """Key credited with the "Dusk key" share of block rewards (reference §1.9). The
    default, 48 zero bytes, is no valid key: what it accrues can never be withdrawn."""
