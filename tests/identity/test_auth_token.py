"""The token exchange brokers' systems use, and who may ask for cash."""

from __future__ import annotations

from rest_framework.test import APIClient

from identity.roles import Role


def test_a_username_and_password_give_the_users_token(make_user, broker_a):
    user = make_user(broker_a, Role.BROKER_TRADER, username="trader-x")
    user.set_password("a long enough password 1")
    user.save()
    client = APIClient()
    first = client.post(
        "/api/v1/auth/token/", {"username": "trader-x", "password": "a long enough password 1"}
    )
    again = client.post(
        "/api/v1/auth/token/", {"username": "trader-x", "password": "a long enough password 1"}
    )
    assert first.status_code == 200
    assert first.json()["token"] == again.json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {first.json()['token']}")
    assert client.get("/api/v1/me/").json()["username"] == "trader-x"


def test_invalid_credentials_get_no_token(make_user, broker_a):
    make_user(broker_a, Role.BROKER_TRADER, username="trader-y")
    response = APIClient().post("/api/v1/auth/token/", {"username": "trader-y", "password": "wrong"})
    assert response.status_code == 400
    assert "token" not in response.json()


def test_only_the_operator_asks_for_cash(make_user, broker_a, api_client_for):
    trader = api_client_for(make_user(broker_a, Role.BROKER_TRADER))
    body = {"lei": broker_a.lei, "currency": "EUR", "amount": "100.00"}
    assert trader.post("/api/v1/cash-issuances/", body, format="json").status_code == 403
    unavailable = trader.get("/api/v1/cash-balances/")  # no node in this test
    assert (unavailable.status_code, unavailable.json()["error"]["code"]) == (503, "chain_unavailable")


def test_the_operator_opens_an_organisations_chain_account_once(
    operator, broker_a, api_client_for, make_user
):
    url = f"/api/v1/organisations/{broker_a.pk}/chain-account/"
    assert api_client_for(make_user(broker_a, Role.BROKER_BACK_OFFICE)).post(url).status_code == 403
    first = api_client_for(operator).post(url).json()["chain_public_key"]
    again = api_client_for(operator).post(url).json()["chain_public_key"]
    assert first is not None
    assert first == again
