"""The business date (common.business_date): the system date, or under the manual clock a
stored date that only the operator rolls, only forward, audited, through the API."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from common.business_date import compute_next_business_day, get_business_date
from common.models import AuditEntry, BusinessDate
from identity.roles import Role

URL = "/api/v1/business-date/"


@pytest.fixture
def manual(db: None, settings: Any) -> None:
    settings.GLOAM_BUSINESS_CLOCK = "manual"


def test_system_clock_is_the_local_date_and_is_not_rolled(db, settings, operator, api_client_for):
    settings.GLOAM_BUSINESS_CLOCK = "system"
    client = api_client_for(operator)
    body = client.get(URL).json()
    assert (body["business_date"], body["clock"]) == (str(timezone.localdate()), "system")
    assert get_business_date() == timezone.localdate()
    response = client.post(URL, {"business_date": "2099-01-02"}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "business_clock_system"
    assert not BusinessDate.objects.exists()


def test_operator_rolls_forward_audited(manual, operator, api_client_for, make_user, broker_a):
    client = api_client_for(operator)
    start = timezone.localdate()
    body = client.get(URL).json()
    assert (body["business_date"], body["clock"], body["rolled_by"]) == (str(start), "manual", None)

    # end of day without a date: the next weekday
    body = client.post(URL, {}, format="json").json()
    next_day = compute_next_business_day(start)
    assert (body["business_date"], next_day.weekday() < 5) == (str(next_day), True)
    assert (body["rolled_by"], get_business_date()) == (operator.username, next_day)

    target = next_day + datetime.timedelta(days=40)
    response = client.post(URL, {"business_date": str(target)}, format="json")
    assert response.status_code == 200, response.content
    assert get_business_date() == target
    # everyone reads it
    broker = api_client_for(make_user(broker_a, Role.BROKER_TRADER))
    assert broker.get(URL).json()["business_date"] == str(target)

    rolls = AuditEntry.objects.filter(action="business_date.roll").order_by("sequence")
    assert [(e.actor_id, e.before, e.changes) for e in rolls] == [
        (operator.pk, {"business_date": str(start)}, {"business_date": str(next_day)}),
        (operator.pk, {"business_date": str(next_day)}, {"business_date": str(target)}),
    ]


def test_invalid_roll_backward_or_to_the_same_day(manual, operator, api_client_for):
    client = api_client_for(operator)
    today = get_business_date()
    for day in (today, today - datetime.timedelta(days=1), datetime.date(2000, 1, 3)):
        response = client.post(URL, {"business_date": str(day)}, format="json")
        assert response.status_code == 409, response.content
        error = response.json()["error"]
        assert error["code"] == "business_date_not_forward"
        assert error["details"] == {"business_date": str(today), "requested": str(day)}
    assert get_business_date() == today
    assert not AuditEntry.objects.filter(action="business_date.roll").exists()


def test_invalid_roll_too_far_or_not_a_date(manual, operator, api_client_for):
    client = api_client_for(operator)
    today = get_business_date()
    response = client.post(URL, {"business_date": str(today + datetime.timedelta(days=367))}, format="json")
    assert (response.status_code, response.json()["error"]["code"]) == (400, "business_date_too_far")
    for bad in ("2027-02-30", "tomorrow", 20270101, ["2027-01-04"], "9999-99-99"):
        response = client.post(URL, {"business_date": bad}, format="json")
        assert response.status_code == 400, (bad, response.content)
        assert "business_date" in response.json()["error"]["details"]
    assert get_business_date() == today


def test_invalid_roll_by_anyone_but_the_operator(
    manual, make_user, broker_a, maker, regulator, api_client_for
):
    today = get_business_date()
    for user in (make_user(broker_a, Role.BROKER_TRADER), maker, regulator):
        client = api_client_for(user)
        response = client.post(URL, {}, format="json")
        assert (response.status_code, response.json()["error"]["code"]) == (403, "permission_denied")
        response = client.post("/api/v1/corporate-actions/run-beat/", format="json")
        assert response.status_code == 403
    assert get_business_date() == today
    assert not AuditEntry.objects.filter(
        action__in=["business_date.roll", "corporate_action.run_beat"]
    ).exists()


def test_operator_runs_the_corporate_actions_beat_audited(
    manual, operator, api_client_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = api_client_for(operator).post("/api/v1/corporate-actions/run-beat/", format="json")
    assert response.status_code == 202, response.content
    assert response.json()["business_date"] == str(get_business_date())
    (entry,) = AuditEntry.objects.filter(action="corporate_action.run_beat")
    assert (entry.actor_id, entry.changes["task_id"]) == (operator.pk, response.json()["task_id"])
    assert len(callbacks) == 1  # the beat's task is queued when the request commits
