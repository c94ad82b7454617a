"""Query filters of the audit trail (django-filter): by instrument, organisation, user, action,
request id, object and time."""

import django_filters

from common.models import AuditEntry


class AuditEntryFilter(django_filters.FilterSet):
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
