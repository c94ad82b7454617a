"""URLs of the audit trail: its search and its export (``/api/v1/``)."""

from django.urls import path

from compliance import audit_apis

urlpatterns = [
    path("audit-entries/", audit_apis.AuditEntryListApi.as_view(), name="audit-entry-list"),
    path("audit-entries/export/", audit_apis.AuditEntryExportApi.as_view(), name="audit-entry-export"),
]
