"""Transfer rules: the rule model, its validation, its compilation into the security token's
``set_conditions`` / ``set_limits`` arguments, and an evaluator with exactly the contract's
semantics (``chain/contracts/security_token/security_token.c``, ``check``;
docs/contracts.md, Security token), used to explain failures and to preview breaches.

No Django here: inputs are plain values, so the evaluator can be compared with the chain's
``check_transfer`` on a devnet (tests/compliance/test_rules_onchain.py) and cannot drift.

The rule model (docs/compliance.md):

- ``sender`` and ``receiver``: Polymesh-style requirement lists, an OR of up to 4
  requirements, each an AND of up to 4 conditions (``has_claim`` / ``value_in`` /
  ``value_not_in`` on a claim topic, optionally from one trusted issuer);
- eligibility of a receiver, AND-ed into every receiver requirement (or forming the only
  one): ``kyc_required`` (a ``kyc_verified`` claim), ``allowed_jurisdictions`` (ISO 3166-1
  alpha-2, ``value_in``) or, without an allow list, ``denied_jurisdictions``
  (``value_not_in``), ``allowed_categories`` (MiFID II, ``value_in``),
  ``accreditation_required`` (an ``accredited`` claim);
- limits: ``max_holders``, ``max_ownership_bps`` (of the supply), ``lockup_until`` (unix
  seconds), ``min_holding`` (token units); 0 = none.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pycountry

from chain.node.client import contract_abi

TransferCode = contract_abi.TransferCode
ClaimTopic = contract_abi.ClaimTopic
ConditionKind = contract_abi.ConditionKind
InvestorCategory = contract_abi.InvestorCategory

TOPIC_LABELS = {
    ClaimTopic.KYC_VERIFIED: "KYC",
    ClaimTopic.JURISDICTION: "jurisdiction",
    ClaimTopic.INVESTOR_CATEGORY: "investor category",
    ClaimTopic.ACCREDITED: "accreditation",
}
KIND_NAMES = {
    "has_claim": ConditionKind.HAS_CLAIM,
    "value_in": ConditionKind.VALUE_IN,
    "value_not_in": ConditionKind.VALUE_NOT_IN,
}

#: What each transfer code means (docs/compliance.md quotes this table).
CODE_MEANINGS: dict[TransferCode, str] = {
    TransferCode.PAUSED: "the instrument is paused",
    TransferCode.SENDER_FROZEN: "the sender's account is frozen on this instrument",
    TransferCode.RECEIVER_FROZEN: "the receiver's account is frozen on this instrument",
    TransferCode.INSUFFICIENT_BALANCE: "the sender does not hold enough",
    TransferCode.INSUFFICIENT_ALLOWANCE: "the spender's allowance is too small",
    TransferCode.SENDER_CONDITIONS: "the sender meets none of the sender requirements (claims)",
    TransferCode.RECEIVER_CONDITIONS: "the receiver meets none of the receiver requirements (claims)",
    TransferCode.MAX_HOLDERS: "the transfer would exceed the maximum number of holders",
    TransferCode.MAX_OWNERSHIP: "the receiver would hold more than the maximum share of the supply",
    TransferCode.LOCKUP: "transfers are locked up",
    TransferCode.MIN_HOLDING: "a holding would fall below the minimum holding",
    TransferCode.INVALID_AMOUNT: "the amount is zero",
    TransferCode.SELF_TRANSFER: "sender and receiver are the same account",
    TransferCode.NOT_AFFIRMED: "a delivering party has not affirmed the DvP instruction",
    TransferCode.TOKEN_UNAVAILABLE: "a leg's token cannot be called or answered out of shape",
}


# -- the model ------------------------------------------------------------------------------
@dataclass(frozen=True)
class RuleTerms:
    """A rule set's terms as the compliance officer writes them (JSON-friendly values).

    ``sender``/``receiver``: lists of requirements, each a list of condition dicts
    ``{"topic": "jurisdiction", "kind": "value_in", "values": ["DE", "FR"], "issuer": ""}``
    (topic names of ``ClaimTopic`` in lower case; values: ISO 3166-1 alpha-2 codes for
    jurisdiction, MiFID II category names for investor_category, integers otherwise;
    ``issuer``: a 48-byte key in hex, empty for any trusted issuer). ``lockup_until`` is a
    date (transfers allowed from its start, UTC); ``min_holding`` is in token units."""

    sender: tuple[tuple[Mapping[str, Any], ...], ...] = ()
    receiver: tuple[tuple[Mapping[str, Any], ...], ...] = ()
    kyc_required: bool = False
    accreditation_required: bool = False
    allowed_jurisdictions: tuple[str, ...] = ()
    denied_jurisdictions: tuple[str, ...] = ()
    allowed_categories: tuple[str, ...] = ()
    max_holders: int = 0
    max_ownership_bps: int = 0
    lockup_until: datetime.date | None = None
    min_holding: int = 0
    kyc_mode: str = "claims"
    """The instrument's KYC mode (docs/kyc.md "Citadel"): ``claims``, ``citadel`` or ``both``."""
    citadel: bytes = bytes(32)
    """The ``citadel`` contract's id (the condition's issuer field) for the citadel modes."""


@dataclass(frozen=True)
class Limits:
    max_holders: int = 0
    max_ownership_bps: int = 0
    lockup_until: int = 0
    """Unix seconds."""
    min_holding: int = 0
    """Token units."""


@dataclass(frozen=True)
class CompiledRules:
    """What the contract holds: the two requirement lists and the limits."""

    sender: tuple[tuple[contract_abi.Condition, ...], ...] = ()
    receiver: tuple[tuple[contract_abi.Condition, ...], ...] = ()
    limits: Limits = field(default_factory=Limits)

    def conditions_bytes(self) -> bytes:
        """``set_conditions``'s argument; raises ``AbiError`` beyond the contract's limits."""
        return contract_abi.encode_conditions(sender=self.sender, receiver=self.receiver)

    def limits_bytes(self) -> bytes:
        """``set_limits``'s argument; raises ``AbiError`` for values out of range."""
        return contract_abi.encode_limits(
            max_holders=self.limits.max_holders,
            max_ownership_bps=self.limits.max_ownership_bps,
            lockup_until=self.limits.lockup_until,
            min_holding=self.limits.min_holding,
        )


@dataclass(frozen=True)
class Problem:
    """One reason a rule set is refused: the field it concerns and a readable message."""

    field: str
    message: str
    code: str


class RuleSetInvalid(ValueError):
    """The rule set cannot be applied; ``problems`` lists every reason."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


def _topic(name: Any) -> ClaimTopic:
    if isinstance(name, int) and not isinstance(name, bool):
        return ClaimTopic(name)
    return ClaimTopic.__members__[str(name).upper()]


def _value(topic: ClaimTopic, value: Any) -> int:
    """A condition value as the registry stores it (raises ``ValueError``)."""
    if topic == ClaimTopic.JURISDICTION:
        code = str(value).strip().upper()
        if pycountry.countries.get(alpha_2=code) is None:
            raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code")
        return contract_abi.encode_country(code)
    if topic == ClaimTopic.INVESTOR_CATEGORY:
        if isinstance(value, int) and not isinstance(value, bool):
            return int(InvestorCategory(value))
        try:
            return int(InvestorCategory.__members__[str(value).strip().upper()])
        except KeyError:
            raise ValueError(
                f"{value!r} is not a MiFID II category (retail, professional, eligible_counterparty)"
            ) from None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{value!r} is not an integer claim value")
    return value


def display_value(topic: int, value: int) -> str:
    """A claim value as people read it: ``DE``, ``professional``, ``1``."""
    if topic == ClaimTopic.JURISDICTION:
        return value.to_bytes(2, "little").decode("ascii", "replace")
    if topic == ClaimTopic.INVESTOR_CATEGORY and value in InvestorCategory._value2member_map_:
        return InvestorCategory(value).name.lower()
    return str(value)


def _condition(raw: Mapping[str, Any], where: str, problems: list[Problem]) -> contract_abi.Condition | None:
    try:
        topic = _topic(raw.get("topic"))
    except (KeyError, ValueError):
        problems.append(
            Problem(where, f"{where}: unknown claim topic {raw.get('topic')!r}.", "unknown_topic")
        )
        return None
    kind_name = str(raw.get("kind", ""))
    if kind_name not in KIND_NAMES:
        problems.append(
            Problem(where, f"{where}: kind must be has_claim, value_in or value_not_in.", "unknown_kind")
        )
        return None
    kind = KIND_NAMES[kind_name]
    values: list[int] = []
    for value in raw.get("values") or []:
        try:
            values.append(_value(topic, value))
        except ValueError as exc:
            problems.append(Problem(where, f"{where}: {exc}.", "invalid_value"))
            return None
    if kind != ConditionKind.HAS_CLAIM and not values:
        problems.append(
            Problem(
                where,
                f"{where}: an empty {'allow' if kind == ConditionKind.VALUE_IN else 'deny'} list "
                + ("can be satisfied by no one." if kind == ConditionKind.VALUE_IN else "excludes no one."),
                "empty_list",
            )
        )
        return None
    issuer_hex = str(raw.get("issuer") or "").removeprefix("0x")
    try:
        issuer = bytes.fromhex(issuer_hex) if issuer_hex else contract_abi.ANY_ISSUER
    except ValueError:
        issuer = b""
    if len(issuer) != 48:
        problems.append(
            Problem(where, f"{where}: the issuer must be a 48-byte key in hex.", "invalid_issuer")
        )
        return None
    return contract_abi.Condition(topic, kind, tuple(dict.fromkeys(values)), issuer)


def _eligibility(terms: RuleTerms, problems: list[Problem]) -> list[contract_abi.Condition]:
    conditions: list[contract_abi.Condition] = []
    allowed = [c.strip().upper() for c in terms.allowed_jurisdictions]
    denied = [c.strip().upper() for c in terms.denied_jurisdictions]
    for name, codes in (("allowed_jurisdictions", allowed), ("denied_jurisdictions", denied)):
        for code in codes:
            if pycountry.countries.get(alpha_2=code) is None:
                problems.append(
                    Problem(name, f"{code!r} is not an ISO 3166-1 alpha-2 country code.", "invalid_country")
                )
    both = sorted(set(allowed) & set(denied))
    if both:
        problems.append(
            Problem(
                "denied_jurisdictions",
                f"{', '.join(both)} {'is' if len(both) == 1 else 'are'} both allowed and denied.",
                "contradiction",
            )
        )
    if terms.kyc_required:
        conditions.append(contract_abi.Condition(ClaimTopic.KYC_VERIFIED, ConditionKind.HAS_CLAIM))
    if any(p.code == "invalid_country" for p in problems):
        pass  # reported; the lists cannot be compiled
    elif allowed:
        values = tuple(dict.fromkeys(contract_abi.encode_country(c) for c in allowed))
        conditions.append(contract_abi.Condition(ClaimTopic.JURISDICTION, ConditionKind.VALUE_IN, values))
    elif denied:
        values = tuple(dict.fromkeys(contract_abi.encode_country(c) for c in denied))
        conditions.append(contract_abi.Condition(ClaimTopic.JURISDICTION, ConditionKind.VALUE_NOT_IN, values))
    if terms.allowed_categories:
        try:
            values = tuple(
                dict.fromkeys(_value(ClaimTopic.INVESTOR_CATEGORY, c) for c in terms.allowed_categories)
            )
            conditions.append(
                contract_abi.Condition(ClaimTopic.INVESTOR_CATEGORY, ConditionKind.VALUE_IN, values)
            )
        except ValueError as exc:
            problems.append(Problem("allowed_categories", f"{exc}.", "invalid_value"))
    if terms.accreditation_required:
        conditions.append(contract_abi.Condition(ClaimTopic.ACCREDITED, ConditionKind.HAS_CLAIM))
    return conditions


def _unsatisfiable(requirement: Sequence[contract_abi.Condition]) -> str:
    """Why no one can meet ``requirement`` (an allow list inside a deny list of the same
    topic and issuer, or two disjoint allow lists of it), or ``""``."""
    for a in requirement:
        for b in requirement:
            if a is b or a.topic != b.topic or a.issuer != b.issuer:
                continue
            label = TOPIC_LABELS.get(ClaimTopic(a.topic), str(a.topic))
            if (
                a.kind == ConditionKind.VALUE_IN
                and b.kind == ConditionKind.VALUE_NOT_IN
                and set(a.values) <= set(b.values)
            ):
                return f"every allowed {label} value is also denied"
            if (
                a.kind == b.kind == ConditionKind.VALUE_IN
                and not set(a.values) & set(b.values)
                and a.issuer != contract_abi.ANY_ISSUER
            ):
                return f"two {label} allow lists of one issuer have no value in common"
    return ""


#: The attribute policy a Citadel session proves holds at most this many jurisdictions.
CITADEL_JURISDICTIONS = 8


def _with_citadel(
    terms: RuleTerms,
    sender: list[tuple[contract_abi.Condition, ...]],
    receiver: list[tuple[contract_abi.Condition, ...]],
    problems: list[Problem],
) -> tuple[list[tuple[contract_abi.Condition, ...]], list[tuple[contract_abi.Condition, ...]]]:
    """The KYC mode applied (docs/kyc.md "Citadel"): ``citadel`` replaces the receiver's
    requirements with one, a Citadel session for this token, and the sender's too if the rule
    set has sender requirements; ``both`` adds that requirement to each list (OR). The
    session's policy is the eligibility (allowed jurisdictions, 1 to 8, and accreditation),
    proved in the licence circuit: a deny list or categories cannot be proved and are refused."""
    if terms.kyc_mode == "claims":
        return sender, receiver
    if terms.kyc_mode not in ("citadel", "both"):
        problems.append(Problem("kyc_mode", "The KYC mode is claims, citadel or both.", "invalid_kyc_mode"))
        return sender, receiver
    if not 1 <= len(terms.allowed_jurisdictions) <= CITADEL_JURISDICTIONS:
        problems.append(
            Problem(
                "allowed_jurisdictions",
                f"A Citadel session proves membership of 1 to {CITADEL_JURISDICTIONS} allowed jurisdictions: "
                "list them.",
                "citadel_policy",
            )
        )
    if terms.denied_jurisdictions and not terms.allowed_jurisdictions:
        problems.append(
            Problem("denied_jurisdictions", "A Citadel session cannot prove a deny list.", "citadel_policy")
        )
    if terms.allowed_categories:
        problems.append(
            Problem(
                "allowed_categories",
                "A Citadel licence holds no investor category to prove.",
                "citadel_policy",
            )
        )
    session = (contract_abi.citadel_condition(terms.citadel),)
    if terms.kyc_mode == "citadel":
        return ([session] if sender else []), [session]
    return ([*sender, session] if sender else []), [*receiver, session]


def compile_rules(terms: RuleTerms, *, issue_units: int) -> tuple[CompiledRules, list[str]]:
    """Check ``terms`` against each other, the issue and the contract's limits, and compile
    them. ``issue_units``: the issue size in token units (the supply the caps are measured
    against). Returns the compiled rules and warnings (no effect, but not wrong); raises
    :class:`RuleSetInvalid` listing **every** problem."""
    problems: list[Problem] = []
    warnings: list[str] = []
    eligibility = _eligibility(terms, problems)

    def requirements(
        name: str, raw: Sequence[Sequence[Mapping[str, Any]]]
    ) -> list[tuple[contract_abi.Condition, ...]]:
        out = []
        for r, requirement in enumerate(raw, start=1):
            conditions = []
            for c, condition in enumerate(requirement, start=1):
                compiled = _condition(condition, f"{name} requirement {r}, condition {c}", problems)
                if compiled is not None:
                    conditions.append(compiled)
            if not requirement:
                problems.append(
                    Problem(name, f"{name} requirement {r} has no conditions.", "empty_requirement")
                )
            out.append(tuple(conditions))
        return out

    sender = requirements("sender", terms.sender)
    receiver = requirements("receiver", terms.receiver)
    if eligibility:
        receiver = [tuple(eligibility) + r for r in receiver] if receiver else [tuple(eligibility)]
    sender, receiver = _with_citadel(terms, sender, receiver, problems)
    for name, lists in (("sender", sender), ("receiver", receiver)):
        for r, requirement in enumerate(lists, start=1):
            if any(c.kind == ConditionKind.CITADEL_SESSION for c in requirement):
                continue
            reason = _unsatisfiable(requirement)
            if reason:
                problems.append(
                    Problem(name, f"{name} requirement {r} can be met by no one: {reason}.", "unsatisfiable")
                )
    if terms.max_holders < 0 or terms.max_ownership_bps < 0 or terms.min_holding < 0:
        problems.append(Problem("limits", "Limits cannot be negative.", "negative_limit"))
    if terms.max_ownership_bps > 10_000:
        problems.append(
            Problem("max_ownership_bps", "The ownership cap is at most 10,000 bps (100 %).", "out_of_range")
        )
    cap = (
        issue_units // 10_000 * terms.max_ownership_bps
        + issue_units % 10_000 * terms.max_ownership_bps // 10_000
    )
    if 0 < terms.max_ownership_bps <= 10_000:
        if cap == 0:
            problems.append(
                Problem(
                    "max_ownership_bps",
                    f"An ownership cap of {terms.max_ownership_bps} bps of {issue_units} units is 0 units: "
                    "no one could hold anything.",
                    "unsatisfiable",
                )
            )
        elif terms.max_holders and cap * terms.max_holders < issue_units:
            problems.append(
                Problem(
                    "max_ownership_bps",
                    f"{terms.max_holders} holders of at most {cap} units each "
                    f"({terms.max_ownership_bps} bps) "
                    f"cannot hold the issue of {issue_units} units.",
                    "unsatisfiable",
                )
            )
        if cap and terms.min_holding > cap:
            problems.append(
                Problem(
                    "min_holding",
                    f"The minimum holding ({terms.min_holding} units) is above the ownership cap "
                    f"({cap} units): "
                    "no holding can meet both.",
                    "contradiction",
                )
            )
    if terms.min_holding > issue_units:
        problems.append(
            Problem(
                "min_holding",
                f"The minimum holding ({terms.min_holding} units) is above the issue size "
                f"({issue_units} units).",
                "unsatisfiable",
            )
        )
    lockup = 0
    if terms.lockup_until is not None:
        lockup = int(
            datetime.datetime.combine(terms.lockup_until, datetime.time(), tzinfo=datetime.UTC).timestamp()
        )
        if terms.lockup_until <= datetime.datetime.now(tz=datetime.UTC).date():
            warnings.append(
                f"The lock-up ends on {terms.lockup_until}, which is not in the future: it has no effect."
            )
    if terms.allowed_jurisdictions and terms.denied_jurisdictions and not problems:
        warnings.append(
            "With an allow list of jurisdictions the deny list adds nothing; only the allow list is applied."
        )
    compiled = CompiledRules(
        tuple(sender),
        tuple(receiver),
        Limits(max(terms.max_holders, 0), max(terms.max_ownership_bps, 0), lockup, max(terms.min_holding, 0)),
    )
    for encode in (compiled.conditions_bytes, compiled.limits_bytes):
        try:
            encode()
        except contract_abi.AbiError as exc:
            problems.append(Problem("conditions", f"Beyond the contract's limits: {exc}.", exc.reason))
    if problems:
        raise RuleSetInvalid(problems)
    return compiled, warnings


# -- the evaluator (the contract's check, in Python) -----------------------------------------
@dataclass(frozen=True)
class Party:
    """One side of a transfer as the token sees it: its Address, balance (units), frozen
    flag and its valid claims (``claims_of``'s answer: already filtered for expiry,
    revocation and trusted issuers)."""

    address: bytes
    balance: int = 0
    frozen: bool = False
    claims: tuple[contract_abi.Claim, ...] = ()
    label: str = ""
    citadel_sessions: frozenset[bytes] = frozenset()
    """The citadel contracts (ids) in which the party has a session for this token
    (``has_session``)."""


@dataclass(frozen=True)
class TokenState:
    paused: bool = False
    supply: int = 0
    holder_count: int = 0
    timestamp: int = 0
    """The block timestamp the check is made at (unix s)."""


@dataclass(frozen=True)
class Failure:
    code: TransferCode
    explanation: str

    @property
    def name(self) -> str:
        return self.code.code


def describe_condition(condition: contract_abi.Condition) -> str:
    if condition.kind == ConditionKind.CITADEL_SESSION:
        return "a Citadel session for this instrument (a proof of a valid licence)"
    label = TOPIC_LABELS.get(ClaimTopic(condition.topic), f"topic {condition.topic}")
    values = "{" + ", ".join(display_value(condition.topic, v) for v in condition.values) + "}"
    issuer = (
        ""
        if condition.issuer == contract_abi.ANY_ISSUER
        else f" from issuer 0x{condition.issuer.hex()[:12]}…"
    )
    if condition.kind == ConditionKind.HAS_CLAIM:
        return f"a valid {label} claim{issuer}"
    if condition.kind == ConditionKind.VALUE_IN:
        return f"a valid {label} claim{issuer} in {values}"
    return f"no {label} claim{issuer} in {values}"


def condition_holds(
    condition: contract_abi.Condition,
    claims: Sequence[contract_abi.Claim],
    sessions: frozenset[bytes] = frozenset(),
) -> bool:
    """The contract's ``condition_holds``: the first claim on the topic (from the issuer,
    if one is named) whose value is listed decides; with none listed, ``value_not_in``
    holds and the others hold only for ``has_claim`` with a claim on the topic. A Citadel
    condition holds if the party has a session in the named citadel contract (``sessions``)."""
    if condition.kind == ConditionKind.CITADEL_SESSION:
        return condition.issuer[:32] in sessions
    for claim in claims:
        if claim.topic != condition.topic or (
            condition.issuer != contract_abi.ANY_ISSUER and claim.issuer != condition.issuer
        ):
            continue
        if condition.kind == ConditionKind.HAS_CLAIM:
            return True
        if claim.value in condition.values:
            return condition.kind == ConditionKind.VALUE_IN
    return condition.kind == ConditionKind.VALUE_NOT_IN


def _why_not(condition: contract_abi.Condition, party: str, claims: Sequence[contract_abi.Claim]) -> str:
    if condition.kind == ConditionKind.CITADEL_SESSION:
        return f"{party} has no Citadel session for this instrument"
    label = TOPIC_LABELS.get(ClaimTopic(condition.topic), f"topic {condition.topic}")
    values = "{" + ", ".join(display_value(condition.topic, v) for v in condition.values) + "}"
    if condition.kind == ConditionKind.VALUE_NOT_IN:
        held = sorted(
            display_value(c.topic, c.value)
            for c in claims
            if c.topic == condition.topic and c.value in condition.values
        )
        return f"{party} has a {label} claim in the denied {values} ({', '.join(held)})"
    if condition.kind == ConditionKind.HAS_CLAIM:
        return f"{party} has no valid {label} claim"
    return f"{party} has no valid {label} claim in {values}"


def explain_requirements(
    requirements: Sequence[Sequence[contract_abi.Condition]],
    party: str,
    claims: Sequence[contract_abi.Claim],
    sessions: frozenset[bytes] = frozenset(),
) -> str:
    """Why ``party`` meets none of ``requirements``: each requirement's failed conditions."""
    reasons = []
    for requirement in requirements:
        failed = [_why_not(c, party, claims) for c in requirement if not condition_holds(c, claims, sessions)]
        reasons.append(" and ".join(failed))
    if len(reasons) == 1:
        return reasons[0]
    return "; or ".join(f"({i}) {r}" for i, r in enumerate(reasons, start=1))


def list_holds(
    requirements: Sequence[Sequence[contract_abi.Condition]],
    claims: Sequence[contract_abi.Claim],
    sessions: frozenset[bytes] = frozenset(),
) -> bool:
    """The contract's ``list_holds``: an empty list passes; else one requirement whose
    every condition holds."""
    if not requirements:
        return True
    return any(all(condition_holds(c, claims, sessions) for c in requirement) for requirement in requirements)


def _share_of(supply: int, bps: int) -> int:
    return supply // 10_000 * bps + supply % 10_000 * bps // 10_000


def evaluate_transfer(
    rules: CompiledRules,
    token: TokenState,
    *,
    sender: Party | None,
    receiver: Party | None,
    amount: int,
    allowance: int | None = None,
) -> list[Failure]:
    """Every rule a transfer of ``amount`` units from ``sender`` to ``receiver`` fails, in
    the contract's order (``check`` in MODE_TRANSFER; with ``allowance``, as
    ``check_transfer_from``). A side given as ``None`` is unknown (an unmatched settlement
    instruction): its own rules are skipped and the other side's are still checked."""
    failures: list[Failure] = []
    limits = rules.limits
    s_label = sender.label if sender and sender.label else "the sender"
    r_label = receiver.label if receiver and receiver.label else "the receiver"
    self_transfer = sender is not None and receiver is not None and sender.address == receiver.address
    bal_from = sender.balance if sender else 0
    bal_to = receiver.balance if receiver else 0

    def add(code: TransferCode, text: str) -> None:
        failures.append(Failure(code, text))

    if token.paused:
        add(TransferCode.PAUSED, "the instrument is paused")
    if sender is not None and sender.frozen:
        add(TransferCode.SENDER_FROZEN, f"{s_label}'s account is frozen on this instrument")
    if receiver is not None and receiver.frozen:
        add(TransferCode.RECEIVER_FROZEN, f"{r_label}'s account is frozen on this instrument")
    if sender is not None and bal_from < amount:
        add(TransferCode.INSUFFICIENT_BALANCE, f"{s_label} holds {bal_from} units, {amount} are needed")
    if sender is not None and allowance is not None and allowance < amount:
        add(TransferCode.INSUFFICIENT_ALLOWANCE, f"the allowance is {allowance} units, {amount} are needed")
    if sender is not None and not list_holds(rules.sender, sender.claims, sender.citadel_sessions):
        add(
            TransferCode.SENDER_CONDITIONS,
            explain_requirements(rules.sender, s_label, sender.claims, sender.citadel_sessions),
        )
    if receiver is not None and not list_holds(rules.receiver, receiver.claims, receiver.citadel_sessions):
        add(
            TransferCode.RECEIVER_CONDITIONS,
            explain_requirements(rules.receiver, r_label, receiver.claims, receiver.citadel_sessions),
        )
    if receiver is not None and limits.max_holders and amount > 0 and bal_to == 0 and not self_transfer:
        after = token.holder_count + 1 - (1 if sender is not None and bal_from == amount else 0)
        if after > limits.max_holders:
            add(
                TransferCode.MAX_HOLDERS,
                f"{r_label} would be holder number {after}; at most {limits.max_holders} are allowed",
            )
    if receiver is not None and limits.max_ownership_bps and not self_transfer:
        cap = _share_of(token.supply, limits.max_ownership_bps)
        if amount > cap or bal_to > cap - amount:
            add(
                TransferCode.MAX_OWNERSHIP,
                f"{r_label} would hold {bal_to + amount} units, above the cap of {cap} units "
                f"({limits.max_ownership_bps} bps of {token.supply})",
            )
    if limits.lockup_until and token.timestamp < limits.lockup_until:
        until = datetime.datetime.fromtimestamp(limits.lockup_until, tz=datetime.UTC)
        add(TransferCode.LOCKUP, f"transfers are locked up until {until:%Y-%m-%d %H:%M} UTC")
    if limits.min_holding and amount > 0 and not self_transfer:
        low = []
        if (
            sender is not None
            and bal_from >= amount
            and bal_from - amount != 0
            and bal_from - amount < limits.min_holding
        ):
            low.append(f"{s_label} would keep {bal_from - amount} units")
        if receiver is not None and bal_to + amount < limits.min_holding:
            low.append(f"{r_label} would hold {bal_to + amount} units")
        if low:
            add(
                TransferCode.MIN_HOLDING,
                " and ".join(low) + f", below the minimum holding of {limits.min_holding} units",
            )
    if amount == 0:
        add(TransferCode.INVALID_AMOUNT, "the amount is zero")
    if self_transfer:
        add(TransferCode.SELF_TRANSFER, "sender and receiver are the same account")
    return failures


def evaluate_holding(rules: CompiledRules, token: TokenState, holder: Party) -> list[Failure]:
    """The rules a holding at rest breaks: the holder would not be allowed to receive it
    (``receiver_conditions``), it is above the ownership cap (``max_ownership``) or a
    non-zero holding below the minimum (``min_holding``)."""
    label = holder.label or "the holder"
    failures = []
    if not list_holds(rules.receiver, holder.claims, holder.citadel_sessions):
        failures.append(
            Failure(
                TransferCode.RECEIVER_CONDITIONS,
                explain_requirements(rules.receiver, label, holder.claims, holder.citadel_sessions),
            )
        )
    if rules.limits.max_ownership_bps:
        cap = _share_of(token.supply, rules.limits.max_ownership_bps)
        if holder.balance > cap:
            failures.append(
                Failure(
                    TransferCode.MAX_OWNERSHIP,
                    f"{label} holds {holder.balance} units, above the cap of {cap} units "
                    f"({rules.limits.max_ownership_bps} bps of {token.supply})",
                )
            )
    if rules.limits.min_holding and 0 < holder.balance < rules.limits.min_holding:
        failures.append(
            Failure(
                TransferCode.MIN_HOLDING,
                f"{label} holds {holder.balance} units, below the minimum holding of "
                f"{rules.limits.min_holding} units",
            )
        )
    return failures


def evaluate_holder_count(rules: CompiledRules, token: TokenState) -> Failure | None:
    """``max_holders`` for the instrument as a whole: more holders than the new cap."""
    if rules.limits.max_holders and token.holder_count > rules.limits.max_holders:
        return Failure(
            TransferCode.MAX_HOLDERS,
            f"the instrument has {token.holder_count} holders; the cap is {rules.limits.max_holders}",
        )
    return None
