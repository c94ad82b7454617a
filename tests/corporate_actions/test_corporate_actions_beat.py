"""The corporate actions beat isolates each instrument and event (issue 16): one bond whose
schedule QuantLib cannot compute (a maturity in 2300) no longer stops every issuer's coupons."""

from __future__ import annotations

import datetime

import pytest

from corporate_actions import services as ca
from corporate_actions.models import CorporateAction, CorporateActionStatus
from identity.roles import OrganisationKind, Role
from issuance.models import Instrument
from ledger.models import ChainAccount, ChainSubmission
from tests.corporate_actions.test_corporate_actions import _live
from tests.factories import OrganisationFactory
from tests.issuance.conftest import make_bond_terms

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2027, 2, 15)  # the 16 March 2027 coupon is within the horizon


def _bonds(maker):
    good = _live(maker, make_bond_terms())
    bad = _live(maker, {**make_bond_terms(), "isin": "XS0000000025", "name": "Aurora 3.5% 2031 B"})
    # straight into the database: the API may refuse it, an import or an old row may not
    Instrument.objects.filter(pk=bad.pk).update(maturity_date=datetime.date(2300, 3, 16))
    return good, bad


def test_one_bad_bond_does_not_stop_the_others(maker, settings, caplog):
    settings.GLOAM_CORPORATE_ACTION_HORIZON_DAYS = 45
    good, bad = _bonds(maker)

    counts = ca.corporate_actions_tick(today=TODAY)

    assert (counts["proposed"], counts["failed"]) == (1, 1)
    (coupon,) = CorporateAction.objects.all()
    assert (coupon.instrument_id, coupon.kind, coupon.payment_date, coupon.status) == (
        good.pk,
        "coupon",
        datetime.date(2027, 3, 16),
        CorporateActionStatus.DRAFT,
    )
    bad.refresh_from_db()
    good.refresh_from_db()
    assert bad.beat_error.startswith("propose: RuntimeError: year 2300 out of bound")
    assert bad.beat_error_at is not None
    assert (good.beat_error, good.beat_error_at) == ("", None)
    # logged with its traceback, not swallowed
    (record,) = [r for r in caplog.records if r.name == "corporate_actions.services"]
    assert record.exc_info is not None
    assert str(bad.pk) in record.getMessage()

    # again: nothing duplicated, the error still there
    counts = ca.corporate_actions_tick(today=TODAY)
    assert (counts["proposed"], counts["failed"]) == (0, 1)
    assert CorporateAction.objects.count() == 1
    bad.refresh_from_db()
    assert bad.beat_error.startswith("propose: RuntimeError")

    # the bad bond fixed: its coupon is proposed and its error cleared on the next run
    Instrument.objects.filter(pk=bad.pk).update(maturity_date=datetime.date(2031, 3, 16))
    counts = ca.corporate_actions_tick(today=TODAY)
    assert (counts["proposed"], counts["failed"]) == (1, 0)
    bad.refresh_from_db()
    assert (bad.beat_error, bad.beat_error_at) == ("", None)
    assert set(CorporateAction.objects.values_list("instrument_id", "kind")) == {
        (good.pk, "coupon"),
        (bad.pk, "coupon"),
    }


def test_one_events_failed_step_does_not_stop_the_others(maker, approver, make_user, settings):
    """Two approved coupons at their record date, one of an issuer without a chain account:
    the other's checkpoint is asked, the failure is recorded on its event, and cleared once
    the issuer has an account."""
    settings.GLOAM_CORPORATE_ACTION_HORIZON_DAYS = 45
    other_issuer = OrganisationFactory.create(kind=OrganisationKind.ISSUER, legal_name="Issuer B")
    other_maker = make_user(other_issuer, Role.ISSUER_ADMIN)
    other_approver = make_user(other_issuer, Role.ISSUER_APPROVER)
    good = _live(maker, make_bond_terms())
    other = _live(other_maker, {**make_bond_terms(), "isin": "XS0000000025", "name": "Borealis 3.5% 2031"})
    ChainAccount.objects.create(
        organisation=good.issuer, public_key="0x" + "11" * 48, encrypted_secret_key=b""
    )
    assert ca.corporate_actions_tick(today=TODAY)["proposed"] == 2
    for instrument, admin, checker in ((good, maker, approver), (other, other_maker, other_approver)):
        action = CorporateAction.objects.get(instrument=instrument)
        ca.corporate_action_submit(actor=admin, action_id=action.pk)
        ca.corporate_action_approve(actor=checker, action_id=action.pk, today=TODAY)
    record_date = CorporateAction.objects.get(instrument=good).record_date

    counts = ca.corporate_actions_tick(today=record_date)

    assert (counts["recording"], counts["failed"]) == (1, 1)
    good_action = CorporateAction.objects.get(instrument=good)
    other_action = CorporateAction.objects.get(instrument=other)
    assert (good_action.status, good_action.beat_error) == (CorporateActionStatus.RECORDING, "")
    assert other_action.status == CorporateActionStatus.APPROVED  # rolled back, retried next beat
    assert other_action.beat_error.startswith("record: InvalidInput:")
    assert other_action.beat_error_at is not None
    assert ChainSubmission.objects.filter(subject_id=other_action.pk).count() == 0

    ChainAccount.objects.create(
        organisation=other_issuer, public_key="0x" + "22" * 48, encrypted_secret_key=b""
    )
    counts = ca.corporate_actions_tick(today=record_date)
    assert (counts["recording"], counts["failed"]) == (1, 0)
    other_action.refresh_from_db()
    assert (other_action.status, other_action.beat_error, other_action.beat_error_at) == (
        CorporateActionStatus.RECORDING,
        "",
        None,
    )
    # one checkpoint each, nothing asked twice
    assert ChainSubmission.objects.filter(kind=ca.KIND_CHECKPOINT).count() == 2


def test_the_issuer_and_the_operator_see_the_failure(client, maker, operator, make_user, broker_a, settings):
    settings.GLOAM_CORPORATE_ACTION_HORIZON_DAYS = 45
    good, bad = _bonds(maker)
    ca.corporate_actions_tick(today=TODAY)

    client.force_login(maker)
    html = client.get(f"/instruments/{bad.pk}/").content.decode()  # a schedule QuantLib refuses
    assert 'data-testid="beat-failures"' in html
    assert "propose: RuntimeError: year 2300 out of bound" in html
    assert 'data-testid="beat-failures"' not in client.get(f"/instruments/{good.pk}/").content.decode()
    assert "year 2300 out of bound" in client.get("/").content.decode()
    response = client.get(f"/api/v1/instruments/{bad.pk}/schedule/")
    assert response.status_code == 400
    assert "no_schedule" in response.content.decode()

    client.force_login(operator)
    html = client.get("/").content.decode()
    assert 'data-testid="beat-failures"' in html
    assert "XS0000000025" in html
    assert "year 2300 out of bound" in html

    # another organisation does not see the issuer's errors
    client.force_login(make_user(broker_a, Role.BROKER_TRADER))
    assert "year 2300" not in client.get("/").content.decode()
    html = client.get(f"/instruments/{bad.pk}/").content.decode()
    assert 'data-testid="beat-failures"' not in html
    assert "propose: RuntimeError" not in html

    # fixed: gone from both pages after the next run
    Instrument.objects.filter(pk=bad.pk).update(maturity_date=datetime.date(2031, 3, 16))
    ca.corporate_actions_tick(today=TODAY)
    client.force_login(operator)
    assert 'data-testid="beat-failures"' not in client.get("/").content.decode()
    client.force_login(maker)
    assert 'data-testid="beat-failures"' not in client.get(f"/instruments/{bad.pk}/").content.decode()
