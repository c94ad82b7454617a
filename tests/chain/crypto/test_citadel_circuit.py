"""The Citadel licence circuit (circuits/src/citadel.circom; main citadel_license =
CitadelLicense(17, 8)) against the clear-text oracle :func:`check_gloam_license_statement`.

Witnesses are built the way a user would: an LP (a Phoenix key) issues licences for requests
(:meth:`Request.new`, :meth:`License.issue`) over Gloam's attribute schema
(:class:`GloamAttributes`: jurisdiction, accredited, birth date, expiry), each licence's leaf is
appended to a depth-17 4-ary Poseidon tree (the note tree's structure,
:class:`~chain.state.note_tree.NoteTree`), and the holder opens a session for a service
provider's challenge against the tree's root (:func:`open_session`). The snarkjs input and the
public signals come from :func:`license_circuit_input` and
:func:`license_circuit_public_signals`.

A valid session must satisfy the constraints with the public signals the reference predicts
(Dusk's 8 in Dusk's order, dusk-network/citadel b379be431277e23524aadb79264a1579903fabc5
``core/src/zk/gadgets.rs``, then Gloam's 14). Each broken statement must be refused by the
witness generator in the template of the check under test (the error's template stack names
it) and by the oracle with the matching reason: a forged LP signature, a licence not in the
tree, a wrong sibling, a stale root, a session id of another challenge, a public challenge
that is not the committed one, a non-canonical challenge (a second session id for the same
licence and challenge), wrong commitment openings, a bad session signature, another provider
named in public, a jurisdiction outside the set, a non-accredited holder when required, a
minor, an expired licence, attributes changed after signing, a day count out of range.
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Final

import pytest

from chain.crypto import poseidon
from chain.crypto.citadel import (
    CIRCUIT_PUBLIC_SIGNALS_LEN,
    GLOAM_SCHEMA_ID,
    AttributePolicy,
    CitadelDomain,
    GloamAttributes,
    License,
    LicenseSignature,
    LicenseWitness,
    Request,
    SessionAuthSignature,
    check_gloam_license_statement,
    context,
    epoch_day,
    license_circuit_input,
    license_circuit_public_signals,
    license_sig_message,
    lp_commitment,
    open_session,
    session_auth,
    session_id,
)
from chain.crypto.exceptions import CitadelRefused, InvalidInput, InvalidScalar
from chain.crypto.jubjub import GENERATOR_NUMS, R_J
from chain.crypto.phoenix import SecretKey
from chain.crypto.poseidon import MODULUS
from chain.crypto.poseidon_merkle import NoteOpening
from chain.state import MemoryStore
from chain.state.note_tree import NoteTree
from chain.state.state import State
from chain.tools import citadel_circom
from tests.chain.crypto.circuit_witness import CIRCUITS, WitnessFailed, needs_snarkjs, r1cs_header, witness

CIRCUIT: Final = "citadel_license"
TODAY: Final = date(2025, 3, 1)
POLICY: Final = AttributePolicy.adults(TODAY, (276, 250, 528), require_accredited=True)

_rng = random.Random(0xC17ADE1)  # noqa: S311 - seeded test data, not keys of value
_rb = _rng.randbytes
USER: Final = SecretKey.from_seed(_rb(32))
LP: Final = SecretKey.from_seed(_rb(32))
OTHER_LP: Final = SecretKey.from_seed(_rb(32))
SP: Final = SecretKey.from_seed(_rb(32))


@dataclass(frozen=True)
class Case:
    """One session and everything the circuit takes: ``check()`` is the oracle, ``inputs()``
    the snarkjs input, ``signals()`` the public signals the circuit must give."""

    license: License
    witness: LicenseWitness
    public_inputs: tuple[int, ...]
    attributes: GloamAttributes
    r_attr: int
    opening: NoteOpening
    position: int
    policy: AttributePolicy = POLICY
    schema_id: int = GLOAM_SCHEMA_ID

    def signals(self) -> list[int]:
        return license_circuit_public_signals(self.public_inputs, self.witness, self.policy)

    def inputs(self) -> dict[str, object]:
        return license_circuit_input(
            self.witness,
            self.public_inputs,
            attributes=self.attributes,
            schema_id=self.schema_id,
            r_attr=self.r_attr,
            opening=self.opening,
            position=self.position,
            policy=self.policy,
        )

    def check(self) -> None:
        check_gloam_license_statement(
            self.witness,
            self.signals(),
            attributes=self.attributes,
            schema_id=self.schema_id,
            r_attr=self.r_attr,
            opening=self.opening,
            position=self.position,
        )


def _leaf(value: int) -> bytes:
    return value.to_bytes(32, "little")


def _issue(attributes: GloamAttributes) -> tuple[License, int]:
    """A licence of ``attributes`` issued by LP for a request of USER, and its ``r_attr``."""
    r_attr = _rng.randrange(R_J)
    request, _ = Request.new(USER, LP.public_key(), random_bytes=_rb)
    return License.issue(LP, attributes.attr_data(GLOAM_SCHEMA_ID, r_attr), request, random_bytes=_rb), r_attr


def _session(lic: License, tree: NoteTree, position: int, attributes: GloamAttributes, r_attr: int) -> Case:
    """USER's session with ``lic`` (at ``position`` of ``tree``) for SP's fresh challenge."""
    root = int.from_bytes(tree.root(), "little")
    s = open_session(USER, lic, LP.public_key(), SP.public_key(), _rng.randrange(R_J), root, random_bytes=_rb)
    return Case(lic, s.witness, s.public_inputs, attributes, r_attr, tree.opening(position), position)


def _world() -> dict[str, Case]:
    """Four holders' licences among random leaves of one depth-17 tree, one session each."""
    holders = {
        "alice": GloamAttributes(276, 1, epoch_day(date(1960, 6, 15)), epoch_day(date(2030, 12, 31))),
        "bob": GloamAttributes(250, 0, epoch_day(date(1980, 2, 29)), epoch_day(date(2027, 1, 1))),
        "carol": GloamAttributes(528, 1, epoch_day(date(2007, 3, 2)), epoch_day(date(2030, 1, 1))),
        "dave": GloamAttributes(276, 1, epoch_day(date(1975, 1, 1)), epoch_day(date(2025, 2, 28))),
    }
    tree = NoteTree(State(MemoryStore()))
    issued = {}
    for name, attributes in holders.items():
        for _ in range(_rng.randrange(1, 4)):
            tree.append(_leaf(_rng.randrange(MODULUS)), height=1)
        lic, r_attr = _issue(attributes)
        issued[name] = (lic, tree.append(_leaf(lic.leaf()), height=1), r_attr)
    return {name: _session(lic, tree, pos, holders[name], r) for name, (lic, pos, r) in issued.items()}


WORLD: Final = _world()
ALICE: Final = WORLD["alice"]


def _refused(tmp_path: Path, case: Case, where: str, reason: str) -> None:
    """The oracle refuses ``case`` with ``reason`` and the witness generator refuses its
    input in a template named ``where`` (anywhere in the failing template stack, which runs from
    the failing constraint out to CitadelLicense)."""
    with pytest.raises(CitadelRefused) as exc:
        case.check()
    assert exc.value.reason == reason
    _circuit_refuses(tmp_path, case.inputs(), where)


def _circuit_refuses(tmp_path: Path, inputs: dict[str, object], where: str) -> None:
    stack = rf"ERROR:\s+\d+\s+(?:Error in template \w+ line: \d+\s+)*Error in template {where}_\d+ line"
    with pytest.raises(WitnessFailed, match=stack):
        witness(tmp_path, CIRCUIT, inputs)


def _accepted(tmp_path: Path, case: Case) -> None:
    case.check()
    values = witness(tmp_path, CIRCUIT, case.inputs())
    assert values[1 : 1 + CIRCUIT_PUBLIC_SIGNALS_LEN] == case.signals()


def _resign(case: Case, public_inputs: tuple[int, ...]) -> Case:
    """``case`` with other public inputs and USER's session signature over them (so only the
    changed relation is wrong)."""
    lsk = USER.note_secret_key(case.license.lsa)
    sig = SessionAuthSignature.sign(lsk, session_auth(public_inputs), _rb)
    return dataclasses.replace(
        case, public_inputs=public_inputs, witness=dataclasses.replace(case.witness, sig_session_auth=sig)
    )


# -- shape -----------------------------------------------------------------------------------------


def test_constraint_count_and_public_inputs() -> None:
    """22 public inputs (Dusk's 8, challenge, pk_lp.A, today, adult_cutoff, require_accredited,
    8 jurisdictions), 73 private, 28,353 constraints: above 2^14, so a setup needs 2^15 powers."""
    assert r1cs_header(CIRCUIT)[1:] == (0, 22, 73, 28353)
    assert 2**14 < 28353 + 22 + 1 <= 2**15


def test_generated_constants_are_the_references() -> None:
    """citadel_constants.circom is what chain.tools.citadel_circom writes from the reference:
    the contexts H(0, 0, tag) of every Citadel domain and r_J - 1."""
    text = (CIRCUITS / "src" / "citadel_constants.circom").read_text()
    assert text == citadel_circom.render()
    assert f"if (tag == 8) {{ return {context(CitadelDomain.SESSION_ID)}; }}" in text
    assert f"return {R_J - 1};" in text


def test_public_signals_start_with_dusks_eight() -> None:
    signals = ALICE.signals()
    assert len(signals) == CIRCUIT_PUBLIC_SIGNALS_LEN
    assert tuple(signals[:8]) == ALICE.public_inputs
    assert signals[8] == ALICE.witness.c
    assert signals[9:11] == list(LP.public_key().A.affine())
    assert signals[13:] == [1, 276, 250, 528, 0, 0, 0, 0, 0]
    assert signals[11] == epoch_day(TODAY)


def test_policy_and_attribute_encoding() -> None:
    """A birth date before 1970 is a negative day count, in the circuit q - n; the policy
    round-trips through its public fields; out-of-range values raise typed errors."""
    assert ALICE.attributes.birth_date < 0
    assert ALICE.attributes.to_fields()[2] == MODULUS + ALICE.attributes.birth_date
    assert AttributePolicy.from_fields(POLICY.to_fields()) == POLICY
    assert AttributePolicy.adults(date(2024, 2, 29), (1,)).adult_cutoff == epoch_day(date(2006, 2, 28))
    for bad in (
        lambda: GloamAttributes(0, 1, 0, 0),
        lambda: GloamAttributes(1000, 1, 0, 0),
        lambda: GloamAttributes(276, 2, 0, 0),
        lambda: GloamAttributes(276, 1, 2**31, 0),
        lambda: AttributePolicy(0, 0, True, ()),
        lambda: AttributePolicy(0, 0, True, tuple(range(1, 10))),
        lambda: AttributePolicy.from_fields([0, 0, 1, 0, 276, 0, 0, 0, 0, 0, 0]),
    ):
        with pytest.raises(InvalidInput):
            bad()


# -- valid sessions --------------------------------------------------------------------------------


@needs_snarkjs
def test_valid_session_gives_the_reference_public_signals(tmp_path: Path) -> None:
    _accepted(tmp_path, ALICE)


@needs_snarkjs
def test_non_accredited_holder_passes_when_not_required_and_boundaries_hold(tmp_path: Path) -> None:
    """Bob (accredited 0) under a policy that does not require it, with his birth date equal
    to the cutoff and his expiry equal to today (both inclusive)."""
    bob = WORLD["bob"]
    policy = AttributePolicy(bob.attributes.expiry, bob.attributes.birth_date, False, (250,))
    _accepted(tmp_path, dataclasses.replace(bob, policy=policy))


# -- the licence and the tree ----------------------------------------------------------------------


@needs_snarkjs
def test_forged_lp_signature_is_refused(tmp_path: Path) -> None:
    """Another key signs msg_lic under the accepted LP's name."""
    w = ALICE.witness
    forged = LicenseSignature.sign(OTHER_LP.a, license_sig_message(w.lpk, w.attr_data), _rb)
    case = dataclasses.replace(ALICE, witness=dataclasses.replace(w, sig_lic=forged))
    _refused(tmp_path, case, "CitadelLicenseSignature", "bad_license_signature")


@needs_snarkjs
def test_another_provider_named_in_public_is_refused(tmp_path: Path) -> None:
    """pk_lp.A of another LP in the public inputs (com_0 recomputed for it): the signature is
    the accepted LP's, so the public key does not verify it."""
    w = dataclasses.replace(ALICE.witness, pk_lp_a=OTHER_LP.public_key().A)
    pi = list(ALICE.public_inputs)
    pi[2] = lp_commitment(w.pk_lp_a, w.s_0)
    case = _resign(dataclasses.replace(ALICE, witness=w), tuple(pi))
    _refused(tmp_path, case, "CitadelLicenseSignature", "bad_license_signature")


@needs_snarkjs
def test_licence_not_in_the_tree_is_refused(tmp_path: Path) -> None:
    """A licence the LP signed but nobody appended, shown with Alice's opening and the root."""
    lic, r_attr = _issue(ALICE.attributes)
    s = open_session(
        USER, lic, LP.public_key(), SP.public_key(), 77, ALICE.public_inputs[7], random_bytes=_rb
    )
    case = dataclasses.replace(
        ALICE, license=lic, witness=s.witness, public_inputs=s.public_inputs, r_attr=r_attr
    )
    _refused(tmp_path, case, "CitadelMembership", "not_a_member")


@needs_snarkjs
def test_wrong_sibling_is_refused(tmp_path: Path) -> None:
    siblings = list(ALICE.opening.siblings)
    a, b, c = siblings[5]
    siblings[5] = (a, (b + 1) % MODULUS, c)
    opening = dataclasses.replace(ALICE.opening, siblings=tuple(siblings))
    _refused(tmp_path, dataclasses.replace(ALICE, opening=opening), "CitadelMembership", "not_a_member")


@needs_snarkjs
def test_stale_root_is_refused_and_the_fresh_opening_is_not(tmp_path: Path) -> None:
    """The opening taken before another licence was appended does not reach the new root the
    session names; the fresh opening does."""
    tree = NoteTree(State(MemoryStore()))
    tree.append(_leaf(5), height=1)
    position = tree.append(_leaf(ALICE.license.leaf()), height=1)
    stale = tree.opening(position)
    tree.append(_leaf(_issue(ALICE.attributes)[0].leaf()), height=2)
    fresh = _session(ALICE.license, tree, position, ALICE.attributes, ALICE.r_attr)
    assert fresh.opening != stale
    _refused(tmp_path, dataclasses.replace(fresh, opening=stale), "CitadelMembership", "not_a_member")
    _accepted(tmp_path, fresh)


# -- the session -----------------------------------------------------------------------------------


@needs_snarkjs
def test_session_id_of_another_challenge_is_refused(tmp_path: Path) -> None:
    pi = (session_id(ALICE.witness.lpk_p, (ALICE.witness.c + 1) % R_J), *ALICE.public_inputs[1:])
    _refused(tmp_path, _resign(ALICE, pi), "CitadelSessionId", "wrong_session_id")


@needs_snarkjs
def test_public_challenge_must_be_the_committed_one(tmp_path: Path) -> None:
    """Another challenge in clear with its own session id: com_2 commits to the real c."""
    other_c = (ALICE.witness.c + 1) % R_J
    pi = (session_id(ALICE.witness.lpk_p, other_c), *ALICE.public_inputs[1:])
    case = _resign(ALICE, pi)
    case = dataclasses.replace(case, witness=dataclasses.replace(case.witness, c=other_c))
    _refused(tmp_path, case, "CitadelCommitment", "wrong_challenge_comm")


@needs_snarkjs
def test_non_canonical_challenge_is_refused(tmp_path: Path) -> None:
    """c + r_J gives the same com_2 point but another session id: without the canonical check
    one licence could open two sessions for one challenge. The reference refuses the scalar."""
    root = ALICE.public_inputs[7]
    s = open_session(USER, ALICE.license, LP.public_key(), SP.public_key(), 12345, root, random_bytes=_rb)
    honest = dataclasses.replace(ALICE, witness=s.witness, public_inputs=s.public_inputs)
    honest.check()
    c = 12345 + R_J
    assert c < 2**252
    ctx = context(CitadelDomain.SESSION_ID)
    pi = (poseidon.hash([ctx, *s.witness.lpk_p.affine(), c]), *s.public_inputs[1:])
    case = _resign(honest, pi)
    case = dataclasses.replace(case, witness=dataclasses.replace(case.witness, c=c))
    with pytest.raises(InvalidScalar):
        case.check()
    _circuit_refuses(tmp_path, case.inputs(), "JubjubScalarBits")


@needs_snarkjs
@pytest.mark.parametrize(
    ("blinder", "where", "reason"),
    [
        ("s_0", "CitadelLpCommitment", "wrong_license_provider_comm"),
        ("s_1", "CitadelCommitment", "wrong_attribute_data_comm"),
        ("s_2", "CitadelCommitment", "wrong_challenge_comm"),
    ],
)
def test_wrong_commitment_opening_is_refused(tmp_path: Path, blinder: str, where: str, reason: str) -> None:
    value = getattr(ALICE.witness, blinder)
    w = dataclasses.replace(ALICE.witness, **{blinder: (value + 1) % R_J})
    _refused(tmp_path, dataclasses.replace(ALICE, witness=w), where, reason)


@needs_snarkjs
def test_bad_session_signature_is_refused(tmp_path: Path) -> None:
    """The session signature by another secret on G' (lpk' is lsk.G'; the signer's is not)."""
    sig = ALICE.witness.sig_session_auth
    w = dataclasses.replace(ALICE.witness, sig_session_auth=dataclasses.replace(sig, z=(sig.z + 1) % R_J))
    _refused(
        tmp_path, dataclasses.replace(ALICE, witness=w), "CitadelSessionSignature", "bad_session_signature"
    )
    assert GENERATOR_NUMS * USER.note_secret_key(ALICE.license.lsa) == ALICE.witness.lpk_p


# -- Gloam's predicates ----------------------------------------------------------------------------


@needs_snarkjs
def test_jurisdiction_outside_the_set_is_refused(tmp_path: Path) -> None:
    policy = dataclasses.replace(POLICY, allowed_jurisdictions=(250, 528, 840))
    _refused(
        tmp_path, dataclasses.replace(ALICE, policy=policy), "GloamJurisdiction", "jurisdiction_not_allowed"
    )


@needs_snarkjs
def test_non_accredited_holder_is_refused_when_required(tmp_path: Path) -> None:
    _refused(tmp_path, WORLD["bob"], "GloamAccredited", "not_accredited")


@needs_snarkjs
def test_minor_is_refused(tmp_path: Path) -> None:
    """Carol was born 2007-03-02: 17 on 2025-03-01, one day after the cutoff."""
    assert WORLD["carol"].attributes.birth_date == POLICY.adult_cutoff + 1
    _refused(tmp_path, WORLD["carol"], "GloamAdult", "under_age")


@needs_snarkjs
def test_expired_licence_is_refused(tmp_path: Path) -> None:
    """Dave's licence expired 2025-02-28, the day before today."""
    _refused(tmp_path, WORLD["dave"], "GloamNotExpired", "license_expired")


@needs_snarkjs
@pytest.mark.parametrize(
    "change", [{"jurisdiction": 250}, {"birth_date": epoch_day(date(1950, 1, 1))}, {"accredited": 0}]
)
def test_attributes_changed_after_signing_are_refused(tmp_path: Path, change: dict[str, int]) -> None:
    """Claimed attributes other than the signed ones give another attr_data, which the LP did
    not sign."""
    case = dataclasses.replace(ALICE, attributes=dataclasses.replace(ALICE.attributes, **change))
    _refused(tmp_path, case, "CitadelLicenseSignature", "wrong_attribute_opening")


@needs_snarkjs
def test_day_out_of_range_is_refused(tmp_path: Path) -> None:
    """today = 2^31 (no signed 32-bit day): refused by the range check, whatever the rest."""
    _circuit_refuses(tmp_path, {**ALICE.inputs(), "today": 2**31}, "GloamDay")
