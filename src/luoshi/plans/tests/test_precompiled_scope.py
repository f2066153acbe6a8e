"""The plan page's and supervision's scope questions, asked on every request, read by SQL compiled
once per process and shape of grants (``authz.PathQ.rows``): the same answers as the ORM scope
queries they stand for, for users with every mix of grants (exact units, units below, both, on
units whose paths share prefixes), and one compilation per shape, not per user or plan."""

from __future__ import annotations

from unittest import mock

from django.contrib.auth import get_user_model

from luoshi.core import authz
from luoshi.core.precompiled import Precompiled
from luoshi.orgs.models import Membership, OrgUnit
from luoshi.plans import services
from luoshi.plans.models import Plan, PlanItem


def _plans(world, small):
    """The small plan, a published plan 北京 only co-owns an item of, and a draft with such an item."""
    planner = world.user("ministry_planner")
    # below 东城's item, set by 东城 for a school of its own: out of sight of a grant on 北京
    # alone, in sight of one on 北京 and the units below
    dongcheng_planner = get_user_model().objects.create_user("dongcheng_planner", password="x-Long-enough-1")
    Membership.objects.create(user=dongcheng_planner, unit=world.unit("110101"), role="planner", covers_below=True)
    below = services.add_item(dongcheng_planner, small.plan, parent=small.dongcheng, title="北京二中：扩容",
                              lead_unit=world.unit("S110101001"))
    assert below.assigned_by == world.unit("110101")
    co_owned = services.create_plan(planner, title="协办规划", issuer=world.unit("MOE"), start_year=2025, end_year=2025)
    services.add_item(planner, co_owned, title="上海牵头，北京协办", lead_unit=world.unit("310000"), co_owners=[world.unit("110000")])
    services.set_plan_status(planner, co_owned, Plan.Status.PUBLISHED)
    draft = services.create_plan(planner, title="草案规划", issuer=world.unit("MOE"), start_year=2025, end_year=2025)
    services.add_item(planner, draft, title="草案：北京协办", lead_unit=world.unit("310000"), co_owners=[world.unit("110000")])
    return [Plan.objects.select_related("issuer").get(pk=p.pk) for p in (small.plan, co_owned, draft)]


def _mixed_user(world, name="mixed_shape", below=(False, True, True)):
    """A reporter of the deepest unit exactly and of others (北京 last) with the units below:
    grants of shapes no other test user has."""
    user = get_user_model().objects.create_user(name, password="x-Long-enough-1")
    units = list(OrgUnit.objects.filter(is_active=True).order_by("-depth", "path")[:len(below) - 1]) + [world.unit("110000")]
    for unit, covers in zip(units, below, strict=True):
        Membership.objects.create(user=user, unit=unit, role="reporter", covers_below=covers)
    return get_user_model().objects.get(pk=user.pk)


def _users(world):
    return [type(u).objects.get(pk=u.pk) for u in world.users.values()] + [
        _mixed_user(world), _mixed_user(world, "exact_only", (False,)), _mixed_user(world, "two_exact", (False, False))]


def test_a_plans_visible_items_are_the_scope_querys_for_every_user_and_plan(world, small):
    plans = _plans(world, small)
    users = _users(world)
    shapes = {tuple(g.covers_below for g in authz.PathQ(authz._grants_for(u, PlanItem, "view")).grants) for u in users}
    assert {(), (False,), (True,), (False, False), (False, True, True)} <= shapes
    for plan in plans:
        ids = set(PlanItem.objects.filter(plan=plan).values_list("pk", flat=True))
        for user in users:
            expected = set(authz.scope(user, PlanItem.objects.filter(plan=plan)).values_list("pk", flat=True))
            got = authz.scope_pks(user, PlanItem, "view", plan_id=plan.pk)
            assert (ids if got is None else got & ids) == expected, (user.username, plan.title)
            assert authz.can(user, "view", plan) is authz.scope(user, Plan).filter(pk=plan.pk).exists(), (user.username, plan.title)


def test_the_published_items_in_sight_are_the_scope_querys_for_every_user(world, small):
    _plans(world, small)
    users = _users(world)
    published = PlanItem.objects.filter(plan__status="published")
    ids = set(published.values_list("pk", flat=True))
    for user in users:
        expected = set(authz.scope(user, published).values_list("pk", flat=True))
        got = authz.scope_pks(user, PlanItem, "view", plan__status="published")
        assert (ids if got is None else got & ids) == expected, user.username


def test_one_compilation_per_shape_of_grants_not_per_user_or_plan(world, small):
    plans = _plans(world, small)
    authz._shaped.clear()
    one_unit = [type(u).objects.get(pk=u.pk) for u in (world.user("beijing_reporter"), world.user("shanghai_reporter"))]
    assert [[g.covers_below for g in authz.grants(u)] for u in one_unit] == [[True], [True]]
    with mock.patch.object(Precompiled, "compile", autospec=True, side_effect=Precompiled.compile) as compiled:
        for user in one_unit:
            for plan in plans:
                authz.scope_pks(user, PlanItem, "view", plan_id=plan.pk)
        assert compiled.call_count == 1
        authz.scope_pks(_mixed_user(world), PlanItem, "view", plan_id=plans[0].pk)
        assert compiled.call_count == 2


def test_a_unit_whose_path_starts_like_anothers_is_not_taken_for_it(world, small):
    """Grants covering units below are LIKE prefixes: ``/1/16/`` must not reach ``/1/160/``.
    Renumbering is not possible, so the check is on the SQL's parameters: the path put in for a
    grant keeps its closing slash, escaped as the ORM escapes it."""
    from django.db import connection

    query = Precompiled(OrgUnit, lambda prefix: OrgUnit.objects.filter(path__startswith=prefix).values_list("pk"),
                        prefix="/-99/")
    compiled = query.compile(connection.alias)
    assert [p for p in compiled.params if isinstance(p, str) and p.startswith("/-99/")] == ["/-99/%"]
    unit = world.unit("110000")
    assert {pk for (pk,) in query.rows(prefix=unit.path)} == set(
        OrgUnit.objects.filter(path__startswith=unit.path).values_list("pk", flat=True))


def test_a_prefix_is_escaped_as_the_orm_escapes_it(world):
    """``%`` and ``_`` in a prefix are taken literally, as the queryset takes them."""
    units = list(OrgUnit.objects.order_by("pk")[:3])
    for unit, name in zip(units, ("50%_甲", "50x_甲", "5_0乙"), strict=True):
        OrgUnit.objects.filter(pk=unit.pk).update(name=name)
    query = Precompiled(OrgUnit, lambda prefix: OrgUnit.objects.filter(name__startswith=prefix).values_list("pk"),
                        prefix="\x00prefix-sentinel")
    for prefix in ("50%_", "50%", "50", "5_", "5", "50x"):
        expected = set(OrgUnit.objects.filter(name__startswith=prefix).values_list("pk", flat=True))
        assert {pk for (pk,) in query.rows(prefix=prefix)} == expected, prefix
    assert {pk for (pk,) in query.rows(prefix="50%_")} == {units[0].pk}


def test_a_plan_held_through_an_item_led_or_co_owned_is_seen_in_one_query(world, small, django_assert_num_queries):
    """The plan page's check for the units holding its items: one query, whether the unit leads an
    item (上海 in the small plan) or only co-owns one (北京 in the second plan)."""
    small_plan, co_owned, _draft = _plans(world, small)
    for username, plan in (("shanghai_reporter", small_plan), ("beijing_reporter", co_owned)):
        user = world.user(username)
        authz.grants(user)
        with django_assert_num_queries(1):
            assert authz.can(user, "view", plan)


def test_shapes_past_the_limit_are_compiled_per_call_and_not_kept(world, small, monkeypatch):
    """At most ``_SHAPED_LIMIT`` shapes are kept: a process meeting unusual mixes of grants does
    not grow without bound; the shapes past the limit still answer, compiled on every call."""
    plans = _plans(world, small)
    monkeypatch.setattr(authz, "_SHAPED_LIMIT", 2)
    authz._shaped.clear()
    users = [world.user("beijing_reporter"), _mixed_user(world, "exact_only", (False,)), _mixed_user(world)]
    with mock.patch.object(Precompiled, "compile", autospec=True, side_effect=Precompiled.compile) as compiled:
        ids = set(PlanItem.objects.filter(plan=plans[0]).values_list("pk", flat=True))
        for _ in range(2):
            for user in users:
                expected = set(authz.scope(user, PlanItem.objects.filter(plan=plans[0])).values_list("pk", flat=True))
                assert authz.scope_pks(user, PlanItem, "view", plan_id=plans[0].pk) & ids == expected, user.username
        assert len(authz._shaped) == 2
        assert compiled.call_count == 2 + 2  # the first two shapes once, the third on each call


def test_a_text_sentinel_is_found_escaped_and_refused_when_used_otherwise(world):
    """A sentinel with LIKE's special characters is still found as a prefix (escaped as the ORM
    escapes it); one used in any other text lookup is refused when compiling, not run wrong."""
    import pytest

    OrgUnit.objects.filter(pk=world.unit("110101").pk).update(name="a_b%甲")
    prefixed = Precompiled(OrgUnit, lambda prefix: OrgUnit.objects.filter(name__startswith=prefix).values_list("pk"),
                           prefix="\x00pre_fix%")
    assert prefixed.rows(prefix="a_b%") == [(world.unit("110101").pk,)]
    for lookup in ("contains", "endswith", "icontains"):
        query = Precompiled(OrgUnit, lambda prefix, lookup=lookup: OrgUnit.objects.filter(
            **{"name__startswith": prefix, f"short_name__{lookup}": prefix}).values_list("pk"), prefix="\x00pre_fix")
        with pytest.raises(ValueError, match="prefix: the sentinel is used in a way other than"):
            query.rows(prefix="a")


def _items_of(path_q, plan_id):
    return PlanItem.objects.filter(PlanItem._direct_q(path_q), plan_id=plan_id).values_list("pk")


def _nothing_of(path_q, plan_id):
    return PlanItem.objects.filter(PlanItem._direct_q(path_q), plan_id=plan_id, pk__lt=0).values_list("pk")


def test_two_queries_under_one_name_are_kept_apart(world, small):
    """The compiled SQL is kept per query builder too, not only per name and shape."""
    path_q = authz.PathQ(authz._grants_for(world.user("beijing_reporter"), PlanItem, "view"))
    sentinel = {"plan_id": -736_201_599}
    assert path_q.rows("same-name", PlanItem, _items_of, sentinel, plan_id=small.plan.pk)
    assert path_q.rows("same-name", PlanItem, _nothing_of, sentinel, plan_id=small.plan.pk) == []
