from django.urls import path

from issuance import apis, corporate_action_apis, onchain_apis, voting_apis

urlpatterns = [
    path("ballots/", voting_apis.BallotListCreateApi.as_view(), name="ballot-list"),
    path("ballots/<uuid:ballot_id>/", voting_apis.BallotDetailApi.as_view(), name="ballot-detail"),
    path("ballots/<uuid:ballot_id>/decide/", voting_apis.BallotDecideApi.as_view(), name="ballot-decide"),
    path("ballots/<uuid:ballot_id>/votes/", voting_apis.BallotVoteApi.as_view(), name="ballot-vote"),
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
    path(
        "corporate-actions/",
        corporate_action_apis.CorporateActionListCreateApi.as_view(),
        name="corporate-action-list",
    ),
    path(
        "corporate-actions/run-beat/",
        corporate_action_apis.CorporateActionRunBeatApi.as_view(),
        name="corporate-action-run-beat",
    ),
    path(
        "corporate-actions/<uuid:action_id>/",
        corporate_action_apis.CorporateActionDetailApi.as_view(),
        name="corporate-action-detail",
    ),
    path(
        "corporate-actions/<uuid:action_id>/submit/",
        corporate_action_apis.CorporateActionSubmitApi.as_view(),
        name="corporate-action-submit",
    ),
    path(
        "corporate-actions/<uuid:action_id>/approve/",
        corporate_action_apis.CorporateActionApproveApi.as_view(),
        name="corporate-action-approve",
    ),
    path(
        "corporate-actions/<uuid:action_id>/cancel/",
        corporate_action_apis.CorporateActionCancelApi.as_view(),
        name="corporate-action-cancel",
    ),
    path(
        "corporate-actions/<uuid:action_id>/entitlements/preview/",
        corporate_action_apis.CorporateActionPreviewApi.as_view(),
        name="corporate-action-preview",
    ),
    path("entitlements/", corporate_action_apis.EntitlementListApi.as_view(), name="entitlement-list"),
    path("market-claims/", corporate_action_apis.MarketClaimListApi.as_view(), name="market-claim-list"),
]
