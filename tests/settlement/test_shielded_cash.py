"""Shielded cash (settlement.shielded, ledger.phoenix) on a real chain node in this process
(tests/settlement/phoenixchain.py): shielding through the outbox, the note scanner over Final
events (found by the owner's view key only, incremental, idempotent, a failed page rolls back
whole), supply conservation, note selection, roles, and the failure paths that release notes.

The proven send and unshield need the Phoenix transfer setup (a proving key); without it the
request is refused before anything is kept, which is tested here too. With it, the proof is
made by the real prover (slow; tests/settlement/test_shielded_cash_proven.py)."""

from __future__ import annotations

import os
from collections.abc import Callable
from decimal import Decimal

import pytest

from chain.node.client import ChainEvent, phoenix_wallet
from common.exceptions import InvalidInput, PermissionDeniedError
from identity.models import Organisation, User
from identity.roles import OrganisationKind, Role
from ledger.keys import get_key_cipher
from ledger.models import PHOENIX_CURSOR, ChainCursor, ChainSubmission, PhoenixKey, ShieldedNote
from ledger.outbox import chain_call_enqueue, chain_proven_call_enqueue
from ledger.phoenix import apply_phoenix_page, phoenix_key_get_or_create, scan_final_phoenix_events
from proving.models import ProofJob
from proving.services import proof_job_fail_stuck
from settlement.models import ShieldedTransfer
from settlement.shielded import (
    TRANSFER_KIND,
    on_proof_job_finished,
    select_notes,
    shielded_balance_list,
    shielded_cash_send,
    shielded_cash_shield,
    shielded_cash_unshield,
    shielded_note_list,
    shielded_transfer_list,
)
from tests.factories import OrganisationFactory
from tests.settlement.phoenixchain import Platform


@pytest.fixture
def platform(shielded_platform: Platform) -> Platform:
    return shielded_platform


def test_shield_turns_public_cash_into_a_note_of_the_organisation(platform: Platform) -> None:
    transfer = shielded_cash_shield(actor=platform.a_office, amount=Decimal("400.00"))
    assert transfer.status == ShieldedTransfer.Status.SUBMITTED
    approve, shield = ChainSubmission.objects.filter(subject_id=str(transfer.pk)).order_by("created_at")
    assert (approve.fn_name, shield.fn_name, shield.after_id) == ("approve", "shield", approve.pk)

    platform.chain.settle()

    transfer.refresh_from_db()
    assert transfer.status == ShieldedTransfer.Status.FINAL
    [note] = ShieldedNote.objects.filter(key__organisation=platform.a)
    assert (note.value, note.status, note.position) == (40_000, ShieldedNote.Status.UNSPENT, 0)
    assert len(bytes(note.note)) == 302
    assert platform.public(platform.a) == 60_000
    # supply: public EUR + shielded EUR is what was minted; the pool holds exactly the notes
    assert platform.public(platform.a) + platform.shielded(platform.a) == 100_000
    assert platform.chain.cash(platform.chain.pool) == 40_000
    [balance] = shielded_balance_list(user=platform.a_office)
    assert (balance.lei, balance.unspent, balance.pending, balance.notes) == (
        platform.a.lei,
        Decimal("400"),
        0,
        1,
    )


def test_a_note_is_found_by_its_receivers_view_key_and_nobody_elses(platform: Platform) -> None:
    """A note paid to B (here shielded by A straight to B's key) is B's alone: A's view key,
    and a third organisation's, do not find it."""
    third = OrganisationFactory.create(kind=OrganisationKind.BROKER, legal_name="Broker C")
    keys = {
        org.pk: phoenix_key_get_or_create(organisation_id=org.pk) for org in (platform.a, platform.b, third)
    }
    note = phoenix_wallet.make_shield_note(
        sender_public_key=bytes.fromhex(keys[platform.a.pk].public_key[2:]),
        receiver_public_key=bytes.fromhex(keys[platform.b.pk].public_key[2:]),
        value=12_345,
    )
    approve = chain_call_enqueue(
        organisation=platform.a,
        kind="test.approve",
        contract=platform.chain.token,
        fn_name="approve",
        fn_args=platform.chain.pool + (12_345).to_bytes(8, "little"),
    )
    chain_call_enqueue(
        organisation=platform.a,
        kind="test.shield",
        contract=platform.chain.phoenix,
        fn_name="shield",
        fn_args=note,
        after=approve,
    )
    platform.chain.settle()

    assert list(ShieldedNote.objects.values_list("key__organisation", "value")) == [(platform.b.pk, 12_345)]
    assert [n.value for n in shielded_note_list(user=platform.b_office)] == [12_345]
    assert list(shielded_note_list(user=platform.a_office)) == []
    # the stored nullifier is the one the chain will see when B spends it (B's secret key)
    [stored] = ShieldedNote.objects.all()
    assert stored.nullifier != ""
    assert platform.public(platform.a) + platform.shielded(platform.b) == 100_000


def _events(platform: Platform) -> list[ChainEvent]:
    from ledger.chain import get_node_client

    with get_node_client() as client:
        return client.get_events(after=0, limit=500).events


def test_the_scanner_is_incremental_and_idempotent(platform: Platform) -> None:
    shielded_cash_shield(actor=platform.a_office, amount=Decimal("10.00"))
    platform.chain.settle()
    cursor = ChainCursor.objects.get(name=PHOENIX_CURSOR)
    assert cursor.sequence > 0
    # nothing new: a run reads nothing (it starts at its cursor, not at genesis)
    assert scan_final_phoenix_events()["read"] == 0
    # the same page again (a second scanner, a retried task): nothing is applied twice
    events = _events(platform)
    assert apply_phoenix_page(events, contract=platform.chain.phoenix, final_height=10**6) == (0, 0)
    assert ShieldedNote.objects.count() == 1
    assert ChainCursor.objects.get(name=PHOENIX_CURSOR).sequence == cursor.sequence

    shielded_cash_shield(actor=platform.a_office, amount=Decimal("20.00"))
    platform.chain.settle()
    assert sorted(ShieldedNote.objects.values_list("value", flat=True)) == [1_000, 2_000]
    assert ChainCursor.objects.get(name=PHOENIX_CURSOR).sequence > cursor.sequence


def test_a_page_that_fails_midway_applies_nothing_and_is_applied_once_later(platform: Platform) -> None:
    """A crash in the middle of a page (here: a key that cannot be decrypted) rolls back the
    whole page with its cursor; the next run applies it once."""
    shielded_cash_shield(actor=platform.a_office, amount=Decimal("5.00"))
    ChainCursor.objects.filter(name=PHOENIX_CURSOR).delete()
    broken = phoenix_key_get_or_create(organisation_id=platform.b.pk)
    good_token = bytes(broken.encrypted_view_key)
    PhoenixKey.objects.filter(pk=broken.pk).update(encrypted_view_key=b"not a fernet token")
    with pytest.raises(InvalidInput):
        platform.chain.settle()
    assert ShieldedNote.objects.count() == 0
    assert not ChainCursor.objects.filter(name=PHOENIX_CURSOR, sequence__gt=0).exists()

    PhoenixKey.objects.filter(pk=broken.pk).update(
        encrypted_view_key=get_key_cipher().encrypt(get_key_cipher().decrypt(good_token))
    )
    scan_final_phoenix_events()
    scan_final_phoenix_events()
    assert list(ShieldedNote.objects.values_list("value", flat=True)) == [500]


def test_shield_refusals(platform: Platform, make_user: Callable[..., User]) -> None:
    trader = make_user(platform.a, Role.BROKER_TRADER)
    with pytest.raises(PermissionDeniedError):
        shielded_cash_shield(actor=trader, amount=Decimal("1.00"))
    with pytest.raises(PermissionDeniedError):
        shielded_cash_shield(actor=platform.operator, amount=Decimal("1.00"))
    for amount, code in (
        (Decimal("0"), "invalid_amount"),
        (Decimal("0.001"), "invalid_amount"),
        (Decimal("1000.01"), "insufficient_cash"),
    ):
        with pytest.raises(InvalidInput) as refused:
            shielded_cash_shield(actor=platform.a_office, amount=amount)
        assert refused.value.code == code
    with pytest.raises(InvalidInput) as refused:
        shielded_cash_shield(actor=platform.b_office, amount=Decimal("1.00"))
    assert refused.value.code == "insufficient_cash"
    assert ShieldedTransfer.objects.count() == 0


def test_send_and_unshield_refusals_keep_the_notes(platform: Platform) -> None:
    shielded_cash_shield(actor=platform.a_office, amount=Decimal("50.00"))
    platform.chain.settle()
    for lei, amount, code in (
        (platform.b.lei, Decimal("50.01"), "insufficient_shielded_cash"),
        (platform.a.lei, Decimal("1.00"), "unknown_lei"),
        ("5493001KJTIIGC8Y1R12", Decimal("1.00"), "unknown_lei"),
    ):
        with pytest.raises(InvalidInput) as refused:
            shielded_cash_send(actor=platform.a_office, receiver_lei=lei, amount=amount)
        assert refused.value.code == code
    with pytest.raises(InvalidInput) as refused:
        shielded_cash_unshield(actor=platform.b_office, amount=Decimal("1.00"))
    assert refused.value.code == "insufficient_shielded_cash"
    assert platform.shielded(platform.a) == 5_000
    assert ShieldedTransfer.objects.filter(kind__in=["send", "unshield"]).count() == 0


def test_without_a_proving_key_a_send_is_refused_and_keeps_nothing(
    platform: Platform, settings, tmp_path
) -> None:
    settings.GLOAM_CIRCUITS_DIR = tmp_path  # an installation without the circuits' keys
    shielded_cash_shield(actor=platform.a_office, amount=Decimal("50.00"))
    platform.chain.settle()
    with pytest.raises(InvalidInput) as refused:
        shielded_cash_send(actor=platform.a_office, receiver_lei=platform.b.lei, amount=Decimal("20.00"))
    assert refused.value.code == "unknown_circuit"
    # the whole request rolled back: no transfer, the note unspent again, no proof job
    assert ShieldedTransfer.objects.filter(kind="send").count() == 0
    assert platform.shielded(platform.a) == 5_000
    assert ProofJob.objects.count() == 0


def test_a_failed_proof_job_releases_the_notes(platform: Platform) -> None:
    shielded_cash_shield(actor=platform.a_office, amount=Decimal("30.00"))
    platform.chain.settle()
    [note] = ShieldedNote.objects.all()
    job = ProofJob.objects.create(
        requested_by=platform.a_office,
        circuit="phoenix_transfer",
        idempotency_key="k",
        request_digest="d",
        witness="{}",
    )
    transfer = ShieldedTransfer.objects.create(
        organisation=platform.a,
        receiver=platform.b,
        requested_by=platform.a_office,
        kind=ShieldedTransfer.Kind.SEND,
        amount=Decimal("10.00"),
        status=ShieldedTransfer.Status.PROVING,
        proof_job=job,
    )
    ShieldedNote.objects.filter(pk=note.pk).update(
        status=ShieldedNote.Status.PENDING, reserved_for=str(transfer.pk)
    )

    assert proof_job_fail_stuck(job_id=job.pk, code="soft_time_limit", message="ran out of time")

    transfer.refresh_from_db()
    note.refresh_from_db()
    job.refresh_from_db()
    assert (transfer.status, transfer.error_code) == (ShieldedTransfer.Status.FAILED, "proof_prover_timeout")
    assert (note.status, note.reserved_for) == (ShieldedNote.Status.UNSPENT, "")
    assert job.witness == ""


def test_reads_are_scoped(platform: Platform, regulator: User, make_user: Callable[..., User]) -> None:
    shielded_cash_shield(actor=platform.a_office, amount=Decimal("7.00"))
    platform.chain.settle()
    assert [t.kind for t in shielded_transfer_list(user=platform.a_office)] == ["shield"]
    assert list(shielded_transfer_list(user=platform.b_office)) == []
    assert [t.kind for t in shielded_transfer_list(user=regulator)] == ["shield"]
    assert {b.lei for b in shielded_balance_list(user=regulator)} == {platform.a.lei, platform.b.lei}
    assert [b.lei for b in shielded_balance_list(user=platform.b_office)] == [platform.b.lei]
    issuer_admin = make_user(OrganisationFactory.create(kind=OrganisationKind.ISSUER), Role.ISSUER_ADMIN)
    assert shielded_balance_list(user=issuer_admin) == []
    assert list(shielded_note_list(user=issuer_admin)) == []


@pytest.mark.parametrize(
    ("notes", "amount", "chosen"),
    [
        ([(0, 500), (1, 300), (2, 900)], 300, [1]),
        ([(0, 500), (1, 300), (2, 900)], 600, [2]),
        ([(0, 500), (1, 300), (2, 200)], 700, [0, 2]),
        ([(0, 500), (1, 300), (2, 200)], 800, [0, 1]),
        ([(0, 500), (1, 300), (2, 200)], 1_000, None),
        ([], 1, None),
        ([(4, 100), (7, 100)], 200, [4, 7]),
    ],
)
def test_note_selection(notes: list[tuple[int, int]], amount: int, chosen: list[int] | None) -> None:
    assert select_notes(notes, amount) == chosen


def test_a_proven_call_the_node_refuses_fails_the_transfer_and_releases_the_notes(platform: Platform) -> None:
    """The outbox signs a PROVEN submission (transaction tag 4) and submits it; the node
    verifies the proof before anything runs and refuses this one (no such key, a proof of
    nothing): the submission is rejected, the transfer fails with the node's reason and its
    notes are spendable again."""
    shielded_cash_shield(actor=platform.a_office, amount=Decimal("40.00"))
    platform.chain.settle()
    [note] = ShieldedNote.objects.all()
    transfer = ShieldedTransfer.objects.create(
        organisation=platform.a,
        receiver=platform.b,
        requested_by=platform.a_office,
        kind=ShieldedTransfer.Kind.SEND,
        amount=Decimal("10.00"),
        status=ShieldedTransfer.Status.SUBMITTED,
    )
    ShieldedNote.objects.filter(pk=note.pk).update(
        status=ShieldedNote.Status.PENDING, reserved_for=str(transfer.pk)
    )
    submission = chain_proven_call_enqueue(
        organisation=platform.a,
        kind=TRANSFER_KIND,
        contract="genesis:phoenix",
        fn_name="transfer",
        fn_args=b"\x01" + bytes(2 * 302 + 1 + 49),
        vk_id="0x" + "33" * 32,
        public_inputs=bytes(32 * 29),
        proof=bytes(192),
        subject=transfer,
    )
    platform.chain.settle()

    submission.refresh_from_db()
    transfer.refresh_from_db()
    note.refresh_from_db()
    assert submission.operation == ChainSubmission.Operation.PROVEN
    assert submission.status == ChainSubmission.Status.REJECTED
    assert submission.tx_id.startswith("0x")
    assert (transfer.status, transfer.error_code) == (ShieldedTransfer.Status.FAILED, submission.error)
    assert submission.error != ""
    assert (note.status, note.reserved_for) == (ShieldedNote.Status.UNSPENT, "")


def _proving_transfer(
    platform: Platform, organisation: Organisation, signals: list[str]
) -> tuple[ShieldedTransfer, ProofJob]:
    key = phoenix_key_get_or_create(organisation_id=organisation.pk)
    note = ShieldedNote.objects.create(
        key=key,
        position=10_000 + ShieldedNote.objects.count(),
        value=900,
        note=bytes(302),
        nullifier="0x" + os.urandom(32).hex(),
        height=1,
        tx_id="0x" + "00" * 32,
    )
    job = ProofJob.objects.create(
        requested_by=platform.a_office,
        circuit="phoenix_transfer",
        idempotency_key=str(note.pk),
        request_digest="d",
        status=ProofJob.Status.DONE,
        proof=bytes(192),
        public_inputs=bytes(32 * 29),
        public_signals=signals,
    )
    transfer = ShieldedTransfer.objects.create(
        organisation=organisation,
        receiver=platform.b,
        requested_by=platform.a_office,
        kind=ShieldedTransfer.Kind.SEND,
        amount=Decimal("1.00"),
        status=ShieldedTransfer.Status.PROVING,
        proof_job=job,
        vk_id="0x" + "11" * 32,
        fn_args=b"args",
        public_signals=["7", "8"],
    )
    ShieldedNote.objects.filter(pk=note.pk).update(
        status=ShieldedNote.Status.PENDING, reserved_for=str(transfer.pk)
    )
    return transfer, job


def test_a_done_proof_job_queues_the_proven_call_once_its_statement_is_the_wallets(
    platform: Platform,
) -> None:
    transfer, job = _proving_transfer(platform, platform.a, ["7", "8"])
    on_proof_job_finished(job)
    on_proof_job_finished(job)  # a second delivery finds the transfer no longer proving
    transfer.refresh_from_db()
    assert transfer.status == ShieldedTransfer.Status.SUBMITTED
    [submission] = ChainSubmission.objects.filter(subject_id=str(transfer.pk))
    assert submission == transfer.submission
    assert (submission.operation, submission.fn_name, bytes(submission.fn_args)) == (
        "proven",
        "transfer",
        b"args",
    )
    assert (submission.vk_id, bytes(submission.proof)) == (transfer.vk_id, bytes(192))
    assert ShieldedNote.objects.get(reserved_for=str(transfer.pk)).status == ShieldedNote.Status.PENDING


def test_invalid_proof_outcomes_fail_the_transfer_and_release_its_notes(platform: Platform) -> None:
    other, other_job = _proving_transfer(platform, platform.a, ["7", "9"])  # another statement
    third = OrganisationFactory.create(kind=OrganisationKind.BROKER, legal_name="No chain account")
    orphan, orphan_job = _proving_transfer(platform, third, ["7", "8"])
    on_proof_job_finished(other_job)
    on_proof_job_finished(orphan_job)
    for transfer, code in ((other, "proof_statement_mismatch"), (orphan, "no_chain_account")):
        transfer.refresh_from_db()
        assert (transfer.status, transfer.error_code) == (ShieldedTransfer.Status.FAILED, code)
        assert ShieldedNote.objects.filter(reserved_for=str(transfer.pk)).count() == 0
    assert ChainSubmission.objects.filter(operation="proven").count() == 0
