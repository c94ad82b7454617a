"""Citadel end to end through the API on the real four-node devnet (tests/platformchain.py),
with the real prover: the operator registers the KYC provider, the provider's officer issues a
licence to an investor's custodied wallet, the issuer's instrument takes Citadel sessions as
its KYC (``kyc_mode: citadel``, rules applied on chain), the token refuses the investor until
the broker's back office opens a session, whose ``citadel_license`` proof the nodes verify;
then the token accepts the investor and a transfer to it settles, while another investor
without a session is still refused. The provider revokes the licence: no new session opens
with it; the session already open stands (reference/dusk-protocol.md §6, docs/kyc.md
"Citadel")."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from chain.node.client import contract_abi as abi
from common.exceptions import InvalidInput
from compliance.breaches import compute_holder_breaches
from compliance.compiled_rules import applied_rules
from identity.citadel_services import citadel_session_open, citadel_sessions_advance
from identity.models import CitadelLicence, CitadelProvider, CitadelSession, User
from identity.roles import Role
from ledger import outbox
from proving.models import ProofJob
from proving.services import proof_job_execute
from tests.compliance.test_rules_onchain import World
from tests.issuance.test_onchain import pump
from tests.platformchain import ChainPlatform

API = "/api/v1/"
RECEIVER_CONDITIONS = int(abi.TransferCode.RECEIVER_CONDITIONS)


def test_an_investor_onboarded_by_a_citadel_proof_receives_the_instrument(
    chain_platform: ChainPlatform,
    issuer,
    maker: User,
    approver: User,
    operator: User,
    make_user: Callable[..., User],
    api_client_for: Callable[[User], APIClient],
) -> None:
    chain_platform.attach(issuer)
    w = World(chain_platform, maker, approver, make_user, "XS0000000082")
    api: Callable[[User], APIClient] = api_client_for
    officer = make_user(w.kyc, Role.COMPLIANCE_OFFICER)
    back_office = make_user(w.broker, Role.BROKER_BACK_OFFICE)

    # the operator registers the KYC provider (citadel.add_provider, Final)
    registered = api(operator).post(
        f"{API}citadel/providers/", {"organisation_id": str(w.kyc.pk)}, format="json"
    )
    assert registered.status_code == 201, registered.content
    pump(w.chain, lambda: CitadelProvider.objects.get(organisation=w.kyc).status == "registered")

    # an investor with its own chain account (it signs use_licence and pays the gas)
    investor_account = w.client("CIT-1")
    other_account = w.client("CIT-2")  # no licence, no session
    chain_platform._fund(investor_account.public_key)
    investor = investor_account.client_account
    assert investor is not None

    # the provider's officer issues the licence to the investor's wallet (citadel.issue, Final)
    issued = api(officer).post(
        f"{API}citadel/licences/",
        {
            "client_account_id": str(investor.pk),
            "jurisdiction": "DE",
            "accredited": True,
            "birth_date": "1979-03-14",
            "expires_on": (timezone.now().date() + dt.timedelta(days=300)).isoformat(),
        },
        format="json",
    )
    assert issued.status_code == 201, issued.content
    assert not {"jurisdiction", "accredited", "birth_date"} & set(issued.json())
    licence_id = issued.json()["id"]
    pump(w.chain, lambda: CitadelLicence.objects.get(pk=licence_id).status == "active")
    assert CitadelLicence.objects.get(pk=licence_id).position is not None

    # the issuer takes Citadel sessions as the instrument's KYC; the rules go on chain
    holder = w.fund.chain_account.address
    w.wait(w.issue(holder, 100))
    mode = api(maker).post(f"{API}instruments/{w.bond.pk}/kyc-mode/", {"kyc_mode": "citadel"}, format="json")
    assert mode.status_code == 200, mode.content
    w.apply({"kyc_required": True, "allowed_jurisdictions": ["DE", "FR"]})
    assert RECEIVER_CONDITIONS in w.codes(holder, investor_account.address, 10)

    # the broker's back office opens the investor's session: a real citadel_license proof
    opened = api(back_office).post(
        f"{API}instruments/{w.bond.pk}/citadel-sessions/",
        {"client_account_id": str(investor.pk)},
        format="json",
    )
    assert opened.status_code == 201, opened.content
    session_id = opened.json()["id"]
    assert opened.json()["status"] == "proving"
    session = CitadelSession.objects.get(pk=session_id)
    assert session.proof_job is not None
    assert proof_job_execute(job_id=session.proof_job.pk) == ProofJob.Status.DONE

    def active() -> bool:
        citadel_sessions_advance()
        status = CitadelSession.objects.get(pk=session_id).status
        assert status != "failed", CitadelSession.objects.get(pk=session_id).error
        return status == "active"

    pump(w.chain, active, timeout=180)
    read = api(back_office).get(f"{API}citadel/sessions/{session_id}/")
    assert read.status_code == 200
    assert read.json()["status"] == "active"

    # the token accepts the investor now, and only the investor
    assert w.codes(holder, investor_account.address, 10) == []
    assert RECEIVER_CONDITIONS in w.codes(holder, other_account.address, 10)
    transfer = outbox.chain_call_enqueue(
        organisation=w.fund,
        kind="test.transfer",
        contract=w.bond.contract_id,
        fn_name="transfer",
        fn_args=abi.encode_address_amount(investor_account.address, 10),
    )
    [done] = w.chain.settle([transfer])
    assert done.succeeded, done.error
    with w.chain.client as client:
        held = abi.decode_u64(
            client.query_contract(w.bond.contract_id, "balance_of", investor_account.address)
        )
    assert held == 10

    # the platform's own checks read the session as the token does: the breach scan finds
    # the fund (no session) out of the citadel rules, not the investor
    w.indexed()
    w.bond.refresh_from_db()  # kyc_mode, set through the API
    compiled = applied_rules(w.bond)
    assert compiled is not None
    found = {(f.holder, f.code) for f in compute_holder_breaches(w.bond, compiled)}
    assert (holder.hex(), RECEIVER_CONDITIONS) in found
    assert not {f for f in found if f[0] == investor_account.address.hex()}

    # the provider revokes the licence: no new session with it; the open one stands
    revoked = api(officer).post(
        f"{API}citadel/licences/{licence_id}/revoke/", {"reason": "fraud"}, format="json"
    )
    assert revoked.status_code == 200, revoked.content
    pump(w.chain, lambda: CitadelLicence.objects.get(pk=licence_id).status == "revoked")
    again = api(back_office).post(
        f"{API}instruments/{w.bond.pk}/citadel-sessions/",
        {"client_account_id": str(investor.pk)},
        format="json",
    )
    assert again.status_code == 200  # the live session stands: no new one
    assert again.json()["id"] == session_id
    with pytest.raises(InvalidInput) as refused:  # a session for another service: none
        citadel_session_open(
            actor=back_office,
            client_account=investor,
            service="0x" + "5e" * 32,
            reference="another instrument",
            allowed_jurisdictions=[276],
            require_accredited=False,
        )
    assert refused.value.code == "no_licence"
    assert w.codes(holder, investor_account.address, 10) == []
