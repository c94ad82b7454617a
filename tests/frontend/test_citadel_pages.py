"""The "Citadel licences" page (frontend/citadel_views.py; docs/kyc.md "Citadel") without a
chain, as tests/identity/test_citadel.py does: a provider marked registered, licences issued
through the page's form (the leaf is queued, not sent) and marked active by hand where a test
needs one Final. Who sees the page and what; the officer issues a pending licence and no
attribute appears; refusals are shown with their reason (400) and write nothing; a broker sees
its own investors' licences only; revocation of a pending licence is refused; the operator
registers a provider; a broker's session form and the sessions table that polls while a session
is open. Opening a session that gets as far as the chain's read is the devnet test's
(tests/identity/test_citadel.py says so); here the refusals before any chain read."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import timezone

from identity import citadel_services as cs
from identity.models import (
    CitadelLicence,
    CitadelProvider,
    CitadelSession,
    CitadelWallet,
    ClientAccount,
    Organisation,
    User,
)
from identity.roles import OrganisationKind, Role
from issuance.models import Instrument, KycMode
from ledger.models import ChainSubmission
from proving.models import ProofJob
from tests.factories import ClientAccountFactory, OrganisationFactory
from tests.identity.test_citadel import BIRTH, investor, kyc_officer, kyc_org, provider  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

URL = "/citadel/"
TABLE = "/partials/citadel-sessions/"


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _issue_form(investor: ClientAccount, **changes: str) -> dict[str, str]:  # noqa: F811
    data = {
        "action": "issue",
        "client_account_id": str(investor.pk),
        "jurisdiction": "LU",
        "accredited": "on",
        "birth_date": BIRTH.isoformat(),
        "expires_on": (timezone.now().date() + dt.timedelta(days=365)).isoformat(),
    }
    data.update(changes)
    return data


def _licences_table(html: str) -> str:
    match = re.search(r'<table[^>]*data-testid="citadel-licences".*?</table>', html, re.S)
    assert match is not None
    return match.group(0)


def _issue(officer: User, account: ClientAccount, *, active: bool = False) -> CitadelLicence:
    licence = cs.citadel_licence_issue(
        actor=officer,
        client_account_id=account.pk,
        jurisdiction="DE",
        accredited=True,
        birth_date=BIRTH,
        expires_on=timezone.now().date() + dt.timedelta(days=365),
    )
    if active:  # what the licence event does when ``issue`` is Final
        licence.status, licence.position = CitadelLicence.Status.ACTIVE, 3
        licence.save()
    return licence


def test_who_sees_the_page_and_which_forms(
    kyc_officer: User,  # noqa: F811
    make_user: Callable[..., User],
    broker_a: Organisation,
    operator: User,
    regulator: User,
    issuer: Organisation,
) -> None:
    forms = ("citadel-issue-form", "citadel-register-form", "citadel-session-form")
    expected = {
        kyc_officer: {"citadel-issue-form"},
        make_user(broker_a, Role.BROKER_TRADER): {"citadel-session-form"},
        make_user(broker_a, Role.BROKER_BACK_OFFICE): {"citadel-session-form"},
        operator: {"citadel-register-form"},
        regulator: set(),
    }
    for user, shown in expected.items():
        client = _client(user)
        response = client.get(URL)
        assert response.status_code == 200, user.username
        html = response.content.decode()
        assert "are not stored in clear" in html
        assert {f for f in forms if f'data-testid="{f}"' in html} == shown, user.username
        assert f'href="{URL}"' in client.get("/").content.decode()  # in the navigation
        assert client.get(TABLE).status_code == 200
    for outsider in (
        make_user(issuer, Role.ISSUER_ADMIN),
        make_user(issuer, Role.COMPLIANCE_OFFICER),  # a compliance officer, but not a KYC provider's
        make_user(broker_a, Role.COMPLIANCE_OFFICER),
    ):
        client = _client(outsider)
        assert client.get(URL).status_code == 403
        assert client.get(TABLE).status_code == 403
        assert client.post(URL, {"action": "issue"}).status_code == 403
        assert f'href="{URL}"' not in client.get("/").content.decode()


def test_the_officer_issues_a_pending_licence_and_no_attribute_is_shown(
    provider: CitadelProvider,  # noqa: F811
    kyc_officer: User,  # noqa: F811
    investor: ClientAccount,  # noqa: F811
) -> None:
    client = _client(kyc_officer)
    page = client.get(URL).content.decode()
    assert f'<option value="{investor.pk}">' in page  # an active client account to choose
    assert '<option value="LU">Luxembourg (LU)</option>' in page

    posted = client.post(URL, _issue_form(investor))
    assert posted.status_code == 302
    [licence] = CitadelLicence.objects.all()
    assert licence.status == CitadelLicence.Status.PENDING
    assert licence.wallet.client_account == investor
    assert licence.provider == provider
    assert ChainSubmission.objects.filter(kind=cs.LICENCE_ISSUE_KIND).count() == 1

    html = client.get(URL).content.decode()
    assert "Licence issued" in html
    table = _licences_table(html)
    assert investor.account_reference in table
    assert 'data-testid="citadel-licence-status">Pending<' in table
    assert licence.expires_on.isoformat() in table
    for attribute in (BIRTH.isoformat(), "Luxembourg", ">LU<", "ccredit"):
        assert attribute not in table, attribute
    assert BIRTH.isoformat() not in html
    assert 'data-testid="citadel-revoke-form"' not in html  # pending: nothing to revoke yet


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"expires_on": "2000-01-01"}, "The expiry must be in the future, at most five years ahead."),
        ({"jurisdiction": "XX"}, "Jurisdiction (ISO 3166-1): Select a valid choice."),
        ({"client_account_id": ""}, "Client account: This field is required."),
    ],
)
def test_refused_issues_answer_400_and_write_nothing(
    provider: CitadelProvider,  # noqa: F811
    kyc_officer: User,  # noqa: F811
    investor: ClientAccount,  # noqa: F811
    changes: dict[str, str],
    message: str,
) -> None:
    response = _client(kyc_officer).post(URL, _issue_form(investor, **changes))
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert 'class="alert alert-danger' in html
    assert not CitadelLicence.objects.exists()
    assert not CitadelWallet.objects.exists()
    assert not ChainSubmission.objects.filter(kind=cs.LICENCE_ISSUE_KIND).exists()


def test_an_unregistered_provider_is_told_so(kyc_officer, investor):  # noqa: F811
    response = _client(kyc_officer).post(URL, _issue_form(investor))
    assert response.status_code == 400
    assert "is not a registered Citadel licence provider" in response.content.decode()
    assert not CitadelLicence.objects.exists()


def test_a_broker_sees_only_its_own_investors_licences(
    provider: CitadelProvider,  # noqa: F811
    kyc_officer: User,  # noqa: F811
    investor: ClientAccount,  # noqa: F811
    broker_b: Organisation,
    make_user: Callable[..., User],
    regulator: User,
) -> None:
    other = ClientAccountFactory.create(broker=broker_b)
    _issue(kyc_officer, investor)
    _issue(kyc_officer, other, active=True)
    for user, seen in (
        (make_user(investor.broker, Role.BROKER_TRADER), {investor}),
        (make_user(broker_b, Role.BROKER_BACK_OFFICE), {other}),
        (regulator, {investor, other}),
        (kyc_officer, {investor, other}),
    ):
        table = _licences_table(_client(user).get(URL).content.decode())
        for account in (investor, other):
            assert (account.account_reference in table) == (account in seen), (user.username, account)
    # the status filter of the query string
    regulator_client = _client(regulator)
    active = _licences_table(regulator_client.get(URL, {"status": "active"}).content.decode())
    assert other.account_reference in active
    assert investor.account_reference not in active
    assert "No Citadel licences" in _licences_table(
        regulator_client.get(URL, {"status": "nonsense"}).content.decode()
    )


def test_revocation_of_a_pending_licence_is_refused_and_of_an_active_one_sent(
    provider: CitadelProvider,  # noqa: F811
    kyc_officer: User,  # noqa: F811
    investor: ClientAccount,  # noqa: F811
    make_user: Callable[..., User],
) -> None:
    licence = _issue(kyc_officer, investor)
    client = _client(kyc_officer)
    refused = client.post(URL, {"action": "revoke", "licence_id": str(licence.pk), "reason": "fraud"})
    assert refused.status_code == 400
    assert "A licence that is pending cannot be revoked." in refused.content.decode()
    licence.refresh_from_db()
    assert licence.status == CitadelLicence.Status.PENDING
    assert not ChainSubmission.objects.filter(kind=cs.LICENCE_REVOKE_KIND).exists()

    licence.status, licence.position = CitadelLicence.Status.ACTIVE, 3
    licence.save()
    assert 'data-testid="citadel-revoke-form"' in client.get(URL).content.decode()
    no_reason = client.post(URL, {"action": "revoke", "licence_id": str(licence.pk), "reason": ""})
    assert no_reason.status_code == 400
    assert "Reason: This field is required." in no_reason.content.decode()
    other_officer = make_user(
        OrganisationFactory.create(kind=OrganisationKind.KYC_PROVIDER), Role.COMPLIANCE_OFFICER
    )
    foreign = _client(other_officer).post(
        URL, {"action": "revoke", "licence_id": str(licence.pk), "reason": "x"}
    )
    assert foreign.status_code == 400
    assert "Only the provider that issued a licence may revoke it." in foreign.content.decode()
    licence.refresh_from_db()
    assert licence.status == CitadelLicence.Status.ACTIVE

    sent = client.post(
        URL, {"action": "revoke", "licence_id": str(licence.pk), "reason": "document withdrawn"}
    )
    assert sent.status_code == 302
    licence.refresh_from_db()
    assert licence.status == CitadelLicence.Status.REVOKING
    assert ChainSubmission.objects.filter(kind=cs.LICENCE_REVOKE_KIND).count() == 1


def test_the_operator_registers_a_provider_and_others_may_not(
    operator: User,
    kyc_org: Organisation,  # noqa: F811
    broker_a: Organisation,
    regulator: User,
) -> None:
    client = _client(operator)
    assert (
        f'<option value="{kyc_org.pk}">KYC One ({kyc_org.lei})</option>' in client.get(URL).content.decode()
    )
    not_kyc = client.post(URL, {"action": "register", "organisation": str(broker_a.pk)})
    assert not_kyc.status_code == 400
    assert "KYC provider: Select a valid choice." in not_kyc.content.decode()
    assert not CitadelProvider.objects.exists()

    assert client.post(URL, {"action": "register", "organisation": str(kyc_org.pk)}).status_code == 302
    [registered] = CitadelProvider.objects.all()
    assert (registered.organisation, registered.status) == (kyc_org, CitadelProvider.Status.PENDING)
    providers = client.get(URL).content.decode()
    assert re.search(r'data-testid="citadel-provider"><td>KYC One</td>.*?Pending', providers, re.S)

    assert (
        _client(regulator).post(URL, {"action": "register", "organisation": str(kyc_org.pk)}).status_code
        == 403
    )
    assert CitadelProvider.objects.count() == 1


def test_a_broker_opens_sessions_for_citadel_instruments_and_refusals_are_shown(
    provider: CitadelProvider,  # noqa: F811
    kyc_officer: User,  # noqa: F811
    investor: ClientAccount,  # noqa: F811
    bond: Instrument,
    make_user: Callable[..., User],
) -> None:
    client = _client(make_user(investor.broker, Role.BROKER_BACK_OFFICE))
    assert f'<option value="{bond.pk}">' not in client.get(URL).content.decode()  # claims mode
    bond.kyc_mode = KycMode.CITADEL
    bond.save()
    page = client.get(URL).content.decode()
    assert f'<option value="{bond.pk}">{bond.name} ({bond.isin})</option>' in page
    assert f'<option value="{investor.pk}">' in page

    form = {"action": "open", "client_account_id": str(investor.pk), "instrument_id": str(bond.pk)}
    refused = client.post(URL, form)  # the bond has no applied rules, so no Citadel policy
    assert refused.status_code == 400
    assert "The instrument has no applied transfer rules" in refused.content.decode()
    assert not CitadelSession.objects.exists()

    other_client = ClientAccountFactory.create()  # another broker's
    foreign = client.post(URL, {**form, "client_account_id": str(other_client.pk)})
    assert foreign.status_code == 400
    assert "Client account: Select a valid choice." in foreign.content.decode()
    assert not CitadelSession.objects.exists()


def test_the_sessions_table_polls_while_a_session_is_open(
    provider: CitadelProvider,  # noqa: F811
    kyc_officer: User,  # noqa: F811
    investor: ClientAccount,  # noqa: F811
    make_user: Callable[..., User],
    broker_b: Organisation,
) -> None:
    licence = _issue(kyc_officer, investor, active=True)
    trader = make_user(investor.broker, Role.BROKER_TRADER)
    job = ProofJob.objects.create(
        requested_by=trader,
        circuit="citadel_license",
        idempotency_key="s",
        request_digest="0" * 64,
        progress=40,
    )
    session = CitadelSession.objects.create(
        licence=licence, holder="0x" + "ab" * 48, service="0x" + "11" * 32, reference="XS0000000009",
        day=20_000, proof_job=job, requested_by=trader,
    )  # fmt: skip
    client = _client(trader)
    table = client.get(TABLE).content.decode()
    assert 'hx-trigger="every 3s"' in table
    assert "XS0000000009" in table
    assert '<progress value="40" max="100"' in table
    assert "Proving</span>" in table
    assert 'hx-get="/partials/citadel-sessions/' in client.get(URL).content.decode()

    session.status, session.tx_id = CitadelSession.Status.ACTIVE, "0x" + "cd" * 32
    session.save()
    table = client.get(TABLE).content.decode()
    assert "hx-trigger" not in table
    assert "0xcdcdcd" in table
    assert "Active</span>" in table
    assert "XS0000000009" not in _client(make_user(broker_b, Role.BROKER_TRADER)).get(TABLE).content.decode()
