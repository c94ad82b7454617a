"""The "Shielded cash" page (frontend/shielded_views.py) on a real in-process node
(tests/settlement/phoenixchain.py): a broker back office shields through the form and sees its
balance, the transfer with its chain label and the note Final; refusals are shown with their
reason (400) and write nothing; a trader reads but has no forms; an issuer has no page."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client

from identity.models import Organisation, User
from identity.roles import OrganisationKind, Role
from settlement.models import ShieldedTransfer
from tests.factories import OrganisationFactory
from tests.settlement.phoenixchain import Platform, shielded_platform  # noqa: F401 - a fixture

URL = "/settlement/shielded-cash/"


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_back_office_shields_and_sees_the_note_final(shielded_platform: Platform) -> None:  # noqa: F811
    platform = shielded_platform
    client = _client(platform.a_office)
    page = client.get(URL).content.decode()
    assert 'data-testid="shield-form"' in page
    assert 'href="/settlement/shielded-cash/"' in client.get("/").content.decode()

    posted = client.post(URL, {"action": "shield", "amount": "125.50"})
    assert posted.status_code == 302
    table = client.get("/partials/shielded-transfers/").content.decode()
    assert 'hx-trigger="every 2s"' in table  # polls while the transfer is on its way
    assert "125.50" in table

    platform.chain.settle()
    page = client.get(URL).content.decode()
    assert "125.50" in page
    assert '<span class="badge text-bg-success">Final</span>' in page
    assert 'data-testid="shielded-note"' in page
    assert "hx-trigger" not in client.get("/partials/shielded-transfers/").content.decode()


def test_refusals_are_shown_and_write_nothing(shielded_platform: Platform) -> None:  # noqa: F811
    client = _client(shielded_platform.a_office)
    too_much = client.post(URL, {"action": "shield", "amount": "5000.00"})
    assert too_much.status_code == 400
    assert "below the amount" in too_much.content.decode()
    no_lei = client.post(URL, {"action": "send", "amount": "1.00"})
    assert no_lei.status_code == 400
    assert "Receiver LEI" in no_lei.content.decode()
    cents = client.post(URL, {"action": "unshield", "amount": "1.005"})
    assert cents.status_code == 400
    assert ShieldedTransfer.objects.count() == 0


def test_trader_reads_without_forms_and_issuer_has_no_page(
    shielded_platform: Platform,  # noqa: F811
    make_user: Callable[..., User],
) -> None:
    trader = _client(make_user(shielded_platform.a, Role.BROKER_TRADER))
    page = trader.get(URL)
    assert page.status_code == 200
    assert 'data-testid="shield-form"' not in page.content.decode()
    assert trader.post(URL, {"action": "shield", "amount": "1.00"}).status_code == 302
    assert ShieldedTransfer.objects.count() == 0
    issuer: Organisation = OrganisationFactory.create(kind=OrganisationKind.ISSUER)
    assert _client(make_user(issuer, Role.ISSUER_ADMIN)).get(URL).status_code == 403
