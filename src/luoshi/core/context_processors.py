from django.conf import settings
from django.utils.functional import SimpleLazyObject

from luoshi import __version__
from luoshi.core import authz, badges


def _nav_counts(user) -> dict[str, int]:
    """Badges of the main navigation: reports waiting for review, unread notifications (≤ 2 queries)."""
    from luoshi.plans import queries as plan_queries

    reviews = plan_queries.review_queue(user).count() if authz.has_any_role(user, authz.REVIEWER) else 0
    return {"reviews": reviews, "unread": plan_queries.notifications(user, unread_only=True).count()}


def luoshi(request):
    user = getattr(request, "user", None)
    can_audit = bool(user and authz.has_any_role(user, *authz.POLICY["audit.auditrecord"]["view"]))
    context = {"LUOSHI_VERSION": __version__, "LUOSHI_MODE": settings.MODE, "can_audit": can_audit}
    if user is not None and user.is_authenticated:
        # Lazy: evaluated only by templates that show the navigation (not by htmx partials).
        context["nav_counts"] = SimpleLazyObject(lambda: badges.nav_counts(user, _nav_counts))
        context["can_review"] = authz.has_any_role(user, authz.REVIEWER)
        context["can_intake"] = authz.has_any_role(user, authz.PLANNER, authz.ADMIN)
        context["can_manage_accounts"] = authz.has_any_role(user, authz.ADMIN)
    return context
