from django.contrib import admin
from django.http import HttpRequest

from ledger.models import ChainAccount


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
