"""Provisioner stakes: the stake contract, run natively until the VM exists (issue 5).

Sources: reference/dusk-protocol.md §1.1 (minimum stake, epochs, eligibility), §1.8 (soft and
hard slashing), §3 "Stake" (``stake``, ``unstake``, ``withdraw``) and §2.4 (a deposit must be
claimed by the callee); DESIGN.md "Signatures: a deliberate deviation" (IETF BLS, keys in G1,
proof of possession checked when a stake is registered).

Calls
-----
A stake call is a Moonlight transaction whose data is
``Call(contract=STAKE_CONTRACT, fn_name, fn_args)``. ``fn_args`` has a fixed layout, integers
little-endian, and must be exactly as long as given:

============ ======================================================================== =====
fn_name      fn_args                                                                  bytes
============ ======================================================================== =====
``stake``    ``provisioner[48] ‖ value:u64 ‖ pop[96] ‖ provisioner_signature[96]``    248
``unstake``  ``provisioner[48] ‖ value:u64``                                          56
``withdraw`` ``provisioner[48] ‖ value:u64``                                          56
============ ======================================================================== =====

- ``stake`` is paid from the transaction's ``deposit``, which must equal ``value``: the stake
  contract claims it (§2.4). ``pop`` is ``PopProve`` by the provisioner key; it is checked
  when a stake is created (the key's first stake, or a new stake after a full unstake) and
  ignored on top-ups. ``provisioner_signature`` is the provisioner key's ``Sign`` over
  :func:`compute_stake_signing_bytes` (``domain ‖ chain_id ‖ provisioner ‖ owner ‖ value``):
  as in §3 both keys sign, the owner (the sender) through the transaction itself. Gloam adds
  the domain tag ``GLOAM-STAKE-V1`` so that these bytes can never be another message's. The
  consent carries no nonce: replaying it only lets the same owner add the same value again.
- ``unstake`` returns ``value`` Lux of stake to the owner's account (from ``value`` first,
  then ``locked``; what remains must be 0 or at least the minimum, §3).
- ``withdraw`` pays ``value`` Lux of accumulated reward to the owner's account. Rewards are
  minted when earned (:mod:`chain.transition.rewards`), so this only moves them.

The transaction's ``value`` must be 0 (a stake is funded by the deposit); a deposit sent
with ``unstake`` or ``withdraw`` is not claimed and is refunded.

Owner
-----
The sender of the first stake of a key becomes its owner; only the owner may top it up,
unstake or withdraw. The owner is stored in the ``b"sown"`` row only when it differs from
the provisioner key: no row means the key owns itself (genesis provisioners, and treasury
rewards). The stake row and the owner are kept after a full unstake, so a key's fault
counters survive and a later stake needs the same owner.

Failures raise :class:`StakeCallFailed`; the transition turns them into a ``FAILED`` receipt
with ``reason`` as its error code, charges the gas and reverts the call's effects.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final

from chain.crypto import bls12_381 as bls
from chain.state.accounts import Account
from chain.state.stakes import Stake, StakeAmount
from chain.state.state import State
from chain.transition.exceptions import TransitionError
from chain.transition.params import (
    STAKE_CALL_GAS,
    UNSTAKE_CALL_GAS,
    WITHDRAW_CALL_GAS,
    ChainParams,
)
from chain.types.codec import Reader, Writer
from chain.types.exceptions import ChainTypesError
from chain.types.primitives import U8, BlsPublicKey, BlsSignature, ChainId, Height, Lux
from chain.types.receipts import STAKE_CONTRACT, Event
from chain.types.transactions import Call, Transaction

#: Domain tag of the bytes a provisioner key signs to consent to a stake.
STAKE_SIGNING_DOMAIN: Final = b"GLOAM-STAKE-V1"
STAKE_ARGS_BYTES: Final = 48 + 8 + 96 + 96
UNSTAKE_ARGS_BYTES: Final = 48 + 8
WITHDRAW_ARGS_BYTES: Final = 48 + 8
#: Share of a top-up of an eligible stake that is locked, in percent (reference §3).
TOP_UP_LOCK_PERCENT: Final = 10
#: Share of the stake moved to ``locked`` (soft) or burned (hard) per effective fault (§1.8).
SLASH_PERCENT_PER_FAULT: Final = 10

#: Gas of each stake-contract function over the transaction's intrinsic gas.
CALL_GAS: Final = {"stake": STAKE_CALL_GAS, "unstake": UNSTAKE_CALL_GAS, "withdraw": WITHDRAW_CALL_GAS}


class StakeCallFailed(TransitionError):
    """A stake call that fails; ``reason`` becomes the receipt's error code:
    ``unknown_function``, ``bad_arguments``, ``out_of_gas``, ``value_not_accepted``,
    ``deposit_mismatch``, ``zero_value``, ``below_minimum``, ``bad_pop``,
    ``bad_stake_signature``, ``wrong_owner``, ``no_stake``, ``insufficient_stake``,
    ``remainder_below_minimum``, ``nothing_to_withdraw``, ``insufficient_reward``."""

    gas_spent: int = 0
    """Gas the failed call spent (set by :func:`process_stake_call`)."""


@dataclass(frozen=True, slots=True)
class StakeArgs:
    """Arguments of ``stake`` (248 bytes, layout in the module docstring)."""

    provisioner: BlsPublicKey
    value: Lux
    """Lux to stake; the transaction's deposit must be exactly this."""
    pop: BlsSignature
    """``PopProve`` by the provisioner key; checked when a stake is created."""
    signature: BlsSignature
    """The provisioner key's signature over :func:`compute_stake_signing_bytes`."""


@dataclass(frozen=True, slots=True)
class UnstakeArgs:
    """Arguments of ``unstake`` (56 bytes)."""

    provisioner: BlsPublicKey
    value: Lux
    """Lux of stake to return to the owner."""


@dataclass(frozen=True, slots=True)
class WithdrawArgs:
    """Arguments of ``withdraw`` (56 bytes)."""

    provisioner: BlsPublicKey
    value: Lux
    """Lux of accumulated reward to pay to the owner."""


@dataclass(frozen=True, slots=True)
class StakeCallOutcome:
    """What a successful stake call did."""

    events: tuple[Event, ...]
    gas_spent: int
    deposit_claimed: Lux
    """Lux of the transaction's deposit the stake contract keeps (the rest is refunded)."""


# -- encoding --------------------------------------------------------------------------------


def encode_stake_args(args: StakeArgs) -> bytes:
    """``provisioner[48] ‖ value:u64 ‖ pop[96] ‖ signature[96]`` (248 bytes)."""
    writer = Writer().fixed(args.provisioner).uint(args.value)
    return writer.fixed(args.pop).fixed(args.signature).to_bytes()


def encode_unstake_args(args: UnstakeArgs) -> bytes:
    """``provisioner[48] ‖ value:u64`` (56 bytes)."""
    return Writer().fixed(args.provisioner).uint(args.value).to_bytes()


def encode_withdraw_args(args: WithdrawArgs) -> bytes:
    """``provisioner[48] ‖ value:u64`` (56 bytes)."""
    return Writer().fixed(args.provisioner).uint(args.value).to_bytes()


def decode_stake_args(data: bytes) -> StakeArgs:
    """Decode :func:`encode_stake_args`; raises ``StakeCallFailed`` (``bad_arguments``)."""
    try:
        reader = Reader(data)
        args = StakeArgs(
            reader.fixed(BlsPublicKey),
            reader.uint(Lux),
            reader.fixed(BlsSignature),
            reader.fixed(BlsSignature),
        )
        reader.finish()
    except ChainTypesError as exc:
        raise StakeCallFailed(f"stake arguments: {exc}", reason="bad_arguments") from exc
    return args


def decode_unstake_args(data: bytes) -> UnstakeArgs:
    """Decode :func:`encode_unstake_args`; raises ``StakeCallFailed`` (``bad_arguments``)."""
    provisioner, value = _decode_key_and_value(data, "unstake")
    return UnstakeArgs(provisioner, value)


def decode_withdraw_args(data: bytes) -> WithdrawArgs:
    """Decode :func:`encode_withdraw_args`; raises ``StakeCallFailed`` (``bad_arguments``)."""
    provisioner, value = _decode_key_and_value(data, "withdraw")
    return WithdrawArgs(provisioner, value)


def _decode_key_and_value(data: bytes, fn_name: str) -> tuple[BlsPublicKey, Lux]:
    try:
        reader = Reader(data)
        provisioner, value = reader.fixed(BlsPublicKey), reader.uint(Lux)
        reader.finish()
    except ChainTypesError as exc:
        raise StakeCallFailed(f"{fn_name} arguments: {exc}", reason="bad_arguments") from exc
    return provisioner, value


def compute_stake_signing_bytes(
    chain_id: ChainId, provisioner: BlsPublicKey, owner: BlsPublicKey, value: Lux
) -> bytes:
    """The bytes a provisioner key signs to consent to a stake of ``value`` Lux owned by
    ``owner``: ``b"GLOAM-STAKE-V1" ‖ chain_id:u8 ‖ provisioner[48] ‖ owner[48] ‖ value:u64``
    (123 bytes; reference §3 without the domain tag)."""
    writer = Writer().raw(STAKE_SIGNING_DOMAIN).uint(chain_id)
    return writer.fixed(provisioner).fixed(owner).uint(value).to_bytes()


# -- epochs and eligibility (reference §1.1) ---------------------------------------------------


def compute_next_epoch(height: Height, epoch_length: int) -> Height:
    """The first height of the epoch after ``height``: ``h + E − h mod E`` (reference §1.1)."""
    return Height(height + epoch_length - height % epoch_length)


def compute_eligibility(height: Height, epoch_length: int) -> Height:
    """The first round a stake made at ``height`` may vote in: ``next_epoch(h) + E``, between
    ``E + 1`` and ``2E`` blocks later (2,161–4,320 for E = 2,160; reference §1.1)."""
    return Height(compute_next_epoch(height, epoch_length) + epoch_length)


def is_eligible(stake: Stake | None, height: Height, params: ChainParams) -> bool:
    """True if ``stake`` may be drawn in round ``height``: an amount whose eligibility is at
    most ``height`` and whose value is at least the minimum stake (reference §1.1)."""
    return (
        stake is not None
        and stake.amount is not None
        and stake.amount.eligibility <= height
        and stake.amount.value >= params.minimum_stake
    )


def get_stake_owner(state: State, provisioner: BlsPublicKey) -> BlsPublicKey:
    """The account that owns the stake of ``provisioner``: the recorded owner, else the
    provisioner key itself (module docstring, Owner)."""
    return state.get_stake_owner(provisioner) or provisioner


# -- the calls (reference §3) ----------------------------------------------------------------


def apply_stake(
    state: State,
    args: StakeArgs,
    *,
    sender: BlsPublicKey,
    deposit: Lux,
    height: Height,
    params: ChainParams,
) -> Event:
    """Stake ``args.value`` Lux of ``sender``'s deposit on ``args.provisioner``.

    A new stake (no amount yet) needs at least ``params.minimum_stake`` and a valid proof of
    possession, and becomes eligible at :func:`compute_eligibility` of ``height``. A top-up
    adds to ``value``; topping up an eligible stake moves 10% of the top-up (rounded down) to
    ``locked`` instead (reference §3). State is written only once every check passed.

    Returns
    -------
    Event
        ``stake`` from the stake contract, data ``provisioner[48] ‖ owner[48] ‖ value:u64``.

    Raises
    ------
    StakeCallFailed
        ``deposit_mismatch``, ``zero_value``, ``wrong_owner``, ``below_minimum``, ``bad_pop``,
        ``bad_stake_signature``.
    """
    value = int(args.value)
    if deposit != value:
        raise StakeCallFailed(
            f"the deposit {deposit} is not the staked value {value}", reason="deposit_mismatch"
        )
    if value == 0:
        raise StakeCallFailed("nothing to stake", reason="zero_value")
    stake = state.get_stake(args.provisioner)
    if stake is not None and get_stake_owner(state, args.provisioner) != sender:
        raise StakeCallFailed("only the stake's owner may add to it", reason="wrong_owner")
    creating = stake is None or stake.amount is None
    if creating and value < params.minimum_stake:
        raise StakeCallFailed(
            f"a new stake needs at least {params.minimum_stake} Lux, got {value}", reason="below_minimum"
        )
    if creating and not bls.PopVerify(args.provisioner, args.pop):
        raise StakeCallFailed("the proof of possession does not verify", reason="bad_pop")
    message = compute_stake_signing_bytes(params.chain_id, args.provisioner, sender, args.value)
    if not bls.Verify(args.provisioner, message, args.signature):
        raise StakeCallFailed("the provisioner key did not sign this stake", reason="bad_stake_signature")

    if stake is None or stake.amount is None:
        amount = StakeAmount(args.value, Lux(0), compute_eligibility(height, params.epoch_length))
        base = stake if stake is not None else Stake(None, Lux(0), U8(0), U8(0))
        if stake is None and sender != args.provisioner:
            state.set_stake_owner(args.provisioner, sender)
    else:
        current = stake.amount
        locked = value * TOP_UP_LOCK_PERCENT // 100 if current.eligibility <= height else 0
        amount = replace(
            current, value=Lux(current.value + value - locked), locked=Lux(current.locked + locked)
        )
        base = stake
    state.set_stake(args.provisioner, replace(base, amount=amount))
    return _event("stake", args.provisioner, sender, value)


def apply_unstake(state: State, args: UnstakeArgs, *, sender: BlsPublicKey, params: ChainParams) -> Event:
    """Return ``args.value`` Lux of the stake of ``args.provisioner`` to its owner's account,
    taken from ``value`` first, then from ``locked``; what remains must be 0 (the amount is
    removed) or at least ``params.minimum_stake`` (reference §3). Eligibility is unchanged.

    Returns
    -------
    Event
        ``unstake``, data ``provisioner[48] ‖ owner[48] ‖ value:u64``.

    Raises
    ------
    StakeCallFailed
        ``zero_value``, ``no_stake``, ``wrong_owner``, ``insufficient_stake``,
        ``remainder_below_minimum``.
    """
    value = int(args.value)
    if value == 0:
        raise StakeCallFailed("nothing to unstake", reason="zero_value")
    stake = state.get_stake(args.provisioner)
    if stake is None or stake.amount is None:
        raise StakeCallFailed("the key has nothing staked", reason="no_stake")
    if get_stake_owner(state, args.provisioner) != sender:
        raise StakeCallFailed("only the stake's owner may unstake", reason="wrong_owner")
    current = stake.amount
    total = int(current.value) + int(current.locked)
    if value > total:
        raise StakeCallFailed(f"{value} Lux exceeds the stake of {total}", reason="insufficient_stake")
    remaining = total - value
    if 0 < remaining < params.minimum_stake:
        raise StakeCallFailed(
            f"{remaining} Lux would remain, below the minimum {params.minimum_stake}",
            reason="remainder_below_minimum",
        )
    from_value = min(value, int(current.value))
    amount = (
        None
        if remaining == 0
        else replace(
            current,
            value=Lux(current.value - from_value),
            locked=Lux(current.locked - (value - from_value)),
        )
    )
    state.set_stake(args.provisioner, replace(stake, amount=amount))
    _credit(state, sender, value)
    return _event("unstake", args.provisioner, sender, value)


def apply_withdraw(state: State, args: WithdrawArgs, *, sender: BlsPublicKey) -> Event:
    """Pay ``args.value`` Lux of the accumulated reward of ``args.provisioner`` to its owner's
    account (reference §3 ``withdraw``; the reward was minted when earned, §1.9).

    Returns
    -------
    Event
        ``withdraw``, data ``provisioner[48] ‖ owner[48] ‖ value:u64``.

    Raises
    ------
    StakeCallFailed
        ``no_stake``, ``wrong_owner``, ``nothing_to_withdraw`` (no reward), ``zero_value``,
        ``insufficient_reward``.
    """
    stake = state.get_stake(args.provisioner)
    if stake is None:
        raise StakeCallFailed("the key has no stake", reason="no_stake")
    if get_stake_owner(state, args.provisioner) != sender:
        raise StakeCallFailed("only the stake's owner may withdraw", reason="wrong_owner")
    if stake.reward == 0:
        raise StakeCallFailed("no reward to withdraw", reason="nothing_to_withdraw")
    value = int(args.value)
    if value == 0:
        raise StakeCallFailed("nothing to withdraw", reason="zero_value")
    if value > stake.reward:
        raise StakeCallFailed(
            f"{value} Lux exceeds the reward of {stake.reward}", reason="insufficient_reward"
        )
    state.set_stake(args.provisioner, replace(stake, reward=Lux(stake.reward - value)))
    _credit(state, sender, value)
    return _event("withdraw", args.provisioner, sender, value)


def process_stake_call(
    state: State, tx: Transaction, *, intrinsic_gas: int, height: Height, params: ChainParams
) -> StakeCallOutcome:
    """Run a call to ``STAKE_CONTRACT`` natively.

    A call costs ``intrinsic_gas`` plus :data:`CALL_GAS` of its function, whether it
    succeeds or not; an unknown function costs the intrinsic gas only.

    Raises
    ------
    StakeCallFailed
        ``unknown_function``, ``out_of_gas`` (the gas limit does not cover the call; the
        whole limit is spent), ``value_not_accepted`` (``tx.value`` is not 0),
        ``bad_arguments``, or any reason of :func:`apply_stake`, :func:`apply_unstake`,
        :func:`apply_withdraw`. ``gas_spent`` of the failure is in the exception.
    """
    if not isinstance(tx.data, Call) or tx.data.contract != STAKE_CONTRACT:
        raise StakeCallFailed("not a stake contract call", reason="unknown_function")
    call = tx.data
    if call.fn_name not in CALL_GAS:
        raise _failed(
            f"the stake contract has no function {call.fn_name!r}", "unknown_function", intrinsic_gas
        )
    gas = intrinsic_gas + CALL_GAS[call.fn_name]
    if gas > tx.fee.gas_limit:
        raise _failed(f"{call.fn_name} needs {gas} gas", "out_of_gas", int(tx.fee.gas_limit))
    try:
        if tx.value != 0:
            raise StakeCallFailed("stake calls carry no value", reason="value_not_accepted")
        claimed = Lux(0)
        if call.fn_name == "stake":
            stake_args = decode_stake_args(call.fn_args)
            event = apply_stake(
                state, stake_args, sender=tx.sender, deposit=tx.deposit, height=height, params=params
            )
            claimed = stake_args.value
        elif call.fn_name == "unstake":
            event = apply_unstake(state, decode_unstake_args(call.fn_args), sender=tx.sender, params=params)
        else:
            event = apply_withdraw(state, decode_withdraw_args(call.fn_args), sender=tx.sender)
    except StakeCallFailed as exc:
        exc.gas_spent = gas
        raise
    return StakeCallOutcome((event,), gas, claimed)


# -- slashing (reference §1.8) -----------------------------------------------------------------


def apply_soft_slash(
    state: State, provisioner: BlsPublicKey, *, height: Height, params: ChainParams
) -> Stake | None:
    """Soft-slash ``provisioner`` at ``height`` (reference §1.8).

    ``faults += 1`` (saturating at 255) and ``eff = faults − 1``: the first fault is a
    warning. If ``eff > 0`` the stake becomes eligible again only at
    ``next_epoch(h) + eff·E`` and ``value·eff·10%`` (rounded down, at most ``value``) moves
    from ``value`` to ``locked``; nothing is burned.

    Returns
    -------
    Stake | None
        The slashed stake, or ``None`` (nothing done) if the key has no staked amount, e.g.
        because it unstaked everything in the same block.
    """
    stake = state.get_stake(provisioner)
    if stake is None or stake.amount is None:
        return None
    faults = min(int(stake.faults) + 1, 255)
    effective = faults - 1
    amount = stake.amount
    if effective > 0:
        to_lock = min(int(amount.value), int(amount.value) * effective * SLASH_PERCENT_PER_FAULT // 100)
        amount = StakeAmount(
            value=Lux(amount.value - to_lock),
            locked=Lux(amount.locked + to_lock),
            eligibility=Height(
                compute_next_epoch(height, params.epoch_length) + effective * params.epoch_length
            ),
        )
    slashed = replace(stake, amount=amount, faults=U8(faults))
    state.set_stake(provisioner, slashed)
    return slashed


def apply_hard_slash(
    state: State, provisioner: BlsPublicKey, *, height: Height, severity: int, params: ChainParams
) -> Stake | None:
    """Hard-slash ``provisioner`` (reference §1.8; dormant: hard slashing is disabled
    upstream and nothing in Gloam calls this yet).

    ``hard_faults += severity`` (saturating at 255); the stake is suspended until
    ``next_epoch(h) + hard_faults·E``; ``value·hard_faults·10%`` (rounded down, at most
    ``value``) is burned, so the supply shrinks by it.

    Returns
    -------
    Stake | None
        The slashed stake, or ``None`` if the key has no staked amount.
    """
    stake = state.get_stake(provisioner)
    if stake is None or stake.amount is None:
        return None
    hard_faults = min(int(stake.hard_faults) + severity, 255)
    amount = stake.amount
    to_burn = min(int(amount.value), int(amount.value) * hard_faults * SLASH_PERCENT_PER_FAULT // 100)
    amount = replace(
        amount,
        value=Lux(amount.value - to_burn),
        eligibility=Height(
            compute_next_epoch(height, params.epoch_length) + hard_faults * params.epoch_length
        ),
    )
    slashed = replace(stake, amount=amount, hard_faults=U8(hard_faults))
    state.set_stake(provisioner, slashed)
    return slashed


# -- helpers -----------------------------------------------------------------------------------


def _event(topic: str, provisioner: BlsPublicKey, owner: BlsPublicKey, value: int) -> Event:
    return Event(STAKE_CONTRACT, topic, Writer().fixed(provisioner).fixed(owner).uint(Lux(value)).to_bytes())


def _credit(state: State, key: BlsPublicKey, amount: int) -> None:
    account = state.get_account(key)
    state.set_account(key, Account(account.nonce, Lux(int(account.balance) + amount)))


def _failed(message: str, reason: str, gas_spent: int) -> StakeCallFailed:
    error = StakeCallFailed(message, reason=reason)
    error.gas_spent = gas_spent
    return error
