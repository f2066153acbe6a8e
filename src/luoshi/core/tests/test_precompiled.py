"""The grants query compiled once per process (``core.precompiled``): the same rows as the ORM
query it replaces, read fresh on every call, and compiled only once."""

from __future__ import annotations

from unittest import mock

import pytest
from django.contrib.auth import get_user_model

from luoshi.core import authz
from luoshi.core.precompiled import Precompiled
from luoshi.orgs.models import Membership, OrgUnit


def orm_grants(user) -> list[authz.Grant]:
    return [authz.Grant(*row) for row in authz._membership_rows(user.pk)]


def test_every_users_grants_equal_the_orm_querys_in_the_same_order(world):
    users = list(get_user_model().objects.filter(is_active=True).order_by("pk"))
    several = next(u for u in users if orm_grants(u))
    units = list(OrgUnit.objects.filter(is_active=True).order_by("-path")[:3])
    for unit, role in zip(units, ("viewer", "reporter", "planner"), strict=True):
        Membership.objects.get_or_create(user=several, unit=unit, role=role, defaults={"covers_below": role != "viewer"})
    assert len(orm_grants(several)) >= 3
    for user in users:
        user = type(user).objects.get(pk=user.pk)
        assert authz.grants(user) == orm_grants(user), user.username
        assert all(type(g.covers_below) is bool for g in authz.grants(user))


def test_the_grants_are_read_fresh_for_every_user_object(world):
    user = get_user_model().objects.filter(memberships__isnull=False).distinct().order_by("pk").first()
    before = authz.grants(type(user).objects.get(pk=user.pk))
    Membership.objects.filter(user=user).delete()
    assert before and authz.grants(type(user).objects.get(pk=user.pk)) == []


def test_a_deactivated_unit_drops_out_at_once(world):
    membership = Membership.objects.select_related("user", "unit").order_by("pk").first()
    OrgUnit.objects.filter(pk=membership.unit_id).update(is_active=False)
    grants = authz.grants(type(membership.user).objects.get(pk=membership.user_id))
    assert membership.unit_id not in {g.unit_id for g in grants}


def test_the_query_is_compiled_once_and_run_once_per_user(world, django_assert_num_queries):
    users = list(get_user_model().objects.filter(memberships__isnull=False).distinct().order_by("pk")[:3])
    query = authz._grants_query()
    query._compiled.clear()
    with mock.patch.object(Precompiled, "compile", autospec=True, side_effect=Precompiled.compile) as compiled, \
            django_assert_num_queries(len(users)):
        for user in users:
            authz.grants(user)
            authz.grants(user)
    assert compiled.call_count == 1


def test_a_sentinel_that_is_not_a_parameter_is_refused(world):
    query = Precompiled(Membership, lambda user_id: Membership.objects.filter(pk=1).values_list("pk"), user_id=-5)
    with pytest.raises(ValueError, match="user_id"):
        query.rows(user_id=3)
