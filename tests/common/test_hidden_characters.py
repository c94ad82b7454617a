"""References, names and comments refuse characters that hide or reorder what people read
(common.text): a trade reference ``A-\u202e1`` displays reversed. One validator, used by the
serializers and forms of every app; each entry point below is refused with the one error shape
(or the form's error) and nothing is written."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from common.text import hidden_characters, validate_multiline_text, validate_name, validate_reference
from compliance.models import RuleSet
from identity.models import ClientAccount, Organisation
from identity.roles import Role
from issuance.models import Instrument
from settlement.models import SettlementInstruction
from tests.issuance.conftest import api_terms, make_bond_terms
from tests.settlement.conftest import URL as INSTRUCTIONS
from tests.settlement.conftest import bond, parties, side  # noqa: F401 - fixtures

RLO = "\u202e"

#: Every bidirectional control, and other controls and format characters.
REFUSED = [
    "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",  # embeddings, pop, overrides
    "\u2066", "\u2067", "\u2068", "\u2069",  # isolates
    "\u200e", "\u200f", "\u061c",  # marks
    "\x00", "\x1b", "\x7f", "\x85",  # C0 and C1 controls
    "\u200b", "\u2060", "\ufeff", "\u00ad", "\U000e0041",  # zero width, word joiner, BOM, soft hyphen, tag
    "\u2028", "\u2029",  # line and paragraph separators
    "\ue000",  # private use
]  # fmt: skip


@pytest.mark.parametrize("char", REFUSED)
def test_each_hidden_character_is_refused_everywhere(char):
    assert hidden_characters(f"A{char}B") == [f"U+{ord(char):04X}"]
    for validator in (validate_reference, validate_name, validate_multiline_text):
        with pytest.raises(ValidationError) as raised:
            validator(f"REF{char}1")
        assert raised.value.code == "hidden_characters"
        assert f"U+{ord(char):04X}" in raised.value.messages[0]


def test_visible_text_in_any_script_passes():
    for text in ("ACME-2026/001", "Société Générale", "Müller & Söhne", "日本国債", "شركة الأمان", "Ελλάδα"):
        validate_reference(text)
        validate_name(text)


def test_joiners_only_in_names_and_line_breaks_only_in_comments():
    persian = "می\u200cخواهم"  # zero-width non-joiner, part of the spelling
    validate_name(persian)
    with pytest.raises(ValidationError):
        validate_reference(persian)
    validate_multiline_text("first line\r\nsecond\tline")
    with pytest.raises(ValidationError):
        validate_name("first line\nsecond")


def _assert_refused(response, field: str) -> None:
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert "U+202E" in str(error["details"][field])


# --- settlement ---------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("field", ["reference", "client_account"])
def test_settlement_instruction_references(bond, parties, field):  # noqa: F811
    body = side(parties, "a")
    body[field] = body[field][:2] + RLO + body[field][2:]
    _assert_refused(parties["a"].post(INSTRUCTIONS, body, format="json"), field)
    assert not SettlementInstruction.objects.exists()


# --- identity ----------------------------------------------------------------------------------
@pytest.mark.django_db
def test_organisation_legal_name(api_client_for, operator):
    before = Organisation.objects.count()
    response = api_client_for(operator).post(
        "/api/v1/organisations/",
        {"legal_name": f"Evil{RLO}Corp", "lei": "5299000J2N45DDNE4Y28", "country": "DE", "kind": "broker"},
        format="json",
    )
    _assert_refused(response, "legal_name")
    assert Organisation.objects.count() == before


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["username", "first_name", "last_name"])
def test_user_names(api_client_for, operator, broker_a, field):
    body = {"organisation_id": str(broker_a.pk), "username": "new.user", "email": "n@example.com"}
    body[field] = f"new{RLO}user"
    _assert_refused(api_client_for(operator).post("/api/v1/users/", body, format="json"), field)


@pytest.mark.django_db
def test_client_account_name(api_client_for, make_user, broker_a):
    client = api_client_for(make_user(broker_a, Role.BROKER_BACK_OFFICE))
    response = client.post(
        "/api/v1/client-accounts/",
        {"account_reference": "C-1", "name": f"Client{RLO}One", "holder_type": "legal_entity"},
        format="json",
    )
    _assert_refused(response, "name")
    assert not ClientAccount.objects.exists()


# --- issuance ----------------------------------------------------------------------------------
@pytest.mark.django_db
def test_instrument_name_through_the_api(api_client_for, maker):
    terms = api_terms(make_bond_terms()) | {"name": f"Aurora{RLO} 3.5% 2031"}
    _assert_refused(api_client_for(maker).post("/api/v1/instruments/", terms, format="json"), "name")
    assert not Instrument.objects.exists()


@pytest.mark.django_db
def test_instrument_name_through_the_form(client, maker):
    client.force_login(maker)
    response = client.post("/instruments/new/", api_terms(make_bond_terms()) | {"name": f"Aurora{RLO}"})
    assert response.status_code == 200
    assert "invisible or direction-changing characters (U+202E)" in response.content.decode()
    assert not Instrument.objects.exists()


@pytest.mark.django_db
def test_instrument_name_through_the_service(maker):
    from issuance import services

    with pytest.raises(ValidationError) as raised:
        services.instrument_create(actor=maker, terms=make_bond_terms() | {"name": f"Aurora{RLO}"})
    assert "name" in raised.value.message_dict
    assert not Instrument.objects.exists()


@pytest.mark.django_db
def test_ballot_title(api_client_for, maker, bond):  # noqa: F811
    response = api_client_for(maker).post(
        "/api/v1/ballots/",
        {"instrument_id": str(bond.pk), "title": f"AGM{RLO}", "motions": []},
        format="json",
    )
    _assert_refused(response, "title")


# --- compliance --------------------------------------------------------------------------------
@pytest.mark.django_db
def test_rule_set_comment(api_client_for, make_user, issuer, bond):  # noqa: F811
    officer = make_user(issuer, Role.COMPLIANCE_OFFICER)
    response = api_client_for(officer).post(
        f"/api/v1/instruments/{bond.pk}/rule-sets/",
        {"max_holders": 100, "comment": f"ok{RLO}"},
        format="json",
    )
    _assert_refused(response, "comment")
    assert not RuleSet.objects.exists()
