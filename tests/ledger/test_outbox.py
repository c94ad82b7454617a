"""The chain outbox against a real four-node devnet: intents become Final transactions, the
outcome handler runs once, a crash between signing and submitting sends the same bytes
again, a refused transaction frees its nonce, a failed call is Final with its error."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chain.node.client import contract_abi as abi
from identity.roles import OrganisationKind
from ledger import outbox
from ledger.models import ChainSubmission
from tests.factories import OrganisationFactory
from tests.platformchain import ChainPlatform

Status = ChainSubmission.Status


@pytest.fixture
def outcomes() -> Iterator[list[tuple[str, str, bool | None]]]:
    seen: list[tuple[str, str, bool | None]] = []

    def record(submission: ChainSubmission) -> None:
        seen.append((submission.kind, submission.status, submission.succeeded))

    for kind in ("test.mint", "test.deploy", "test.configure", "test.too_big"):
        outbox.register_outcome_handler(kind, record)
    yield seen
    for kind in ("test.mint", "test.deploy", "test.configure", "test.too_big"):
        outbox.unregister_outcome_handler(kind)


def _balance(chain: ChainPlatform, token: str, public_key: str) -> int:
    with chain.client as client:
        cash = token if token.startswith("0x") else client.get_genesis_contracts()[token]
        holder = abi.account_address(bytes.fromhex(public_key[2:]))
        return abi.decode_u64(client.query_contract(cash, "balance_of", holder))


def test_a_call_becomes_final_and_its_handler_runs_once(chain_platform: ChainPlatform, outcomes):
    bank = OrganisationFactory.create(kind=OrganisationKind.CASH_ISSUER)
    chain_platform.attach(bank, role="cash_issuer")
    broker = OrganisationFactory.create(kind=OrganisationKind.BROKER)
    receiver = chain_platform.attach(broker)
    before = _balance(chain_platform, "cash_token", receiver.public_key)
    args = abi.encode_address_amount(abi.account_address(bytes.fromhex(receiver.public_key[2:])), 2_500)
    mint = outbox.chain_call_enqueue(
        organisation=bank,
        kind="test.mint",
        contract="genesis:cash_token",
        fn_name="mint",
        fn_args=args,
        subject=broker,
    )
    assert mint.status == Status.QUEUED
    (done,) = chain_platform.settle([mint])
    assert (done.status, done.succeeded, done.finality, done.handled) == (Status.FINAL, True, "Final", True)
    assert [e["topic"] for e in done.events] == ["mint"]
    assert (done.subject_type, done.subject_id) == ("identity.organisation", str(broker.pk))
    assert _balance(chain_platform, "cash_token", receiver.public_key) == before + 2_500
    outbox.chain_outbox_confirm()
    outbox.chain_outbox_flush(chain_account_id=str(done.chain_account_id))
    assert outcomes == [("test.mint", Status.FINAL, True)]  # once, however often the worker runs


def test_a_crash_after_signing_sends_the_same_transaction_once(chain_platform: ChainPlatform):
    bank = OrganisationFactory.create(kind=OrganisationKind.CASH_ISSUER)
    account = chain_platform.attach(bank, role="cash_issuer")
    args = abi.encode_address_amount(abi.account_address(bytes.fromhex(account.public_key[2:])), 7)
    mint = outbox.chain_call_enqueue(
        organisation=bank, kind="test.mint", contract="genesis:cash_token", fn_name="mint", fn_args=args
    )
    with chain_platform.client as client:
        nonce_before = client.get_account(account.public_key).nonce
        signed = outbox.sign_next(client, str(account.id), {}, [])  # the worker dies after this commit
    assert signed is not None
    assert signed.status == Status.SIGNED
    tx_id = signed.tx_id
    outbox.chain_outbox_flush(chain_account_id=str(account.id))  # and again, as after a restart
    outbox.chain_outbox_flush(chain_account_id=str(account.id))
    (done,) = chain_platform.settle([mint])
    assert (done.status, done.tx_id, done.nonce) == (Status.FINAL, tx_id, nonce_before + 1)
    with chain_platform.client as client:
        assert client.get_account(account.public_key).nonce == nonce_before + 1


def test_a_refused_transaction_frees_its_nonce_for_the_next(chain_platform: ChainPlatform, outcomes):
    bank = OrganisationFactory.create(kind=OrganisationKind.CASH_ISSUER)
    account = chain_platform.attach(bank, role="cash_issuer")
    args = abi.encode_address_amount(abi.account_address(bytes.fromhex(account.public_key[2:])), 1)
    too_big = outbox.chain_call_enqueue(
        organisation=bank,
        kind="test.too_big",
        contract="genesis:cash_token",
        fn_name="mint",
        fn_args=args,
        gas_limit=2**62,  # above the block gas limit: the node refuses it
    )
    mint = outbox.chain_call_enqueue(
        organisation=bank, kind="test.mint", contract="genesis:cash_token", fn_name="mint", fn_args=args
    )
    with chain_platform.client as client:
        nonce_before = client.get_account(account.public_key).nonce
    refused, done = chain_platform.settle([too_big, mint])
    assert (refused.status, refused.succeeded, refused.error) == (
        Status.REJECTED,
        False,
        "gas_limit_too_high",
    )
    assert (done.status, done.succeeded, done.nonce) == (Status.FINAL, True, nonce_before + 1)
    assert outcomes == [("test.too_big", Status.REJECTED, False), ("test.mint", Status.FINAL, True)]


def test_a_failed_call_is_final_with_its_error(chain_platform: ChainPlatform, outcomes):
    broker = OrganisationFactory.create(kind=OrganisationKind.BROKER)
    account = chain_platform.attach(broker)
    args = abi.encode_address_amount(abi.account_address(bytes.fromhex(account.public_key[2:])), 1)
    mint = outbox.chain_call_enqueue(
        organisation=broker, kind="test.mint", contract="genesis:cash_token", fn_name="mint", fn_args=args
    )
    (done,) = chain_platform.settle([mint])
    assert (done.status, done.succeeded, done.error) == (Status.FINAL, False, "panic.not_authorised")
    assert outcomes == [("test.mint", Status.FINAL, False)]


def test_a_deployment_and_a_call_queued_behind_it(chain_platform: ChainPlatform, outcomes):
    issuer = OrganisationFactory.create(kind=OrganisationKind.ISSUER)
    account = chain_platform.attach(issuer)
    with chain_platform.client as client:
        registry = client.get_genesis_contracts()["identity_registry"]
    key = bytes.fromhex(account.public_key[2:])
    init = abi.encode_security_token_init(
        issuer_agent=key,
        compliance_agent=key,
        registry=bytes.fromhex(registry[2:]),
        isin="US0378331005",
        terms_hash=bytes(32),
        decimals=0,
    )
    deploy = outbox.chain_deploy_enqueue(
        organisation=issuer, kind="test.deploy", code_name="security_token", init_args=init, deploy_nonce=11
    )
    configure = outbox.chain_call_enqueue(
        organisation=issuer,
        kind="test.configure",
        contract=deploy.contract_id,
        fn_name="set_limits",
        fn_args=abi.encode_limits(max_holders=10),
    )
    deployed, configured = chain_platform.settle([deploy, configure])
    assert (deployed.status, deployed.succeeded, configured.succeeded) == (Status.FINAL, True, True)
    assert configured.nonce == (deployed.nonce or 0) + 1
    with chain_platform.client as client:
        info = abi.decode_security_token_info(client.query_contract(deploy.contract_id, "info"))
    assert info.isin == "US0378331005"
    assert [kind for kind, _, _ in outcomes] == ["test.deploy", "test.configure"]


def test_invalid_enqueue_without_a_chain_account_changes_nothing(db):
    from common.exceptions import InvalidInput

    broker = OrganisationFactory.create(kind=OrganisationKind.BROKER)
    with pytest.raises(InvalidInput) as refused:
        outbox.chain_call_enqueue(
            organisation=broker, kind="test.mint", contract="genesis:x", fn_name="f", fn_args=b""
        )
    assert refused.value.code == "no_chain_account"
    assert not ChainSubmission.objects.exists()
