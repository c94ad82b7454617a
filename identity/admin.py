from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest
from knox.models import AuthToken

from identity.models import ClientAccount, Organisation, RoleAssignment, User


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["legal_name", "lei", "country", "kind", "is_active"]
    list_filter = ["kind", "country", "is_active"]
    search_fields = ["legal_name", "lei"]


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    fk_name = "user"
    extra = 0
    fields = ["role", "granted_by", "created_at"]
    readonly_fields = ["granted_by", "created_at"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "email", "organisation", "is_active", "is_staff"]
    list_filter = ["organisation__kind", "is_active", "is_staff", "role_assignments__role"]
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        ("Organisation", {"fields": ("organisation",)}),
    )
    inlines = [RoleAssignmentInline]


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "granted_by", "created_at"]
    list_filter = ["role"]


@admin.register(ClientAccount)
class ClientAccountAdmin(admin.ModelAdmin):
    list_display = ["account_reference", "name", "broker", "holder_type", "status"]
    list_filter = ["status", "holder_type", "broker"]
    search_fields = ["account_reference", "name", "holder_lei"]


# django-rest-knox registers an admin that issues tokens (shown in a message, which the cookie
# storage may carry in clear, and with an optional expiry: a token that never expires). Tokens
# are issued by POST /api/v1/auth/token/ or ``manage.py api_token_create``; here an operator
# only sees and revokes (deletes) them.
if admin.site.is_registered(AuthToken):
    admin.site.unregister(AuthToken)


@admin.register(AuthToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """API tokens: the lookup prefix (never the token), user, issue time and expiry."""

    list_display = ["token_key", "user", "created", "expiry"]
    search_fields = ["token_key", "user__username"]
    fields = ["token_key", "user", "created", "expiry"]
    readonly_fields = ["token_key", "user", "created", "expiry"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
