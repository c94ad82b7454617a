"""Query filters for the instrument list (django-filter)."""

import django_filters
from django.db.models import Q, QuerySet

from common.filters import StrictFilterSet
from issuance.models import Instrument, InstrumentKind, InstrumentStatus


class InstrumentFilter(StrictFilterSet):
    kind = django_filters.ChoiceFilter(choices=InstrumentKind.choices)
    status = django_filters.ChoiceFilter(choices=InstrumentStatus.choices)
    currency = django_filters.CharFilter(lookup_expr="iexact")
    search = django_filters.CharFilter(method="filter_search", label="ISIN, CUSIP or name contains")

    class Meta:
        model = Instrument
        fields = ["kind", "status", "currency", "issuer", "is_reference_data", "search"]

    def filter_search(self, queryset: QuerySet[Instrument], name: str, value: str) -> QuerySet[Instrument]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(isin__icontains=value) | Q(cusip__icontains=value) | Q(name__icontains=value)
        )
