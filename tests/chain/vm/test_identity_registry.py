"""The identity claims registry (chain/contracts/identity_registry, docs/contracts.md) on the
real host: trusted issuers per topic, claims with expiry, renewal and revocation, and
``claims_of`` returning only the claims valid at the block timestamp."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chain.state.memory import MemoryStore
from chain.state.state import State
from chain.types.primitives import ContractId
from chain.vm.exceptions import CallFailed
from tests.chain.helpers import Keypair, keypair
from tests.chain.vm.abi import account, contract_address, u8, u32
from tests.chain.vm.securities import (
    CATEGORY,
    JURISDICTION,
    KYC,
    PROFESSIONAL,
    T0,
    Chain,
    claim_args,
    country,
    decode_claims,
    panic_code,
)

ADMIN, KYC_CO, BANK, ALICE, BOB = (keypair(f"reg-{n}") for n in ("admin", "kyc", "bank", "alice", "bob"))
YEAR = 365 * 86_400


@pytest.fixture
def chain() -> Iterator[Chain]:
    store = MemoryStore()
    with store.read_view() as view:
        yield Chain(State(view))


@pytest.fixture
def registry(chain: Chain) -> ContractId:
    reg = chain.deploy("identity_registry", ADMIN.public, bytes(ADMIN.public))
    chain.call(
        reg, "add_trusted_issuer", bytes(KYC_CO.public) + u32(1 << KYC | 1 << JURISDICTION), ADMIN.public
    )
    return reg


def trusted(chain: Chain, reg: ContractId, issuer: bytes, topic: int) -> int:
    return chain.query(reg, "is_trusted_issuer", issuer + u8(topic))[0]


def claims(chain: Chain, reg: ContractId, subject: bytes) -> list[tuple[int, bytes, int, int]]:
    return decode_claims(chain.query(reg, "claims_of", subject))


def expect_panic(code: str, chain: Chain, reg: ContractId, fn: str, args: bytes, caller: Keypair) -> None:
    with pytest.raises(CallFailed) as error:
        chain.call(reg, fn, args, caller.public)
    assert panic_code(error.value) == code, str(error.value)


def test_trusted_issuers_per_topic_admin_only(chain: Chain, registry: ContractId) -> None:
    kyc = bytes(KYC_CO.public)
    assert trusted(chain, registry, kyc, KYC) == 1
    assert trusted(chain, registry, kyc, JURISDICTION) == 1
    assert trusted(chain, registry, kyc, CATEGORY) == 0
    assert trusted(chain, registry, bytes(BANK.public), KYC) == 0
    expect_panic("not_authorised", chain, registry, "add_trusted_issuer", bytes(BANK.public) + u32(2), BANK)
    chain.call(registry, "add_trusted_issuer", bytes(BANK.public) + u32(1 << CATEGORY), ADMIN.public)
    assert [(e.topic, e.data) for e in chain.events] == [
        ("trusted_issuer", bytes(BANK.public) + u32(1 << CATEGORY))
    ]
    assert trusted(chain, registry, bytes(BANK.public), CATEGORY) == 1
    expect_panic("not_authorised", chain, registry, "remove_trusted_issuer", bytes(BANK.public), KYC_CO)
    chain.call(registry, "remove_trusted_issuer", bytes(BANK.public), ADMIN.public)
    assert [(e.topic, e.data) for e in chain.events] == [("trusted_issuer_removed", bytes(BANK.public))]
    assert trusted(chain, registry, bytes(BANK.public), CATEGORY) == 0
    expect_panic("not_found", chain, registry, "remove_trusted_issuer", bytes(BANK.public), ADMIN)
    expect_panic("invalid_args", chain, registry, "remove_trusted_issuer", b"short", ADMIN)


def test_add_claim_and_claims_of(chain: Chain, registry: ContractId) -> None:
    alice = account(ALICE.public)
    assert claims(chain, registry, alice) == []
    evidence = bytes(range(100, 132))
    args = claim_args(alice, JURISDICTION, country("DE"), T0 + YEAR, evidence)
    chain.call(registry, "add_claim", args, KYC_CO.public)
    assert [(e.topic, e.data) for e in chain.events] == [("claim_added", args + bytes(KYC_CO.public))]
    chain.call(registry, "add_claim", claim_args(alice, KYC, 1, T0 + YEAR), KYC_CO.public)
    assert sorted(claims(chain, registry, alice)) == [
        (KYC, bytes(KYC_CO.public), 1, T0 + YEAR),
        (JURISDICTION, bytes(KYC_CO.public), country("DE"), T0 + YEAR),
    ]
    assert claims(chain, registry, account(BOB.public)) == []


def test_add_claim_refusals(chain: Chain, registry: ContractId) -> None:
    alice = account(ALICE.public)
    # an issuer not trusted at all, and one trusted for other topics
    expect_panic("not_authorised", chain, registry, "add_claim", claim_args(alice, KYC, 1, T0 + YEAR), BANK)
    expect_panic(
        "not_authorised", chain, registry, "add_claim", claim_args(alice, CATEGORY, 1, T0 + YEAR), KYC_CO
    )
    expect_panic("invalid_expiry", chain, registry, "add_claim", claim_args(alice, KYC, 1, T0), KYC_CO)
    expect_panic("invalid_args", chain, registry, "add_claim", claim_args(alice, KYC, 1, T0 + 9)[:-1], KYC_CO)
    bad = b"\x07" + alice[1:]
    expect_panic("invalid_address", chain, registry, "add_claim", claim_args(bad, KYC, 1, T0 + YEAR), KYC_CO)
    with pytest.raises(CallFailed) as error:
        chain.query(registry, "add_trusted_issuer", bytes(BANK.public) + u32(2))
    assert panic_code(error.value) == "no_caller"


def test_renewal_replaces_the_issuers_claim(chain: Chain, registry: ContractId) -> None:
    alice = account(ALICE.public)
    chain.call(registry, "add_claim", claim_args(alice, JURISDICTION, country("DE"), T0 + 10), KYC_CO.public)
    chain.call(
        registry, "add_claim", claim_args(alice, JURISDICTION, country("FR"), T0 + YEAR), KYC_CO.public
    )
    assert claims(chain, registry, alice) == [(JURISDICTION, bytes(KYC_CO.public), country("FR"), T0 + YEAR)]


def test_expired_claim_is_not_returned(chain: Chain, registry: ContractId) -> None:
    alice = account(ALICE.public)
    chain.call(registry, "add_claim", claim_args(alice, KYC, 1, T0 + 100), KYC_CO.public)
    chain.timestamp = T0 + 99
    assert len(claims(chain, registry, alice)) == 1
    chain.timestamp = T0 + 100
    assert claims(chain, registry, alice) == []
    # renewal after expiry brings it back
    chain.call(registry, "add_claim", claim_args(alice, KYC, 1, T0 + 1000), KYC_CO.public)
    assert claims(chain, registry, alice) == [(KYC, bytes(KYC_CO.public), 1, T0 + 1000)]


def test_revoke_claim_by_its_issuer_only(chain: Chain, registry: ContractId) -> None:
    alice = account(ALICE.public)
    chain.call(
        registry, "add_trusted_issuer", bytes(BANK.public) + u32(1 << KYC | 1 << CATEGORY), ADMIN.public
    )
    chain.call(registry, "add_claim", claim_args(alice, KYC, 1, T0 + YEAR), KYC_CO.public)
    chain.call(registry, "add_claim", claim_args(alice, CATEGORY, PROFESSIONAL, T0 + YEAR), BANK.public)
    # BANK has no KYC claim on alice: it cannot revoke KYC_CO's
    expect_panic("not_found", chain, registry, "revoke_claim", alice + u8(KYC), BANK)
    chain.call(registry, "revoke_claim", alice + u8(KYC), KYC_CO.public)
    assert [(e.topic, e.data) for e in chain.events] == [
        ("claim_revoked", alice + u8(KYC) + bytes(KYC_CO.public))
    ]
    assert claims(chain, registry, alice) == [(CATEGORY, bytes(BANK.public), PROFESSIONAL, T0 + YEAR)]
    expect_panic("not_found", chain, registry, "revoke_claim", alice + u8(KYC), KYC_CO)


def test_claims_of_an_issuer_no_longer_trusted_stop_counting(chain: Chain, registry: ContractId) -> None:
    alice = account(ALICE.public)
    chain.call(registry, "add_claim", claim_args(alice, KYC, 1, T0 + YEAR), KYC_CO.public)
    chain.call(
        registry, "add_claim", claim_args(alice, JURISDICTION, country("DE"), T0 + YEAR), KYC_CO.public
    )
    # trusted for KYC only now: the jurisdiction claim stops counting
    chain.call(registry, "add_trusted_issuer", bytes(KYC_CO.public) + u32(1 << KYC), ADMIN.public)
    assert claims(chain, registry, alice) == [(KYC, bytes(KYC_CO.public), 1, T0 + YEAR)]
    chain.call(registry, "remove_trusted_issuer", bytes(KYC_CO.public), ADMIN.public)
    assert claims(chain, registry, alice) == []
    expect_panic("not_authorised", chain, registry, "add_claim", claim_args(alice, KYC, 1, T0 + YEAR), KYC_CO)


def test_contract_subjects_and_eight_claims_per_subject(chain: Chain, registry: ContractId) -> None:
    subject = contract_address(ContractId(bytes(range(32))))
    issuers = [keypair(f"reg-issuer-{i}") for i in range(9)]
    for issuer in issuers:
        chain.call(registry, "add_trusted_issuer", bytes(issuer.public) + u32(1 << KYC), ADMIN.public)
    for issuer in issuers[:8]:
        chain.call(registry, "add_claim", claim_args(subject, KYC, 1, T0 + YEAR), issuer.public)
    assert len(claims(chain, registry, subject)) == 8
    expect_panic("capacity", chain, registry, "add_claim", claim_args(subject, KYC, 1, T0 + YEAR), issuers[8])


def test_many_subjects_touch_few_pages(chain: Chain, registry: ContractId) -> None:
    """1,000 subjects with two claims each; a claim costs a few page writes (index slot,
    arena, globals, stack), never the table."""
    spent = []
    for i in range(1_000):
        subject = account(i.to_bytes(48, "little"))
        spent.append(
            chain.call(registry, "add_claim", claim_args(subject, KYC, 1, T0 + YEAR), KYC_CO.public).gas_spent
        )
        chain.call(
            registry, "add_claim", claim_args(subject, JURISDICTION, country("IT"), T0 + YEAR), KYC_CO.public
        )
    assert max(spent) < 6 * 262_144
    for i in (0, 777, 999):
        assert len(claims(chain, registry, account(i.to_bytes(48, "little")))) == 2
