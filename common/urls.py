from django.urls import path

from common import apis, business_date_apis

urlpatterns = [
    path("audit-entries/", apis.AuditEntryListApi.as_view(), name="audit-entry-list"),
    path("business-date/", business_date_apis.BusinessDateApi.as_view(), name="business-date"),
    path("audit-entries/export/", apis.AuditEntryExportApi.as_view(), name="audit-entry-export"),
]
