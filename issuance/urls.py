from django.urls import path

from issuance import apis, onchain_apis

urlpatterns = [
    path("instruments/", apis.InstrumentListCreateApi.as_view(), name="instrument-list"),
    path("instruments/<uuid:instrument_id>/", apis.InstrumentDetailApi.as_view(), name="instrument-detail"),
    path(
        "instruments/<uuid:instrument_id>/kyc-mode/",
        apis.InstrumentKycModeApi.as_view(),
        name="instrument-kyc-mode",
    ),
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
    path(
        "instruments/<uuid:instrument_id>/allocations/",
        onchain_apis.AllocationListCreateApi.as_view(),
        name="instrument-allocations",
    ),
    path(
        "instruments/<uuid:instrument_id>/register/",
        onchain_apis.RegisterApi.as_view(),
        name="instrument-register",
    ),
    path(
        "instruments/<uuid:instrument_id>/register.csv",
        onchain_apis.RegisterCsvApi.as_view(),
        name="instrument-register-csv",
    ),
    path(
        "instruments/<uuid:instrument_id>/checkpoints/",
        onchain_apis.CheckpointListCreateApi.as_view(),
        name="instrument-checkpoints",
    ),
    path(
        "instruments/<uuid:instrument_id>/deployment/retry/",
        onchain_apis.DeploymentRetryApi.as_view(),
        name="instrument-deployment-retry",
    ),
]
