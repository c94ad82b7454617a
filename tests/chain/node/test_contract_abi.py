"""The platform's side of the genesis contracts: layouts (docs/contracts.md) and signed
calls and deployments, checked against the real VM and the transaction codec."""

from __future__ import annotations

import pytest

from chain.node import contract_abi as abi
from chain.node.client import (
    MIN_DEPLOY_GAS_PRICE,
    ChainTypesError,
    get_contract_id,
    sign_contract_call,
    sign_contract_deploy,
)
from chain.transition.roots import compute_transaction_id
from chain.types.transactions import Call, Deploy, decode_transaction
from chain.vm.session import VmSession
from tests.chain.helpers import keypair
from tests.chain.vm.tokens import BLOCK, GAS, call, deploy, deploy_cash, fresh_state, query

ISSUER, ALICE, BOB = keypair("abi-issuer"), keypair("abi-alice"), keypair("abi-bob")


@pytest.fixture
def state():
    yield from fresh_state()


def test_signed_call_decodes_to_the_call_and_is_signed_by_its_sender():
    contract = "0x" + "ab" * 32
    args = abi.encode_address_amount(abi.account_address(bytes(BOB.public)), 5)
    tx_id, raw = sign_contract_call(
        secret_key=bytes(ALICE.secret),
        chain_id=7,
        contract=contract,
        fn_name="transfer",
        fn_args=args,
        nonce=3,
    )
    tx = decode_transaction(raw)
    assert tx.data == Call(tx.data.contract, "transfer", args)  # type: ignore[union-attr]
    assert "0x" + bytes(tx.data.contract).hex() == contract  # type: ignore[union-attr]
    assert (tx.sender, tx.receiver, int(tx.value), int(tx.nonce)) == (ALICE.public, ALICE.public, 0, 3)
    assert tx_id == "0x" + compute_transaction_id(tx).hex()


def test_signed_deploy_names_the_id_the_vm_gives(state):
    code = abi.get_contract_code("cash_token")
    init = abi.encode_cash_token_init(issuer=bytes(ISSUER.public), currency="EUR", decimals=2)
    _, raw, contract_id = sign_contract_deploy(
        secret_key=bytes(ISSUER.secret), chain_id=7, bytecode=code, init_args=init, deploy_nonce=9, nonce=1
    )
    tx = decode_transaction(raw)
    assert isinstance(tx.data, Deploy)
    assert int(tx.fee.gas_price) == MIN_DEPLOY_GAS_PRICE
    deployed, _ = VmSession(state, BLOCK).deploy(
        code, owner=ISSUER.public, nonce=9, init_args=init, deployer=ISSUER.public, gas_limit=GAS
    )
    assert contract_id == "0x" + bytes(deployed).hex()
    assert contract_id == get_contract_id(bytecode=code, deploy_nonce=9, owner="0x" + ISSUER.public.hex())
    assert query(state, deployed, "info")[48:] == b"EUR\x02"


def test_invalid_call_fields_raise_before_signing():
    with pytest.raises(ChainTypesError):
        sign_contract_call(
            secret_key=bytes(ALICE.secret), chain_id=7, contract="0xzz", fn_name="f", fn_args=b"", nonce=1
        )
    with pytest.raises(ChainTypesError):
        sign_contract_call(
            secret_key=bytes(ALICE.secret),
            chain_id=7,
            contract="0x" + "00" * 32,
            fn_name="f",
            fn_args=b"",
            nonce=-1,
        )


@pytest.mark.parametrize(
    ("build", "reason"),
    [
        (lambda: abi.account_address(bytes(47)), "bad_length"),
        (lambda: abi.contract_address(bytes(33)), "bad_length"),
        (lambda: abi.encode_address_amount(b"\x02" + bytes(48), 1), "invalid_address"),
        (lambda: abi.encode_address_amount(b"\x01" + bytes(47) + b"\x01", 1), "invalid_address"),
        (lambda: abi.encode_address_amount(b"\x00" + bytes(48), 2**64), "out_of_range"),
        (lambda: abi.encode_address_amount(b"\x00" + bytes(48), -1), "out_of_range"),
        (
            lambda: abi.encode_cash_token_init(issuer=bytes(48), currency="eur", decimals=2),
            "invalid_currency",
        ),
        (lambda: abi.encode_country("Germany"), "invalid_country"),
        (lambda: abi.encode_limits(max_ownership_bps=10_001), "out_of_range"),
        (lambda: abi.encode_conditions(sender=[[]] * 5), "too_many_requirements"),
        (
            lambda: abi.encode_conditions(receiver=[[abi.Condition(1, abi.ConditionKind.HAS_CLAIM)] * 5]),
            "too_many_conditions",
        ),
        (lambda: abi.Condition(2, abi.ConditionKind.VALUE_IN, tuple(range(9))).encode(), "too_many_values"),
        (lambda: abi.encode_dvp_create([]), "invalid_legs"),
        (lambda: abi.encode_dvp_settle_batch([1, 1]), "invalid_batch"),
        (lambda: abi.get_contract_code("../etc/passwd"), "unknown_contract"),
        (
            lambda: abi.encode_security_token_init(
                issuer_agent=bytes(48),
                compliance_agent=bytes(48),
                registry=bytes(32),
                isin="US-1",
                terms_hash=bytes(32),
                decimals=0,
            ),
            "invalid_isin",
        ),
    ],
)
def test_invalid_values_are_refused_with_a_reason(build, reason):
    with pytest.raises(abi.AbiError) as refused:
        build()
    assert refused.value.reason == reason


@pytest.mark.parametrize(
    ("decode", "data"),
    [
        (abi.decode_codes, b""),
        (abi.decode_codes, b"\x02\x01"),
        (abi.decode_codes, b"\x01\x63"),
        (abi.decode_claims, b"\x01" + bytes(58)),
        (abi.decode_holdings, b"\x01\x00" + bytes(56)),
        (abi.decode_security_token_info, bytes(57)),
        (abi.decode_dvp_settle_result, bytes(2)),
        (abi.decode_dvp_batch_result, bytes(5)),
        (abi.decode_dvp_created, bytes(8) + b"\x01" + bytes(137)),
        (abi.decode_dvp_created, bytes(8) + b"\x00"),
        (abi.decode_dvp_created, bytes(8) + b"\x09" + bytes(9 * 138)),
        (abi.decode_dvp_settled, bytes(9)),
        (abi.decode_dvp_settle_failed, bytes(9)),
        (abi.decode_dvp_settle_failed, bytes(9) + b"\x63"),
        (abi.decode_u64, bytes(4)),
    ],
)
def test_invalid_results_are_bad_results(decode, data):
    with pytest.raises(abi.AbiError) as refused:
        decode(data)
    assert refused.value.reason == "bad_result"


def test_layouts_agree_with_the_contracts(state):
    """Encoders and decoders against the real VM: a cash token, a registry, a security token
    with conditions and limits, a DvP instruction; the codes it reports are the enum's."""
    eur = deploy_cash(state, ISSUER)
    alice, bob = abi.account_address(bytes(ALICE.public)), abi.account_address(bytes(BOB.public))
    registry = deploy(state, "identity_registry", bytes(ISSUER.public), nonce=1)
    topics = (1 << abi.ClaimTopic.KYC_VERIFIED | 1 << abi.ClaimTopic.JURISDICTION).to_bytes(4, "little")
    call(state, registry, "add_trusted_issuer", bytes(ISSUER.public) + topics, ISSUER)
    for topic, value in (
        (abi.ClaimTopic.KYC_VERIFIED, 1),
        (abi.ClaimTopic.JURISDICTION, abi.encode_country("DE")),
    ):
        claim = abi.encode_claim(
            subject=alice, topic=topic, value=value, expiry=BLOCK.timestamp + 100, evidence_hash=bytes(32)
        )
        call(state, registry, "add_claim", claim, ISSUER)
    claims = abi.decode_claims(query(state, registry, "claims_of", alice))
    assert sorted((c.topic, c.value, c.expiry) for c in claims) == [
        (1, 1, BLOCK.timestamp + 100),
        (2, abi.encode_country("DE"), BLOCK.timestamp + 100),
    ]

    init = abi.encode_security_token_init(
        issuer_agent=bytes(ISSUER.public),
        compliance_agent=bytes(ISSUER.public),
        registry=bytes(registry),
        isin="DE0001102580",
        terms_hash=bytes(range(32)),
        decimals=0,
    )
    bond = deploy(state, "security_token", init, nonce=2)
    kyc = [abi.Condition(abi.ClaimTopic.KYC_VERIFIED, abi.ConditionKind.HAS_CLAIM)]
    de_only = [
        abi.Condition(abi.ClaimTopic.JURISDICTION, abi.ConditionKind.VALUE_IN, (abi.encode_country("DE"),))
    ]
    for fn, args in (
        ("set_conditions", abi.encode_conditions(receiver=[kyc, de_only])),
        ("set_limits", abi.encode_limits(max_holders=1)),
        ("issue", abi.encode_address_amount(alice, 100)),
    ):
        call(state, bond, fn, args, ISSUER)
    info = abi.decode_security_token_info(query(state, bond, "info"))
    assert (info.isin, info.terms_hash, info.holder_count, info.total_supply) == (
        "DE0001102580",
        bytes(range(32)),
        1,
        100,
    )
    codes = abi.decode_codes(query(state, bond, "check_transfer", alice + abi.encode_address_amount(bob, 5)))
    assert codes == [abi.TransferCode.RECEIVER_CONDITIONS, abi.TransferCode.MAX_HOLDERS]
    assert [c.code for c in codes] == ["receiver_conditions", "max_holders"]
    assert abi.decode_holdings(
        query(state, bond, "holders_at", bytes(4) + bytes(4) + (10).to_bytes(2, "little"))
    ) == [abi.Holding(alice, 100)]

    dvp = deploy(state, "dvp", nonce=3)
    call(state, eur, "mint", abi.encode_address_amount(bob, 500), ISSUER)
    legs = [abi.Leg(bytes(bond), alice, bob, 5), abi.Leg(bytes(eur), bob, alice, 500)]
    result = call(state, dvp, "create", abi.encode_dvp_create(legs), ALICE)
    created = next(e for e in result.events if e.topic == "created")
    instruction = abi.decode_dvp_created(created.data)
    assert instruction.legs == tuple(legs)
    settled = call(state, dvp, "settle", abi.encode_u64(instruction.instruction_id), ALICE)
    assert abi.decode_dvp_settle_result(settled.data) == abi.DvpSettleResult(
        False, 0, abi.TransferCode.NOT_AFFIRMED
    )
    (failed,) = (e for e in settled.events if e.topic == "settle_failed")
    assert abi.decode_dvp_settle_failed(failed.data) == abi.DvpSettleFailed(
        instruction.instruction_id, 0, abi.TransferCode.NOT_AFFIRMED
    )


def test_dvp_events_decode_as_the_contract_emits_them(state):
    """``created`` gives back the legs as created, ``settle_failed`` the first failing
    instruction of a batch, its leg and code, ``settled`` one id per instruction moved."""
    eur = deploy_cash(state, ISSUER)
    dvp = deploy(state, "dvp", nonce=1)
    alice, bob = abi.account_address(bytes(ALICE.public)), abi.account_address(bytes(BOB.public))
    call(state, eur, "mint", abi.encode_address_amount(bob, 900), ISSUER)
    batch = [
        [abi.Leg(bytes(eur), bob, alice, 100), abi.Leg(bytes(eur), alice, bob, 1)],
        [abi.Leg(bytes(eur), bob, alice, 200)],
    ]
    ids = []
    for legs in batch:
        result = call(state, dvp, "create", abi.encode_dvp_create(legs), ALICE)
        (created,) = (abi.decode_dvp_created(e.data) for e in result.events if e.topic == "created")
        assert created.legs == tuple(legs)
        ids.append(created.instruction_id)
    assert ids[1] == ids[0] + 1
    for instruction in ids:
        call(state, dvp, "affirm", abi.encode_u64(instruction), BOB)
    call(state, eur, "approve", abi.encode_address_amount(abi.contract_address(bytes(dvp)), 1_000), BOB)

    refused = call(state, dvp, "settle_batch", abi.encode_dvp_settle_batch(ids), ALICE)
    assert abi.decode_dvp_batch_result(refused.data) == abi.DvpBatchResult(
        False, 0, 1, abi.TransferCode.NOT_AFFIRMED
    )
    (failed,) = (e.data for e in refused.events if e.topic == "settle_failed")
    assert abi.decode_dvp_settle_failed(failed) == abi.DvpSettleFailed(
        ids[0], 1, abi.TransferCode.NOT_AFFIRMED
    )

    done = call(state, dvp, "settle_batch", abi.encode_dvp_settle_batch(ids[1:]), ALICE)
    assert abi.decode_dvp_batch_result(done.data).settled
    assert [abi.decode_dvp_settled(e.data) for e in done.events if e.topic == "settled"] == ids[1:]


# -- citadel ----------------------------------------------------------------------------------


def test_citadel_layouts_refuse_what_does_not_fit():
    from chain.node import contract_abi as abi

    holder = abi.account_address(bytes(48))
    assert len(abi.encode_citadel_session_key(holder=holder, service=bytes(32))) == 81
    assert len(abi.encode_citadel_add_provider(pk_lp_a=(1, 2), account_key=bytes(48))) == 112
    for bad, reason in (
        (lambda: abi.encode_citadel_issue(0), "out_of_range"),
        (lambda: abi.encode_citadel_provider((abi._SCALAR_MODULUS, 1)), "out_of_range"),
        (
            lambda: abi.encode_citadel_session_key(holder=b"\x02" + bytes(48), service=bytes(32)),
            "invalid_address",
        ),
        (lambda: abi.citadel_challenge(chain_id=256, holder=holder, service=bytes(32)), "out_of_range"),
        (lambda: abi.decode_citadel_session(bytes(85)), "bad_result"),
        (lambda: abi.decode_citadel_provider_event("provider_added", bytes(64)), "bad_result"),
    ):
        with pytest.raises(abi.AbiError) as error:
            bad()
        assert error.value.reason == reason
    session = bytes([1]) + (7).to_bytes(32, "little") + (9).to_bytes(32, "little")
    session += (-5).to_bytes(4, "little", signed=True) + b"\x01" + (276).to_bytes(2, "little") + bytes(14)
    decoded = abi.decode_citadel_session(session)
    assert (decoded.found, decoded.pk_lp_a, decoded.day, decoded.require_accredited) == (
        True,
        (7, 9),
        -5,
        True,
    )
    assert decoded.jurisdictions == (276,)
