from django.urls import path

from frontend import (
    compliance_views,
    corporate_action_views,
    disclosure_views,
    instrument_views,
    kyc_views,
    onchain_views,
    settlement_views,
    views,
)

app_name = "frontend"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("partials/health/", views.health_panel, name="health-panel"),
    path("organisations/", views.organisations, name="organisations"),
    path("users/", views.users, name="users"),
    path("client-accounts/", views.client_accounts, name="client-accounts"),
    path("audit-trail/", views.audit_trail, name="audit-trail"),
    path("audit-trail/verify/", views.audit_trail_verify_panel, name="audit-trail-verify"),
    path("kyc/", kyc_views.kyc_credentials, name="kyc-credentials"),
    path("kyc/new/", kyc_views.kyc_credential_create, name="kyc-credential-create"),
    path("kyc/<uuid:credential_id>/", kyc_views.kyc_credential_detail, name="kyc-credential-detail"),
    path(
        "kyc/<uuid:credential_id>/<str:action>/",
        kyc_views.kyc_credential_action,
        name="kyc-credential-action",
    ),
    path("kyc-issuers/", kyc_views.kyc_trusted_issuers, name="kyc-trusted-issuers"),
    path(
        "kyc-issuers/<uuid:trusted_issuer_id>/remove/",
        kyc_views.kyc_trusted_issuer_remove,
        name="kyc-trusted-issuer-remove",
    ),
    path("disclosures/", disclosure_views.disclosure_page, name="disclosures"),
    path("disclosures/new/", disclosure_views.disclosure_create, name="disclosure-create"),
    path("disclosures/keys/", disclosure_views.regulator_key_register, name="regulator-key-register"),
    path(
        "disclosures/<uuid:disclosure_id>/envelope/",
        disclosure_views.disclosure_download,
        name="disclosure-download",
    ),
    path("reports/", disclosure_views.report_list, name="reports"),
    path("reports/<uuid:instrument_id>/", disclosure_views.report_detail, name="report-detail"),
    path("instruments/", instrument_views.instrument_list, name="instruments"),
    path("instruments/new/", instrument_views.instrument_create, name="instrument-create"),
    path("instruments/validate/", instrument_views.instrument_validate, name="instrument-validate"),
    path("instruments/inbox/", instrument_views.approval_inbox, name="approval-inbox"),
    path("corporate-actions/", corporate_action_views.corporate_actions, name="corporate-actions"),
    path(
        "corporate-actions/<uuid:action_id>/",
        corporate_action_views.corporate_action_detail,
        name="corporate-action-detail",
    ),
    path(
        "corporate-actions/<uuid:action_id>/submit/",
        corporate_action_views.corporate_action_submit,
        name="corporate-action-submit",
    ),
    path(
        "corporate-actions/<uuid:action_id>/approve/",
        corporate_action_views.corporate_action_approve,
        name="corporate-action-approve",
    ),
    path(
        "corporate-actions/<uuid:action_id>/cancel/",
        corporate_action_views.corporate_action_cancel,
        name="corporate-action-cancel",
    ),
    path("entitlements/", corporate_action_views.entitlements, name="entitlements"),
    path("instruments/<uuid:instrument_id>/", instrument_views.instrument_detail, name="instrument-detail"),
    path("instruments/<uuid:instrument_id>/edit/", instrument_views.instrument_edit, name="instrument-edit"),
    path(
        "instruments/<uuid:instrument_id>/submit/",
        instrument_views.instrument_submit,
        name="instrument-submit",
    ),
    path(
        "instruments/<uuid:instrument_id>/approve/",
        instrument_views.instrument_approve,
        name="instrument-approve",
    ),
    path(
        "instruments/<uuid:instrument_id>/reject/",
        instrument_views.instrument_reject,
        name="instrument-reject",
    ),
    path(
        "instruments/<uuid:instrument_id>/documents/",
        instrument_views.instrument_document_upload,
        name="instrument-document-upload",
    ),
    path(
        "instruments/<uuid:instrument_id>/documents/<uuid:document_id>/",
        instrument_views.instrument_document_download,
        name="instrument-document-download",
    ),
    path("instruments/<uuid:instrument_id>/chain/", onchain_views.chain_panel, name="instrument-chain"),
    path(
        "instruments/<uuid:instrument_id>/deployment/retry/",
        onchain_views.deployment_retry,
        name="instrument-deployment-retry",
    ),
    path(
        "instruments/<uuid:instrument_id>/allocations/",
        onchain_views.allocation_page,
        name="instrument-allocations",
    ),
    path(
        "instruments/<uuid:instrument_id>/allocations/status/",
        onchain_views.allocation_status,
        name="instrument-allocation-status",
    ),
    path(
        "instruments/<uuid:instrument_id>/register/",
        onchain_views.register_page,
        name="instrument-register",
    ),
    path(
        "instruments/<uuid:instrument_id>/register.csv",
        onchain_views.register_csv,
        name="instrument-register-csv",
    ),
    path(
        "instruments/<uuid:instrument_id>/checkpoints/",
        onchain_views.checkpoint_create,
        name="instrument-checkpoint-create",
    ),
    path(
        "instruments/<uuid:instrument_id>/checkpoints/pending/",
        onchain_views.checkpoint_requests,
        name="instrument-checkpoint-requests",
    ),
    path("settlement/instructions/", settlement_views.instruction_list, name="instructions"),
    path(
        "settlement/instructions/<uuid:instruction_id>/",
        settlement_views.instruction_detail,
        name="instruction-detail",
    ),
    path(
        "settlement/instructions/<uuid:instruction_id>/cancel/",
        settlement_views.instruction_cancel,
        name="instruction-cancel",
    ),
    path("settlement/cycles/", settlement_views.cycle_list, name="cycles"),
    path("settlement/cycles/run/", settlement_views.cycle_run, name="cycle-run"),
    path("settlement/cycles/<uuid:cycle_id>/", settlement_views.cycle_detail, name="cycle-detail"),
    path("settlement/fails/", settlement_views.fails_page, name="fails"),
    path("settlement/cash/", settlement_views.cash_balances, name="cash"),
    path("compliance/rules/", compliance_views.rules_home, name="compliance-rules"),
    path(
        "compliance/rules/<uuid:instrument_id>/",
        compliance_views.rules_editor,
        name="compliance-rules-editor",
    ),
    path(
        "compliance/rules/<uuid:instrument_id>/preview/",
        compliance_views.rules_preview,
        name="compliance-rules-preview",
    ),
    path(
        "compliance/rule-sets/<uuid:rule_set_id>/", compliance_views.rule_set_detail, name="rule-set-detail"
    ),
    path(
        "compliance/rule-sets/<uuid:rule_set_id>/decide/",
        compliance_views.rule_set_decide,
        name="rule-set-decide",
    ),
    path("compliance/breaches/", compliance_views.breach_list, name="breaches"),
    path("compliance/breaches/<uuid:breach_id>/", compliance_views.breach_detail, name="breach-detail"),
    path("compliance/actions/", compliance_views.actions_page, name="compliance-actions"),
    path(
        "compliance/actions/<uuid:action_id>/decide/",
        compliance_views.action_decide,
        name="compliance-action-decide",
    ),
]
