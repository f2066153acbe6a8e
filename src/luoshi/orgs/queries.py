"""Scoped reads of org units, groups and memberships. Every list goes through ``authz.scope``."""

from __future__ import annotations

from functools import cache

from django.db.models import Count, Q, QuerySet

from luoshi.core import authz
from luoshi.core.text import search_q
from luoshi.orgs.models import Membership, OrgGroup, OrgUnit


def units(user, *, type: str | None = None, parent: OrgUnit | None = None, q: str = "",
          include_inactive: bool = False) -> QuerySet[OrgUnit]:
    qs = authz.scope(user, OrgUnit.objects.select_related("parent"))
    if not include_inactive:
        qs = qs.filter(is_active=True)
    if type:
        qs = qs.filter(type=type)
    if parent is not None:
        qs = qs.filter(parent=parent)
    if q:
        qs = qs.filter(search_q(q, "code", "name", "short_name"))
    return qs.order_by("path")


def roots(user) -> QuerySet[OrgUnit]:
    """The topmost units the user can see (the start of their tree)."""
    visible = authz.scope(user, OrgUnit).filter(is_active=True)
    return visible.exclude(parent__in=visible).order_by("path")


def with_child_count(user, qs: QuerySet[OrgUnit]) -> QuerySet[OrgUnit]:
    """Annotate ``child_count``: the active children the user can see (never the others)."""
    visible = authz.scope(user, OrgUnit).filter(is_active=True).values("pk")
    return qs.annotate(child_count=Count("children", filter=Q(children__in=visible)))


def children(user, unit: OrgUnit) -> QuerySet[OrgUnit]:
    qs = authz.scope(user, OrgUnit).filter(parent=unit, is_active=True)
    return with_child_count(user, qs).order_by("code")


def ancestors(user, unit: OrgUnit) -> QuerySet[OrgUnit]:
    return authz.scope(user, OrgUnit).filter(pk__in=unit.ancestor_ids()).order_by("depth")


def members(user, unit: OrgUnit) -> QuerySet[Membership]:
    return authz.scope(user, Membership).filter(unit=unit).select_related("user").order_by("role", "user__username")


def groups(user) -> QuerySet[OrgGroup]:
    """Groups in scope; ``member_count`` counts the member units the user can see (never the others)."""
    visible = authz.scope(user, OrgUnit).values("pk")
    return (authz.scope(user, OrgGroup).select_related("owner")
            .annotate(member_count=Count("members", filter=Q(members__in=visible))))


def group_members(user, group: OrgGroup) -> QuerySet[OrgUnit]:
    return authz.scope(user, group.members.all()).order_by("path")


def _units_of(user_id: int) -> QuerySet[OrgUnit]:
    return OrgUnit.objects.filter(pk__in=Membership.objects.filter(user_id=user_id).values("unit_id"), is_active=True) \
        .order_by("path")


@cache
def _units_of_query():
    from luoshi.core.precompiled import Precompiled

    return Precompiled(OrgUnit, _units_of, user_id=-319_552_803)


def my_units(user) -> list[OrgUnit]:
    """The active units where the user holds a membership, by path (for the home page): the
    units of the user's grants, by SQL compiled once per process (``core.precompiled``)."""
    if not authz.grants(user):
        return []
    return _units_of_query().objects(user_id=user.pk)


def _pending_of(user_id: int) -> QuerySet:
    from luoshi.orgs.models import Invitation

    return Invitation.objects.filter(user_id=user_id, state=Invitation.State.PENDING)


def _own_invitations_shown(user_id: int) -> QuerySet:
    # Only what the home page shows of them: the unit's name, no inviting user.
    return _pending_of(user_id).select_related("unit").only("pk", "role", "covers_below", "unit__name")


@cache
def _own_invitations_query():
    from luoshi.core.precompiled import Precompiled
    from luoshi.orgs.models import Invitation

    return Precompiled(Invitation, _own_invitations_shown, user_id=-662_094_871)


def own_invitations(user) -> list:
    """``user``'s pending invitations as the home page lists them (``invitations_for(user)``
    with the fields shown), by SQL compiled once per process (``core.precompiled``)."""
    return _own_invitations_query().objects(user_id=user.pk)


def invitations_for(actor, user=None) -> QuerySet:
    """Pending invitations of ``user`` (default: the actor) that ``actor`` may answer: their own,
    or, for an administrator, those of an account they manage. Never the inviter's view."""
    user = user or actor
    qs = _pending_of(user.pk).select_related("unit", "invited_by")
    if actor.pk == user.pk or authz.is_unrestricted(actor):
        return qs
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    from luoshi.accounts.services import _require_manages

    try:
        _require_manages(actor, user)
    except (Http404, PermissionDenied):
        return qs.none()
    return qs
