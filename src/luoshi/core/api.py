"""The HTTP API (django-ninja) at ``/api/v1/``: authentication, errors, and the routers.

Each domain keeps its endpoints in its own ``api.py``; they are added here explicitly.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import OperationalError
from django.http import Http404
from ninja import NinjaAPI
from ninja.security import HttpBearer, django_auth

from luoshi.accounts.services import authenticate_token
from luoshi.core.middleware import RETRY_AFTER_SECONDS, busy_message, is_busy
from luoshi.core.services import EditConflict
from luoshi.core.tabular import TableError


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <token>`` with a personal token (``luoshi token create``)."""

    def authenticate(self, request, token: str):
        user = authenticate_token(token)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="Luoshi API",
    version="1",
    description=(
        "Plans, org units and their progress. Session cookie for the browser, personal bearer tokens for scripts.\n\n"
        "**Versions.** Every object carries a `version`. A PATCH that changes fields, and a move, must send the "
        "`version` it read (missing: 422 naming `version`); a stale one answers 409 with the fields changed since. "
        "`POST /items/{id}/reports` without `version` (or with 0) creates the period's report and answers 409 when "
        "it exists already; to change it, send the version read. Explicit `null` for a field that cannot be empty "
        "answers 422 naming the field."
    ),
    auth=[TokenAuth(), django_auth],
    urls_namespace="api",
)


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return api.create_response(request, {"detail": str(exc) or "forbidden"}, status=403)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return api.create_response(request, {"detail": "not found"}, status=404)


@api.exception_handler(ValidationError)
def _invalid(request, exc: ValidationError):
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return api.create_response(request, {"detail": "invalid input", "errors": errors}, status=422)


@api.exception_handler(EditConflict)
def _conflict(request, exc: EditConflict):
    changes = [{"field": f, "before": b, "after": a} for f, b, a in exc.changes]
    return api.create_response(request, {"detail": str(exc), "current_version": exc.obj.version, "changes": changes}, status=409)


@api.exception_handler(OperationalError)
def _busy(request, exc: OperationalError):
    if not is_busy(exc):
        raise exc
    response = api.create_response(request, {"detail": busy_message()}, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


@api.exception_handler(TableError)
def _table(request, exc: TableError):
    rows = [{"file": e.filename, "row": e.row, "field": e.field, "message": e.message} for e in exc.errors]
    return api.create_response(request, {"detail": "invalid file", "errors": rows}, status=422)


def _add_routers() -> None:
    from luoshi.orgs.api import router as orgs_router
    from luoshi.accounts.api import router as accounts_router

    from luoshi.analytics.api import analytics_router, evaluations_router
    from luoshi.intake.api import router as intake_router
    from luoshi.indicators.api import indicators_router, values_router
    from luoshi.library.api import adoptions_router, policies_router, solutions_router
    from luoshi.plans.api import items_router, plans_router, reports_router

    api.add_router("/org-units", orgs_router)
    api.add_router("/plans", plans_router)
    api.add_router("/items", items_router)
    api.add_router("/reports", reports_router)
    api.add_router("/indicators", indicators_router)
    api.add_router("/data-values", values_router)
    api.add_router("/me", accounts_router)
    api.add_router("/intake", intake_router)
    api.add_router("/solutions", solutions_router)
    api.add_router("/adoptions", adoptions_router)
    api.add_router("/policies", policies_router)
    from luoshi.pilots.api import pilots_router, programmes_router, reviews_router

    api.add_router("/pilot-programmes", programmes_router)
    api.add_router("/pilots", pilots_router)
    api.add_router("/reviews", reviews_router)
    api.add_router("/analytics", analytics_router)
    api.add_router("/evaluations", evaluations_router)


_add_routers()
