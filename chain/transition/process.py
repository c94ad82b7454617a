"""``state_transition(state, block)`` and its steps (reference/dusk-protocol.md §2.1, §2.2,
§2.4; house style: one entry composed of small ``process_*`` steps).

A transaction's life in a block:

1. ``validate_transaction`` (stateless): chain id, gas price > 0, gas limit covers the
   intrinsic gas and fits in a block, deploy price floor, a proven call's public inputs
   below r and its contract not the native stake contract, the sender's BLS signature over
   the signed bytes;
2. ``process_transaction``: the nonce must be exactly stored + 1; a proven call's proof must
   verify against the verifying-key registry of the state (``validate_transaction_proof``:
   ``unknown_verifying_key`` or ``proof_refused:<reason>``, the transaction is then invalid,
   not included); ``value + deposit +
   gas_limit × gas_price`` is debited up front; the payload executes; unused gas and an
   unclaimed deposit are refunded to the refund address; the fee ``gas_spent × gas_price``
   joins the block reward. A failed execution is still included and charged: its effects
   are reverted and ``value`` and ``deposit`` return to the sender; a failed deploy burns
   its whole gas limit (reference §2.4).

After the transactions, :func:`~chain.transition.consensus_effects.apply_consensus_effects`
pays the block reward (emission + fees, §1.9) to the generator, the previous attestation's
voters and the treasury, records the block's faults and applies the slashes (§1.8).

Calls and deploys run in the contract VM (:mod:`chain.vm`, docs/vm-abi.md) with the gas
limit less the intrinsic gas; a failed call is charged what it spent, a failed deploy its
whole gas limit, and a successful deploy emits ``deployed`` (data: the owner) from the new
contract's id. Contracts do not hold the native token yet: a call or deploy with a
``value`` fails with ``value_not_accepted``. Calls to the stake contract
(``STAKE_CONTRACT``) run natively: :mod:`chain.transition.staking`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from chain.crypto import bls12_381 as bls
from chain.crypto import groth16
from chain.crypto.exceptions import ProofRefused
from chain.state.accounts import Account
from chain.state.exceptions import UnknownVerifyingKey
from chain.state.state import State
from chain.state.verifying_keys import verify_statement
from chain.transition.consensus_effects import (
    NO_CONSENSUS_EFFECTS,
    ConsensusEffects,
    apply_consensus_effects,
)
from chain.transition.exceptions import InvalidBlock, InvalidTransaction
from chain.transition.params import (
    BASE_TRANSACTION_GAS,
    DEPLOY_GAS_PER_BYTE,
    GAS_PER_DATA_BYTE,
    MIN_DEPLOY_GAS,
    MIN_DEPLOY_GAS_PRICE,
    ChainParams,
)
from chain.transition.roots import (
    compute_block_hash,
    compute_event_bloom,
    compute_fault_root,
    compute_transaction_id,
    compute_tx_root,
)
from chain.transition.staking import StakeCallFailed, process_stake_call
from chain.types.blocks import (
    HEADER_VERSION,
    MAX_BLOCK_BYTES,
    MAX_BLOCK_TRANSACTIONS,
    Block,
    BlockHeader,
    FailedIteration,
    Fault,
    encode_header,
)
from chain.types.codec import Writer
from chain.types.consensus import EMPTY_ATTESTATION, Attestation
from chain.types.exceptions import OutOfRange
from chain.types.primitives import (
    BlsPublicKey,
    BlsSecretKey,
    BlsSignature,
    Gas,
    Height,
    Iteration,
    Lux,
    Nonce,
    Seed,
    Timestamp,
)
from chain.types.receipts import STAKE_CONTRACT, TRANSFER_CONTRACT, Event, Receipt, ReceiptStatus
from chain.types.transactions import (
    Call,
    Deploy,
    Memo,
    ProvenCall,
    Transaction,
    compute_signing_bytes,
    encode_transaction,
)
from chain.vm.exceptions import CallFailed, InvalidModule
from chain.vm.session import PROOF_INPUT_GAS, PROOF_VERIFY_GAS, BlockInfo, VmSession


@dataclass(frozen=True, slots=True)
class BlockContext:
    """What a transaction may know of the block executing it."""

    params: ChainParams
    height: Height
    timestamp: Timestamp


def compute_intrinsic_gas(tx: Transaction) -> int:
    """Gas charged before any execution: a base plus 16 per data byte; deploys per §2.4; a
    proven call also pays its verification, ``PROOF_VERIFY_GAS + PROOF_INPUT_GAS · n``
    (the VM's ``verify_proof`` price, docs/vm-abi.md)."""
    match tx.data:
        case ProvenCall(fn_name=name, fn_args=args, public_inputs=inputs, proof=proof) as proven:
            data_bytes = 32 + len(name) + len(args) + 32 + 1 + len(inputs) + len(proof)
            return (
                BASE_TRANSACTION_GAS
                + GAS_PER_DATA_BYTE * data_bytes
                + PROOF_VERIFY_GAS
                + PROOF_INPUT_GAS * proven.input_count
            )
        case Deploy(bytecode=bytecode):
            return max(DEPLOY_GAS_PER_BYTE * len(bytecode), MIN_DEPLOY_GAS)
        case Call(fn_name=name, fn_args=args):
            return BASE_TRANSACTION_GAS + GAS_PER_DATA_BYTE * (32 + len(name) + len(args))
        case Memo(memo=memo):
            return BASE_TRANSACTION_GAS + GAS_PER_DATA_BYTE * len(memo)
        case _:
            return BASE_TRANSACTION_GAS


def compute_upfront_cost(tx: Transaction) -> int:
    """``value + deposit + gas_limit × gas_price`` in Lux (may exceed 2^64: checked later)."""
    return int(tx.value) + int(tx.deposit) + int(tx.fee.gas_limit) * int(tx.fee.gas_price)


def validate_transaction(tx: Transaction, *, params: ChainParams, check_signature: bool = True) -> None:
    """Stateless checks; raises ``InvalidTransaction`` with a stable ``reason``."""
    if tx.chain_id != params.chain_id:
        raise InvalidTransaction(
            f"chain id {tx.chain_id} is not this chain's {params.chain_id}", reason="wrong_chain_id"
        )
    if tx.fee.gas_price == 0:
        raise InvalidTransaction("gas price must be positive", reason="zero_gas_price")
    if isinstance(tx.data, ProvenCall):
        _validate_proven_call_shape(tx.data)
    if isinstance(tx.data, Deploy) and tx.fee.gas_price < MIN_DEPLOY_GAS_PRICE:
        raise InvalidTransaction(
            f"deploys need a gas price of at least {MIN_DEPLOY_GAS_PRICE}", reason="gas_price_too_low"
        )
    intrinsic = compute_intrinsic_gas(tx)
    if tx.fee.gas_limit < intrinsic:
        raise InvalidTransaction(
            f"gas limit {tx.fee.gas_limit} is below the intrinsic gas {intrinsic}", reason="gas_limit_too_low"
        )
    if compute_upfront_cost(tx) >= 2**64:
        raise InvalidTransaction("value + deposit + fee overflows 64 bits", reason="value_overflow")
    if tx.fee.gas_limit > params.block_gas_limit:
        raise InvalidTransaction(
            f"gas limit {tx.fee.gas_limit} exceeds the block gas limit {params.block_gas_limit}",
            reason="gas_limit_too_high",
        )
    if check_signature and not bls.Verify(tx.sender, compute_signing_bytes(tx), tx.signature):
        raise InvalidTransaction("the signature does not verify for the sender", reason="bad_signature")


def _validate_proven_call_shape(data: ProvenCall) -> None:
    if data.contract == STAKE_CONTRACT:
        raise InvalidTransaction(
            "the native stake contract takes no proofs", reason="proven_call_to_native_contract"
        )
    try:
        groth16.decode_public_inputs(data.public_inputs)
    except ProofRefused as exc:
        raise InvalidTransaction(str(exc), reason=f"proof_refused:{exc.reason}") from exc


def validate_transaction_proof(state: State, tx: Transaction) -> None:
    """Verify a proven call's proof against the registry of ``state`` (docs/zk.md,
    "Verification in the chain"); nothing for other transactions. Reads, never writes.

    Raises
    ------
    InvalidTransaction
        ``unknown_verifying_key``, or ``proof_refused:<reason>`` with the
        :class:`~chain.crypto.exceptions.ProofRefused` reason (``wrong_public_input_count``,
        ``public_input_out_of_range``, ``invalid_encoding``, ``coordinate_out_of_range``,
        ``not_on_curve``, ``not_in_subgroup``, ``pairing_check_failed``, ...).
    """
    data = tx.data
    if not isinstance(data, ProvenCall):
        return
    try:
        verify_statement(state, data.vk_id, data.public_inputs, data.proof)
    except UnknownVerifyingKey as exc:
        raise InvalidTransaction(str(exc), reason="unknown_verifying_key") from exc
    except ProofRefused as exc:
        message = f"the proof is refused: {exc}"
        raise InvalidTransaction(message, reason=f"proof_refused:{exc.reason}") from exc


def validate_transaction_against_state(state: State, tx: Transaction) -> None:
    """Nonce and balance checks; raises ``InvalidTransaction`` (``nonce_replay``,
    ``nonce_gap``, ``insufficient_balance``)."""
    account = state.get_account(tx.sender)
    expected = int(account.nonce) + 1
    if tx.nonce < expected:
        raise InvalidTransaction(f"nonce {tx.nonce} already used (next is {expected})", reason="nonce_replay")
    if tx.nonce > expected:
        raise InvalidTransaction(f"nonce {tx.nonce} leaves a gap (next is {expected})", reason="nonce_gap")
    cost = compute_upfront_cost(tx)
    if cost > account.balance:
        raise InvalidTransaction(
            f"balance {account.balance} does not cover {cost} Lux", reason="insufficient_balance"
        )


def _credit(state: State, key: BlsPublicKey, amount: int) -> None:
    if amount:
        account = state.get_account(key)
        state.set_account(key, Account(account.nonce, Lux(int(account.balance) + amount)))


def _transfer_event(tx: Transaction) -> Event:
    data = Writer().fixed(tx.sender).fixed(tx.receiver).uint(tx.value).to_bytes()
    return Event(TRANSFER_CONTRACT, "moonlight", data)


def _session(state: State, context: BlockContext, statement: bytes | None = None) -> VmSession:
    block = BlockInfo(int(context.height), int(context.timestamp), int(context.params.chain_id))
    return VmSession(state, block, statement=statement)


def _call(
    state: State,
    tx: Transaction,
    intrinsic: int,
    context: BlockContext,
    target: Call | ProvenCall,
) -> tuple[ReceiptStatus, str, tuple[Event, ...], int, int]:
    """A VM call; a proven call's (already verified) statement is readable by the callee."""
    if tx.value:
        return ReceiptStatus.FAILED, "value_not_accepted", (), intrinsic, 0
    statement = target.statement if isinstance(target, ProvenCall) else None
    try:
        result = _session(state, context, statement).call(
            target.contract,
            target.fn_name,
            target.fn_args,
            caller=tx.sender,
            gas_limit=int(tx.fee.gas_limit) - intrinsic,
        )
    except CallFailed as exc:
        return ReceiptStatus.FAILED, exc.error_code, (), intrinsic + exc.gas_spent, 0
    return ReceiptStatus.SUCCESS, "", result.events, intrinsic + result.gas_spent, 0


def _execute(
    state: State, tx: Transaction, intrinsic: int, context: BlockContext
) -> tuple[ReceiptStatus, str, tuple[Event, ...], int, int]:
    """Run the payload; returns (status, error, events, gas_spent, deposit_claimed). The
    stake contract runs natively; other calls and deploys run in the VM (:mod:`chain.vm`)."""
    match tx.data:
        case Call(contract=contract) if contract == STAKE_CONTRACT:
            try:
                outcome = process_stake_call(
                    state, tx, intrinsic_gas=intrinsic, height=context.height, params=context.params
                )
            except StakeCallFailed as exc:
                return ReceiptStatus.FAILED, exc.reason, (), exc.gas_spent, 0
            return ReceiptStatus.SUCCESS, "", outcome.events, outcome.gas_spent, int(outcome.deposit_claimed)
        case Call() | ProvenCall():
            return _call(state, tx, intrinsic, context, tx.data)
        case Deploy(bytecode=bytecode, owner=owner, init_args=init_args, nonce=nonce):
            burnt = int(tx.fee.gas_limit)
            if tx.value:
                return ReceiptStatus.FAILED, "value_not_accepted", (), burnt, 0
            try:
                contract_id, result = _session(state, context).deploy(
                    bytecode,
                    owner=owner,
                    nonce=int(nonce),
                    init_args=init_args,
                    deployer=tx.sender,
                    gas_limit=burnt - intrinsic,
                )
            except CallFailed as exc:
                return ReceiptStatus.FAILED, exc.error_code, (), burnt, 0
            except InvalidModule as exc:
                return ReceiptStatus.FAILED, exc.reason, (), burnt, 0
            deployed = Event(contract_id, "deployed", bytes(owner))
            return ReceiptStatus.SUCCESS, "", (deployed, *result.events), intrinsic + result.gas_spent, 0
        case _:
            _credit(state, tx.receiver, int(tx.value))
            return ReceiptStatus.SUCCESS, "", (_transfer_event(tx),), intrinsic, 0


def process_transaction(state: State, tx: Transaction, context: BlockContext) -> Receipt:
    """Apply one stateless-valid transaction; atomic: on ``InvalidTransaction`` (or any other
    error) the state is untouched. Returns the receipt (``FAILED`` receipts are included and charged)."""
    validate_transaction_against_state(state, tx)
    validate_transaction_proof(state, tx)
    intrinsic = compute_intrinsic_gas(tx)
    outer = state.snapshot()
    inner: int | None = None
    try:
        sender = state.get_account(tx.sender)
        upfront = compute_upfront_cost(tx)
        state.set_account(
            tx.sender, Account(Nonce(int(sender.nonce) + 1), Lux(int(sender.balance) - upfront))
        )
        inner = state.snapshot()
        status, error, events, gas_spent, claimed = _execute(state, tx, intrinsic, context)
        if status is ReceiptStatus.SUCCESS:
            state.release(inner)
            inner = None
            unclaimed = int(tx.deposit) - claimed  # only the stake contract claims, for now
        else:
            state.rollback(inner)
            inner = None
            _credit(state, tx.sender, int(tx.value) + int(tx.deposit))
            unclaimed = 0
        gas_spent = min(gas_spent, int(tx.fee.gas_limit))
        fee = gas_spent * int(tx.fee.gas_price)
        _credit(
            state,
            tx.fee.refund_address,
            (int(tx.fee.gas_limit) - gas_spent) * int(tx.fee.gas_price) + unclaimed,
        )
    except BaseException as exc:
        if inner is not None:  # the error came from the payload: close its level first
            state.rollback(inner)
        state.rollback(outer)
        if isinstance(exc, OutOfRange):  # a balance above 2^64: impossible with a bounded supply
            raise InvalidTransaction(str(exc), reason="value_overflow") from exc
        raise
    state.release(outer)
    return Receipt(compute_transaction_id(tx), status, Gas(gas_spent), Lux(fee), error, events)


def validate_header(parent: BlockHeader, header: BlockHeader, *, params: ChainParams, now: Timestamp) -> None:
    """Header checks against its parent (reference §1.4, §2.1); raises ``InvalidBlock``.

    ``now`` is the local clock in seconds, given by the caller (nothing ambient).
    """
    if header.version != HEADER_VERSION:
        raise InvalidBlock(f"unknown header version {header.version}", reason="wrong_version")
    if header.height != parent.height + 1:
        raise InvalidBlock(f"height {header.height} does not follow {parent.height}", reason="wrong_height")
    if header.prev_block_hash != compute_block_hash(parent):
        raise InvalidBlock("prev_block_hash is not the parent's hash", reason="wrong_prev_hash")
    if header.timestamp < parent.timestamp + params.min_block_time:
        raise InvalidBlock(
            f"timestamp {header.timestamp} is earlier than parent + {params.min_block_time} s",
            reason="timestamp_too_early",
        )
    if header.timestamp > now + params.max_future_seconds:
        raise InvalidBlock(f"timestamp {header.timestamp} is in the future", reason="timestamp_in_future")
    if not bls.Verify(header.generator, bytes(parent.seed), BlsSignature(header.seed)):
        raise InvalidBlock("the seed is not the generator's signature of the parent seed", reason="bad_seed")
    if header.gas_limit != params.block_gas_limit:
        raise InvalidBlock(
            f"gas limit {header.gas_limit} is not {params.block_gas_limit}", reason="wrong_gas_limit"
        )


def _check_signatures(
    block: Block, entropy: bytes, is_verified: Callable[[Transaction], bool] | None
) -> None:
    triples = [
        (tx.sender, compute_signing_bytes(tx), tx.signature)
        for tx in block.transactions
        if is_verified is None or not is_verified(tx)
    ]
    triples.append((block.header.generator, bytes(compute_block_hash(block.header)), block.header.signature))
    if not bls.batch_verify(triples, entropy=entropy):
        raise InvalidBlock("a transaction or the block signature does not verify", reason="bad_signature")


def state_transition(
    state: State,
    block: Block,
    *,
    parent: BlockHeader,
    params: ChainParams,
    now: Timestamp,
    entropy: bytes,
    effects: ConsensusEffects = NO_CONSENSUS_EFFECTS,
    is_verified: Callable[[Transaction], bool] | None = None,
) -> list[Receipt]:
    """Validate ``block`` against ``parent`` and apply it to ``state``.

    ``entropy`` seeds the random linear combination of the batched signature check; the
    node passes fresh random bytes. ``effects`` are the rewards and slashes consensus
    derived from the header and checked (voters of ``prev_block_cert``, failed iterations,
    faults; :func:`chain.consensus.incentives.compute_consensus_effects`).
    ``is_verified(tx)`` tells transactions whose exact bytes, signature included, this node
    has already verified (its mempool): their signatures are not checked again. On
    ``InvalidBlock`` (or any other error) the state is exactly as before.

    Returns
    -------
    list[Receipt]
        One receipt per transaction, in block order.
    """
    _check_duplicates(block)
    validate_header(parent, block.header, params=params, now=now)
    if block.header.tx_root != compute_tx_root(block.transactions):
        raise InvalidBlock("tx_root does not match the transactions", reason="wrong_tx_root")
    if block.header.fault_root != compute_fault_root(block.faults):
        raise InvalidBlock("fault_root does not match the faults", reason="wrong_fault_root")
    for tx in block.transactions:
        try:
            validate_transaction(tx, params=params, check_signature=False)
        except InvalidTransaction as exc:
            raise InvalidBlock(f"transaction invalid: {exc}", reason="invalid_transaction") from exc
    _check_signatures(block, entropy, is_verified)
    snapshot = state.snapshot()
    try:
        receipts = process_transactions(state, block.transactions, _context(block.header, params))
        if sum(r.gas_spent for r in receipts) > block.header.gas_limit:
            raise InvalidBlock("transactions use more gas than the block allows", reason="gas_limit_exceeded")
        apply_consensus_effects(
            state,
            header=block.header,
            fees=sum(int(r.fee_paid) for r in receipts),
            faults=block.faults,
            effects=effects,
            params=params,
        )
        if block.header.event_bloom != compute_event_bloom(e for r in receipts for e in r.events):
            raise InvalidBlock("event bloom does not match the receipts", reason="wrong_event_bloom")
        if block.header.state_root != state.compute_state_root():
            raise InvalidBlock("state root does not match execution", reason="wrong_state_root")
    except BaseException:
        state.rollback(snapshot)
        raise
    state.release(snapshot)
    return receipts


def _check_duplicates(block: Block) -> None:
    """The Merkle tree repeats an odd level's last leaf, so a block whose transactions (or
    faults) end with a copy of the last one has the same root and hash as the block without
    it (CVE-2012-2459 class): no transaction or fault may appear twice."""
    tx_ids = {compute_transaction_id(tx) for tx in block.transactions}
    if len(tx_ids) != len(block.transactions):
        raise InvalidBlock("a transaction appears twice", reason="duplicate_transaction")
    if len(set(block.faults)) != len(block.faults):
        raise InvalidBlock("a fault appears twice", reason="duplicate_fault")


def _context(header: BlockHeader, params: ChainParams) -> BlockContext:
    return BlockContext(params, header.height, header.timestamp)


def process_transactions(
    state: State, transactions: Sequence[Transaction], context: BlockContext
) -> list[Receipt]:
    """Apply transactions in order; an ``InvalidTransaction`` makes the block invalid."""
    receipts = []
    for index, tx in enumerate(transactions):
        try:
            receipts.append(process_transaction(state, tx, context))
        except InvalidTransaction as exc:
            raise InvalidBlock(f"transaction {index}: {exc}", reason="invalid_transaction") from exc
    return receipts


@dataclass(frozen=True, slots=True)
class AssembledBlock:
    block: Block
    receipts: list[Receipt]
    rejected: list[tuple[Transaction, str]]
    """Candidates left out, with the reason (``nonce_gap``, ``insufficient_balance``, ...)."""


def assemble_block(
    state: State,
    *,
    parent: BlockHeader,
    candidates: Sequence[Transaction],
    params: ChainParams,
    timestamp: Timestamp,
    generator_key: BlsSecretKey,
    iteration: int = 0,
    prev_block_cert: Attestation = EMPTY_ATTESTATION,
    failed_iterations: tuple[FailedIteration | None, ...] = (),
    faults: tuple[Fault, ...] = (),
    compute_effects: Callable[[BlockHeader], ConsensusEffects] | None = None,
) -> AssembledBlock:
    """Build and sign the next block from ``candidates`` (already stateless-valid), applying
    it to ``state``. Candidates that fail against the state are left out and reported.

    The single-authority producer uses the defaults; a consensus generator passes its
    ``iteration``, the parent's attestation (``prev_block_cert``), the round's failed
    iterations (reference §2.1), the fault evidence to carry (checked, not yet reported)
    and ``compute_effects``, which derives the rewards and slashes from the unsigned header
    exactly as validators will from the signed one (without it: ``NO_CONSENSUS_EFFECTS``).

    Raises
    ------
    InvalidBlock
        As :func:`apply_consensus_effects` (a fault already reported); ``state`` is then
        exactly as before.
    """
    generator = bls.SkToPk(generator_key)
    header = BlockHeader(
        version=parent.version,
        height=Height(parent.height + 1),
        timestamp=timestamp,
        prev_block_hash=compute_block_hash(parent),
        seed=Seed(bls.Sign(generator_key, bytes(parent.seed))),
        state_root=parent.state_root,
        event_bloom=parent.event_bloom,
        generator=generator,
        tx_root=parent.tx_root,
        fault_root=compute_fault_root(faults),
        gas_limit=params.block_gas_limit,
        iteration=Iteration(iteration),
        prev_block_cert=prev_block_cert,
        failed_iterations=failed_iterations,
        signature=parent.signature,
    )
    context = _context(header, params)
    effects = NO_CONSENSUS_EFFECTS if compute_effects is None else compute_effects(header)
    snapshot = state.snapshot()
    try:
        included, receipts, rejected = _fill_block(state, header, candidates, context)
        apply_consensus_effects(
            state,
            header=header,
            fees=sum(int(r.fee_paid) for r in receipts),
            faults=faults,
            effects=effects,
            params=params,
        )
    except BaseException:
        state.rollback(snapshot)
        raise
    state.release(snapshot)
    header = replace(
        header,
        state_root=state.compute_state_root(),
        event_bloom=compute_event_bloom(e for r in receipts for e in r.events),
        tx_root=compute_tx_root(included),
    )
    header = replace(header, signature=bls.Sign(generator_key, bytes(compute_block_hash(header))))
    return AssembledBlock(Block(header, tuple(included), faults), receipts, rejected)


def _fill_block(
    state: State, header: BlockHeader, candidates: Sequence[Transaction], context: BlockContext
) -> tuple[list[Transaction], list[Receipt], list[tuple[Transaction, str]]]:
    """Apply candidates in order while they fit the block's gas and size limits (§1.4);
    returns (included, their receipts, rejected with reasons)."""
    included: list[Transaction] = []
    receipts: list[Receipt] = []
    rejected: list[tuple[Transaction, str]] = []
    gas_used = 0
    size = len(encode_header(header)) + 8
    for tx in candidates:
        if len(included) >= MAX_BLOCK_TRANSACTIONS:
            break
        tx_size = len(encode_transaction(tx)) + 4
        if (
            gas_used + int(tx.fee.gas_limit) > context.params.block_gas_limit
            or size + tx_size > MAX_BLOCK_BYTES
        ):
            continue
        try:
            receipt = process_transaction(state, tx, context)
        except InvalidTransaction as exc:
            rejected.append((tx, exc.reason))
            continue
        included.append(tx)
        receipts.append(receipt)
        gas_used += int(receipt.gas_spent)
        size += tx_size
    return included, receipts, rejected
