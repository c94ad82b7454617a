"""Citadel licences and sessions (chain.crypto.citadel).

Upstream: dusk-network/citadel at b379be431277e23524aadb79264a1579903fabc5. Its tests
(``core/tests/assets.rs``, ``core/tests/citadel.rs``) seed StdRng but assert no fixed bytes, so
there are no vectors to replay: these tests are properties mirroring theirs (issuance round
trip, provider binding, cookie refusals, session nullifier) plus the statement the circuit will
prove. Randomness comes from tests/chain/crypto/dusk_stdrng.py so every run is the same.
"""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chain.crypto import citadel, poseidon
from chain.crypto.citadel import (
    AttributeOpening,
    License,
    LicenseContext,
    LicenseSignature,
    Request,
    SessionPolicy,
    check_license_statement,
    open_session,
    verify_cookie,
)
from chain.crypto.exceptions import CitadelRefused, InvalidFieldElement, InvalidInput, InvalidScalar
from chain.crypto.jubjub import GENERATOR, GENERATOR_NUMS, R_J, Point
from chain.crypto.phoenix import SecretKey
from chain.crypto.poseidon_merkle import NoteOpening, compute_digits, compute_parent
from tests.chain.crypto.dusk_stdrng import StdRng

SCHEMA = 7
ATTRS = [18, 1, 250]  # e.g. age ≥ 18, country code, tier: field elements


@pytest.fixture(scope="module")
def world():
    rng = StdRng(0xC17A)
    user = SecretKey(rng.scalar() or 1, rng.scalar() or 1)
    lp = SecretKey(rng.scalar() or 1, rng.scalar() or 1)
    other_lp = SecretKey(rng.scalar() or 1, rng.scalar() or 1)
    sp = SecretKey(rng.scalar() or 1, rng.scalar() or 1)
    r_attr = rng.scalar()
    digest = citadel.attributes_digest(ATTRS)
    attr = citadel.attr_data(SCHEMA, digest, r_attr)
    request, lsa = Request.new(user, lp.public_key(), random_bytes=rng)
    lic = License.issue(lp, attr, request, context=LicenseContext(schema_id=SCHEMA), random_bytes=rng)
    return {
        "rng": rng, "user": user, "lp": lp, "other_lp": other_lp, "sp": sp, "lsa": lsa,
        "request": request, "license": lic, "attr": attr, "opening": AttributeOpening(SCHEMA, digest, r_attr),
    }  # fmt: skip


def _session(w, c=12345, root=99, **kw):
    kw.setdefault("random_bytes", w["rng"])
    return open_session(w["user"], w["license"], w["lp"].public_key(), w["sp"].public_key(), c, root, **kw)


def _policy(w, c=12345, **kw):
    return SessionPolicy(0, w["sp"].public_key(), c, (w["lp"].public_key(),), **kw)


# -- request and issuance ------------------------------------------------------------------------


def test_request_decrypts_for_the_lp_only(world):
    lsa, k_lic = world["request"].open(world["lp"])
    assert lsa == world["lsa"]
    assert world["user"].owns(lsa)
    lsk = world["user"].note_secret_key(lsa)
    assert k_lic == citadel.license_key(lsk, lsa)
    with pytest.raises(CitadelRefused) as exc:
        world["request"].open(world["other_lp"])
    assert exc.value.reason == "decryption_failed"


def test_request_sizes_and_id(world):
    req = world["request"]
    assert len(req.enc) == citadel.REQUEST_PLAINTEXT_SIZE + 28 == 252
    assert req.id() != dataclasses.replace(req, enc=bytes(252)).id()


def test_issuance_round_trip(world):
    lic = world["license"]
    assert len(lic.enc) == citadel.LICENSE_PLAINTEXT_SIZE + 28 == 380
    payload = lic.open(world["user"], world["lp"].public_key())
    assert payload.attr_data == world["attr"]
    assert payload.pk_lp == world["lp"].public_key()
    assert payload.context == LicenseContext(schema_id=SCHEMA)
    assert lic.leaf() == poseidon.hash(
        [citadel.context(citadel.CitadelDomain.LICENSE_HASH), *lic.lsa.note_pk.affine()]
    )


def test_issue_to_public_key_round_trip(world):
    lic = License.issue(world["lp"], 5, world["user"].public_key(), random_bytes=world["rng"])
    assert lic.open(world["user"]).attr_data == 5
    with pytest.raises(CitadelRefused) as exc:
        lic.open(world["other_lp"])
    assert exc.value.reason == "decryption_failed"


def test_licence_from_another_provider_refused_on_open(world):
    with pytest.raises(CitadelRefused) as exc:
        world["license"].open(world["user"], world["other_lp"].public_key())
    assert exc.value.reason == "wrong_license_provider"


def test_forged_lp_signature_refused(world):
    """An LP-other key signs a licence claiming to be `lp`: the sealed key is lp's, the
    signature is not, so opening refuses it."""
    lic, user, lp, rogue = world["license"], world["user"], world["lp"], world["other_lp"]
    msg = citadel.license_sig_message(lic.lsa.note_pk, world["attr"])
    forged = LicenseSignature.sign(rogue.a, msg, world["rng"])
    assert forged.verify(rogue.public_key().A, msg)
    assert not forged.verify(lp.public_key().A, msg)
    k_lic = citadel.license_key(user.note_secret_key(lic.lsa), lic.lsa)
    plaintext = (
        forged.to_bytes() + world["attr"].to_bytes(32, "little") + lp.public_key().to_bytes()
        + LicenseContext().to_bytes()
    )  # fmt: skip
    salt = citadel.license_encryption_salt(lic.lsa, 0, 1)
    bad = dataclasses.replace(lic, enc=citadel._encrypt(k_lic, salt, plaintext, world["rng"]))
    with pytest.raises(CitadelRefused) as exc:
        bad.open(user)
    assert exc.value.reason == "bad_license_signature"


def test_tampered_licence_refused(world):
    lic = world["license"]
    enc = bytearray(lic.enc)
    enc[40] ^= 1
    with pytest.raises(CitadelRefused) as exc:
        dataclasses.replace(lic, enc=bytes(enc)).open(world["user"])
    assert exc.value.reason == "decryption_failed"


# -- sessions --------------------------------------------------------------------------------------


def test_session_public_inputs_in_dusks_order(world):
    s = _session(world)
    lsk = world["user"].note_secret_key(world["license"].lsa)
    ck = s.cookie
    com_1 = GENERATOR * world["attr"] + GENERATOR_NUMS * ck.s_1
    com_2 = GENERATOR * 12345 + GENERATOR_NUMS * ck.s_2
    assert s.public_inputs == (
        citadel.session_id(GENERATOR_NUMS * lsk, 12345),
        citadel.session_hash(world["sp"].public_key().A, ck.r_session),
        citadel.lp_commitment(world["lp"].public_key().A, ck.s_0),
        *com_1.affine(),
        *com_2.affine(),
        99,
    )
    assert s.witness.lpk == GENERATOR * lsk


def test_session_id_is_a_nullifier(world):
    a, b, other = _session(world, c=7), _session(world, c=7), _session(world, c=8)
    assert a.public_inputs[0] == b.public_inputs[0]  # same licence, same challenge
    assert a.public_inputs[1:] != b.public_inputs[1:]  # fresh blinders otherwise
    assert other.public_inputs[0] != a.public_inputs[0]


def test_verify_cookie_accepts_an_honest_session(world):
    s = _session(world, attr_opening=world["opening"])
    verify_cookie(s.cookie, s.public_inputs, _policy(world))
    verify_cookie(s.cookie, s.public_inputs, _policy(world, require_attribute_opening=True))
    policy = SessionPolicy(0, world["sp"].public_key(), 12345, (world["lp"].public_key().A,))
    verify_cookie(s.cookie, s.public_inputs, policy)


def test_verify_cookie_refuses_a_provider_not_accepted(world):
    s = _session(world)
    policy = SessionPolicy(0, world["sp"].public_key(), 12345, (world["other_lp"].public_key(),))
    with pytest.raises(CitadelRefused) as exc:
        verify_cookie(s.cookie, s.public_inputs, policy)
    assert exc.value.reason == "wrong_license_provider"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"attr_data": 1}, "wrong_attribute_data_comm"),
        ({"s_1": 1}, "wrong_attribute_data_comm"),
        ({"s_0": 1}, "wrong_license_provider_comm"),
        ({"s_2": 1}, "wrong_challenge_comm"),
        ({"r_session": 1}, "wrong_session_hash"),
        ({"c": 1}, "wrong_challenge"),
        ({"session_id": 1}, "wrong_session_id"),
        ({"policy_id": 1}, "wrong_policy_id"),
        ({"version": 2}, "wrong_cookie_version"),
        ({"cookie_mode": 2}, "wrong_cookie_mode"),
        ({"deployment_id": 3}, "wrong_deployment"),
    ],
)
def test_verify_cookie_refuses_tampering(world, change, reason):
    s = _session(world)
    with pytest.raises(CitadelRefused) as exc:
        verify_cookie(dataclasses.replace(s.cookie, **change), s.public_inputs, _policy(world))
    assert exc.value.reason == reason


def test_verify_cookie_refuses_other_sp_challenge_root_and_opening(world):
    s = _session(world)
    with pytest.raises(CitadelRefused, match="service provider") as exc:
        verify_cookie(
            s.cookie, s.public_inputs, dataclasses.replace(_policy(world), pk_sp=world["lp"].public_key())
        )
    assert exc.value.reason == "wrong_service_provider"
    with pytest.raises(CitadelRefused) as exc:
        verify_cookie(s.cookie, s.public_inputs, _policy(world, c=1))
    assert exc.value.reason == "wrong_challenge"
    with pytest.raises(CitadelRefused) as exc:
        verify_cookie(s.cookie, s.public_inputs, _policy(world, expected_root=100))
    assert exc.value.reason == "wrong_root"
    with pytest.raises(CitadelRefused) as exc:
        verify_cookie(s.cookie, s.public_inputs, _policy(world, require_attribute_opening=True))
    assert exc.value.reason == "missing_attribute_opening"
    bad = dataclasses.replace(s.cookie, attr_opening=dataclasses.replace(world["opening"], r_attr=1))
    with pytest.raises(CitadelRefused) as exc:
        verify_cookie(bad, s.public_inputs, _policy(world, require_attribute_opening=True))
    assert exc.value.reason == "wrong_attribute_opening"


def test_verify_cookie_refuses_bad_public_inputs(world):
    s = _session(world)
    with pytest.raises(InvalidInput) as exc:
        verify_cookie(s.cookie, s.public_inputs[:7], _policy(world))
    assert exc.value.reason == "wrong_public_input_count"
    pi = list(s.public_inputs)
    pi[3] = (pi[3] + 1) % poseidon.MODULUS
    with pytest.raises(CitadelRefused) as refused:
        verify_cookie(s.cookie, pi, _policy(world))
    assert refused.value.reason == "invalid_commitment"


def test_open_session_refuses_another_provider_and_bad_inputs(world):
    with pytest.raises(CitadelRefused) as exc:
        open_session(
            world["user"], world["license"], world["other_lp"].public_key(), world["sp"].public_key(), 1, 0
        )
    assert exc.value.reason == "wrong_license_provider"
    with pytest.raises(InvalidScalar) as exc2:
        _session(world, c=R_J)
    assert exc2.value.reason == "scalar_out_of_range"


# -- the licence statement -------------------------------------------------------------------------


def _tree_with(leaf: int, position: int, depth: int) -> tuple[int, NoteOpening]:
    """A tree whose only leaf is ``leaf`` (empty subtrees 0)."""
    digits = compute_digits(position, depth)
    node, siblings = leaf, []
    for digit in digits:
        siblings.append((0, 0, 0))
        node = compute_parent(node, digit, (0, 0, 0))
    return node, NoteOpening(leaf, tuple(siblings), digits)


def test_statement_holds_for_an_honest_session_with_membership(world):
    leaf = world["license"].leaf()
    root, opening = _tree_with(leaf, 5, 4)
    s = _session(world, root=root)
    check_license_statement(s.witness, s.public_inputs, opening=opening, position=5)
    with pytest.raises(CitadelRefused) as exc:
        check_license_statement(s.witness, s.public_inputs, opening=_tree_with(leaf + 1, 5, 4)[1], position=5)
    assert exc.value.reason == "not_a_member"


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("attr_data", 3, "bad_license_signature"),
        ("c", 3, "wrong_session_id"),
        ("s_0", 3, "wrong_license_provider_comm"),
        ("s_1", 3, "wrong_attribute_data_comm"),
        ("s_2", 3, "wrong_challenge_comm"),
        ("lpk_p", GENERATOR_NUMS * 3, "wrong_session_id"),
        ("lpk", GENERATOR * 3, "bad_license_signature"),
        ("lpk", Point.identity(), "invalid_witness_point"),
    ],
)
def test_statement_refuses_a_wrong_witness(world, field, value, reason):
    s = _session(world)
    with pytest.raises(CitadelRefused) as exc:
        check_license_statement(dataclasses.replace(s.witness, **{field: value}), s.public_inputs)
    assert exc.value.reason == reason


def test_statement_refuses_a_signature_by_another_key_on_g_prime(world):
    """The double-key check: lpk' from another secret (session_id recomputed to match) fails."""
    s = _session(world)
    w = dataclasses.replace(s.witness, lpk_p=GENERATOR_NUMS * 3)
    pi = (citadel.session_id(w.lpk_p, w.c), *s.public_inputs[1:])
    with pytest.raises(CitadelRefused) as exc:
        check_license_statement(w, pi)
    assert exc.value.reason == "bad_session_signature"


def test_statement_refuses_public_inputs_changed_after_signing(world):
    s = _session(world)
    pi = (*s.public_inputs[:7], s.public_inputs[7] + 1)
    with pytest.raises(CitadelRefused) as exc:
        check_license_statement(s.witness, pi)
    assert exc.value.reason == "bad_session_signature"


def test_licence_signature_encoding(world):
    sig = world["license"].open(world["user"]).sig_lic
    assert LicenseSignature.from_bytes(sig.to_bytes()) == sig
    with pytest.raises(InvalidInput) as exc:
        LicenseSignature.from_bytes(sig.to_bytes()[:63])
    assert exc.value.reason == "wrong_length"
    with pytest.raises(InvalidScalar) as exc2:
        LicenseSignature.from_bytes(R_J.to_bytes(32, "little") + sig.to_bytes()[32:])
    assert exc2.value.reason == "scalar_out_of_range"


@settings(max_examples=10, deadline=None)
@given(c1=st.integers(0, R_J - 1), c2=st.integers(0, R_J - 1))
def test_session_id_depends_only_on_licence_and_challenge(world, c1, c2):
    lsk = world["user"].note_secret_key(world["license"].lsa)
    lpk_p = GENERATOR_NUMS * lsk
    assert (citadel.session_id(lpk_p, c1) == citadel.session_id(lpk_p, c2)) == (c1 == c2)
    other = GENERATOR_NUMS * ((lsk + 1) % R_J)
    assert citadel.session_id(other, c1) != citadel.session_id(lpk_p, c1)


def test_invalid_arguments_raise_typed_errors(world):
    with pytest.raises(InvalidScalar) as exc:
        License.issue(world["lp"], R_J, world["user"].public_key(), random_bytes=world["rng"])
    assert exc.value.reason == "scalar_out_of_range"
    with pytest.raises(InvalidFieldElement) as exc2:
        _session(world, root=poseidon.MODULUS)
    assert exc2.value.reason == "out_of_range"
    s = _session(world)
    _, opening = _tree_with(world["license"].leaf(), 0, 2)
    with pytest.raises(InvalidInput) as exc3:
        check_license_statement(s.witness, s.public_inputs, opening=opening)
    assert exc3.value.reason == "missing_position"
    with pytest.raises(InvalidInput) as exc4:
        License.issue(world["lp"], 1, b"not a request")  # type: ignore[arg-type]
    assert exc4.value.reason == "not_request"


def test_verify_cookie_refuses_an_identity_sp_key(world):
    s = _session(world)
    bad_sp = dataclasses.replace(world["sp"].public_key(), A=Point.identity())
    with pytest.raises(CitadelRefused) as exc:
        verify_cookie(dataclasses.replace(s.cookie, pk_sp=bad_sp), s.public_inputs, _policy(world))
    assert exc.value.reason == "invalid_public_key"
