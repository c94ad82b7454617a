"""The OpenAPI schema says what the API does (issue 16, the API contract): paginated lists are
documented as the envelope they return, every operation documents its errors with the one
Error shape, the Idempotency-Key header's constraints are the ones enforced, query parameters
are typed and checked, and every operation is tagged with the roles it is for."""

from __future__ import annotations

import re
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator

from common.api.audiences import TAGS
from common.api.idempotency import KEY_PATTERN
from identity.models import ClientAccount
from identity.roles import Role

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def resolve(schema: dict[str, Any], ref_or_schema: dict[str, Any]) -> dict[str, Any]:
    ref = ref_or_schema.get("$ref")
    if ref is None:
        return ref_or_schema
    return schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]


def test_every_list_with_page_parameters_is_documented_as_the_paginated_envelope(schema):
    lists = 0
    for method, path, operation in operations(schema):
        names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        if method != "GET" or "page" not in names:
            continue
        lists += 1
        body = resolve(schema, operation["responses"]["200"]["content"]["application/json"]["schema"])
        assert body["type"] == "object", path
        assert set(body["required"]) == {"count", "next", "previous", "results"}, path
        assert body["properties"]["results"]["type"] == "array", path
    assert lists >= 20


@pytest.mark.parametrize(
    "path",
    ["/api/v1/netting-cycles/", "/api/v1/webhook-endpoints/", "/api/v1/settlement-events/", "/api/v1/users/"],
)
def test_lists_that_paginate_document_page_and_page_size(schema, path):
    parameters = {p["name"]: p for p in schema["paths"][path]["get"]["parameters"]}
    assert parameters["page"]["schema"] == {"type": "integer", "minimum": 1}
    assert parameters["page_size"]["schema"] == {"type": "integer", "minimum": 1}


def test_every_operation_documents_its_errors_with_the_error_shape(schema):
    error = schema["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    body = resolve(schema, error["properties"]["error"])
    assert set(body["required"]) == {"code", "message", "details"}
    for method, path, operation in operations(schema):
        responses = operation["responses"]
        expected = {"401", "403"}
        if "{" in path or method != "GET":
            expected.add("404")
        if method != "GET":
            expected |= {"400", "409"}
        assert expected <= set(responses), f"{method} {path}: {sorted(responses)}"
        for status, response in responses.items():
            if status >= "400":
                content = response["content"]["application/json"]["schema"]
                assert content == {"$ref": "#/components/schemas/Error"}, f"{method} {path} {status}"


def test_idempotent_writes_document_the_header_with_the_enforced_pattern(schema):
    documented = []
    for _method, path, operation in operations(schema):
        header = [p for p in operation.get("parameters", []) if p["name"] == "Idempotency-Key"]
        if not header:
            continue
        documented.append(path)
        assert header[0]["in"] == "header"
        assert header[0]["schema"] == {
            "type": "string",
            "minLength": 1,
            "maxLength": 255,
            "pattern": KEY_PATTERN,
        }
        assert "422" in operation["responses"]
    assert "/api/v1/client-accounts/" in documented
    # the multipart upload is not @idempotent: it must not claim the header
    upload = schema["paths"]["/api/v1/instruments/{instrument_id}/documents/"]["post"]
    assert not any(p["name"] == "Idempotency-Key" for p in upload.get("parameters", []))


def test_every_operation_is_tagged_with_known_roles(schema):
    assert [tag["name"] for tag in schema["tags"]] == list(TAGS)
    for method, path, operation in operations(schema):
        assert operation.get("tags"), f"{method} {path}"
        assert set(operation["tags"]) <= set(TAGS), f"{method} {path}: {operation['tags']}"
    assert schema["paths"]["/api/v1/settlement-instructions/"]["post"]["tags"] == ["broker"]
    assert schema["paths"]["/api/v1/cash-issuances/"]["post"]["tags"] == ["operator"]


def test_request_decimals_and_strings_refuse_what_the_server_refuses(schema):
    components = schema["components"]["schemas"]
    quantity = components["SettlementInstructionInputRequest"]["properties"]["quantity"]
    assert not re.fullmatch(quantity["pattern"], "")
    assert re.fullmatch(quantity["pattern"], "1000.5")
    reference = components["SettlementInstructionInputRequest"]["properties"]["reference"]
    assert not re.fullmatch(reference["pattern"], "   ")
    assert not re.fullmatch(reference["pattern"], "a\x00")
    assert re.fullmatch(reference["pattern"], " TRADE 1 ")


# -- behaviour the schema promises -----------------------------------------------------------


@pytest.fixture
def operator_client(api_client_for, operator):
    return api_client_for(operator)


@pytest.mark.parametrize(
    "query",
    ["page_size=false", "page_size=0", "page_size=-1", "page=x", "page=0", "page_size=1.5", "page_size=٣"],
)
def test_page_and_page_size_must_be_positive_whole_numbers(operator_client, query):
    response = operator_client.get(f"/api/v1/organisations/?{query}")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert set(error["details"]) <= {"page", "page_size"}


def test_empty_page_parameters_mean_the_defaults_and_large_sizes_are_capped(operator_client):
    assert operator_client.get("/api/v1/organisations/?page=&page_size=").status_code == 200
    assert operator_client.get("/api/v1/organisations/?page_size=100000").status_code == 200


@pytest.mark.parametrize("query", ["is_active=maybe", "organisation=not-a-uuid", "role=king"])
def test_a_filter_value_of_the_wrong_type_is_a_400(operator_client, query):
    response = operator_client.get(f"/api/v1/users/?{query}")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_a_filter_on_an_unknown_related_id_finds_nothing(operator_client):
    response = operator_client.get("/api/v1/users/?organisation=00000000-0000-4000-8000-000000000000")
    assert response.status_code == 200
    assert response.json()["count"] == 0
    assert operator_client.get("/api/v1/users/?is_active=true").status_code == 200


@pytest.mark.parametrize("key", [" leading", "trailing ", " ", "x" * 256, "tab\tkey", "ключ"])
def test_an_idempotency_key_outside_the_documented_pattern_is_a_400_and_writes_nothing(
    api_client_for, make_user, broker_a, key
):
    client = api_client_for(make_user(broker_a, Role.BROKER_BACK_OFFICE))
    body = {"account_reference": "CLIENT-9", "name": "Ada", "holder_type": "natural_person"}
    response = client.post("/api/v1/client-accounts/", body, HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["error"]["details"]
    assert not ClientAccount.objects.exists()


def test_an_idempotency_key_inside_the_pattern_is_accepted(api_client_for, make_user, broker_a):
    client = api_client_for(make_user(broker_a, Role.BROKER_BACK_OFFICE))
    body = {"account_reference": "CLIENT-9", "name": "Ada", "holder_type": "natural_person"}
    key = "a b~" + "z" * 251
    assert re.fullmatch(KEY_PATTERN, key)
    assert client.post("/api/v1/client-accounts/", body, HTTP_IDEMPOTENCY_KEY=key).status_code == 201


def test_settlement_fails_date_is_a_date_or_empty(operator_client):
    assert operator_client.get("/api/v1/settlement-fails/?date=").status_code == 200
    assert operator_client.get("/api/v1/settlement-fails/?date=2027-01-14").status_code == 200
    assert operator_client.get("/api/v1/settlement-fails/?date=tomorrow").status_code == 400
