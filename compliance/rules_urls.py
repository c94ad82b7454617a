"""URLs of transfer rules, pre-trade checks, breaches and compliance actions (``/api/v1/``)."""

from django.urls import path

from compliance import rules_apis as apis

urlpatterns = [
    path(
        "instruments/<uuid:instrument_id>/rule-sets/",
        apis.RuleSetListCreateApi.as_view(),
        name="rule-set-list",
    ),
    path("rule-sets/<uuid:rule_set_id>/", apis.RuleSetDetailApi.as_view(), name="rule-set-detail"),
    path("rule-sets/<uuid:rule_set_id>/preview/", apis.RuleSetPreviewApi.as_view(), name="rule-set-preview"),
    path("rule-sets/<uuid:rule_set_id>/submit/", apis.RuleSetSubmitApi.as_view(), name="rule-set-submit"),
    path("rule-sets/<uuid:rule_set_id>/approve/", apis.RuleSetApproveApi.as_view(), name="rule-set-approve"),
    path("rule-sets/<uuid:rule_set_id>/reject/", apis.RuleSetRejectApi.as_view(), name="rule-set-reject"),
    path(
        "instruments/<uuid:instrument_id>/citadel-sessions/",
        apis.InstrumentCitadelSessionApi.as_view(),
        name="instrument-citadel-session",
    ),
    path("pre-trade-checks/", apis.PreTradeCheckApi.as_view(), name="pre-trade-check"),
    path("breaches/", apis.BreachListApi.as_view(), name="breach-list"),
    path("breaches/<uuid:breach_id>/", apis.BreachDetailApi.as_view(), name="breach-detail"),
    path(
        "breaches/<uuid:breach_id>/investigate/",
        apis.BreachInvestigateApi.as_view(),
        name="breach-investigate",
    ),
    path("breaches/<uuid:breach_id>/resolve/", apis.BreachResolveApi.as_view(), name="breach-resolve"),
    path("compliance-actions/", apis.ActionListApi.as_view(), name="compliance-action-list"),
    path(
        "compliance-actions/<uuid:action_id>/",
        apis.ActionDetailApi.as_view(),
        name="compliance-action-detail",
    ),
    path(
        "compliance-actions/<uuid:action_id>/approve/",
        apis.ForcedTransferApproveApi.as_view(),
        name="forced-transfer-approve",
    ),
    path(
        "compliance-actions/<uuid:action_id>/reject/",
        apis.ForcedTransferRejectApi.as_view(),
        name="forced-transfer-reject",
    ),
    path("instruments/<uuid:instrument_id>/freeze/", apis.FreezeApi.as_view(), name="instrument-freeze"),
    path("instruments/<uuid:instrument_id>/pause/", apis.PauseApi.as_view(), name="instrument-pause"),
    path(
        "instruments/<uuid:instrument_id>/forced-transfers/",
        apis.ForcedTransferProposeApi.as_view(),
        name="instrument-forced-transfers",
    ),
]
