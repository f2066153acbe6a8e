"""Scoped reads of accounts: an administrator sees the people who hold roles in their scope."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import Http404

from luoshi.core import authz
from luoshi.core.text import search_q
from luoshi.orgs.models import Membership


def users(actor, q: str = "") -> QuerySet:
    User = get_user_model()
    if authz.is_unrestricted(actor):
        qs = User.objects.all()
    else:
        qs = User.objects.filter(pk__in=authz.scope(actor, Membership, "change").values("user_id"))
    if q:
        qs = qs.filter(search_q(q, "username", "first_name", "email"))
    return qs.order_by("username")


def user_or_404(actor, username: str):
    user = users(actor).filter(username=username).first()
    if user is None:
        raise Http404("not found")
    return user


def memberships(actor, user) -> QuerySet[Membership]:
    return authz.scope(actor, Membership.objects.filter(user=user)).select_related("unit").order_by("unit__path")
