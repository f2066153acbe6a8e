from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from luoshi.core.context import batch


class RequestContextMiddleware:
    """Opens one audit batch per request; its id is returned in ``X-Request-ID``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        source = "api" if request.path.startswith("/api/") else "web"
        with batch(source) as opened:
            request.batch_id = opened.batch_id
            response = self.get_response(request)
        response["X-Request-ID"] = str(opened.batch_id)
        if getattr(request, "htmx", False):
            response.headers.setdefault("Vary", "HX-Request")
        return response
