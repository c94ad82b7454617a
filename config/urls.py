"""URL map: UI at ``/``, REST API under ``/api/v1/``, schema and docs, health, admin."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from common.views import api_docs, api_not_found, healthz, livez

api_v1 = [
    path("", include("identity.urls")),
    path("", include("issuance.urls")),
    path("", include("corporate_actions.urls")),
    path("", include("settlement.urls")),
    path("", include("compliance.rules_urls")),
    path("", include("compliance.audit_urls")),
    path("", include("compliance.disclosure_urls")),
    path("", include("proving.urls")),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("livez", livez, name="livez"),
    path("admin/", admin.site.urls),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/v1/", include((api_v1, "api"), namespace="v1")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", api_docs, name="api-docs"),
    path("api/<path:unknown>", api_not_found),
    path("", include("frontend.urls")),
]

handler404 = "common.views.page_not_found"
handler500 = "common.views.server_error"
