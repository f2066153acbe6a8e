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


def _fields(obj) -> dict:
    """Every loaded field of ``obj`` (deferred ones left out) and where it was loaded from."""
    loaded = obj.get_deferred_fields()
    return {"model": type(obj), "db": obj._state.db, "adding": obj._state.adding,
            **{f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields if f.attname not in loaded}}


def test_objects_equal_the_querysets_instances_with_related_objects_and_annotations(world):
    """``objects`` makes what iterating the queryset makes: the same instances, field for field
    (time stamps as aware datetimes, booleans as bools on SQLite too), the same deferred fields,
    the ``select_related`` objects and the annotations."""
    from django.db.models import F, Value
    from django.db.models.functions import Concat

    from luoshi.plans.models import PlanItem
    from luoshi.plans.tests.conftest import build_small_plan

    build_small_plan(world)
    build_small_plan(world, status="draft")

    def build(plan_id):
        return (PlanItem.objects.filter(plan_id=plan_id).select_related("lead_unit", "plan__issuer")
                .defer("description").annotate(label=Concat(F("code"), Value(" "), F("title"))).order_by("path"))

    query = Precompiled(PlanItem, build, plan_id=-4_417)
    plans = list(PlanItem.objects.values_list("plan_id", flat=True).distinct().order_by("plan_id"))
    assert len(plans) >= 2
    for plan_id in plans:
        mine, theirs = query.objects(plan_id=plan_id), list(build(plan_id))
        assert theirs and len(mine) == len(theirs)
        for a, b in zip(mine, theirs, strict=True):
            assert _fields(a) == _fields(b) and a.get_deferred_fields() == b.get_deferred_fields() == {"description"}
            assert a.label == b.label == f"{b.code} {b.title}"
            assert _fields(a.lead_unit) == _fields(b.lead_unit) and type(a.lead_unit.is_active) is bool
            assert _fields(a.plan) == _fields(b.plan) and _fields(a.plan.issuer) == _fields(b.plan.issuer)
            assert a.created_at.tzinfo is not None
    assert query.objects(plan_id=-1) == []


def test_objects_refuses_a_query_of_values(world):
    query = Precompiled(Membership, lambda user_id: Membership.objects.filter(user_id=user_id).values_list("pk"), user_id=-5)
    with pytest.raises(TypeError):
        query.objects(user_id=3)
