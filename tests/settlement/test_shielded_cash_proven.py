"""Shielded send and unshield with real witnesses and proofs (settlement.shielded) on a real
in-process node (tests/settlement/phoenixchain.py).

- The witness the platform builds from its stored notes, its custodied key and the node's
  openings satisfies the committed circuits (phoenix_transfer and phoenix_transfer_2, computed
  by their real witness generator) and gives the public signals the wallet predicted.
- With the Phoenix transfer setup committed (a proving key), the whole flow: a send is proved
  by the real prover (``proof_job_execute``), the proven call goes through the outbox and the
  node verifies it, the receiver's scanner finds the note Final and nobody else's does, the
  sender's notes are spent and its change found; an unshield pays public EUR back; the supply
  (public EUR + shielded EUR) never changes.

Proving and witness generation take seconds each: the module is marked slow.
"""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from pathlib import Path

import pytest

from chain.node.client import phoenix_wallet
from ledger.chain import get_node_client
from ledger.models import PhoenixKey, ShieldedNote
from ledger.phoenix import phoenix_key_get_or_create, with_phoenix_secret_key
from proving.models import ProofJob
from proving.services import proof_job_execute
from settlement.models import ShieldedTransfer
from settlement.shielded import (
    shielded_balance_list,
    shielded_cash_send,
    shielded_cash_shield,
    shielded_cash_unshield,
)
from tests.chain.crypto.circuit_witness import needs_snarkjs, witness
from tests.settlement.phoenixchain import CHAIN_ID, Platform

pytestmark = pytest.mark.slow


def _prepare(platform: Platform, *, amount: int, receiver: str, deposit: int = 0, withdraw: bool = False):
    key = PhoenixKey.objects.get(organisation=platform.a)
    notes = list(ShieldedNote.objects.filter(key=key).order_by("position"))
    with get_node_client() as client:
        openings = [client.get_note_opening(n.position) for n in notes]
    assert len({o.root for o in openings}) == 1
    spends = [(bytes(n.note), n.position, o.opening) for n, o in zip(notes, openings, strict=True)]
    return with_phoenix_secret_key(
        key,
        partial(
            lambda secret_key, **kw: phoenix_wallet.prepare_transfer(secret_key=secret_key, **kw),
            spends=spends,
            root=openings[0].root,
            receiver_public_key=bytes.fromhex(receiver[2:]),
            amount=amount,
            deposit=deposit,
            withdraw_to=platform.a.chain_account.address if withdraw else None,
            chain_id=CHAIN_ID,
            contract_id=platform.chain.phoenix,
        ),
    )


@needs_snarkjs
def test_the_platforms_witnesses_satisfy_the_circuits(shielded_platform: Platform, tmp_path: Path) -> None:
    platform = shielded_platform
    shielded_cash_shield(actor=platform.a_office, amount=Decimal("30.00"))
    shielded_cash_shield(actor=platform.a_office, amount=Decimal("20.00"))
    platform.chain.settle()
    b_key = phoenix_key_get_or_create(organisation_id=platform.b.pk)

    two = _prepare(platform, amount=4_500, receiver=b_key.public_key)
    assert two.circuit == "phoenix_transfer_2"
    values = witness(tmp_path, two.circuit, two.inputs)
    assert values[1 : 1 + len(two.public_signals)] == two.public_signals

    ShieldedNote.objects.filter(value=2_000).delete()  # spend the 30.00 note alone
    a_key = PhoenixKey.objects.get(organisation=platform.a)
    one = _prepare(platform, amount=0, receiver=a_key.public_key, deposit=1_000, withdraw=True)
    assert one.circuit == "phoenix_transfer"
    values = witness(tmp_path, one.circuit, one.inputs)
    assert values[1 : 1 + len(one.public_signals)] == one.public_signals


def _prove(transfer: ShieldedTransfer) -> None:
    assert transfer.proof_job is not None
    assert proof_job_execute(job_id=transfer.proof_job.pk) == ProofJob.Status.DONE


def test_shielded_send_and_unshield_with_real_proofs(shielded_platform: Platform) -> None:
    platform = shielded_platform
    chain = platform.chain
    shielded_cash_shield(actor=platform.a_office, amount=Decimal("300.00"))
    chain.settle()

    send = shielded_cash_send(actor=platform.a_office, receiver_lei=platform.b.lei, amount=Decimal("120.00"))
    assert send.status == ShieldedTransfer.Status.PROVING
    assert platform.shielded(platform.a, ShieldedNote.Status.PENDING) == 30_000
    _prove(send)
    send.refresh_from_db()
    assert send.status == ShieldedTransfer.Status.SUBMITTED
    assert send.proof_job is not None
    assert send.proof_job.witness == ""
    chain.settle()

    send.refresh_from_db()
    assert send.status == ShieldedTransfer.Status.FINAL
    assert platform.shielded(platform.b) == 12_000
    assert platform.shielded(platform.a) == 18_000
    assert platform.shielded(platform.a, ShieldedNote.Status.SPENT) == 30_000
    [received] = ShieldedNote.objects.filter(key__organisation=platform.b)
    assert received.height <= chain.node.head_header.height
    assert {b.lei: b.unspent for b in shielded_balance_list(user=platform.b_office)} == {
        platform.b.lei: Decimal("120")
    }

    unshield = shielded_cash_unshield(actor=platform.b_office, amount=Decimal("50.00"))
    _prove(unshield)
    chain.settle()
    unshield.refresh_from_db()
    assert unshield.status == ShieldedTransfer.Status.FINAL
    assert platform.public(platform.b) == 5_000
    assert platform.shielded(platform.b) == 7_000

    public = platform.public(platform.a) + platform.public(platform.b)
    shielded = platform.shielded(platform.a) + platform.shielded(platform.b)
    assert public + shielded == 100_000
    assert chain.cash(chain.pool) == shielded
