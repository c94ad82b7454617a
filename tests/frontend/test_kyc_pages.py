"""KYC pages: a KYC provider's officer onboards through the form and sees the attributes; a
broker sees its client's credential status without them; the issuer's users may not open
the pages; another provider's credential is not found; the operator trusts a provider on
its page. No chain here: the claims panel says the chain cannot be read."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.http import HttpRequest
from django.utils import timezone

from identity import kyc_services
from identity.models import KycCredential, TrustedKycIssuer
from identity.roles import OrganisationKind, Role
from identity.services import chain_account_create, client_account_chain_account_create
from ledger.models import ChainSubmission
from tests.factories import PASSWORD, ClientAccountFactory, OrganisationFactory


@pytest.fixture
def setup(db, make_user, broker_a):
    provider = OrganisationFactory.create(kind=OrganisationKind.KYC_PROVIDER, legal_name="Page KYC")
    chain_account_create(organisation=provider)
    TrustedKycIssuer.objects.create(
        organisation=provider, topics=kyc_services.ALL_TOPICS_MASK, status="trusted"
    )
    account = ClientAccountFactory.create(broker=broker_a, name="Ada Client")
    client_account_chain_account_create(client_account=account)
    officer = make_user(provider, Role.COMPLIANCE_OFFICER)
    return provider, officer, account


def _login(client, user):
    # django-axes counts logins per request: authenticate() needs one (the test client passes none).
    assert client.login(request=HttpRequest(), username=user.username, password=PASSWORD)


def _form(account, **overrides):
    expires = (timezone.now() + dt.timedelta(days=90)).strftime("%Y-%m-%dT%H:%M")
    return {
        "subject_public_key": account.chain_account.public_key,
        "holder_type": "natural_person",
        "legal_name": "Ada Q. Lovelace",
        "date_of_birth_or_incorporation": "1990-12-10",
        "country": "GB",
        "investor_category": "retail",
        "category_evidence": "appropriateness test passed 2026-11-20",
        "accredited": "",
        "expires_at": expires,
        **overrides,
    }


def test_officer_onboards_through_the_form_and_sees_the_attributes(client, setup):
    _provider, officer, account = setup
    _login(client, officer)
    page = client.get("/kyc/new/")
    assert page.status_code == 200
    assert "Ada Client" in page.content.decode()  # the subject choices
    response = client.post("/kyc/new/", _form(account))
    assert response.status_code == 302
    credential = KycCredential.objects.get()
    assert response["Location"] == f"/kyc/{credential.pk}/"
    assert credential.claim_topics == [1, 2, 3]
    assert ChainSubmission.objects.filter(kind=kyc_services.CLAIM_ADD_KIND).count() == 3
    html = client.get(response["Location"]).content.decode()
    assert "Ada Q. Lovelace" in html
    assert "1990-12-10" in html
    assert "Pending" in html
    assert 'data-testid="kyc-revoke"' in html
    assert 'data-testid="kyc-erase"' in html
    assert "genesis contracts are unknown" in html  # the claims panel: no node configured here


def test_invalid_form_input_shows_the_error_and_writes_nothing(client, setup):
    _provider, officer, account = setup
    _login(client, officer)
    response = client.post("/kyc/new/", _form(account, date_of_birth_or_incorporation="2999-01-01"))
    assert response.status_code == 200
    assert "between 1850-01-01 and today" in response.content.decode()
    assert not KycCredential.objects.exists()


def test_broker_sees_status_but_not_attributes_and_issuer_may_not_open(
    client, setup, make_user, broker_a, issuer
):
    _provider, officer, account = setup
    credential = kyc_services.kyc_credential_issue(
        actor=officer,
        subject_public_key=account.chain_account.public_key,
        holder_type="natural_person",
        legal_name="Ada Q. Lovelace",
        date_of_birth_or_incorporation=dt.date(1990, 12, 10),
        country="GB",
        investor_category="retail",
        category_evidence="appropriateness test",
        accredited=False,
        expires_at=timezone.now() + dt.timedelta(days=90),
    )
    _login(client, make_user(broker_a, Role.BROKER_BACK_OFFICE))
    listing = client.get("/kyc/").content.decode()
    assert "Ada Client" in listing
    assert "Pending" in listing
    detail = client.get(f"/kyc/{credential.pk}/").content.decode()
    assert "Lovelace" not in detail
    assert "1990-12-10" not in detail
    assert 'data-testid="kyc-erase"' not in detail
    forbidden = client.post(f"/kyc/{credential.pk}/revoke/", {"reason": "x"})
    assert forbidden.status_code == 403
    client.logout()

    _login(client, make_user(issuer, Role.ISSUER_ADMIN))
    assert client.get("/kyc/").status_code == 403
    client.logout()

    other = make_user(OrganisationFactory.create(kind=OrganisationKind.KYC_PROVIDER), Role.COMPLIANCE_OFFICER)
    _login(client, other)
    assert client.get(f"/kyc/{credential.pk}/").status_code == 404
    assert client.get("/kyc/").content.decode().count("Ada Client") == 0


def test_officer_revokes_and_erases_from_the_detail_page(client, setup):
    _provider, officer, account = setup
    _login(client, officer)
    client.post("/kyc/new/", _form(account))
    credential = KycCredential.objects.get()
    empty = client.post(f"/kyc/{credential.pk}/erase/", {"request_reference": ""}, follow=True)
    assert "erasure request" in empty.content.decode()
    assert KycCredential.objects.get().status == "pending"
    client.post(f"/kyc/{credential.pk}/erase/", {"request_reference": "DSR-1"})
    erased = KycCredential.objects.get()
    assert erased.status == "erased"
    assert erased.legal_name == ""
    html = client.get(f"/kyc/{credential.pk}/").content.decode()
    assert "was erased" in html
    assert "Lovelace" not in html


def test_operator_trusts_a_provider_on_its_page(client, operator, operator_org):
    chain_account_create(organisation=operator_org)
    provider = OrganisationFactory.create(kind=OrganisationKind.KYC_PROVIDER, legal_name="New KYC Co")
    chain_account_create(organisation=provider)
    _login(client, operator)
    page = client.get("/kyc-issuers/").content.decode()
    assert "New KYC Co" in page
    response = client.post("/kyc-issuers/", {"organisation": str(provider.pk)})
    assert response.status_code == 302
    trusted = TrustedKycIssuer.objects.get()
    assert trusted.status == "pending"
    assert ChainSubmission.objects.filter(kind=kyc_services.TRUST_ADD_KIND).count() == 1
    again = client.post("/kyc-issuers/", {"organisation": str(provider.pk)}).content.decode()
    assert re.search(r"already a trusted issuer", again)


def test_detail_warns_when_the_provider_is_no_longer_trusted(client, setup):
    provider, officer, account = setup
    _login(client, officer)
    client.post("/kyc/new/", _form(account))
    credential = KycCredential.objects.get()
    assert 'data-testid="kyc-untrusted"' not in client.get(f"/kyc/{credential.pk}/").content.decode()
    TrustedKycIssuer.objects.filter(organisation=provider).update(status="removed")
    assert 'data-testid="kyc-untrusted"' in client.get(f"/kyc/{credential.pk}/").content.decode()
