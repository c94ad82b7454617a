"""Query filters (django-filter): the strict base every list's filters use, and the audit
trail's filters (by instrument, organisation, user, action, request id, object and time)."""

from typing import Any

import django_filters
from django import forms
from django.db import models
from django_filters.filterset import FILTER_FOR_DBFIELD_DEFAULTS

from common.models import AuditEntry


class StrictBooleanFilter(django_filters.BooleanFilter):
    """``true`` or ``false``; any other value is a 400 (django-filter's own ignores it)."""

    field_class = forms.TypedChoiceField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("choices", [("true", "true"), ("false", "false")])
        kwargs.setdefault("coerce", lambda value: value == "true")
        kwargs.setdefault("empty_value", None)
        super().__init__(*args, **kwargs)


class StrictFilterSet(django_filters.FilterSet):
    """A FilterSet whose every filter checks its value, so that the schema can say which values
    are valid (``common.api.pagination.list_parameters``) and every other one is a 400.

    An empty value means no filter. A related object is filtered by its id (a UUID) rather
    than by a choice among the rows that exist: an unknown id finds nothing (an empty page),
    not a 400. A boolean is ``true`` or ``false``.
    """

    FILTER_DEFAULTS = {
        **FILTER_FOR_DBFIELD_DEFAULTS,
        models.ForeignKey: {"filter_class": django_filters.UUIDFilter},
        models.OneToOneField: {"filter_class": django_filters.UUIDFilter},
        models.BooleanField: {"filter_class": StrictBooleanFilter},
    }


class AuditEntryFilter(StrictFilterSet):
    instrument = django_filters.CharFilter(field_name="instrument_id", help_text="Instrument id (UUID).")
    organisation = django_filters.UUIDFilter(field_name="organisation_id")
    actor = django_filters.CharFilter(field_name="actor__username", help_text="The acting user's username.")
    action = django_filters.CharFilter(
        field_name="action", lookup_expr="startswith", help_text="Action or its prefix (``instrument.``)."
    )
    request_id = django_filters.CharFilter(field_name="request_id")
    object_id = django_filters.CharFilter(field_name="object_id")
    since = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text="From this time (ISO 8601), inclusive."
    )
    until = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", help_text="Before this time (ISO 8601), exclusive."
    )

    class Meta:
        model = AuditEntry
        fields = [
            "instrument",
            "organisation",
            "actor",
            "action",
            "request_id",
            "object_id",
            "since",
            "until",
        ]
