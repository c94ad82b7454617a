"""Plain Django views: health, liveness, and JSON 404/500/CSRF 403 under ``/api/``."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.csrf import csrf_failure as html_csrf_failure
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET
from django.views.defaults import page_not_found as html_page_not_found
from django.views.defaults import server_error as html_server_error
from drf_spectacular.views import SpectacularSwaggerSplitView

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


def is_api_path(path: str) -> bool:
    """Whether ``path`` is the API's (``/api`` or under ``/api/``): its errors are JSON."""
    return path == "/api" or path.startswith("/api/")


@csrf_exempt  # changes nothing: a POST to an unknown URL is a 404, not a CSRF failure
def api_not_found(request: HttpRequest, unknown: str = "") -> JsonResponse:
    return JsonResponse(error_body("not_found", f"No API endpoint at {request.path}."), status=404)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_path(request.path):
        return api_not_found(request)
    return html_page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if is_api_path(request.path):
        return JsonResponse(
            error_body("server_error", "An unexpected error occurred; it has been logged."),
            status=500,
        )
    return html_server_error(request)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: the JSON 403 under ``/api/``, Django's page elsewhere."""
    if is_api_path(request.path):
        return JsonResponse(
            error_body("csrf_failed", f"CSRF verification failed: {reason}", {"reason": reason}),
            status=403,
        )
    return html_csrf_failure(request, reason)


#: Swagger UI (drf-spectacular-sidecar, served from this origin) with its start-up script
#: fetched from ``?script`` rather than written inline, and its page styles in a static file:
#: the site's Content-Security-Policy holds unchanged.
api_docs = SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="common/swagger_ui.html")
