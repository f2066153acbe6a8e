"""The home page's unread notifications and invitations and the plan pages' plan, read by SQL
compiled once per process (``core.precompiled``): the same objects as the ORM queries they
replace, for every user, read fresh on every call."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from luoshi.core.tests.test_precompiled import _fields
from luoshi.orgs import queries as org_queries
from luoshi.orgs.models import Invitation, OrgUnit
from luoshi.plans import queries
from luoshi.plans.models import Notification, Plan


def test_unread_notifications_are_the_orm_querys_newest_five(world, small):
    users = list(world.users.values())
    now = timezone.now()
    for n, user in enumerate(users[:4]):
        for i in range(3 + 2 * n):  # 3, 5, 7 and 9 notifications, every third one read
            note = Notification.objects.create(user=user, kind=Notification.Kind.DUE_SOON, title=f"通知 {i} <b>", url=f"/plans/{i}/",
                                               read_at=now if i % 3 == 2 else None, item=small.beijing)
            Notification.objects.filter(pk=note.pk).update(created_at=now - timedelta(minutes=i % 4))  # ties: the id decides
    for user in users:
        expected = list(queries.notifications(user, unread_only=True).select_related(None)
                        .only("pk", "kind", "title", "url", "created_at", "read_at")[:5])
        got = queries.unread_head(user)
        assert [_fields(n) for n in got] == [_fields(n) for n in expected], user.username
        assert all(n.read_at is None for n in got) and len(got) <= 5
    busy = users[3]
    assert len(queries.unread_head(busy)) == 5
    Notification.objects.filter(user=busy).update(read_at=now)
    assert queries.unread_head(busy) == []


def test_own_invitations_are_the_orm_querys(world):
    users = list(world.users.values())
    units = list(OrgUnit.objects.filter(is_active=True).order_by("path")[:3])
    for user in users[:2]:
        for unit, role in zip(units, ("viewer", "reporter", "planner"), strict=True):
            Invitation.objects.create(user=user, unit=unit, role=role, covers_below=role != "viewer", invited_by=users[-1])
    Invitation.objects.filter(user=users[1], role="reporter").update(state=Invitation.State.DECLINED)
    for user in users:
        expected = list(org_queries.invitations_for(user).select_related(None).select_related("unit")
                        .only("pk", "role", "covers_below", "unit__name"))
        got = org_queries.own_invitations(user)
        assert [(_fields(i), _fields(i.unit)) for i in got] == [(_fields(i), _fields(i.unit)) for i in expected]
        assert all(type(i.covers_below) is bool for i in got)
    assert len(org_queries.own_invitations(users[0])) == 3 and len(org_queries.own_invitations(users[1])) == 2


def test_the_plan_with_its_issuer_is_the_orm_querys(world, small):
    for plan in Plan.objects.order_by("pk"):
        expected = Plan.objects.select_related("issuer").get(pk=plan.pk)
        got = queries.plan_with_issuer(plan.pk)
        assert _fields(got) == _fields(expected) and _fields(got.issuer) == _fields(expected.issuer)
    assert queries.plan_with_issuer(Plan.objects.order_by("-pk").first().pk + 1) is None


def test_the_home_page_lists_unread_notifications_and_invitations(world, small, login):
    user = world.user("beijing_reporter")
    Notification.objects.create(user=user, kind=Notification.Kind.DUE_SOON, title="请尽快填报 <x>", url="/plans/")
    Invitation.objects.create(user=user, unit=world.unit("310000"), role="viewer", covers_below=False)
    page = login("beijing_reporter").get("/").content.decode()
    assert "请尽快填报 &lt;x&gt;" in page and "上海" in page


def test_my_units_are_the_units_of_the_grants(world):
    """The home page's units: those of the user's grants (active units, each once, by path), as the
    query by the grants' unit ids gave them, for every user; a deactivated unit drops out at once."""
    from django.contrib.auth import get_user_model

    from luoshi.core import authz
    from luoshi.orgs.models import Membership

    def by_grants(user):
        ids = {g.unit_id for g in authz.grants(user)}
        return list(OrgUnit.objects.filter(pk__in=ids, is_active=True).order_by("path"))

    users = list(world.users.values())
    several = users[0]
    for unit, role in zip(OrgUnit.objects.filter(is_active=True).order_by("-path")[:2], ("viewer", "reporter"), strict=True):
        Membership.objects.get_or_create(user=several, unit=unit, role=role)
        Membership.objects.get_or_create(user=several, unit=unit, role="planner")  # two roles, one unit
    for user in get_user_model().objects.order_by("pk"):
        assert [_fields(u) for u in org_queries.my_units(user)] == [_fields(u) for u in by_grants(user)], user.username
    user = get_user_model().objects.get(pk=several.pk)
    mine = org_queries.my_units(user)
    assert len(mine) >= 2 and len({u.pk for u in mine}) == len(mine)
    OrgUnit.objects.filter(pk=mine[-1].pk).update(is_active=False)
    user = get_user_model().objects.get(pk=several.pk)
    assert [u.pk for u in org_queries.my_units(user)] == [u.pk for u in mine[:-1]]
