from django.urls import path

from settlement import apis

urlpatterns = [
    path(
        "settlement-instructions/",
        apis.InstructionListCreateApi.as_view(),
        name="settlement-instruction-list",
    ),
    path(
        "settlement-instructions/<uuid:instruction_id>/",
        apis.InstructionDetailApi.as_view(),
        name="settlement-instruction-detail",
    ),
    path(
        "settlement-instructions/<uuid:instruction_id>/cancel/",
        apis.InstructionCancelApi.as_view(),
        name="settlement-instruction-cancel",
    ),
    path("settlement-events/", apis.InstructionEventListApi.as_view(), name="settlement-event-list"),
    path("netting-cycles/", apis.NettingCycleListCreateApi.as_view(), name="netting-cycle-list"),
    path(
        "netting-cycles/<uuid:cycle_id>/", apis.NettingCycleDetailApi.as_view(), name="netting-cycle-detail"
    ),
    path("settlement-fails/", apis.FailsReportApi.as_view(), name="settlement-fails"),
    path("webhook-endpoints/", apis.WebhookEndpointListCreateApi.as_view(), name="webhook-endpoint-list"),
    path(
        "webhook-endpoints/<uuid:endpoint_id>/",
        apis.WebhookEndpointDetailApi.as_view(),
        name="webhook-endpoint-detail",
    ),
    path("cash-issuances/", apis.CashIssueApi.as_view(), name="cash-issue"),
    path("cash-balances/", apis.CashBalanceListApi.as_view(), name="cash-balance-list"),
    path("shielded-balances/", apis.ShieldedBalanceListApi.as_view(), name="shielded-balance-list"),
    path("shielded-notes/", apis.ShieldedNoteListApi.as_view(), name="shielded-note-list"),
    path("shielded-transfers/", apis.ShieldedTransferListApi.as_view(), name="shielded-transfer-list"),
    path(
        "shielded-transfers/<uuid:transfer_id>/",
        apis.ShieldedTransferDetailApi.as_view(),
        name="shielded-transfer-detail",
    ),
    path("shielded-transfers/shield/", apis.ShieldApi.as_view(), name="shielded-shield"),
    path("shielded-transfers/send/", apis.ShieldedSendApi.as_view(), name="shielded-send"),
    path("shielded-transfers/unshield/", apis.UnshieldApi.as_view(), name="shielded-unshield"),
]
