"""Which trades settled after a corporate action's record checkpoint, in chain order: a
netting batch and the checkpoint can share a block, and then the position in the block
decides (the market claims of docs/corporate-actions.md, and ``run_scenario --days``)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest

from corporate_actions.models import CorporateAction, CorporateActionKind, CorporateActionStatus
from issuance.models import Instrument
from settlement.models import InstructionStatus, SettlementInstruction
from settlement.selectors import settled_after_record_checkpoint
from tests.settlement.conftest import URL, side

pytestmark = pytest.mark.django_db

CHECKPOINT = (120, 3)  # (block height, position in the block)


def _settled_buy(parties: dict[str, Any], n: int, height: int, index: int | None) -> SettlementInstruction:
    for who in ("a", "b"):
        response = parties[who].post(URL, side(parties, who, reference=f"{who.upper()}-{n}"), format="json")
        assert response.status_code == 201, response.content
    buy = SettlementInstruction.objects.get(reference=f"A-{n}")
    assert buy.status == InstructionStatus.MATCHED
    SettlementInstruction.objects.filter(pk__in=[buy.pk, buy.matched_with_id]).update(
        status=InstructionStatus.SETTLED, settled_height=height, settled_tx_index=index
    )
    return buy


def _coupon(bond: Instrument, tx_index: int | None) -> CorporateAction:
    return CorporateAction.objects.create(
        instrument=bond,
        kind=CorporateActionKind.COUPON,
        status=CorporateActionStatus.PAID,
        record_date=datetime.date(2027, 3, 15),
        ex_date=datetime.date(2027, 3, 12),
        payment_date=datetime.date(2027, 3, 16),
        amount_per_unit=Decimal("35"),
        checkpoint_number=1,
        checkpoint_height=CHECKPOINT[0],
        checkpoint_tx_index=tx_index,
    )


def _after(action: CorporateAction) -> list[str]:
    rows = SettlementInstruction.objects.filter(
        settled_after_record_checkpoint(action), reference__startswith="A-"
    )
    return sorted(rows.values_list("reference", flat=True))


def test_a_trade_in_the_checkpoints_block_counts_by_its_position(bond, parties):
    _settled_buy(parties, 1, CHECKPOINT[0] - 1, 9)  # an earlier block
    _settled_buy(parties, 2, CHECKPOINT[0], CHECKPOINT[1] - 1)  # same block, before the checkpoint
    _settled_buy(parties, 3, CHECKPOINT[0], CHECKPOINT[1] + 1)  # same block, after it
    _settled_buy(parties, 4, CHECKPOINT[0] + 1, 0)  # a later block
    assert _after(_coupon(bond, CHECKPOINT[1])) == ["A-3", "A-4"]


def test_without_the_checkpoints_position_only_later_blocks_count(bond, parties):
    _settled_buy(parties, 1, CHECKPOINT[0], CHECKPOINT[1] + 1)
    _settled_buy(parties, 2, CHECKPOINT[0] + 1, 0)
    assert _after(_coupon(bond, None)) == ["A-2"]
