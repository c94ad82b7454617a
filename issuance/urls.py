from django.urls import path

from issuance import apis

urlpatterns = [
    path("instruments/", apis.InstrumentListCreateApi.as_view(), name="instrument-list"),
    path("instruments/<uuid:instrument_id>/", apis.InstrumentDetailApi.as_view(), name="instrument-detail"),
    path(
        "instruments/<uuid:instrument_id>/submit/",
        apis.InstrumentSubmitApi.as_view(),
        name="instrument-submit",
    ),
    path(
        "instruments/<uuid:instrument_id>/tokenize/",
        apis.InstrumentTokenizeApi.as_view(),
        name="instrument-tokenize",
    ),
    path(
        "instruments/<uuid:instrument_id>/approve/",
        apis.InstrumentApproveApi.as_view(),
        name="instrument-approve",
    ),
    path(
        "instruments/<uuid:instrument_id>/reject/",
        apis.InstrumentRejectApi.as_view(),
        name="instrument-reject",
    ),
    path(
        "instruments/<uuid:instrument_id>/schedule/",
        apis.InstrumentScheduleApi.as_view(),
        name="instrument-schedule",
    ),
    path(
        "instruments/<uuid:instrument_id>/documents/",
        apis.InstrumentDocumentListCreateApi.as_view(),
        name="instrument-documents",
    ),
]
