"""The byte layouts of the genesis contracts, for callers outside the VM (docs/contracts.md).

The platform reaches these through :mod:`chain.node.client` (DESIGN.md, Layout): it builds a
call's arguments here, signs the call with ``client.sign_contract_call`` and reads results
and events with the ``decode_*`` functions. Every layout is docs/contracts.md's, integers
little-endian; an out-of-range value raises :class:`AbiError` (a ``ValueError``) with a
stable ``reason`` before anything is signed, and a malformed result raises it too.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "ACCOUNT_TAG",
    "ANY_ISSUER",
    "CONTRACT_TAG",
    "DEPLOYABLE_CONTRACTS",
    "GENESIS_CONTRACTS",
    "MAX_BATCH",
    "MAX_LEGS",
    "AbiError",
    "BallotInfo",
    "Claim",
    "ClaimTopic",
    "Condition",
    "ConditionKind",
    "DvpBatchResult",
    "DvpCreated",
    "DvpSettleFailed",
    "DvpSettleResult",
    "Holding",
    "InvestorCategory",
    "Leg",
    "SecurityTokenInfo",
    "TransferCode",
    "account_address",
    "citadel_condition",
    "contract_address",
    "decode_ballot_info",
    "decode_ballot_tally",
    "decode_ballot_vote",
    "decode_claims",
    "decode_codes",
    "decode_dvp_batch_result",
    "decode_dvp_created",
    "decode_dvp_settle_failed",
    "decode_dvp_settle_result",
    "decode_dvp_settled",
    "decode_holdings",
    "decode_security_token_info",
    "decode_u32",
    "decode_u64",
    "encode_address_amount",
    "encode_ballot_init",
    "encode_ballot_vote",
    "encode_cash_token_init",
    "encode_claim",
    "encode_conditions",
    "encode_country",
    "encode_dvp_create",
    "encode_dvp_settle_batch",
    "encode_limits",
    "encode_security_token_init",
    "encode_u64",
    "get_contract_code",
    "PHOENIX_NOTE_BYTES",
    "PhoenixInfo",
    "PhoenixNoteEvent",
    "PhoenixTransferEvent",
    "decode_phoenix_info",
    "decode_phoenix_note_event",
    "decode_phoenix_transfer_event",
    "encode_phoenix_init",
    "encode_phoenix_transfer",
    "encode_dvp_bind_shielded_cash",
    "phoenix_payment_fields",
    "phoenix_payload_hash",
    "CITADEL_ADULT_DAYS",
    "CITADEL_CHALLENGE_DOMAIN",
    "CitadelInfo",
    "CitadelLicenceEvent",
    "CitadelProvider",
    "CitadelRevokedEvent",
    "CitadelSession",
    "CitadelSessionEvent",
    "citadel_adult_cutoff",
    "citadel_challenge",
    "decode_citadel_info",
    "decode_citadel_licence_event",
    "decode_citadel_provider",
    "decode_citadel_provider_event",
    "decode_citadel_revoked_event",
    "decode_citadel_session",
    "decode_citadel_session_event",
    "encode_citadel_add_provider",
    "encode_citadel_init",
    "encode_citadel_issue",
    "encode_citadel_provider",
    "encode_citadel_revoke",
    "encode_citadel_session_key",
]

#: Where ``make contracts`` writes the built modules.
BUILD_DIRECTORY = Path(__file__).resolve().parents[1] / "contracts" / "build"
GENESIS_CONTRACTS = ("cash_token", "identity_registry", "security_token", "dvp", "phoenix", "citadel")
#: Contracts the platform deploys by transaction; a ballot per meeting (proxy voting).
DEPLOYABLE_CONTRACTS = (*GENESIS_CONTRACTS, "ballot")
MAX_MOTIONS = 16
MAX_OPTIONS = 8

ACCOUNT_TAG = 0
CONTRACT_TAG = 1
ADDRESS_BYTES = 49
KEY_BYTES = 48
ID_BYTES = 32
#: A condition's issuer field when any trusted issuer will do.
ANY_ISSUER = bytes(KEY_BYTES)
#: Legs of one DvP instruction (``create``) and instructions of one ``settle_batch``.
MAX_LEGS = 8
MAX_REQUIREMENTS = 4
MAX_CONDITIONS = 4
MAX_CONDITION_VALUES = 8
MAX_BATCH = 255


class AbiError(ValueError):
    """A value that does not fit its layout, or a result that is not the documented one."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class TransferCode(enum.IntEnum):
    """Why a token transfer (or a DvP leg) would fail (docs/contracts.md, token interface)."""

    PAUSED = 1
    SENDER_FROZEN = 2
    RECEIVER_FROZEN = 3
    INSUFFICIENT_BALANCE = 4
    INSUFFICIENT_ALLOWANCE = 5
    SENDER_CONDITIONS = 6
    RECEIVER_CONDITIONS = 7
    MAX_HOLDERS = 8
    MAX_OWNERSHIP = 9
    LOCKUP = 10
    MIN_HOLDING = 11
    INVALID_AMOUNT = 12
    SELF_TRANSFER = 13
    NOT_AFFIRMED = 20
    TOKEN_UNAVAILABLE = 21

    @property
    def code(self) -> str:
        """The stable lower-case name, as in a panic message (``max_holders``)."""
        return self.name.lower()


class ClaimTopic(enum.IntEnum):
    """Claim topics of the identity registry."""

    KYC_VERIFIED = 1
    JURISDICTION = 2
    INVESTOR_CATEGORY = 3
    ACCREDITED = 4


class InvestorCategory(enum.IntEnum):
    """MiFID II client categories (Directive 2014/65/EU, Annex II), the values of topic 3."""

    RETAIL = 1
    PROFESSIONAL = 2
    ELIGIBLE_COUNTERPARTY = 3


class ConditionKind(enum.IntEnum):
    HAS_CLAIM = 0
    VALUE_IN = 1
    VALUE_NOT_IN = 2
    #: The holder has a Citadel session for this token in the citadel contract whose id is
    #: the condition's issuer field (:func:`citadel_condition`; docs/contracts.md).
    CITADEL_SESSION = 3


def citadel_condition(citadel: bytes) -> Condition:
    """A condition met by a holder with a Citadel session (a zero-knowledge proof of a valid
    licence, docs/zk.md "Citadel on chain") for this token in the ``citadel`` contract (32-byte
    id): kind 3, the id in the issuer field's first 32 bytes."""
    issuer = _fixed(citadel, ID_BYTES, "citadel contract") + bytes(16)
    return Condition(0, ConditionKind.CITADEL_SESSION, (), issuer)


def _uint(value: int, size: int, name: str) -> bytes:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 1 << (8 * size):
        raise AbiError(f"{name} must be an integer in [0, 2^{8 * size})", reason="out_of_range")
    return value.to_bytes(size, "little")


def encode_u64(value: int, name: str = "value") -> bytes:
    return _uint(value, 8, name)


def decode_u64(data: bytes) -> int:
    if len(data) != 8:
        raise AbiError(f"expected 8 bytes, got {len(data)}", reason="bad_result")
    return int.from_bytes(data, "little")


def encode_split(numerator: int, denominator: int) -> bytes:
    """``split``'s arguments: ``numerator:u32 ‖ denominator:u32`` (new units for old units;
    a 3-for-2 split is 3, 2; a 1-for-10 reverse split 1, 10; docs/contracts.md). ``AbiError``
    for a term outside 1..2^32 − 1."""
    for name, term in (("numerator", numerator), ("denominator", denominator)):
        if term < 1:
            raise AbiError(f"the split's {name} must be at least 1", reason="invalid_args")
    return _uint(numerator, 4, "numerator") + _uint(denominator, 4, "denominator")


def decode_u32(data: bytes) -> int:
    if len(data) != 4:
        raise AbiError(f"expected 4 bytes, got {len(data)}", reason="bad_result")
    return int.from_bytes(data, "little")


def _fixed(value: bytes, size: int, name: str) -> bytes:
    if len(value) != size:
        raise AbiError(f"{name} must be {size} bytes, got {len(value)}", reason="bad_length")
    return bytes(value)


def account_address(public_key: bytes) -> bytes:
    """The 49-byte Address of an account: tag 0 ‖ its 48-byte BLS public key."""
    return bytes([ACCOUNT_TAG]) + _fixed(public_key, KEY_BYTES, "public key")


def contract_address(contract_id: bytes) -> bytes:
    """The 49-byte Address of a contract: tag 1 ‖ id[32] ‖ 16 zero bytes."""
    return bytes([CONTRACT_TAG]) + _fixed(contract_id, ID_BYTES, "contract id") + bytes(16)


def _address(value: bytes, name: str = "address") -> bytes:
    _fixed(value, ADDRESS_BYTES, name)
    if value[0] == ACCOUNT_TAG or (value[0] == CONTRACT_TAG and value[33:] == bytes(16)):
        return bytes(value)
    raise AbiError(f"{name} is not an account or contract Address", reason="invalid_address")


def encode_address_amount(address: bytes, amount: int) -> bytes:
    """``Address ‖ amount:u64``: the arguments of mint, issue, transfer, approve, redeem, burn
    (cash token)."""
    return _address(address) + encode_u64(amount, "amount")


def encode_cash_token_init(*, issuer: bytes, currency: str, decimals: int) -> bytes:
    """``issuer:key[48] ‖ currency[3] ‖ decimals:u8``; ``currency`` an ISO 4217 code."""
    if len(currency) != 3 or not currency.isascii() or not currency.isupper():
        raise AbiError("currency must be a 3-letter ISO 4217 code", reason="invalid_currency")
    return _fixed(issuer, KEY_BYTES, "issuer") + currency.encode("ascii") + _uint(decimals, 1, "decimals")


def encode_security_token_init(
    *,
    issuer_agent: bytes,
    compliance_agent: bytes,
    registry: bytes,
    isin: str,
    terms_hash: bytes,
    decimals: int,
) -> bytes:
    """``issuer_agent[48] ‖ compliance_agent[48] ‖ registry:id[32] ‖ isin[12] ‖ terms_hash[32] ‖
    decimals:u8``. The ISIN is checked for shape only (the platform validates its check digit)."""
    if len(isin) != 12 or not isin.isascii() or not isin.isalnum():
        raise AbiError("isin must be 12 ASCII letters or digits", reason="invalid_isin")
    return (
        _fixed(issuer_agent, KEY_BYTES, "issuer agent")
        + _fixed(compliance_agent, KEY_BYTES, "compliance agent")
        + _fixed(registry, ID_BYTES, "registry")
        + isin.encode("ascii")
        + _fixed(terms_hash, 32, "terms hash")
        + _uint(decimals, 1, "decimals")
    )


def encode_country(alpha2: str) -> int:
    """An ISO 3166-1 alpha-2 code as the registry's claim value: two ASCII bytes read as u16 LE."""
    if len(alpha2) != 2 or not alpha2.isascii() or not alpha2.isupper() or not alpha2.isalpha():
        raise AbiError("a country is two upper-case ISO 3166-1 letters", reason="invalid_country")
    return int.from_bytes(alpha2.encode("ascii"), "little")


def encode_claim(*, subject: bytes, topic: int, value: int, expiry: int, evidence_hash: bytes) -> bytes:
    """``add_claim``: ``subject:Address ‖ topic:u8 ‖ value:u16 ‖ expiry:u64 ‖ evidence[32]``;
    ``expiry`` in unix seconds."""
    return (
        _address(subject, "subject")
        + _uint(int(topic), 1, "topic")
        + _uint(value, 2, "value")
        + encode_u64(expiry, "expiry")
        + _fixed(evidence_hash, 32, "evidence hash")
    )


@dataclass(frozen=True, slots=True)
class Claim:
    topic: int
    issuer: bytes
    value: int
    expiry: int
    """Unix seconds; valid while the block timestamp is below it."""


def decode_claims(data: bytes) -> list[Claim]:
    """``claims_of``: ``count:u8 ‖ (topic:u8 ‖ issuer[48] ‖ value:u16 ‖ expiry:u64) · count``."""
    if not data or len(data) != 1 + 59 * data[0]:
        raise AbiError("claims_of answered an unexpected length", reason="bad_result")
    claims = []
    for i in range(data[0]):
        rec = data[1 + 59 * i : 60 + 59 * i]
        value, expiry = int.from_bytes(rec[49:51], "little"), int.from_bytes(rec[51:59], "little")
        claims.append(Claim(rec[0], rec[1:49], value, expiry))
    return claims


@dataclass(frozen=True, slots=True)
class Condition:
    """One condition of a requirement (Polymesh's model): ``kind`` on ``topic``, with up to 8
    ``values`` (allow/deny lists), from ``issuer`` (a 48-byte key; all zero = any trusted)."""

    topic: int
    kind: ConditionKind
    values: tuple[int, ...] = ()
    issuer: bytes = ANY_ISSUER

    def encode(self) -> bytes:
        if len(self.values) > MAX_CONDITION_VALUES:
            raise AbiError("a condition holds at most 8 values", reason="too_many_values")
        padded = list(self.values) + [0] * (MAX_CONDITION_VALUES - len(self.values))
        return (
            _uint(int(self.topic), 1, "topic")
            + _uint(int(self.kind), 1, "kind")
            + _fixed(self.issuer, KEY_BYTES, "issuer")
            + _uint(len(self.values), 1, "n")
            + b"".join(_uint(v, 2, "value") for v in padded)
        )


Requirement = Sequence[Condition]
"""An AND of up to 4 conditions."""


def _requirement_list(requirements: Sequence[Requirement], name: str) -> bytes:
    if len(requirements) > MAX_REQUIREMENTS:
        raise AbiError(f"{name}: at most 4 requirements", reason="too_many_requirements")
    out = bytes([len(requirements)])
    for requirement in requirements:
        if len(requirement) > MAX_CONDITIONS:
            raise AbiError(f"{name}: at most 4 conditions per requirement", reason="too_many_conditions")
        out += bytes([len(requirement)]) + b"".join(c.encode() for c in requirement)
    return out


def encode_conditions(*, sender: Sequence[Requirement] = (), receiver: Sequence[Requirement] = ()) -> bytes:
    """``set_conditions``: the sender's then the receiver's OR-list of AND-requirements; an
    empty list always passes."""
    return _requirement_list(sender, "sender") + _requirement_list(receiver, "receiver")


def encode_limits(
    *, max_holders: int = 0, max_ownership_bps: int = 0, lockup_until: int = 0, min_holding: int = 0
) -> bytes:
    """``set_limits``: ``max_holders:u32 ‖ max_ownership_bps:u16 ‖ lockup_until:u64 (unix s) ‖
    min_holding:u64``; 0 = no limit. ``max_ownership_bps`` in basis points (≤ 10,000)."""
    if max_ownership_bps > 10_000:
        raise AbiError("max_ownership_bps is at most 10,000", reason="out_of_range")
    return (
        _uint(max_holders, 4, "max_holders")
        + _uint(max_ownership_bps, 2, "max_ownership_bps")
        + encode_u64(lockup_until, "lockup_until")
        + encode_u64(min_holding, "min_holding")
    )


def decode_codes(data: bytes) -> list[TransferCode]:
    """``check_transfer``/``check_transfer_from``: ``count:u8 ‖ code:u8 · count`` (empty: it
    would succeed)."""
    if not data or len(data) != 1 + data[0]:
        raise AbiError("codes answered an unexpected length", reason="bad_result")
    try:
        return [TransferCode(c) for c in data[1:]]
    except ValueError as exc:
        raise AbiError(f"unknown transfer code: {exc}", reason="bad_result") from exc


@dataclass(frozen=True, slots=True)
class Holding:
    holder: bytes
    """A 49-byte Address."""
    balance: int


def decode_holdings(data: bytes) -> list[Holding]:
    """``holders_at``: ``count:u16 ‖ (holder:Address ‖ balance:u64) · count``."""
    if len(data) < 2 or len(data) != 2 + 57 * int.from_bytes(data[:2], "little"):
        raise AbiError("holders_at answered an unexpected length", reason="bad_result")
    count = int.from_bytes(data[:2], "little")
    return [
        Holding(data[2 + 57 * i : 51 + 57 * i], int.from_bytes(data[51 + 57 * i : 59 + 57 * i], "little"))
        for i in range(count)
    ]


@dataclass(frozen=True, slots=True)
class SecurityTokenInfo:
    isin: str
    terms_hash: bytes
    decimals: int
    paused: bool
    holder_count: int
    total_supply: int


def decode_security_token_info(data: bytes) -> SecurityTokenInfo:
    """``info``: ``isin[12] ‖ terms_hash[32] ‖ decimals:u8 ‖ paused:u8 ‖ holder_count:u32 ‖
    total_supply:u64``."""
    if len(data) != 58:
        raise AbiError("info answered an unexpected length", reason="bad_result")
    return SecurityTokenInfo(
        isin=data[:12].decode("ascii"),
        terms_hash=data[12:44],
        decimals=data[44],
        paused=bool(data[45]),
        holder_count=int.from_bytes(data[46:50], "little"),
        total_supply=int.from_bytes(data[50:58], "little"),
    )


@dataclass(frozen=True, slots=True)
class Leg:
    """One DvP leg: ``amount`` base units of ``token`` (a 32-byte contract id) from ``sender``
    to ``receiver`` (49-byte Addresses)."""

    token: bytes
    sender: bytes
    receiver: bytes
    amount: int

    def encode(self) -> bytes:
        return (
            _fixed(self.token, ID_BYTES, "token")
            + _address(self.sender, "from")
            + _address(self.receiver, "to")
            + encode_u64(self.amount, "amount")
        )


def encode_dvp_create(legs: Sequence[Leg]) -> bytes:
    """``create``: ``count:u8 ‖ leg · count``, 1 to 8 legs."""
    if not 1 <= len(legs) <= MAX_LEGS:
        raise AbiError("an instruction has 1 to 8 legs", reason="invalid_legs")
    return bytes([len(legs)]) + b"".join(leg.encode() for leg in legs)


def encode_dvp_settle_batch(instruction_ids: Sequence[int]) -> bytes:
    """``settle_batch``: ``count:u8 ‖ id:u64 · count``, distinct ids."""
    if not 1 <= len(instruction_ids) <= MAX_BATCH or len(set(instruction_ids)) != len(instruction_ids):
        raise AbiError("a batch names 1 to 255 distinct instructions", reason="invalid_batch")
    return bytes([len(instruction_ids)]) + b"".join(encode_u64(i, "id") for i in instruction_ids)


LEG_BYTES = ID_BYTES + 2 * ADDRESS_BYTES + 8
"""One leg in ``create``'s arguments and in the ``created`` event: 138 bytes."""


@dataclass(frozen=True, slots=True)
class DvpCreated:
    """A ``created`` event of the DvP contract."""

    instruction_id: int
    """The new instruction's id (they count from 1)."""
    legs: tuple[Leg, ...]
    """Its 1 to ``MAX_LEGS`` legs, in the order of ``create``'s arguments (a leg's index in a
    ``settle_failed`` event counts in this order)."""


def decode_dvp_created(data: bytes) -> DvpCreated:
    """A ``created`` event: ``id:u64 ‖ count:u8 ‖ leg · count`` (the ``create`` arguments after
    the id; a leg is ``token:id[32] ‖ from:Address ‖ to:Address ‖ amount:u64``,
    docs/contracts.md). ``AbiError`` (``bad_result``) for any other length or a count outside
    1..``MAX_LEGS``."""
    if len(data) < 9 or not 1 <= data[8] <= MAX_LEGS or len(data) != 9 + LEG_BYTES * data[8]:
        raise AbiError("a created event is id:u64 ‖ count:u8 (1 to 8) ‖ 138-byte legs", reason="bad_result")
    legs = []
    for start in range(9, len(data), LEG_BYTES):
        leg = data[start : start + LEG_BYTES]
        to = ID_BYTES + ADDRESS_BYTES
        legs.append(
            Leg(
                token=leg[:ID_BYTES],
                sender=leg[ID_BYTES:to],
                receiver=leg[to : to + ADDRESS_BYTES],
                amount=int.from_bytes(leg[to + ADDRESS_BYTES :], "little"),
            )
        )
    return DvpCreated(int.from_bytes(data[:8], "little"), tuple(legs))


def decode_dvp_settled(data: bytes) -> int:
    """A ``settled`` event: ``id:u64``, the instruction settled (a ``settle_batch`` emits one
    per instruction, in the batch's order, after every leg moved)."""
    if len(data) != 8:
        raise AbiError("a settled event is id:u64", reason="bad_result")
    return int.from_bytes(data, "little")


@dataclass(frozen=True, slots=True)
class DvpSettleFailed:
    """A ``settle_failed`` event: nothing moved; the first failure found."""

    instruction_id: int
    """In a ``settle_batch``, the first failing instruction of the batch."""
    leg: int
    """The index of its failing leg (0-based, the order of ``create``'s legs)."""
    code: TransferCode
    """``NOT_AFFIRMED`` when the leg's sender has not affirmed, ``TOKEN_UNAVAILABLE``, or the
    token's first ``check_transfer_from`` code."""


def decode_dvp_settle_failed(data: bytes) -> DvpSettleFailed:
    """A ``settle_failed`` event: ``id:u64 ‖ leg:u8 ‖ code:u8``. ``AbiError`` (``bad_result``)
    for another length or a code that is not a ``TransferCode``."""
    if len(data) != 10:
        raise AbiError("a settle_failed event is id:u64 ‖ leg:u8 ‖ code:u8", reason="bad_result")
    try:
        code = TransferCode(data[9])
    except ValueError as exc:
        raise AbiError(f"unknown transfer code {data[9]}", reason="bad_result") from exc
    return DvpSettleFailed(int.from_bytes(data[:8], "little"), data[8], code)


@dataclass(frozen=True, slots=True)
class DvpSettleResult:
    settled: bool
    leg: int
    """Index of the first failing leg (0 when settled)."""
    code: TransferCode | None


def decode_dvp_settle_result(data: bytes) -> DvpSettleResult:
    """``settle``: ``status:u8 ‖ leg:u8 ‖ code:u8``; status 0 settled."""
    if len(data) != 3:
        raise AbiError("settle answered an unexpected length", reason="bad_result")
    return DvpSettleResult(data[0] == 0, data[1], TransferCode(data[2]) if data[0] else None)


@dataclass(frozen=True, slots=True)
class DvpBatchResult:
    settled: bool
    index: int
    """Position in the batch of the first failing instruction."""
    leg: int
    code: TransferCode | None


def decode_dvp_batch_result(data: bytes) -> DvpBatchResult:
    """``settle_batch``: ``status:u8 ‖ index:u8 ‖ leg:u8 ‖ code:u8``."""
    if len(data) != 4:
        raise AbiError("settle_batch answered an unexpected length", reason="bad_result")
    return DvpBatchResult(data[0] == 0, data[1], data[2], TransferCode(data[3]) if data[0] else None)


# ---- ballot (proxy voting, one deployment per meeting) ---------------------------------


@dataclass(frozen=True, slots=True)
class BallotInfo:
    token: bytes
    checkpoint: int
    opens: int
    """Unix seconds; votes are taken while ``opens <= block timestamp < closes``."""
    closes: int
    options: tuple[int, ...]
    """The number of options of each motion."""


def encode_ballot_init(
    *, token: bytes, checkpoint: int, opens: int, closes: int, options: Sequence[int]
) -> bytes:
    """``init``: ``token:id[32] ‖ checkpoint:u32 ‖ opens:u64 ‖ closes:u64 ‖ motions:u8 ‖
    options:u8 · motions``; 1–16 motions of 2–8 options, ``checkpoint`` ≥ 1 (the record
    checkpoint of the token), ``opens`` < ``closes`` (unix seconds)."""
    if not 1 <= len(options) <= MAX_MOTIONS:
        raise AbiError("a ballot has 1 to 16 motions", reason="invalid_motions")
    if any(not 2 <= n <= MAX_OPTIONS for n in options):
        raise AbiError("a motion has 2 to 8 options", reason="invalid_options")
    if checkpoint < 1:
        raise AbiError("the record checkpoint is 1 or more", reason="invalid_checkpoint")
    if opens >= closes:
        raise AbiError("the voting window must open before it closes", reason="invalid_window")
    return (
        _fixed(token, ID_BYTES, "token")
        + _uint(checkpoint, 4, "checkpoint")
        + encode_u64(opens, "opens")
        + encode_u64(closes, "closes")
        + bytes([len(options)])
        + bytes(options)
    )


def encode_ballot_vote(*, motion: int, choices: Sequence[tuple[int, int]]) -> bytes:
    """``vote``: ``motion:u8 ‖ count:u8 ‖ (option:u8 ‖ weight:u64) · count``; ``choices`` are
    (option, weight) pairs, each option once, each weight above 0; none withdraws the vote."""
    options = [option for option, _ in choices]
    if len(set(options)) != len(options) or len(options) > MAX_OPTIONS:
        raise AbiError("each option at most once, at most 8", reason="invalid_option")
    if any(weight <= 0 for _, weight in choices):
        raise AbiError("a choice carries a weight above 0", reason="invalid_amount")
    return (
        _uint(motion, 1, "motion")
        + bytes([len(choices)])
        + b"".join(_uint(option, 1, "option") + encode_u64(weight, "weight") for option, weight in choices)
    )


def decode_ballot_tally(data: bytes) -> tuple[list[int], int]:
    """``tally``: ``options:u8 ‖ weight:u64 · options ‖ voters:u32`` → (weights, voters)."""
    if not data or len(data) != 1 + 8 * data[0] + 4:
        raise AbiError("tally answered an unexpected length", reason="bad_result")
    n = data[0]
    weights = [int.from_bytes(data[1 + 8 * i : 9 + 8 * i], "little") for i in range(n)]
    return weights, int.from_bytes(data[1 + 8 * n :], "little")


def decode_ballot_vote(data: bytes) -> list[int]:
    """``vote_of``: ``options:u8 ‖ weight:u64 · options`` → the weight on each option."""
    if not data or len(data) != 1 + 8 * data[0]:
        raise AbiError("vote_of answered an unexpected length", reason="bad_result")
    return [int.from_bytes(data[1 + 8 * i : 9 + 8 * i], "little") for i in range(data[0])]


def decode_ballot_info(data: bytes) -> BallotInfo:
    """``info``: ``token[32] ‖ checkpoint:u32 ‖ opens:u64 ‖ closes:u64 ‖ motions:u8 ‖ options``."""
    if len(data) < 53 or len(data) != 53 + data[52]:
        raise AbiError("info answered an unexpected length", reason="bad_result")
    return BallotInfo(
        token=data[:32],
        checkpoint=int.from_bytes(data[32:36], "little"),
        opens=int.from_bytes(data[36:44], "little"),
        closes=int.from_bytes(data[44:52], "little"),
        options=tuple(data[53:]),
    )


def get_contract_code(name: str) -> bytes:
    """The built WebAssembly of the contract ``name`` (one of ``DEPLOYABLE_CONTRACTS``), e.g.
    ``security_token`` to deploy one per instrument, ``ballot`` one per meeting."""
    if name not in DEPLOYABLE_CONTRACTS:
        raise AbiError(f"unknown genesis contract {name!r}", reason="unknown_contract")
    return (BUILD_DIRECTORY / f"{name}.wasm").read_bytes()


# -- phoenix: the Phoenix transfer contract (chain/contracts/phoenix/phoenix.c) ----------------

#: A Phoenix note's encoding (``chain.crypto.phoenix.Note.to_bytes``).
PHOENIX_NOTE_BYTES = 302
PHOENIX_TRANSFER_VERSION = 1
PHOENIX_PAYLOAD_DOMAIN = b"GLOAM-PHOENIX-TX-V1"


def encode_phoenix_init(*, cash_token: bytes, vk_ids: Sequence[bytes]) -> bytes:
    """``init``: ``cash_token[32] ‖ vk_1[32] ‖ vk_2[32]``, the token the notes are worth and the
    verifying-key ids of ``phoenix_transfer`` (1 input) and ``phoenix_transfer_2`` (2 inputs)."""
    if len(vk_ids) != 2:
        raise AbiError("phoenix takes two verifying-key ids (1 and 2 inputs)", reason="invalid_args")
    return _fixed(cash_token, ID_BYTES, "cash token") + b"".join(
        _fixed(v, ID_BYTES, "verifying-key id") for v in vk_ids
    )


def encode_phoenix_transfer(
    outputs: Sequence[bytes],
    *,
    withdraw_to: bytes | None = None,
    dvp: tuple[bytes, int] | None = None,
) -> bytes:
    """``transfer``'s arguments: ``version:u8 ‖ note[302] · 2 ‖ has_withdraw:u8 ‖
    withdraw_to:Address`` (49 zero bytes when there is no withdrawal), version 1; with ``dvp =
    (dvp contract id, instruction id)`` version 2, followed by ``dvp[32] ‖ instruction:u64``:
    output 0 pays that instruction's shielded cash leg (docs/contracts.md "dvp"). ``outputs``
    are the two output notes' encodings, in the proof's order."""
    if len(outputs) != 2:
        raise AbiError("a Phoenix transfer has exactly two output notes", reason="invalid_args")
    notes = b"".join(_fixed(n, PHOENIX_NOTE_BYTES, "output note") for n in outputs)
    withdraw = b"\x00" + bytes(ADDRESS_BYTES) if withdraw_to is None else b"\x01" + _address(withdraw_to)
    if dvp is None:
        return bytes([PHOENIX_TRANSFER_VERSION]) + notes + withdraw
    contract, instruction = dvp
    tail = _fixed(contract, ID_BYTES, "dvp contract") + encode_u64(instruction, "instruction")
    return bytes([PHOENIX_TRANSFER_VERSION + 1]) + notes + withdraw + tail


def encode_dvp_bind_shielded_cash(instruction: int, payment_fields: bytes) -> bytes:
    """``bind_shielded_cash``'s arguments: ``id:u64 ‖ fields[128]`` (see
    :func:`phoenix_payment_fields`)."""
    return encode_u64(instruction, "instruction") + _fixed(payment_fields, 128, "payment fields")


def phoenix_payment_fields(value_commitment: tuple[int, int], note_pk: tuple[int, int]) -> bytes:
    """The 128 bytes that bind a DvP instruction to a Phoenix payment: the expected output
    note's value commitment x, y and note_pk x, y, each a 32-byte little-endian scalar (the
    order of the transfer circuit's public inputs)."""
    return b"".join(_uint(v, 32, "coordinate") for v in (*value_commitment, *note_pk))


def phoenix_payload_hash(*, chain_id: int, contract_id: bytes, args: bytes) -> int:
    """The payload hash a Phoenix transfer's proof signs (its public input 0): BLAKE2b-256 of
    ``"GLOAM-PHOENIX-TX-V1" ‖ chain_id:u8 ‖ contract_id[32] ‖ args`` read little-endian with
    the top two bits cleared (a BLS12-381 scalar below 2^254). Binding the chain, the contract
    and every output byte, so a relayer can change none of them (docs/zk.md "Phoenix
    transfers")."""
    from chain.crypto.hashes import blake2b_256

    digest = bytearray(
        bytes(
            blake2b_256(
                PHOENIX_PAYLOAD_DOMAIN
                + _uint(chain_id, 1, "chain id")
                + _fixed(contract_id, ID_BYTES, "contract")
                + args
            )
        )
    )
    digest[31] &= 0x3F
    return int.from_bytes(digest, "little")


@dataclass(frozen=True, slots=True)
class PhoenixNoteEvent:
    """The ``note`` event: a note appended at ``position`` (its ``pos`` field as submitted)."""

    position: int
    note: bytes


def decode_phoenix_note_event(data: bytes) -> PhoenixNoteEvent:
    if len(data) != 8 + PHOENIX_NOTE_BYTES:
        raise AbiError("a note event is pos:u64 ‖ note[302]", reason="bad_result")
    return PhoenixNoteEvent(int.from_bytes(data[:8], "little"), bytes(data[8:]))


@dataclass(frozen=True, slots=True)
class PhoenixTransferEvent:
    """The ``spend`` event of ``transfer``: the nullifiers spent, the fee and the deposit (withdrawal)."""

    nullifiers: tuple[bytes, ...]
    fee: int
    deposit: int


def decode_phoenix_transfer_event(data: bytes) -> PhoenixTransferEvent:
    if not data or len(data) != 17 + 32 * data[0] or not 1 <= data[0] <= 4:
        raise AbiError("a spend event is I:u8 ‖ nullifiers ‖ fee:u64 ‖ deposit:u64", reason="bad_result")
    count = data[0]
    nullifiers = tuple(bytes(data[1 + 32 * i : 33 + 32 * i]) for i in range(count))
    tail = 1 + 32 * count
    return PhoenixTransferEvent(
        nullifiers,
        int.from_bytes(data[tail : tail + 8], "little"),
        int.from_bytes(data[tail + 8 : tail + 16], "little"),
    )


@dataclass(frozen=True, slots=True)
class PhoenixInfo:
    cash_token: bytes
    vk_ids: tuple[bytes, bytes]
    transfers: int
    notes: int


def decode_phoenix_info(data: bytes) -> PhoenixInfo:
    if len(data) != 112:
        raise AbiError("phoenix info is 112 bytes", reason="bad_result")
    return PhoenixInfo(
        bytes(data[:32]),
        (bytes(data[32:64]), bytes(data[64:96])),
        int.from_bytes(data[96:104], "little"),
        int.from_bytes(data[104:112], "little"),
    )


# -- citadel: licences and sessions (chain/contracts/citadel/citadel.c) --------------------------

CITADEL_CHALLENGE_DOMAIN = b"GLOAM-CITADEL-CHALLENGE-V1"
#: The contract's minimum age: ``adult_cutoff <= today − 6,575`` days (18 × 365.25 rounded up,
#: never less than 18 calendar years; docs/contracts.md "citadel").
CITADEL_ADULT_DAYS = 6_575
CITADEL_JURISDICTION_SLOTS = 8
_SCALAR_MODULUS = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001


def citadel_challenge(*, chain_id: int, holder: bytes, service: bytes) -> int:
    """The session challenge ``c`` the ``citadel`` contract expects for ``holder`` (an Address)
    on ``service`` (32 bytes, e.g. a security token's contract id): BLAKE2b-256 of
    ``"GLOAM-CITADEL-CHALLENGE-V1" ‖ chain_id:u8 ‖ holder[49] ‖ service[32]`` read
    little-endian with its top five bits cleared, so ``c < 2^251 < r_J`` is the canonical Jubjub
    scalar the licence circuit requires (docs/zk.md "Citadel on chain"). The wallet passes it
    to ``chain.crypto.citadel.open_session``. ``AbiError`` for a malformed Address or id."""
    from chain.crypto.hashes import blake2b_256

    digest = bytearray(
        bytes(
            blake2b_256(
                CITADEL_CHALLENGE_DOMAIN
                + _uint(chain_id, 1, "chain id")
                + _address(holder, "holder")
                + _fixed(service, ID_BYTES, "service")
            )
        )
    )
    digest[31] &= 0x07
    return int.from_bytes(digest, "little")


def citadel_adult_cutoff(today: int) -> int:
    """The latest ``adult_cutoff`` (days since 1970-01-01) the contract accepts on day
    ``today``: ``today − 6,575``. Use it (or an earlier day) rather than
    ``AttributePolicy.adults``, whose calendar 18 years are 6,574 days when they hold 4 leap
    days: the contract would refuse that cutoff (``weak_cutoff``)."""
    return _signed_day(today, "today") - CITADEL_ADULT_DAYS


def _signed_day(value: int, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not -(2**31) <= value < 2**31:
        raise AbiError(f"{name} must be a signed 32-bit day count", reason="out_of_range")
    return value


def _scalar(value: int, name: str) -> bytes:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < _SCALAR_MODULUS:
        raise AbiError(f"{name} must be a BLS12-381 scalar below r", reason="out_of_range")
    return value.to_bytes(32, "little")


def encode_citadel_init(*, operator_key: bytes, vk_id: bytes) -> bytes:
    """``init``: ``operator_key[48] ‖ vk_id[32]``: the account that registers providers and
    the verifying-key id of the ``citadel_license`` circuit."""
    return _fixed(operator_key, KEY_BYTES, "operator key") + _fixed(vk_id, ID_BYTES, "verifying-key id")


def encode_citadel_provider(pk_lp_a: tuple[int, int]) -> bytes:
    """A provider as the contract names it: its Jubjub signing point ``pk_lp.A`` as
    ``u[32] ‖ v[32]`` (affine coordinates, scalars LE; ``Point.affine()``). The arguments of
    ``remove_provider`` and ``provider_of``."""
    if len(pk_lp_a) != 2:
        raise AbiError("a provider point is (u, v)", reason="invalid_args")
    return _scalar(pk_lp_a[0], "pk_lp.A u") + _scalar(pk_lp_a[1], "pk_lp.A v")


def encode_citadel_add_provider(*, pk_lp_a: tuple[int, int], account_key: bytes) -> bytes:
    """``add_provider``: ``u[32] ‖ v[32] ‖ account_key[48]``, the provider and the account that
    issues and revokes for it."""
    return encode_citadel_provider(pk_lp_a) + _fixed(account_key, KEY_BYTES, "account key")


def encode_citadel_issue(leaf: int) -> bytes:
    """``issue``: ``leaf[32]``, a licence's tree leaf (``License.leaf()``), non-zero, < r."""
    if leaf == 0:
        raise AbiError("a licence leaf is never 0", reason="out_of_range")
    return _scalar(leaf, "leaf")


def encode_citadel_revoke(position: int) -> bytes:
    """``revoke``: ``pos:u64``."""
    return _uint(position, 8, "position")


def encode_citadel_session_key(*, holder: bytes, service: bytes) -> bytes:
    """``holder:Address[49] ‖ service[32]``: the arguments of ``use_licence``, ``session_of``
    and ``has_session``."""
    return _address(holder, "holder") + _fixed(service, ID_BYTES, "service")


@dataclass(frozen=True, slots=True)
class CitadelSession:
    """``session_of``: whether a session is recorded; then its provider (``pk_lp.A``), the day
    it was opened (days since 1970-01-01) and the policy the proof satisfied."""

    found: bool
    pk_lp_a: tuple[int, int]
    day: int
    require_accredited: bool
    jurisdictions: tuple[int, ...]


def _point(data: bytes) -> tuple[int, int]:
    return int.from_bytes(data[:32], "little"), int.from_bytes(data[32:64], "little")


def _policy(data: bytes) -> tuple[int, bool, tuple[int, ...]]:
    """``day:u32 (signed) ‖ require_accredited:u8 ‖ jurisdictions[8]:u16`` (21 bytes); the
    unused slots (0) are left out."""
    day = int.from_bytes(data[:4], "little", signed=True)
    slots = [int.from_bytes(data[5 + 2 * j : 7 + 2 * j], "little") for j in range(CITADEL_JURISDICTION_SLOTS)]
    return day, data[4] == 1, tuple(j for j in slots if j != 0)


def decode_citadel_session(data: bytes) -> CitadelSession:
    if len(data) != 86 or data[0] not in (0, 1):
        raise AbiError("session_of is found:u8 ‖ u ‖ v ‖ day ‖ accredited ‖ 8 × u16", reason="bad_result")
    day, accredited, jurisdictions = _policy(data[65:86])
    return CitadelSession(data[0] == 1, _point(data[1:65]), day, accredited, jurisdictions)


@dataclass(frozen=True, slots=True)
class CitadelSessionEvent:
    """The ``session`` event of ``use_licence``."""

    holder: bytes
    service: bytes
    session_id: int
    pk_lp_a: tuple[int, int]
    day: int
    require_accredited: bool
    jurisdictions: tuple[int, ...]


def decode_citadel_session_event(data: bytes) -> CitadelSessionEvent:
    if len(data) != ADDRESS_BYTES + 32 + 32 + 64 + 21:
        raise AbiError("a session event is 198 bytes", reason="bad_result")
    key = ADDRESS_BYTES + 32
    day, accredited, jurisdictions = _policy(data[key + 96 :])
    return CitadelSessionEvent(
        bytes(data[:ADDRESS_BYTES]),
        bytes(data[ADDRESS_BYTES:key]),
        int.from_bytes(data[key : key + 32], "little"),
        _point(data[key + 32 : key + 96]),
        day,
        accredited,
        jurisdictions,
    )


@dataclass(frozen=True, slots=True)
class CitadelLicenceEvent:
    """The ``licence`` event of ``issue``: the position, the leaf and the issuing provider."""

    position: int
    leaf: int
    pk_lp_a: tuple[int, int]


def decode_citadel_licence_event(data: bytes) -> CitadelLicenceEvent:
    if len(data) != 104:
        raise AbiError("a licence event is pos:u64 ‖ leaf[32] ‖ u ‖ v", reason="bad_result")
    return CitadelLicenceEvent(
        int.from_bytes(data[:8], "little"), int.from_bytes(data[8:40], "little"), _point(data[40:104])
    )


@dataclass(frozen=True, slots=True)
class CitadelRevokedEvent:
    """The ``revoked`` event of ``revoke``."""

    position: int
    pk_lp_a: tuple[int, int]


def decode_citadel_revoked_event(data: bytes) -> CitadelRevokedEvent:
    if len(data) != 72:
        raise AbiError("a revoked event is pos:u64 ‖ u ‖ v", reason="bad_result")
    return CitadelRevokedEvent(int.from_bytes(data[:8], "little"), _point(data[8:72]))


@dataclass(frozen=True, slots=True)
class CitadelProvider:
    """``provider_of`` and the ``provider_added`` / ``provider_removed`` events: the provider's
    point, its status (0 unknown, 1 registered, 2 removed; events: 1 added, 2 removed) and its
    account (48 zero bytes when unknown, and in ``provider_removed``)."""

    pk_lp_a: tuple[int, int]
    status: int
    account_key: bytes


def decode_citadel_provider(pk_lp_a: tuple[int, int], data: bytes) -> CitadelProvider:
    if len(data) != 49 or data[0] > 2:
        raise AbiError("provider_of is status:u8 ‖ account[48]", reason="bad_result")
    return CitadelProvider(pk_lp_a, data[0], bytes(data[1:]))


def decode_citadel_provider_event(topic: str, data: bytes) -> CitadelProvider:
    """``provider_added`` (``u ‖ v ‖ account[48]``) or ``provider_removed`` (``u ‖ v``)."""
    if topic == "provider_added" and len(data) == 112:
        return CitadelProvider(_point(data[:64]), 1, bytes(data[64:]))
    if topic == "provider_removed" and len(data) == 64:
        return CitadelProvider(_point(data), 2, bytes(KEY_BYTES))
    raise AbiError(f"not a provider event: {topic!r} of {len(data)} bytes", reason="bad_result")


@dataclass(frozen=True, slots=True)
class CitadelInfo:
    operator_key: bytes
    vk_id: bytes
    providers: int
    licences: int
    sessions: int


def decode_citadel_info(data: bytes) -> CitadelInfo:
    if len(data) != 100:
        raise AbiError("citadel info is 100 bytes", reason="bad_result")
    return CitadelInfo(
        bytes(data[:48]),
        bytes(data[48:80]),
        int.from_bytes(data[80:84], "little"),
        int.from_bytes(data[84:92], "little"),
        int.from_bytes(data[92:100], "little"),
    )
