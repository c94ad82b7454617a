from django.urls import path

from frontend import views

app_name = "frontend"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("partials/health/", views.health_panel, name="health-panel"),
    path("organisations/", views.organisations, name="organisations"),
    path("users/", views.users, name="users"),
    path("client-accounts/", views.client_accounts, name="client-accounts"),
    path("audit-trail/", views.audit_trail, name="audit-trail"),
]
