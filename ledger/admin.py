from django.contrib import admin
from django.http import HttpRequest

from ledger.models import ChainAccount, PhoenixKey, ShieldedNote


@admin.register(ChainAccount)
class ChainAccountAdmin(admin.ModelAdmin):
    """Public keys only: the encrypted secret key is never shown or editable."""

    list_display = ["organisation", "public_key", "created_at"]
    fields = ["organisation", "public_key", "created_at"]
    readonly_fields = ["organisation", "public_key", "created_at"]
    search_fields = ["public_key", "organisation__legal_name"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(PhoenixKey)
class PhoenixKeyAdmin(admin.ModelAdmin):
    """Public keys only: the encrypted secret and view keys are never shown or editable."""

    list_display = ["organisation", "public_key", "created_at"]
    fields = ["organisation", "public_key", "created_at"]
    readonly_fields = ["organisation", "public_key", "created_at"]
    search_fields = ["public_key", "organisation__legal_name"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(ShieldedNote)
class ShieldedNoteAdmin(admin.ModelAdmin):
    """The scanner's read model: read-only (the chain is the source of truth)."""

    list_display = ["position", "key", "value", "status", "height", "spent_height"]
    list_filter = ["status"]
    fields = ("position", "key", "value", "status", "reserved_for", "nullifier", "height", "tx_id")
    readonly_fields = ("position", "key", "value", "status", "reserved_for", "nullifier", "height", "tx_id")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
