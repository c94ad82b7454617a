"""Query filters for breaches (django-filter)."""

from typing import Any

import django_filters

from common.filters import StrictFilterSet
from compliance.models import Breach, BreachSource, BreachStatus


class BreachFilter(StrictFilterSet):
    status = django_filters.ChoiceFilter(choices=BreachStatus.choices)
    source = django_filters.ChoiceFilter(choices=BreachSource.choices)
    code = django_filters.NumberFilter()
    instrument = django_filters.UUIDFilter(field_name="instrument_id")
    isin = django_filters.CharFilter(field_name="instrument__isin", lookup_expr="iexact")
    holder = django_filters.CharFilter(method="filter_holder")
    opened_after = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte")
    opened_before = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte")

    class Meta:
        model = Breach
        fields = ["status", "source", "code", "instrument", "isin", "holder", "opened_after", "opened_before"]

    def filter_holder(self, queryset: Any, name: str, value: str) -> Any:
        return queryset.filter(holder__iexact=str(value).removeprefix("0x"))
