"""Filters of the proof job list (``GET /api/v1/proof-jobs/``)."""

from __future__ import annotations

import django_filters

from common.filters import StrictFilterSet
from proving.models import ProofJob


class ProofJobFilter(StrictFilterSet):
    status = django_filters.ChoiceFilter(
        choices=ProofJob.Status.choices, help_text="queued, proving, done, failed."
    )
    circuit = django_filters.CharFilter(max_length=64, help_text="The circuit's name.")

    class Meta:
        model = ProofJob
        fields = ["status", "circuit"]
