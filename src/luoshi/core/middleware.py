from __future__ import annotations

from collections.abc import Callable

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from luoshi.core.context import batch, read_memo

RETRY_AFTER_SECONDS = 5


def is_busy(exc: BaseException) -> bool:
    """A database that stayed locked (SQLite) or a lock wait that timed out (PostgreSQL)."""
    if not isinstance(exc, OperationalError):
        return False
    text = str(exc).lower()
    return "database is locked" in text or "database table is locked" in text or "lock timeout" in text \
        or "canceling statement due to lock timeout" in text


def busy_message() -> str:
    return _("The system is busy with another large change right now; nothing was saved. Please try again in a few seconds.")


class RequestContextMiddleware:
    """Opens one audit batch per request; its id is returned in ``X-Request-ID``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        source = "api" if request.path.startswith("/api/") else "web"
        with batch(source) as opened:
            request.batch_id = opened.batch_id
            if request.method in ("GET", "HEAD"):
                with read_memo():
                    response = self.get_response(request)
            else:
                response = self.get_response(request)
        response["X-Request-ID"] = str(opened.batch_id)
        if getattr(request, "htmx", False):
            response.headers.setdefault("Vary", "HX-Request")
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """A write that waited too long for the database answers 503 "busy, try again", not 500."""
        if not is_busy(exception):
            return None
        from django.shortcuts import render

        response = render(request, "503.html", {"message": busy_message()}, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response


CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",            # no inline script, no eval: templates load static files only
    "style-src 'self' 'unsafe-inline'",  # style attributes in templates; ECharts sets styles itself
    "img-src 'self' data: blob:",    # chart downloads and the favicon
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
# What a request may carry besides the largest upload (form fields, multipart framing).
BODY_MARGIN_BYTES = 1024 * 1024


class HardeningMiddleware:
    """First in the chain: refuses a body larger than any upload may be before anything reads it
    (413), and sends the Content-Security-Policy with every response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings

        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.MAX_UPLOAD_BYTES + BODY_MARGIN_BYTES
        if length > limit:
            response = self._too_large(request, limit)
        else:
            response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response

    @staticmethod
    def _too_large(request: HttpRequest, limit: int) -> HttpResponse:
        from django.http import JsonResponse

        message = _("The request is larger than the %(mb)s MB allowed; nothing was read or saved.") % {"mb": limit // 1048576}
        if request.path.startswith("/api/"):
            response: HttpResponse = JsonResponse({"detail": message}, status=413)
        else:
            response = HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        response["Connection"] = "close"  # the unread body must not be taken for the next request
        return response
