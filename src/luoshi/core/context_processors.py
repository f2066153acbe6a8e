from django.conf import settings

from luoshi import __version__
from luoshi.core import authz


def luoshi(request):
    user = getattr(request, "user", None)
    can_audit = bool(user and authz.has_any_role(user, *authz.POLICY["audit.auditrecord"]["view"]))
    return {"LUOSHI_VERSION": __version__, "LUOSHI_MODE": settings.MODE, "can_audit": can_audit}
