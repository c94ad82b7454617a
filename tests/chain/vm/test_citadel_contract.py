"""The ``citadel`` contract (chain/contracts/citadel, docs/contracts.md "citadel") on the real
host, with real licences of :mod:`chain.crypto.citadel` in the real licence tree.

The proof is the chain's business (a ``ProvenCall`` is verified before the call runs; the
``citadel_license`` circuit has no setup yet, docs/zk.md "Citadel on chain"). Here the session
is given the statement the chain would have verified: the circuit's 22 public signals built by
``open_session`` and ``license_circuit_public_signals`` over a licence issued through the
contract, whose satisfiability is checked with the clear-text oracle
``check_gloam_license_statement`` against the tree's own opening. So every check the contract
makes on top of the proof is exercised: key id, root history (and revocation), provider,
challenge, day, adult cutoff, session id.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Final

import pytest

from chain.crypto.citadel import (
    GLOAM_SCHEMA_ID,
    AttributePolicy,
    GloamAttributes,
    License,
    check_gloam_license_statement,
    day_to_field,
    license_circuit_public_signals,
    open_session,
)
from chain.crypto.phoenix import SecretKey
from chain.node.contract_abi import (
    citadel_adult_cutoff,
    citadel_challenge,
    decode_citadel_info,
    decode_citadel_licence_event,
    decode_citadel_provider,
    decode_citadel_revoked_event,
    decode_citadel_session,
    decode_citadel_session_event,
    encode_citadel_add_provider,
    encode_citadel_init,
    encode_citadel_issue,
    encode_citadel_provider,
    encode_citadel_revoke,
    encode_citadel_session_key,
)
from chain.state.licence_tree import LicenceTree
from chain.state.state import State
from chain.types.primitives import ContractId
from chain.vm.exceptions import CallFailed
from chain.vm.session import BlockInfo, CallResult, VmSession
from tests.chain.helpers import Keypair, keypair
from tests.chain.vm.abi import account, contract_address
from tests.chain.vm.tokens import deploy, fresh_state

OPERATOR, LP_ACCOUNT, OTHER_ACCOUNT, ALICE, BOB, RELAYER = (
    keypair(n) for n in ("operator", "lp-account", "other-lp-account", "alice", "bob", "relayer")
)
VK: Final = b"\x5c" * 32
CHAIN_ID: Final = 5
GAS: Final = 500_000_000
DAY0: Final = 20_000  # 2024-10-04
ISSUE_HEIGHT: Final = 10

_rng = random.Random(0xC17AD0C)  # noqa: S311 - seeded test data, not keys of value
_rb = _rng.randbytes
LP: Final = SecretKey.from_seed(_rb(32))
OTHER_LP: Final = SecretKey.from_seed(_rb(32))
USER: Final = SecretKey.from_seed(_rb(32))
SP: Final = SecretKey.from_seed(_rb(32))
SERVICE: Final = b"\x7e" * 32
OTHER_SERVICE: Final = b"\x7f" * 32
ATTRIBUTES: Final = GloamAttributes(jurisdiction=276, accredited=1, birth_date=-1_900, expiry=DAY0 + 365)
R_ATTR: Final = 0x1234567


def point(key: SecretKey) -> tuple[int, int]:
    return key.public_key().A.affine()


def block(height: int, day: int = DAY0) -> BlockInfo:
    return BlockInfo(height=height, timestamp=day * 86_400 + 3_600 + height, chain_id=CHAIN_ID)


@dataclass
class Citadel:
    state: State
    contract: ContractId

    def call(
        self,
        fn: str,
        args: bytes,
        caller: Keypair,
        *,
        height: int,
        day: int = DAY0,
        statement: bytes | None = None,
    ) -> CallResult:
        session = VmSession(self.state, block(height, day), statement=statement)
        return session.call(self.contract, fn, args, caller=caller.public, gas_limit=GAS)

    def panic(self, fn: str, args: bytes, caller: Keypair, **kw: object) -> str:
        with pytest.raises(CallFailed) as failed:
            self.call(fn, args, caller, **kw)  # type: ignore[arg-type]
        assert failed.value.reason == "panic", str(failed.value)
        return str(failed.value).partition(":")[0]

    def query(self, fn: str, args: bytes, *, height: int = 50) -> bytes:
        return VmSession(self.state, block(height)).query(self.contract, fn, args)

    def issue(self, licence: License, *, caller: Keypair = LP_ACCOUNT, height: int = ISSUE_HEIGHT) -> int:
        result = self.call("issue", encode_citadel_issue(licence.leaf()), caller, height=height)
        return int.from_bytes(result.data, "little")


@pytest.fixture
def citadel() -> Iterator[Citadel]:
    for state in fresh_state():
        contract = deploy(
            state, "citadel", encode_citadel_init(operator_key=bytes(OPERATOR.public), vk_id=VK)
        )
        LicenceTree(state).set_authority(contract)
        c = Citadel(state, contract)
        args = encode_citadel_add_provider(pk_lp_a=point(LP), account_key=bytes(LP_ACCOUNT.public))
        c.call("add_provider", args, OPERATOR, height=2)
        yield c


def new_licence(lp: SecretKey = LP, attributes: GloamAttributes = ATTRIBUTES) -> License:
    return License.issue(
        lp, attributes.attr_data(GLOAM_SCHEMA_ID, R_ATTR), USER.public_key(), random_bytes=_rb
    )


def policy(today: int = DAY0, *, cutoff: int | None = None) -> AttributePolicy:
    return AttributePolicy(today, citadel_adult_cutoff(today) if cutoff is None else cutoff, True, (276, 250))


def statement(
    c: Citadel,
    licence: License,
    position: int,
    *,
    holder: bytes | None = None,
    service: bytes = SERVICE,
    pol: AttributePolicy | None = None,
    lp: SecretKey = LP,
    root: int | None = None,
    vk: bytes = VK,
) -> bytes:
    """What the chain verified for a session of ``USER``'s licence at ``position``: the key id
    and the 22 public signals; checked satisfiable with the circuit's clear-text oracle."""
    holder = account(ALICE) if holder is None else holder
    pol = policy() if pol is None else pol
    tree = LicenceTree(c.state)
    tree_root = int.from_bytes(tree.root(), "little") if root is None else root
    challenge = citadel_challenge(chain_id=CHAIN_ID, holder=holder, service=service)
    session = open_session(
        USER, licence, lp.public_key(), SP.public_key(), challenge, tree_root, random_bytes=_rb
    )
    signals = license_circuit_public_signals(session.public_inputs, session.witness, pol)
    if root is None:
        check_gloam_license_statement(
            session.witness,
            signals,
            attributes=ATTRIBUTES,
            schema_id=GLOAM_SCHEMA_ID,
            r_attr=R_ATTR,
            opening=tree.opening(position),
            position=position,
        )
    return vk + b"".join(v.to_bytes(32, "little") for v in signals)


def key(holder: bytes | None = None, service: bytes = SERVICE) -> bytes:
    return encode_citadel_session_key(holder=account(ALICE) if holder is None else holder, service=service)


def test_issue_appends_the_licence_and_a_valid_session_is_recorded(citadel):
    licence = new_licence()
    result = citadel.call("issue", encode_citadel_issue(licence.leaf()), LP_ACCOUNT, height=ISSUE_HEIGHT)
    assert int.from_bytes(result.data, "little") == 0
    [event] = [decode_citadel_licence_event(e.data) for e in result.events if e.topic == "licence"]
    assert (event.position, event.leaf, event.pk_lp_a) == (0, licence.leaf(), point(LP))
    assert LicenceTree(citadel.state).leaf(0) == licence.leaf().to_bytes(32, "little")
    assert decode_citadel_session(citadel.query("session_of", key())).found is False

    stmt = statement(citadel, licence, 0)
    used = citadel.call("use_licence", key(), RELAYER, height=11, statement=stmt)
    [ev] = [decode_citadel_session_event(e.data) for e in used.events if e.topic == "session"]
    assert (ev.holder, ev.service, ev.pk_lp_a, ev.day) == (account(ALICE), SERVICE, point(LP), DAY0)
    assert ev.session_id == int.from_bytes(stmt[32:64], "little")
    session = decode_citadel_session(citadel.query("session_of", key()))
    assert session.found
    assert session.pk_lp_a == point(LP)
    assert (session.day, session.require_accredited, session.jurisdictions) == (DAY0, True, (276, 250))
    assert citadel.query("has_session", key()) == b"\x01"
    assert citadel.query("has_session", key(account(BOB))) == b"\x00"
    assert citadel.query("has_session", key(service=OTHER_SERVICE)) == b"\x00"
    info = decode_citadel_info(citadel.query("info", b""))
    assert (info.providers, info.licences, info.sessions, info.vk_id) == (1, 1, 1, VK)


def test_the_same_licence_opens_one_session_per_holder_and_service(citadel):
    licence = new_licence()
    citadel.issue(licence)
    citadel.call("use_licence", key(), RELAYER, height=11, statement=statement(citadel, licence, 0))
    # a new proof of the same licence for the same holder and service has the same session id
    again = statement(citadel, licence, 0)
    assert citadel.panic("use_licence", key(), RELAYER, height=12, statement=again) == "session_used"
    # another service (or another holder) is another challenge, so another session id
    other = statement(citadel, licence, 0, service=OTHER_SERVICE)
    citadel.call("use_licence", key(service=OTHER_SERVICE), RELAYER, height=12, statement=other)
    assert decode_citadel_info(citadel.query("info", b"")).sessions == 2


def test_invalid_sessions_are_refused_and_change_nothing(citadel):
    licence = new_licence()
    citadel.issue(licence)
    good = statement(citadel, licence, 0)
    before = citadel.state.compute_state_root()
    # wrong key id; not proven; a statement of another length
    assert (
        citadel.panic("use_licence", key(), RELAYER, height=11, statement=b"\x11" * 32 + good[32:])
        == "wrong_circuit"
    )
    assert citadel.panic("use_licence", key(), RELAYER, height=11, statement=None) == "not_proven"
    assert citadel.panic("use_licence", key(), RELAYER, height=11, statement=good[:-32]) == "wrong_circuit"
    # the statement is for Alice on SERVICE: another holder or service is another challenge
    assert (
        citadel.panic("use_licence", key(account(BOB)), RELAYER, height=11, statement=good)
        == "wrong_challenge"
    )
    assert (
        citadel.panic("use_licence", key(service=OTHER_SERVICE), RELAYER, height=11, statement=good)
        == "wrong_challenge"
    )
    # an unknown root, and the root of the block in progress
    unknown = statement(citadel, licence, 0, root=12345)
    assert citadel.panic("use_licence", key(), RELAYER, height=11, statement=unknown) == "unknown_root"
    assert citadel.panic("use_licence", key(), RELAYER, height=ISSUE_HEIGHT, statement=good) == "unknown_root"
    # a stale today: the proof's day is two days from the block's
    assert (
        citadel.panic("use_licence", key(), RELAYER, height=11, day=DAY0 + 2, statement=good) == "stale_today"
    )
    assert (
        citadel.panic("use_licence", key(), RELAYER, height=11, day=DAY0 - 2, statement=good) == "stale_today"
    )
    citadel.call("use_licence", key(), RELAYER, height=11, day=DAY0 + 1, statement=good)  # ±1 day is fine
    assert citadel.state.compute_state_root() != before


def test_a_weak_adult_cutoff_is_refused(citadel):
    licence = new_licence()
    citadel.issue(licence)
    weak = statement(citadel, licence, 0, pol=policy(cutoff=citadel_adult_cutoff(DAY0) + 1))
    assert citadel.panic("use_licence", key(), RELAYER, height=11, statement=weak) == "weak_cutoff"
    # the calendar 18 years of AttributePolicy.adults are 6,574 days on some days: refused too
    calendar = AttributePolicy(DAY0, DAY0 - 6_574, True, (276,))
    cal = statement(citadel, licence, 0, pol=calendar)
    assert citadel.panic("use_licence", key(), RELAYER, height=11, statement=cal) == "weak_cutoff"
    # a stricter cutoff, even before 1970 (a negative day, q − n in the field), is accepted
    old = statement(citadel, licence, 0, pol=policy(cutoff=-1_900))  # born on the cutoff, 1964
    assert day_to_field(-1_900) > 2**250
    citadel.call("use_licence", key(), RELAYER, height=11, statement=old)
    assert decode_citadel_session(citadel.query("session_of", key())).found


def test_an_unregistered_or_removed_provider_is_refused(citadel):
    foreign = new_licence(OTHER_LP)
    # the other LP has no account here, so its licence enters the tree only through a provider
    citadel.issue(foreign)
    stmt = statement(citadel, foreign, 0, lp=OTHER_LP)
    assert citadel.panic("use_licence", key(), RELAYER, height=11, statement=stmt) == "unknown_provider"
    licence = new_licence()
    citadel.issue(licence, height=11)
    stmt = statement(citadel, licence, 1)
    citadel.call("remove_provider", encode_citadel_provider(point(LP)), OPERATOR, height=12)
    assert citadel.panic("use_licence", key(), RELAYER, height=12, statement=stmt) == "unknown_provider"
    status = decode_citadel_provider(
        point(LP), citadel.query("provider_of", encode_citadel_provider(point(LP)))
    )
    assert (status.status, status.account_key) == (2, bytes(LP_ACCOUNT.public))
    # a removed provider's account may not issue
    assert (
        citadel.panic("issue", encode_citadel_issue(licence.leaf()), LP_ACCOUNT, height=12)
        == "not_authorised"
    )


def test_a_root_from_before_a_revocation_is_refused_and_sessions_stand(citadel):
    first, second = new_licence(), new_licence()
    citadel.issue(first)
    citadel.issue(second)
    old_first, old_second = statement(citadel, first, 0), statement(citadel, second, 1)
    citadel.call("use_licence", key(), RELAYER, height=11, statement=old_first)
    result = citadel.call("revoke", encode_citadel_revoke(1), LP_ACCOUNT, height=12)
    [event] = [decode_citadel_revoked_event(e.data) for e in result.events if e.topic == "revoked"]
    assert (event.position, event.pk_lp_a) == (1, point(LP))
    bob = key(account(BOB))
    # the revoked licence's proof names a root from before the revocation
    assert citadel.panic("use_licence", bob, RELAYER, height=13, statement=old_second) == "unknown_root"
    # against the new root the revoked licence does not open (its leaf is 0): no statement
    # can be built; the oracle refuses it
    with pytest.raises(Exception, match="tree under root|not_a_member"):
        statement(citadel, second, 1, holder=account(BOB))
    # a licence that was not revoked opens again against the root after the revocation
    fresh = statement(citadel, first, 0, holder=account(BOB))
    citadel.call("use_licence", bob, RELAYER, height=13, statement=fresh)
    # Alice's session from before the revocation stands
    assert decode_citadel_session(citadel.query("session_of", key())).found


def test_only_the_issuing_provider_revokes(citadel):
    other_args = encode_citadel_add_provider(pk_lp_a=point(OTHER_LP), account_key=bytes(OTHER_ACCOUNT.public))
    citadel.call("add_provider", other_args, OPERATOR, height=3)
    citadel.issue(new_licence())
    citadel.issue(new_licence(OTHER_LP), caller=OTHER_ACCOUNT)
    root = LicenceTree(citadel.state).root()
    assert citadel.panic("revoke", encode_citadel_revoke(0), OTHER_ACCOUNT, height=12) == "not_issuer"
    assert citadel.panic("revoke", encode_citadel_revoke(0), ALICE, height=12) == "not_issuer"
    assert citadel.panic("revoke", encode_citadel_revoke(7), LP_ACCOUNT, height=12) == "not_issuer"
    assert LicenceTree(citadel.state).root() == root
    citadel.call("revoke", encode_citadel_revoke(1), OTHER_ACCOUNT, height=12)
    assert citadel.panic("revoke", encode_citadel_revoke(1), OTHER_ACCOUNT, height=13) == "already_revoked"
    # a removed provider still revokes what it issued
    citadel.call("remove_provider", encode_citadel_provider(point(LP)), OPERATOR, height=13)
    citadel.call("revoke", encode_citadel_revoke(0), LP_ACCOUNT, height=13)
    assert LicenceTree(citadel.state).is_revoked(0)


def test_provider_registration_is_the_operators(citadel):
    args = encode_citadel_add_provider(pk_lp_a=point(OTHER_LP), account_key=bytes(OTHER_ACCOUNT.public))
    assert citadel.panic("add_provider", args, ALICE, height=3) == "not_authorised"
    same = encode_citadel_add_provider(pk_lp_a=point(LP), account_key=bytes(OTHER_ACCOUNT.public))
    assert citadel.panic("add_provider", same, OPERATOR, height=3) == "provider_exists"
    shared = encode_citadel_add_provider(pk_lp_a=point(OTHER_LP), account_key=bytes(LP_ACCOUNT.public))
    assert citadel.panic("add_provider", shared, OPERATOR, height=3) == "account_in_use"
    assert citadel.panic("remove_provider", encode_citadel_provider(point(OTHER_LP)), OPERATOR, height=3) == (
        "unknown_provider"
    )
    result = citadel.call("add_provider", args, OPERATOR, height=3)
    assert [e.topic for e in result.events] == ["provider_added"]
    status = decode_citadel_provider(
        point(OTHER_LP), citadel.query("provider_of", encode_citadel_provider(point(OTHER_LP)))
    )
    assert (status.status, status.account_key) == (1, bytes(OTHER_ACCOUNT.public))
    assert (
        citadel.panic("issue", encode_citadel_issue(new_licence().leaf()), ALICE, height=10)
        == "not_authorised"
    )


def test_invalid_leaves_and_the_licence_authority(citadel):
    assert citadel.panic("issue", (0).to_bytes(32, "little"), LP_ACCOUNT, height=10) == "bad_leaf"
    assert citadel.panic("issue", b"\xff" * 32, LP_ACCOUNT, height=10) == "bad_leaf"
    impostor = deploy(
        citadel.state, "citadel", encode_citadel_init(operator_key=bytes(OPERATOR.public), vk_id=VK), nonce=1
    )
    fake = Citadel(citadel.state, impostor)
    args = encode_citadel_add_provider(pk_lp_a=point(LP), account_key=bytes(LP_ACCOUNT.public))
    fake.call("add_provider", args, OPERATOR, height=2)
    assert (
        fake.panic("issue", encode_citadel_issue(new_licence().leaf()), LP_ACCOUNT, height=10)
        == "not_authority"
    )
    assert LicenceTree(citadel.state).size() == 0


def test_the_challenge_is_a_canonical_jubjub_scalar_bound_to_chain_holder_and_service():
    from chain.crypto.jubjub import R_J

    values = {
        citadel_challenge(chain_id=c, holder=h, service=s)
        for c in (1, 5)
        for h in (account(ALICE), account(BOB), contract_address(ContractId(b"\x01" * 32)))
        for s in (SERVICE, OTHER_SERVICE)
    }
    assert len(values) == 12
    assert all(v < 2**251 < R_J for v in values)


def test_session_policy_is_what_the_proof_satisfied(citadel):
    licence = new_licence()
    citadel.issue(licence)
    pol = replace(policy(), require_accredited=False, allowed_jurisdictions=(250, 276, 528))
    citadel.call("use_licence", key(), RELAYER, height=11, statement=statement(citadel, licence, 0, pol=pol))
    session = decode_citadel_session(citadel.query("session_of", key()))
    assert (session.require_accredited, session.jurisdictions) == (False, (250, 276, 528))


def test_a_security_token_accepts_a_citadel_session_as_its_kyc_claim(citadel):
    """An instrument whose receiver requirement is a Citadel session (condition kind 3,
    docs/contracts.md "Security token") refuses a holder without one and accepts it once the
    holder proved a licence for this token (the service is the token's id); the registry holds
    no claim about the holder at any point."""
    from chain.node.contract_abi import citadel_condition, encode_conditions, encode_security_token_init

    registry = deploy(citadel.state, "identity_registry", bytes(OPERATOR.public))
    init = encode_security_token_init(
        issuer_agent=bytes(OPERATOR.public),
        compliance_agent=bytes(OPERATOR.public),
        registry=bytes(registry),
        isin="US0378331005",
        terms_hash=bytes(32),
        decimals=0,
    )
    token = deploy(citadel.state, "security_token", init)
    rules = encode_conditions(receiver=[[citadel_condition(bytes(citadel.contract))]])
    VmSession(citadel.state, block(12)).call(
        token, "set_conditions", rules, caller=OPERATOR.public, gas_limit=GAS
    )

    def issue_to_alice(height: int) -> None:
        args = account(ALICE) + (5).to_bytes(8, "little")
        VmSession(citadel.state, block(height)).call(
            token, "issue", args, caller=OPERATOR.public, gas_limit=GAS
        )

    with pytest.raises(CallFailed, match="receiver_conditions"):
        issue_to_alice(13)
    licence = new_licence()
    position = citadel.issue(licence, height=14)
    service = bytes(token)
    stmt = statement(citadel, licence, position, service=service)
    citadel.call("use_licence", key(service=service), RELAYER, height=15, statement=stmt)
    issue_to_alice(16)
    balance = VmSession(citadel.state, block(17)).query(token, "balance_of", account(ALICE))
    assert int.from_bytes(balance, "little") == 5
    # Bob's session for another service (instrument) does not count for this one
    other = statement(citadel, licence, position, holder=account(BOB), service=OTHER_SERVICE)
    citadel.call("use_licence", key(account(BOB), OTHER_SERVICE), RELAYER, height=18, statement=other)
    to_bob = account(BOB) + (5).to_bytes(8, "little")
    with pytest.raises(CallFailed, match="receiver_conditions"):
        VmSession(citadel.state, block(19)).call(
            token, "issue", to_bob, caller=OPERATOR.public, gas_limit=GAS
        )
