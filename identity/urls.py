from django.urls import path

from identity import apis, business_date_apis, citadel_apis, kyc_apis

urlpatterns = [
    path("me/", apis.MeApi.as_view(), name="me"),
    path("auth/token/", apis.AuthTokenApi.as_view(), name="auth-token"),
    path("auth/token/revoke/", apis.AuthTokenRevokeApi.as_view(), name="auth-token-revoke"),
    path("auth/token/revoke-all/", apis.AuthTokenRevokeAllApi.as_view(), name="auth-token-revoke-all"),
    path("business-date/", business_date_apis.BusinessDateApi.as_view(), name="business-date"),
    path("organisations/", apis.OrganisationListCreateApi.as_view(), name="organisation-list"),
    path(
        "organisations/<uuid:organisation_id>/",
        apis.OrganisationDetailApi.as_view(),
        name="organisation-detail",
    ),
    path(
        "organisations/<uuid:organisation_id>/chain-account/",
        apis.OrganisationChainAccountApi.as_view(),
        name="organisation-chain-account",
    ),
    path("users/", apis.UserListCreateApi.as_view(), name="user-list"),
    path("users/<uuid:user_id>/", apis.UserDetailApi.as_view(), name="user-detail"),
    path("users/<uuid:user_id>/roles/", apis.UserRoleGrantApi.as_view(), name="user-role-grant"),
    path("users/<uuid:user_id>/roles/<str:role>/", apis.UserRoleRevokeApi.as_view(), name="user-role-revoke"),
    path("client-accounts/", apis.ClientAccountListCreateApi.as_view(), name="client-account-list"),
    path(
        "client-accounts/<uuid:client_account_id>/",
        apis.ClientAccountDetailApi.as_view(),
        name="client-account-detail",
    ),
    path(
        "citadel/providers/",
        citadel_apis.CitadelProviderListCreateApi.as_view(),
        name="citadel-provider-list",
    ),
    path(
        "citadel/licences/", citadel_apis.CitadelLicenceListCreateApi.as_view(), name="citadel-licence-list"
    ),
    path(
        "citadel/licences/<uuid:licence_id>/",
        citadel_apis.CitadelLicenceDetailApi.as_view(),
        name="citadel-licence-detail",
    ),
    path(
        "citadel/licences/<uuid:licence_id>/revoke/",
        citadel_apis.CitadelLicenceRevokeApi.as_view(),
        name="citadel-licence-revoke",
    ),
    path("citadel/sessions/", citadel_apis.CitadelSessionListApi.as_view(), name="citadel-session-list"),
    path(
        "citadel/sessions/<uuid:session_id>/",
        citadel_apis.CitadelSessionDetailApi.as_view(),
        name="citadel-session-detail",
    ),
    path("kyc/credentials/", kyc_apis.KycCredentialListCreateApi.as_view(), name="kyc-credential-list"),
    path(
        "kyc/credentials/<uuid:credential_id>/",
        kyc_apis.KycCredentialDetailApi.as_view(),
        name="kyc-credential-detail",
    ),
    path(
        "kyc/credentials/<uuid:credential_id>/renew/",
        kyc_apis.KycCredentialRenewApi.as_view(),
        name="kyc-credential-renew",
    ),
    path(
        "kyc/credentials/<uuid:credential_id>/revoke/",
        kyc_apis.KycCredentialRevokeApi.as_view(),
        name="kyc-credential-revoke",
    ),
    path(
        "kyc/credentials/<uuid:credential_id>/erase/",
        kyc_apis.KycCredentialEraseApi.as_view(),
        name="kyc-credential-erase",
    ),
    path(
        "kyc/credentials/<uuid:credential_id>/holdings/",
        kyc_apis.KycCredentialHoldingsApi.as_view(),
        name="kyc-credential-holdings",
    ),
    path(
        "kyc/credentials/<uuid:credential_id>/claims/",
        kyc_apis.KycCredentialClaimsApi.as_view(),
        name="kyc-credential-claims",
    ),
    path(
        "kyc/trusted-issuers/",
        kyc_apis.TrustedKycIssuerListCreateApi.as_view(),
        name="kyc-trusted-issuer-list",
    ),
    path(
        "kyc/trusted-issuers/<uuid:trusted_issuer_id>/remove/",
        kyc_apis.TrustedKycIssuerRemoveApi.as_view(),
        name="kyc-trusted-issuer-remove",
    ),
]
