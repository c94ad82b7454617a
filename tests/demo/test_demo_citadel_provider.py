"""``seed_demo`` makes the demo KYC provider a Citadel licence provider (docs/kyc.md "Citadel"):
a pending registration with its own provider key and ``citadel.add_provider`` queued from the
operator's chain account, once however often the seed runs."""

from __future__ import annotations

from chain.node.client import citadel_wallet, contract_abi
from demo.services import demo_data_create
from identity.models import CitadelProvider
from identity.roles import OrganisationKind
from ledger.models import ChainSubmission


def test_the_demo_kyc_provider_is_registered_once(db: None) -> None:
    demo_data_create()
    demo_data_create()  # a second seed adds nothing
    [provider] = CitadelProvider.objects.select_related("organisation")
    assert provider.organisation.kind == OrganisationKind.KYC_PROVIDER
    assert provider.status == CitadelProvider.Status.PENDING
    [queued] = ChainSubmission.objects.filter(fn_name="add_provider")
    assert queued.chain_account.organisation is not None
    assert queued.chain_account.organisation.kind == OrganisationKind.OPERATOR
    public_key = bytes.fromhex(provider.public_key)
    account = provider.organisation.chain_account.public_key.removeprefix("0x")
    assert bytes(queued.fn_args) == contract_abi.encode_citadel_add_provider(
        pk_lp_a=citadel_wallet.provider_point(public_key), account_key=bytes.fromhex(account)
    )
