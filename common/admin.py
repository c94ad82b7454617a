from django.contrib import admin
from django.http import HttpRequest

from common.models import AuditEntry, IdempotencyRecord, WorkerHeartbeat


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written only by the application: viewable, never editable."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "action", "object_type", "object_id", "actor", "organisation"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_id", "actor__username"]


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "user", "method", "path", "key", "response_status"]
    search_fields = ["key", "user__username"]


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(ReadOnlyAdmin):
    list_display = ["hostname", "last_seen"]
