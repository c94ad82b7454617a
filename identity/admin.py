from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

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
