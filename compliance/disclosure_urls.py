"""API routes of selective disclosure and instrument reports (``compliance.disclosure_apis``)."""

from django.urls import path

from compliance import disclosure_apis

urlpatterns = [
    path("regulator-keys/", disclosure_apis.RegulatorKeyListCreateApi.as_view(), name="regulator-key-list"),
    path("disclosures/", disclosure_apis.DisclosureListCreateApi.as_view(), name="disclosure-list"),
    path(
        "disclosures/<uuid:disclosure_id>/",
        disclosure_apis.DisclosureDetailApi.as_view(),
        name="disclosure-detail",
    ),
    path(
        "disclosures/<uuid:disclosure_id>/envelope/",
        disclosure_apis.DisclosureEnvelopeApi.as_view(),
        name="disclosure-envelope",
    ),
    path(
        "instruments/<uuid:instrument_id>/report/",
        disclosure_apis.InstrumentReportApi.as_view(),
        name="instrument-report",
    ),
]
