"""The standing test world: a small, realistic organisation built with the real services.

It is the demo organisation (``luoshi.orgs.demo``: the ministry, its departments, the 31
provinces, 新疆生产建设兵团, the 计划单列市, the districts of 北京 and 上海, schools,
universities and groups) with the demo users (``demo.USERS``: the superuser ``admin``,
``ministry_planner``, ``ministry_reviewer``, ``auditor`` @ MOE, ``beijing_reporter``,
``beijing_reviewer``, ``shanghai_reporter`` …), plus the users the permission tests need:

=====================  =========================================================
username               role
=====================  =========================================================
ministry_admin         admin @ MOE (and below)
beijing_admin          admin @ 110000 北京 (and below)
beijing_auditor        auditor @ 110000 (and below)
shanghai_admin         admin @ 310000 上海 (and below)
nobody                 no membership at all
=====================  =========================================================

Every password is ``luoshi-demo``. ``build_world()`` is idempotent, so it can run once per
test session (the usual case) and again after a transactional test flushed the database.
"""

from __future__ import annotations

from functools import cached_property

from django.contrib.auth import get_user_model
from django.db import transaction

from luoshi.core.context import batch
from luoshi.orgs import demo

PASSWORD = demo.DEMO_PASSWORD

# username, display name, unit code, role: the users the demo does not have.
EXTRA_USERS = [
    ("ministry_admin", "部管理员", "MOE", "admin"),
    ("beijing_admin", "北京管理员", "110000", "admin"),
    ("beijing_auditor", "北京审计员", "110000", "auditor"),
    ("shanghai_admin", "上海管理员", "310000", "admin"),
    ("nobody", "无角色用户", None, None),
]

USERNAMES = [u for u, *_ in demo.USERS] + [u for u, *_ in EXTRA_USERS]


def build_world() -> None:
    """Create (or complete) the standing world through the real services."""
    from luoshi.accounts import services as account_services
    from luoshi.orgs import services as org_services
    from luoshi.orgs.models import Membership, OrgUnit

    User = get_user_model()
    with batch("system"), transaction.atomic():
        admin = User.objects.filter(username="admin").first()
        if admin is None:
            admin = account_services.create_user(None, username="admin", password=PASSWORD,
                                                 display_name="系统管理员", is_superuser=True)
        demo.load(admin)
        for username, display, code, role in EXTRA_USERS:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = account_services.create_user(admin, username=username, password=PASSWORD, display_name=display)
            if role and not Membership.objects.filter(user=user, unit__code=code, role=role).exists():
                org_services.add_membership(admin, user=user, unit=OrgUnit.objects.get(code=code), role=role)


def world_is_built() -> bool:
    return get_user_model().objects.filter(username="nobody").exists()


class World:
    """Fresh model instances for one test: ``world.beijing_admin``, ``world.unit("110101")``.

    Instances are loaded on first use and kept for the test, so a user's cached grants
    behave as in one request.
    """

    def __init__(self) -> None:
        self._units: dict[str, object] = {}

    @cached_property
    def users(self) -> dict:
        return get_user_model().objects.in_bulk(USERNAMES, field_name="username")

    def user(self, username: str):
        try:
            return self.users[username]
        except KeyError:
            raise LookupError(f"no user {username!r} in the test world") from None

    def __getattr__(self, name: str):
        if name in USERNAMES:
            return self.user(name)
        raise AttributeError(name)

    def unit(self, code: str):
        from luoshi.orgs.models import OrgUnit

        if code not in self._units:
            self._units[code] = OrgUnit.objects.get(code=code)
        return self._units[code]

    def fresh_unit(self, code: str):
        """The unit as stored now (ignoring this test's cached instance)."""
        from luoshi.orgs.models import OrgUnit

        self._units[code] = OrgUnit.objects.get(code=code)
        return self._units[code]
