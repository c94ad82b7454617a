"""``/api/v1/proof-jobs/``: request, retry with the same key, read scoping, never the witness."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from identity.models import Organisation, User
from identity.roles import Role
from proving.models import ProofJob
from proving.tasks import proof_job_run
from tests.proving.prover.test_prove import needs_node

pytestmark = pytest.mark.django_db

URL = "/api/v1/proof-jobs/"
SECRET_AMOUNT = "777000111"
BODY = {
    "circuit": "range_product",
    "witness": {"amount": SECRET_AMOUNT, "price": "3"},
    "idempotency_key": "p-1",
}


@pytest.fixture
def trader(make_user: Callable[..., User], broker_a: Organisation) -> User:
    return make_user(broker_a, Role.BROKER_TRADER)


def test_post_creates_then_a_retry_returns_the_same_job(trader: User, api_client_for) -> None:
    client: APIClient = api_client_for(trader)
    first = client.post(URL, BODY, format="json")
    assert first.status_code == 201, first.content
    assert first.json()["status"] == "queued"
    assert first.json()["progress"] == 0
    again = client.post(URL, BODY, format="json")
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    other_witness = {**BODY, "witness": {"amount": "1", "price": "3"}}
    reused = client.post(URL, other_witness, format="json")
    assert reused.status_code == 409
    assert reused.json()["error"]["code"] == "idempotency_key_reused"
    assert ProofJob.objects.count() == 1
    assert SECRET_AMOUNT not in first.content.decode() + again.content.decode() + reused.content.decode()


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({**BODY, "circuit": "merkle4_node"}, "unknown_circuit"),
        ({**BODY, "witness": {"amount": "1"}}, "bad_witness_shape"),
        ({**BODY, "witness": {"amount": "x", "price": "1"}}, "bad_witness_shape"),
        ({**BODY, "idempotency_key": ""}, "validation_error"),
        ({k: v for k, v in BODY.items() if k != "witness"}, "validation_error"),
    ],
)
def test_invalid_requests_are_400_with_a_code(trader: User, api_client_for, body, code: str) -> None:
    response = api_client_for(trader).post(URL, body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == code
    assert not ProofJob.objects.exists()


def test_another_user_cannot_read_a_job_supervisors_can(
    trader: User, make_user, broker_a: Organisation, operator: User, api_client_for
) -> None:
    job_id = api_client_for(trader).post(URL, BODY, format="json").json()["id"]
    colleague = make_user(broker_a, Role.BROKER_BACK_OFFICE)
    other = api_client_for(colleague)
    assert other.get(f"{URL}{job_id}/").status_code == 404
    assert other.get(URL).json()["count"] == 0
    assert api_client_for(trader).get(f"{URL}{job_id}/").status_code == 200
    supervisor = api_client_for(operator)
    assert supervisor.get(f"{URL}{job_id}/").status_code == 200
    assert [row["id"] for row in supervisor.get(URL).json()["results"]] == [job_id]


def test_list_filters_by_status_and_circuit(trader: User, api_client_for) -> None:
    client = api_client_for(trader)
    client.post(URL, BODY, format="json")
    assert client.get(URL, {"status": "queued"}).json()["count"] == 1
    assert client.get(URL, {"status": "done"}).json()["count"] == 0
    assert client.get(URL, {"circuit": "range_product"}).json()["count"] == 1
    assert client.get(URL, {"status": "nonsense"}).status_code == 400


@needs_node
def test_detail_of_a_done_job_has_the_result_and_timings_never_the_witness(
    trader: User, api_client_for
) -> None:
    client = api_client_for(trader)
    job_id = client.post(URL, BODY, format="json").json()["id"]
    proof_job_run.apply(args=(job_id,)).get()
    body = client.get(f"{URL}{job_id}/").json()
    assert (body["status"], body["stage"], body["progress"]) == ("done", "done", 100)
    assert len(bytes.fromhex(body["result"]["proof"])) == 192
    assert body["result"]["public_signals"] == [str(int(SECRET_AMOUNT) * 3), "3"]
    assert body["prove_seconds"] > 0
    assert body["finished_at"]
    assert "witness" not in body
    assert body["result"]["public_signals"][0] != SECRET_AMOUNT
