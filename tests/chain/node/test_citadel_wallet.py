"""The platform's Citadel wallet (``chain.node.citadel_wallet``): a licence issued to a
holder's key, its attributes sealed to that key only, and a session prepared from the
licence tree's opening whose public signals the real ``citadel`` contract accepts (the
statement injected as the chain would have verified it; no proof: docs/zk.md "Citadel on
chain"). Policies the licence cannot meet fail before any proof, with the reason."""

from __future__ import annotations

import random
from datetime import date

import pytest

from chain.node import citadel_wallet as cw
from chain.node.contract_abi import decode_citadel_session, encode_citadel_issue, encode_citadel_session_key
from chain.state.licence_tree import LicenceTree
from tests.chain.vm.abi import account
from tests.chain.vm.test_citadel_contract import (
    ALICE,
    CHAIN_ID,
    DAY0,
    LP_ACCOUNT,
    RELAYER,
    VK,
    Citadel,
)
from tests.chain.vm.test_citadel_contract import citadel as citadel_fixture  # noqa: F401 - the fixture

_rb = random.Random(0xC17A).randbytes  # noqa: S311 - seeded test data
HOLDER_SK = cw.generate_secret_key(_rb)
OTHER_SK = cw.generate_secret_key(_rb)
SERVICE = b"\x42" * 32
ATTRS = cw.LicenceAttributes(
    jurisdiction=276, accredited=True, birth_date=date(1980, 5, 1), expiry=date(2026, 1, 1)
)


def lp_key() -> bytes:
    from tests.chain.vm.test_citadel_contract import LP

    return LP.to_bytes()


def test_keys_round_trip_and_the_provider_point_is_pk_a():
    pk = cw.public_key_of(HOLDER_SK)
    assert len(HOLDER_SK) == 64
    assert len(pk) == 64
    assert cw.provider_point(pk) != cw.provider_point(cw.public_key_of(OTHER_SK))
    with pytest.raises(cw.CitadelWalletError):
        cw.public_key_of(b"\x01" * 10)


def test_attributes_open_only_under_the_holders_key():
    issued = cw.issue_licence(
        provider_secret_key=lp_key(),
        holder_public_key=cw.public_key_of(HOLDER_SK),
        attributes=ATTRS,
        random_bytes=_rb,
    )
    assert cw.decode_licence(issued.licence).leaf() == issued.leaf
    assert (
        cw.open_attributes(holder_secret_key=HOLDER_SK, licence=issued.licence, envelope=issued.envelope)
        == ATTRS
    )
    with pytest.raises(cw.CitadelWalletError) as refused:
        cw.open_attributes(holder_secret_key=OTHER_SK, licence=issued.licence, envelope=issued.envelope)
    assert refused.value.reason == "decryption_failed"


def _issue(c: Citadel, attrs: cw.LicenceAttributes = ATTRS) -> tuple[cw.IssuedLicence, int]:
    issued = cw.issue_licence(
        provider_secret_key=lp_key(),
        holder_public_key=cw.public_key_of(HOLDER_SK),
        attributes=attrs,
        random_bytes=_rb,
    )
    result = c.call("issue", encode_citadel_issue(issued.leaf), LP_ACCOUNT, height=10)
    return issued, int.from_bytes(result.data, "little")


def _prepare(c: Citadel, issued: cw.IssuedLicence, position: int, **policy: object) -> cw.PreparedSession:
    tree = LicenceTree(c.state)
    kw: dict[str, object] = {"allowed_jurisdictions": (276, 250), "require_accredited": True, "today": DAY0}
    kw.update(policy)
    return cw.prepare_session(
        holder_secret_key=HOLDER_SK,
        licence=issued.licence,
        envelope=issued.envelope,
        provider_public_key=cw.public_key_of(lp_key()),
        chain_id=CHAIN_ID,
        holder=account(ALICE),
        service=SERVICE,
        root=int.from_bytes(tree.root(), "little"),
        opening=tree.opening(position),
        position=position,
        random_bytes=_rb,
        **kw,  # type: ignore[arg-type]
    )


def test_a_prepared_session_is_accepted_by_the_citadel_contract(citadel_fixture):  # noqa: F811
    issued, position = _issue(citadel_fixture)
    prepared = _prepare(citadel_fixture, issued, position)
    assert len(prepared.public_signals) == 22
    assert prepared.circuit_input["position"] == position
    statement = VK + b"".join(v.to_bytes(32, "little") for v in prepared.public_signals)
    key = encode_citadel_session_key(holder=account(ALICE), service=SERVICE)
    citadel_fixture.call("use_licence", key, RELAYER, height=11, statement=statement)
    session = decode_citadel_session(citadel_fixture.query("session_of", key))
    assert session.found
    assert session.jurisdictions == (276, 250)


@pytest.mark.parametrize(
    ("policy", "reason"),
    [
        ({"allowed_jurisdictions": (250,)}, "jurisdiction_not_allowed"),
        ({"today": (date(2026, 1, 2) - date(1970, 1, 1)).days}, "license_expired"),
    ],
)
def test_invalid_policies_fail_before_any_proof_with_the_reason(citadel_fixture, policy, reason):  # noqa: F811
    issued, position = _issue(citadel_fixture)
    with pytest.raises(cw.CitadelWalletError) as refused:
        _prepare(citadel_fixture, issued, position, **policy)
    assert refused.value.reason == reason


def test_invalid_unaccredited_holder_is_refused_when_accreditation_is_required(citadel_fixture):  # noqa: F811
    issued, position = _issue(
        citadel_fixture, cw.LicenceAttributes(276, False, date(1980, 5, 1), date(2026, 1, 1))
    )
    with pytest.raises(cw.CitadelWalletError) as refused:
        _prepare(citadel_fixture, issued, position)
    assert refused.value.reason == "not_accredited"
    assert _prepare(citadel_fixture, issued, position, require_accredited=False).root != 0
