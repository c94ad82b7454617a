from django.urls import path

from identity import apis

urlpatterns = [
    path("me/", apis.MeApi.as_view(), name="me"),
    path("auth/token/", apis.AuthTokenApi.as_view(), name="auth-token"),
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
]
