"""Errors never leak a debug page: JSON under ``/api/``, the normal pages elsewhere, DEBUG or not.

With ``DEBUG=True`` Django bypasses ``handler404``/``handler500`` and renders its technical
pages (settings, source, local variables, the URL patterns). DEBUG is off by default (the
embedded default too), but a developer may turn it on; these middlewares keep the error pages
the same as in production even then:

* :class:`ApiErrorMiddleware` (outermost): a view's uncaught exception under ``/api/`` becomes
  the JSON 500 (logged with its traceback on ``django.request``); any other error response
  under ``/api/`` that is not JSON (a middleware's 400, a CSRF 403, …) is rewritten to the
  one error shape; a body sent without ``Content-Length`` (``Transfer-Encoding: chunked``,
  which Django reads as empty) is refused with 411.
* :class:`NotFoundMiddleware` (after ``CommonMiddleware``): a URL that resolves to nothing,
  or a view's ``Http404``, gets ``handler404``'s page, never the technical 404 listing the
  URL patterns.
"""

from __future__ import annotations

import http
import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core import signals
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.log import log_response

from common.api.errors import error_body
from common.views import is_api_path, page_not_found, server_error

GetResponse = Callable[[HttpRequest], HttpResponseBase]


def _status_code_name(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
    except ValueError:
        return "error"


def _status_message(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase + "."
    except ValueError:
        return "The request failed."


def _error_document(response: HttpResponseBase) -> dict[str, Any]:
    """The response's own error document if it is one (a CSV endpoint's error is JSON served as
    ``text/csv``), else the shape for its status."""
    if isinstance(response, HttpResponse):
        try:
            document = json.loads(response.content)
        except ValueError:
            document = None
        if isinstance(document, dict) and set(document) == {"error"}:
            return document
    return error_body(_status_code_name(response.status_code), _status_message(response.status_code))


#: Headers an error response keeps when its body is replaced by the JSON error shape: what the
#: client must be told (RFC 9110: Allow on 405, WWW-Authenticate on 401, Retry-After on 429/503).
KEPT_ERROR_HEADERS = ("Allow", "WWW-Authenticate", "Retry-After", "Vary")


class ApiErrorMiddleware:
    """The JSON error shape for every error under ``/api/``; 411 for a body of unknown length."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.META.get("HTTP_TRANSFER_ENCODING") and not request.META.get("CONTENT_LENGTH"):
            return self._length_required(request)
        response = self.get_response(request)
        if (
            is_api_path(request.path)
            and response.status_code >= 400
            and "json" not in response.get("Content-Type", "")
        ):
            replacement = JsonResponse(_error_document(response), status=response.status_code)
            for header in KEPT_ERROR_HEADERS:
                if header in response:
                    replacement[header] = response[header]
            return replacement
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_api_path(request.path) or isinstance(exception, Http404):
            return None  # Http404: NotFoundMiddleware; outside the API, Django's own handling
        # Returning a response here skips Django's own signal and traceback: send and log them
        # (log_response marks the response logged, so Django does not log it a second time).
        signals.got_request_exception.send(sender=None, request=request)
        response = server_error(request)
        log_response(
            "%s: %s",
            response.reason_phrase,
            request.path,
            response=response,
            request=request,
            exception=exception,
        )
        return response

    @staticmethod
    def _length_required(request: HttpRequest) -> HttpResponse:
        message = "A request body must be sent with Content-Length (chunked bodies are not read)."
        if is_api_path(request.path):
            return JsonResponse(error_body("length_required", message), status=411)
        return HttpResponse(message, status=411, content_type="text/plain; charset=utf-8")


class NotFoundMiddleware:
    """``handler404``'s page (JSON under ``/api/``) even with DEBUG on, where Django would
    render the technical 404 with the project's URL patterns."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if settings.DEBUG:  # without DEBUG Django calls handler404 itself
            try:
                resolve(request.path_info, getattr(request, "urlconf", None))
            except Resolver404 as exc:
                return page_not_found(request, exc)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, Http404):
            return page_not_found(request, exception)
        return None
