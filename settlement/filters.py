"""Query filters for settlement instructions (django-filter)."""

import django_filters

from common.filters import StrictFilterSet
from ledger.models import ShieldedNote
from settlement.models import CashLeg, InstructionStatus, SettlementInstruction, ShieldedTransfer, Side


class InstructionFilter(StrictFilterSet):
    status = django_filters.ChoiceFilter(choices=InstructionStatus.choices)
    side = django_filters.ChoiceFilter(choices=Side.choices)
    isin = django_filters.CharFilter(field_name="instrument__isin", lookup_expr="iexact")
    counterparty_lei = django_filters.CharFilter(field_name="counterparty__lei", lookup_expr="iexact")
    reference = django_filters.CharFilter(lookup_expr="iexact")
    trade_date = django_filters.DateFilter()
    intended_settlement_date = django_filters.DateFilter()
    cash_leg = django_filters.ChoiceFilter(choices=CashLeg.choices)

    class Meta:
        model = SettlementInstruction
        fields = [
            "status",
            "side",
            "isin",
            "counterparty_lei",
            "reference",
            "trade_date",
            "intended_settlement_date",
            "cash_leg",
        ]


class ShieldedTransferFilter(StrictFilterSet):
    kind = django_filters.ChoiceFilter(choices=ShieldedTransfer.Kind.choices)
    status = django_filters.ChoiceFilter(choices=ShieldedTransfer.Status.choices)

    class Meta:
        model = ShieldedTransfer
        fields = ["kind", "status"]


class ShieldedNoteFilter(StrictFilterSet):
    status = django_filters.ChoiceFilter(choices=ShieldedNote.Status.choices)

    class Meta:
        model = ShieldedNote
        fields = ["status"]
