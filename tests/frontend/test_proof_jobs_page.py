"""The proof jobs page: status badges, a <progress> bar, self-refreshing only while a job runs."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from identity.models import Organisation, User
from identity.roles import Role
from proving import services
from proving.models import ProofJob

pytestmark = pytest.mark.django_db


@pytest.fixture
def trader(make_user: Callable[..., User], broker_a: Organisation) -> User:
    return make_user(broker_a, Role.BROKER_TRADER)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_page_lists_the_callers_jobs_with_progress_and_polls_while_one_runs(trader: User) -> None:
    job, _ = services.proof_job_request(
        actor=trader, circuit="range_product", witness={"amount": "4242", "price": "7"}, idempotency_key="u1"
    )
    client = _client(trader)
    page = client.get("/proof-jobs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert str(job.pk)[:8] in html
    assert '<progress value="0" max="100"' in html
    assert "text-bg-secondary" in html  # the queued badge
    assert 'hx-trigger="every 2s"' in html
    assert "4242" not in html  # never the witness
    assert 'href="/proof-jobs/"' in client.get("/").content.decode()  # in the navigation

    ProofJob.objects.filter(pk=job.pk).update(
        status="failed", stage="failed", progress=100, witness="", error_code="witness_rejected"
    )
    table = client.get("/partials/proof-jobs/").content.decode()
    assert "text-bg-danger" in table
    assert "witness_rejected" in table
    assert "hx-trigger" not in table  # nothing runs: no more polling


def test_another_users_job_is_not_listed(trader: User, make_user, broker_a: Organisation) -> None:
    job, _ = services.proof_job_request(
        actor=trader, circuit="range_product", witness={"amount": "1", "price": "7"}, idempotency_key="ui-2"
    )
    colleague = make_user(broker_a, Role.BROKER_BACK_OFFICE)
    assert str(job.pk)[:8] not in _client(colleague).get("/proof-jobs/").content.decode()
