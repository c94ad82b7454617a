"""URLs of the corporate actions app under ``/api/v1/`` (config/urls.py): ballots, corporate
actions, entitlements and market claims (the paths they had under ``issuance``)."""

from django.urls import path

from corporate_actions import apis, voting_apis

urlpatterns = [
    path("ballots/", voting_apis.BallotListCreateApi.as_view(), name="ballot-list"),
    path("ballots/<uuid:ballot_id>/", voting_apis.BallotDetailApi.as_view(), name="ballot-detail"),
    path("ballots/<uuid:ballot_id>/decide/", voting_apis.BallotDecideApi.as_view(), name="ballot-decide"),
    path("ballots/<uuid:ballot_id>/votes/", voting_apis.BallotVoteApi.as_view(), name="ballot-vote"),
    path(
        "corporate-actions/",
        apis.CorporateActionListCreateApi.as_view(),
        name="corporate-action-list",
    ),
    path(
        "corporate-actions/run-beat/",
        apis.CorporateActionRunBeatApi.as_view(),
        name="corporate-action-run-beat",
    ),
    path(
        "corporate-actions/<uuid:action_id>/",
        apis.CorporateActionDetailApi.as_view(),
        name="corporate-action-detail",
    ),
    path(
        "corporate-actions/<uuid:action_id>/submit/",
        apis.CorporateActionSubmitApi.as_view(),
        name="corporate-action-submit",
    ),
    path(
        "corporate-actions/<uuid:action_id>/approve/",
        apis.CorporateActionApproveApi.as_view(),
        name="corporate-action-approve",
    ),
    path(
        "corporate-actions/<uuid:action_id>/cancel/",
        apis.CorporateActionCancelApi.as_view(),
        name="corporate-action-cancel",
    ),
    path(
        "corporate-actions/<uuid:action_id>/entitlements/preview/",
        apis.CorporateActionPreviewApi.as_view(),
        name="corporate-action-preview",
    ),
    path("entitlements/", apis.EntitlementListApi.as_view(), name="entitlement-list"),
    path("market-claims/", apis.MarketClaimListApi.as_view(), name="market-claim-list"),
]
