"""Moonlight (public account) transactions (reference/dusk-protocol.md §2.2, §2.4).

Layout of an encoded transaction, integers little-endian::

    chain_id:u8 ‖ sender[48] ‖ receiver[48] ‖ value:u64 ‖ deposit:u64
    ‖ gas_limit:u64 ‖ gas_price:u64 ‖ refund_address[48] ‖ nonce:u64
    ‖ data ‖ signature[96]

``data`` is a tag byte and a body: 0 none; 1 call ``contract[32] ‖ fn_name ‖ fn_args``;
2 deploy ``bytecode ‖ owner[48] ‖ has_init:u8 [‖ init_args] ‖ nonce:u64``; 3 memo
``memo``; 4 proven call ``contract[32] ‖ fn_name ‖ fn_args ‖ vk_id[32] ‖ count:u8 ‖
public_inputs[32·count] ‖ proof[192]`` (a call carrying one Groth16 proof, verified against
the verifying-key registry before the call runs; docs/zk.md, "Verification in the chain";
``count`` ≤ ``MAX_PROOF_PUBLIC_INPUTS``, each input a 32-byte little-endian scalar, the proof
``A ‖ B ‖ C`` compressed as in :mod:`chain.crypto.groth16`); variable fields are
``len:u32 ‖ bytes``. The attachment is part of the signed bytes. Decoding checks only the
shape (tag, lengths, the count bound); whether the inputs are < r, the points valid and the
proof true is for validation (:mod:`chain.transition.process`).

Deviation from the reference: the signed bytes are a domain tag followed by the full,
fixed-layout payload (receiver and refund address always present). The reference omits
the receiver and the refund address when they equal the sender, which makes two different
payloads able to share signed bytes; a fixed layout cannot.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from chain.types.codec import Reader, Writer
from chain.types.exceptions import DecodeError, OutOfRange
from chain.types.primitives import (
    U64,
    BlsPublicKey,
    BlsSignature,
    ChainId,
    ContractId,
    Gas,
    Hash32,
    Lux,
    Nonce,
)

#: Domain separation tag of the signed bytes.
SIGNING_DOMAIN: Final = b"GLOAM-MOONLIGHT-TX-V1"
#: Bounds (reference §2.4: memo ≤ 512 B; §4: 64 KiB argument buffer; §1.4: blocks ≤ 1 MiB).
MAX_MEMO_BYTES: Final = 512
MAX_FN_NAME_BYTES: Final = 64
MAX_FN_ARGS_BYTES: Final = 64 * 1024
MAX_BYTECODE_BYTES: Final = 512 * 1024
MAX_TRANSACTION_BYTES: Final = 600 * 1024

_FN_NAME = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*\Z")

TAG_NONE: Final = 0
TAG_CALL: Final = 1
TAG_DEPLOY: Final = 2
TAG_MEMO: Final = 3
TAG_PROVEN_CALL: Final = 4
#: Most public inputs a proven call carries (the Phoenix transfer circuits have 29 and 30).
MAX_PROOF_PUBLIC_INPUTS: Final = 32
#: Bytes of one public input and of a proof (as :mod:`chain.crypto.groth16`, which this layer
#: does not import).
PROOF_PUBLIC_INPUT_BYTES: Final = 32
PROOF_BYTES: Final = 192


@dataclass(frozen=True, slots=True)
class Fee:
    """What the sender pays: ``gas_limit × gas_price`` up front, unused gas refunded."""

    gas_limit: Gas
    gas_price: Lux
    refund_address: BlsPublicKey


@dataclass(frozen=True, slots=True)
class Call:
    """Call ``fn_name`` of ``contract`` with serialised ``fn_args`` (reference §2.4 tag 1)."""

    contract: ContractId
    fn_name: str
    fn_args: bytes


@dataclass(frozen=True, slots=True)
class Deploy:
    """Deploy ``bytecode`` owned by ``owner`` (reference §2.4 tag 2)."""

    bytecode: bytes
    owner: BlsPublicKey
    init_args: bytes | None
    nonce: U64


@dataclass(frozen=True, slots=True)
class Memo:
    """Free bytes attached to a transfer, at most 512 (reference §2.4 tag 3)."""

    memo: bytes


@dataclass(frozen=True, slots=True)
class ProvenCall:
    """A call with one attached Groth16 proof (tag 4): ``public_inputs`` is ``32·n`` bytes
    (``n`` ≤ ``MAX_PROOF_PUBLIC_INPUTS``), ``proof`` 192 bytes, ``vk_id`` the registered key
    (:mod:`chain.state.verifying_keys`)."""

    contract: ContractId
    fn_name: str
    fn_args: bytes
    vk_id: Hash32
    public_inputs: bytes
    proof: bytes

    @property
    def input_count(self) -> int:
        """How many public inputs are attached."""
        return len(self.public_inputs) // PROOF_PUBLIC_INPUT_BYTES

    @property
    def statement(self) -> bytes:
        """``vk_id ‖ public_inputs``: what the proof proves, as the contract reads it."""
        return bytes(self.vk_id) + self.public_inputs


TransactionData = Call | Deploy | Memo | ProvenCall | None


@dataclass(frozen=True, slots=True)
class Transaction:
    """A signed Moonlight transaction (reference §2.2)."""

    chain_id: ChainId
    sender: BlsPublicKey
    receiver: BlsPublicKey
    value: Lux
    deposit: Lux
    fee: Fee
    nonce: Nonce
    data: TransactionData
    signature: BlsSignature


def validate_fn_name(name: str) -> None:
    """Raise ``OutOfRange`` unless ``name`` is an identifier of at most 64 ASCII bytes."""
    raw = name.encode("utf-8")
    if len(raw) > MAX_FN_NAME_BYTES or not _FN_NAME.match(raw):
        raise OutOfRange(f"invalid function name {name!r}")


def _encode_data(writer: Writer, data: TransactionData) -> None:
    match data:
        case None:
            writer.u8(TAG_NONE)
        case Call(contract=contract, fn_name=fn_name, fn_args=fn_args):
            validate_fn_name(fn_name)
            writer.u8(TAG_CALL).fixed(contract)
            writer.var_bytes(fn_name.encode("ascii"), max_length=MAX_FN_NAME_BYTES)
            writer.var_bytes(fn_args, max_length=MAX_FN_ARGS_BYTES)
        case Deploy(bytecode=bytecode, owner=owner, init_args=init_args, nonce=nonce):
            writer.u8(TAG_DEPLOY).var_bytes(bytecode, max_length=MAX_BYTECODE_BYTES).fixed(owner)
            if init_args is None:
                writer.u8(0)
            else:
                writer.u8(1).var_bytes(init_args, max_length=MAX_FN_ARGS_BYTES)
            writer.uint(U64(nonce))
        case Memo(memo=memo):
            writer.u8(TAG_MEMO).var_bytes(memo, max_length=MAX_MEMO_BYTES)
        case ProvenCall():
            _encode_proven_call(writer, data)


def _encode_proven_call(writer: Writer, data: ProvenCall) -> None:
    validate_fn_name(data.fn_name)
    inputs, proof = data.public_inputs, data.proof
    if not isinstance(inputs, bytes) or len(inputs) % PROOF_PUBLIC_INPUT_BYTES:
        raise OutOfRange(f"public inputs are a multiple of {PROOF_PUBLIC_INPUT_BYTES} bytes")
    if len(inputs) > PROOF_PUBLIC_INPUT_BYTES * MAX_PROOF_PUBLIC_INPUTS:
        raise OutOfRange(f"more than {MAX_PROOF_PUBLIC_INPUTS} public inputs")
    if not isinstance(proof, bytes) or len(proof) != PROOF_BYTES:
        raise OutOfRange(f"a proof is {PROOF_BYTES} bytes")
    writer.u8(TAG_PROVEN_CALL).fixed(data.contract)
    writer.var_bytes(data.fn_name.encode("ascii"), max_length=MAX_FN_NAME_BYTES)
    writer.var_bytes(data.fn_args, max_length=MAX_FN_ARGS_BYTES)
    writer.fixed(data.vk_id).u8(len(inputs) // PROOF_PUBLIC_INPUT_BYTES).raw(inputs).raw(proof)


def _decode_proven_call(reader: Reader) -> ProvenCall:
    contract = reader.fixed(ContractId)
    raw_name = reader.var_bytes(max_length=MAX_FN_NAME_BYTES)
    if not _FN_NAME.match(raw_name):
        raise DecodeError("invalid function name", reason="invalid_value")
    fn_args = reader.var_bytes(max_length=MAX_FN_ARGS_BYTES)
    vk_id = reader.fixed(Hash32)
    count = reader.u8()
    if count > MAX_PROOF_PUBLIC_INPUTS:
        raise DecodeError(f"{count} public inputs exceed {MAX_PROOF_PUBLIC_INPUTS}", reason="out_of_range")
    inputs = reader.take(PROOF_PUBLIC_INPUT_BYTES * count)
    proof = reader.take(PROOF_BYTES)
    return ProvenCall(contract, raw_name.decode("ascii"), fn_args, vk_id, inputs, proof)


def _decode_data(reader: Reader) -> TransactionData:
    tag = reader.u8()
    if tag == TAG_NONE:
        return None
    if tag == TAG_CALL:
        contract = reader.fixed(ContractId)
        raw_name = reader.var_bytes(max_length=MAX_FN_NAME_BYTES)
        if not _FN_NAME.match(raw_name):
            raise DecodeError("invalid function name", reason="invalid_value")
        return Call(contract, raw_name.decode("ascii"), reader.var_bytes(max_length=MAX_FN_ARGS_BYTES))
    if tag == TAG_DEPLOY:
        bytecode = reader.var_bytes(max_length=MAX_BYTECODE_BYTES)
        owner = reader.fixed(BlsPublicKey)
        has_init = reader.u8()
        if has_init not in (0, 1):
            raise DecodeError(f"invalid init_args flag {has_init}", reason="unknown_tag")
        init_args = reader.var_bytes(max_length=MAX_FN_ARGS_BYTES) if has_init else None
        return Deploy(bytecode, owner, init_args, reader.uint(U64))
    if tag == TAG_MEMO:
        return Memo(reader.var_bytes(max_length=MAX_MEMO_BYTES))
    if tag == TAG_PROVEN_CALL:
        return _decode_proven_call(reader)
    raise DecodeError(f"unknown transaction data tag {tag}", reason="unknown_tag")


def _encode_payload(writer: Writer, tx: Transaction) -> None:
    writer.uint(tx.chain_id).fixed(tx.sender).fixed(tx.receiver)
    writer.uint(tx.value).uint(tx.deposit)
    writer.uint(tx.fee.gas_limit).uint(tx.fee.gas_price).fixed(tx.fee.refund_address)
    writer.uint(tx.nonce)
    _encode_data(writer, tx.data)


def compute_signing_bytes(tx: Transaction) -> bytes:
    """The bytes the sender signs: ``SIGNING_DOMAIN ‖ payload`` (the signature excluded)."""
    writer = Writer().raw(SIGNING_DOMAIN)
    _encode_payload(writer, tx)
    return writer.to_bytes()


def encode_transaction(tx: Transaction) -> bytes:
    """Canonical bytes of ``tx``; raises ``OutOfRange`` if a field exceeds its bound."""
    writer = Writer()
    _encode_payload(writer, tx)
    encoded = writer.fixed(tx.signature).to_bytes()
    if len(encoded) > MAX_TRANSACTION_BYTES:
        raise OutOfRange(f"transaction of {len(encoded)} bytes exceeds {MAX_TRANSACTION_BYTES}")
    return encoded


def decode_transaction_from(reader: Reader) -> Transaction:
    """Decode one transaction from ``reader`` (no trailing-bytes check)."""
    chain_id = reader.uint(ChainId)
    sender = reader.fixed(BlsPublicKey)
    receiver = reader.fixed(BlsPublicKey)
    value = reader.uint(Lux)
    deposit = reader.uint(Lux)
    fee = Fee(reader.uint(Gas), reader.uint(Lux), reader.fixed(BlsPublicKey))
    nonce = reader.uint(Nonce)
    data = _decode_data(reader)
    return Transaction(
        chain_id, sender, receiver, value, deposit, fee, nonce, data, reader.fixed(BlsSignature)
    )


def decode_transaction(data: bytes) -> Transaction:
    """Decode exactly one transaction.

    Raises
    ------
    DecodeError
        ``short_input``, ``trailing_bytes``, ``unknown_tag``, ``out_of_range`` (also for
        input above ``MAX_TRANSACTION_BYTES``) or ``invalid_value``.
    """
    if len(data) > MAX_TRANSACTION_BYTES:
        raise DecodeError(f"{len(data)} bytes exceed {MAX_TRANSACTION_BYTES}", reason="out_of_range")
    reader = Reader(data)
    try:
        tx = decode_transaction_from(reader)
    except OutOfRange as exc:
        raise DecodeError(str(exc), reason="out_of_range") from exc
    reader.finish()
    return tx
