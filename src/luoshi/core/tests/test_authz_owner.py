"""core/authz.py, ``can()`` for the models with their own rule (issue 13, mutation testing).

Plans name their issuer's path (``authz_owner_path``): a grant on it answers every action from
the grants already loaded, with no query; only viewing falls back to the model's rule (the units
holding a published plan's items). Plans, plan items and pilot programmes answer for one object
through ``authz_can``. Each test says what a user may do with one object, and for the shortcut
how many queries the answer costs (the plan and programme pages ask it for every row).
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from luoshi.core import authz
from luoshi.plans import services as plan_services
from luoshi.plans.models import Plan, PlanItem


def fresh(user):
    """The user as the next request would load it, with the grants read (one query, here)."""
    user = type(user).objects.get(pk=user.pk)
    authz.grants(user)
    return user


def loaded_plan(plan) -> Plan:
    """The plan as a list page loads it: with its issuer (``select_related``)."""
    return Plan.objects.select_related("issuer").get(pk=plan.pk)


@pytest.fixture
def small(world):
    from luoshi.plans.tests.conftest import build_small_plan

    return build_small_plan(world)


def test_the_issuers_planner_may_do_everything_to_a_plan_without_a_query(world, small, django_assert_num_queries):
    planner = fresh(world.user("ministry_planner"))  # planner @ 教育部, the issuer
    plan = loaded_plan(small.plan)
    with django_assert_num_queries(0):
        assert [authz.can(planner, action, plan) for action in ("view", "change", "delete", "publish")] == [True] * 4
    reviewer = fresh(world.user("ministry_reviewer"))  # at the issuer too, but reviewers do not plan
    with django_assert_num_queries(0):
        assert authz.can(reviewer, "view", plan)
        assert not authz.can(reviewer, "change", plan)
        assert not authz.can(reviewer, "publish", plan)


def test_a_unit_holding_an_item_of_a_published_plan_sees_it_but_may_not_change_it(world, small):
    """北京 leads an item of the ministry's published plan: its planner sees the plan (the
    issuer's path alone would hide it) but may not change, delete or publish it (403)."""
    beijing = fresh(world.user("beijing_planner"))
    plan = loaded_plan(small.plan)
    assert authz.can(beijing, "view", plan)
    assert [authz.can(beijing, action, plan) for action in ("change", "delete", "publish")] == [False] * 3
    authz.require(beijing, "view", plan)
    with pytest.raises(PermissionDenied, match="'change'"):
        authz.require(beijing, "change", plan)
    assert authz.get_or_404(beijing, Plan, pk=plan.pk) == plan


def test_a_draft_plan_is_its_issuers_alone(world):
    from luoshi.plans.tests.conftest import build_small_plan

    draft = loaded_plan(build_small_plan(world, status="draft").plan)
    assert authz.can(fresh(world.user("ministry_planner")), "change", draft)
    for username in ("beijing_planner", "beijing_reporter", "shanghai_planner"):
        user = fresh(world.user(username))
        assert not authz.can(user, "view", draft), username
        assert not authz.can(user, "change", draft), username
        with pytest.raises(Http404):
            authz.require(user, "change", draft)


def test_a_plan_of_beijing_is_changed_by_beijings_planners_and_nobody_beside_or_below(world):
    beijing_planner = fresh(world.user("beijing_planner"))
    plan = plan_services.create_plan(beijing_planner, title="北京 m13 规划", issuer=world.unit("110000"),
                                     start_year=2026, end_year=2027)
    plan = loaded_plan(plan)
    assert authz.can(beijing_planner, "change", plan)
    assert authz.can(fresh(world.user("beijing_admin")), "delete", plan)
    assert authz.can(fresh(world.user("ministry_planner")), "change", plan)  # the ministry covers 北京
    assert not authz.can(fresh(world.user("shanghai_planner")), "change", plan)
    assert not authz.can(fresh(world.user("shanghai_admin")), "view", plan)
    assert not authz.can(fresh(world.user("beijing_reporter")), "change", plan)
    assert authz.can(fresh(world.user("beijing_reporter")), "view", plan)


def test_someone_signed_in_without_a_membership_sees_no_plan_and_no_programme(world, small):
    from luoshi.pilots.tests.conftest import make_programme

    nobody = fresh(world.user("nobody"))
    assert not authz.can(nobody, "view", loaded_plan(small.plan))
    assert not authz.can(nobody, "view", small.beijing)
    assert not authz.can(nobody, "view", make_programme(world))


def test_a_plan_item_is_seen_by_the_units_holding_it_or_below_it_and_not_by_its_peers(world, small):
    beijing = fresh(world.user("beijing_reporter"))
    shanghai = fresh(world.user("shanghai_reporter"))
    items = {name: PlanItem.objects.get(pk=getattr(small, name).pk) for name in ("task", "measure", "beijing", "shanghai")}
    assert [authz.can(beijing, "view", items[n]) for n in ("task", "measure", "beijing", "shanghai")] == [True, True, True, False]
    assert [authz.can(shanghai, "view", items[n]) for n in ("task", "measure", "beijing", "shanghai")] == [True, True, False, True]
    assert not authz.can(beijing, "change", items["beijing"])  # reporters do not plan
    ministry = fresh(world.user("ministry_planner"))  # assigned every item
    assert all(authz.can(ministry, "change", item) for item in items.values())
    with pytest.raises(Http404):
        authz.require(shanghai, "view", items["beijing"])


def test_a_published_programme_is_seen_by_every_member_without_a_query_and_changed_by_its_owner(
        world, django_assert_num_queries):
    from luoshi.pilots.tests.conftest import make_programme

    published = make_programme(world)
    draft = make_programme(world, status="draft", title="草稿试点")
    reporter = fresh(world.user("shanghai_reporter"))
    with django_assert_num_queries(0):
        assert authz.can(reporter, "view", published)
    assert not authz.can(reporter, "change", published)
    assert not authz.can(reporter, "view", draft)
    owner = fresh(world.user("ministry_planner"))
    assert authz.can(owner, "view", draft) and authz.can(owner, "change", draft)
    assert authz.can(owner, "change", published)
    assert not authz.can(fresh(world.user("shanghai_planner")), "change", published)


def test_scope_pks_selects_what_scope_selects_and_plan_items_in_one_query(world, small, django_assert_num_queries):
    """``scope_pks`` (the plan page asks it once for several queries): the same items as ``scope``;
    for plan items one query (the model's own ``authz_scope_pks``), ancestors included."""
    from luoshi.orgs.models import OrgUnit

    items = PlanItem.objects.filter(plan=small.plan)
    reporter = fresh(world.user("beijing_reporter"))
    with django_assert_num_queries(1):
        pks = authz.scope_pks(reporter, items)
    visible = {small.task.pk, small.measure.pk, small.beijing.pk, small.dongcheng.pk}
    assert set(items.filter(pk__in=pks).values_list("pk", flat=True)) == visible
    assert set(authz.scope(reporter, items).values_list("pk", flat=True)) == visible
    planner = fresh(world.user("beijing_planner"))  # 北京 assigned 东城区's item only
    assert set(items.filter(pk__in=authz.scope_pks(planner, items, "change")).values_list("pk", flat=True)) == {small.dongcheng.pk}
    assert authz.scope_pks(reporter, items, "change") == set()  # reporters do not plan
    assert authz.scope_pks(fresh(world.user("nobody")), items) == set()
    assert authz.scope_pks(fresh(world.admin), items) is None
    units = authz.scope_pks(reporter, OrgUnit)
    assert units == set(authz.scope(reporter, OrgUnit).values_list("pk", flat=True))
    assert world.unit("110101").pk in units and world.unit("310000").pk not in units
    assert authz.scope_pks(reporter, OrgUnit, "change") == set()  # reporters administer no unit


def test_a_solution_is_read_where_it_came_from_and_changed_only_by_its_owners_planners(world):
    """Solutions scope through ``authz_scope_q`` (no single-object rule): the owning unit's
    scope may read and change a draft; a unit it names as a source may read it, not change it."""
    from luoshi.library.tests import factories

    draft = factories.solution(world, world.unit("310000"))
    draft.source_units.add(world.unit("110000"))
    owner = fresh(world.user("shanghai_planner"))
    assert authz.can(owner, "view", draft) and authz.can(owner, "change", draft)
    reviewer = fresh(world.user("shanghai_reviewer"))  # in the owner's scope, but reviewers do not write solutions
    assert authz.can(reviewer, "view", draft) and not authz.can(reviewer, "change", draft)
    source = fresh(world.user("beijing_planner"))  # 北京 is named as a source unit
    assert authz.can(source, "view", draft)
    assert not authz.can(source, "change", draft)
    assert not authz.can(fresh(world.user("nobody")), "view", draft)


def test_a_shared_row_is_answered_without_a_query(world, django_assert_num_queries):
    """A nationally promoted solution is readable by everyone signed in: ``can`` says so from the
    row itself (``PUBLIC_READ``), with no query, also for a user without any membership."""
    from luoshi.library.tests import factories

    national = factories.solution(world, world.unit("310000"), status="national")
    for username in ("nobody", "beijing_reporter"):
        user = fresh(world.user(username))
        with django_assert_num_queries(0):
            assert authz.can(user, "view", national)
