from django.contrib import admin

from common.admin import ReadOnlyAdmin
from proving.models import ProofJob


@admin.register(ProofJob)
class ProofJobAdmin(ReadOnlyAdmin):
    """Viewable, never editable; the witness is not among the fields shown."""

    list_display = ["id", "circuit", "status", "stage", "progress", "attempts", "requested_by", "created_at"]
    list_filter = ["status", "circuit"]
    fields = (
        "id",
        "circuit",
        "status",
        "stage",
        "progress",
        "attempts",
        "error_code",
        "error_message",
        "requested_by",
        "idempotency_key",
        "created_at",
        "started_at",
        "finished_at",
        "public_signals",
    )
    readonly_fields = fields
