"""Plain Django views: health, liveness, and JSON 404/500 under ``/api/``."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.defaults import page_not_found as html_page_not_found
from django.views.defaults import server_error as html_server_error

from common.api.errors import error_body
from common.health import get_health


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """``200`` with ``{"status": "healthy", "checks": {...}}``, or ``503`` when unhealthy."""
    healthy, body = get_health()
    return JsonResponse(body, status=200 if healthy else 503)


@never_cache
@require_GET
def livez(request: HttpRequest) -> JsonResponse:
    """``200`` with ``{"status": "alive"}`` whenever this web process serves requests, checking
    nothing else: the container's liveness probe. A halted chain or a dead worker makes
    ``/healthz`` 503, and restarting the web process would not mend either."""
    return JsonResponse({"status": "alive"})


def api_not_found(request: HttpRequest, unknown: str = "") -> JsonResponse:
    return JsonResponse(error_body("not_found", f"No API endpoint at {request.path}."), status=404)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/") or request.path == "/api":
        return api_not_found(request)
    return html_page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(
            error_body("server_error", "An unexpected error occurred; it has been logged."),
            status=500,
        )
    return html_server_error(request)
