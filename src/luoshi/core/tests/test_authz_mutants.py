"""core/authz.py, rule by rule: the cases mutation testing showed nobody checked (issue 13).

Each test states what a user would find: which units they see, whether a page answers 404 or
403 (and with which message), whether a choice list offers a unit. The standing world is
the demo organisation; a few tests add a user or a membership of their own.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404

from luoshi.core import authz
from luoshi.orgs import services as org_services
from luoshi.orgs.models import Membership, OrgGroup, OrgUnit
from luoshi.plans.models import Plan

from .conftest import fresh


def codes(qs) -> set[str]:
    return set(qs.values_list("code", flat=True))


# -- grants: which memberships count ---------------------------------------------------------

def test_a_grant_covering_units_below_reaches_descendants_but_not_a_unit_whose_id_shares_the_prefix():
    grant = authz.Grant("/1/16/", True, "planner", 16)
    assert grant.covers("/1/16/")
    assert grant.covers("/1/16/200/")
    assert not grant.covers("/1/160/")
    assert not grant.covers("/1/")


def test_a_grant_for_one_unit_only_reaches_that_unit():
    grant = authz.Grant("/1/16/", False, "planner", 16)
    assert grant.covers("/1/16/")
    assert not grant.covers("/1/16/200/")
    assert not grant.covers("/1/160/")


def test_nobody_signed_out_or_deactivated_holds_a_grant(world, person):
    assert authz.grants(AnonymousUser()) == []
    assert not authz.has_any_role(AnonymousUser(), "viewer")
    user, grant = person
    user = grant("110000", "viewer")
    assert [g.role for g in authz.grants(user)] == ["viewer"]
    user.is_active = False
    user.save()
    user = fresh(user)
    assert authz.grants(user) == []
    assert not authz.can(user, "view", world.unit("110000"))
    assert not authz.scope(user, OrgUnit).exists()


def test_a_membership_in_a_deactivated_unit_grants_nothing(world, person):
    user, grant = person
    user = grant("110101", "planner")
    assert authz.can_in_unit(user, "add", Plan, world.unit("110101"))
    OrgUnit.objects.filter(code="110101").update(is_active=False)
    user = fresh(user)
    assert authz.grants(user) == []
    assert not authz.can_in_unit(user, "add", Plan, world.fresh_unit("110101"))
    assert not authz.has_any_role(user, "planner")


def test_grants_are_read_once_per_request_and_reread_after_forget(world, person, django_assert_num_queries):
    user, grant = person
    user = grant("110000", "reporter")
    with django_assert_num_queries(1):
        first = authz.grants(user)
        again = authz.grants(user)
    assert first == again and [g.role for g in first] == ["reporter"]
    Membership.objects.create(user=user, unit=world.unit("310000"), role="reporter")
    assert len(authz.grants(user)) == 1  # still the same request
    authz.forget(user)
    assert sorted(g.unit_id for g in authz.grants(user)) == sorted(
        [world.unit("110000").pk, world.unit("310000").pk])
    authz.forget(user)
    authz.forget(user)  # forgetting twice is harmless


def test_an_inactive_superuser_is_not_unrestricted(world):
    admin = fresh(world.admin)
    assert authz.is_unrestricted(admin)
    assert authz.has_any_role(admin, "viewer")
    admin.is_active = False
    assert not authz.is_unrestricted(admin)
    assert not authz.can(admin, "view", world.unit("110000"))
    assert not authz.is_unrestricted(AnonymousUser())


# -- scope: what a user sees -----------------------------------------------------------------

def test_a_grant_for_one_unit_shows_that_unit_and_its_ancestors_but_no_unit_below_or_beside(world, person):
    user, grant = person
    user = grant("110000", "viewer", covers_below=False)
    seen = codes(authz.scope(user, OrgUnit))
    assert "110000" in seen and "MOE" in seen
    assert "110101" not in seen and "310000" not in seen
    assert authz.can(user, "view", world.unit("MOE"))  # the ancestor, by name
    assert not authz.can(user, "change", world.unit("MOE"))
    assert not authz.can(user, "view", world.unit("110101"))
    assert not authz.can(user, "view", world.unit("310000"))


def test_a_grant_covering_units_below_shows_the_whole_branch_and_nothing_beside(world, person):
    user, grant = person
    user = grant("110000", "viewer")
    seen = codes(authz.scope(user, OrgUnit))
    assert {"110000", "110101", "110108", "MOE"} <= seen
    assert "310000" not in seen and "310101" not in seen
    assert authz.can(user, "view", world.unit("110108"))


def test_the_ancestors_are_shown_for_viewing_only(world, person):
    user, grant = person
    user = grant("110101", "admin", covers_below=False)
    assert codes(authz.scope(user, OrgUnit, "change")) == {"110101"}
    assert {"110101", "110000", "MOE"} <= codes(authz.scope(user, OrgUnit, "view"))


def test_scope_of_a_queryset_keeps_its_filter_and_a_superuser_sees_all(world, person):
    user, grant = person
    user = grant("110000", "viewer")
    provinces = OrgUnit.objects.filter(type="province")
    assert codes(authz.scope(user, provinces)) == {"110000"}
    assert authz.scope(fresh(world.admin), provinces).count() == provinces.count()
    assert authz.scope_q(fresh(world.admin), OrgUnit) is None


def test_a_role_without_the_action_sees_nothing_to_act_on(world, person):
    user, grant = person
    user = grant("110000", "viewer")
    assert not authz.scope(user, OrgUnit, "change").exists()
    assert not authz.scope(user, Plan, "add").exists()
    assert authz.allowed_roles(OrgUnit, "no-such-action") == frozenset()


def test_models_scoped_through_a_related_unit_follow_the_grant(world, person):
    user, grant = person
    group = OrgGroup.objects.filter(owner__code="MOE").first()
    user = grant("110000", "viewer")
    if group is not None:
        assert not authz.can(user, "view", group)
    membership = Membership.objects.get(user=user)
    assert authz.can(user, "view", membership)
    assert not authz.can(user, "change", membership)


# -- can / require / get_or_404: what a page answers -----------------------------------------

def test_out_of_scope_answers_404_and_a_missing_role_403_naming_the_action(world, person):
    user, grant = person
    user = grant("110000", "viewer")
    with pytest.raises(Http404):
        authz.require(user, "view", world.unit("310000"))
    with pytest.raises(PermissionDenied, match="your role does not allow 'change' here"):
        authz.require(user, "change", world.unit("110101"))
    authz.require(user, "view", world.unit("110101"))  # allowed: no exception
    authz.require(fresh(world.admin), "delete", world.unit("310000"))


def test_get_or_404_finds_in_scope_hides_out_of_scope_and_refuses_the_role(world, person):
    user, grant = person
    user = grant("110000", "viewer")
    assert authz.get_or_404(user, OrgUnit, code="110101").code == "110101"
    assert authz.get_or_404(user, OrgUnit.objects.filter(type="county"), code="110101").code == "110101"
    with pytest.raises(Http404):
        authz.get_or_404(user, OrgUnit, code="310000")
    with pytest.raises(Http404):
        authz.get_or_404(user, OrgUnit, code="no-such-unit")
    with pytest.raises(PermissionDenied, match="your role does not allow 'delete' here"):
        authz.get_or_404(user, OrgUnit, "delete", code="110101")


def test_creating_in_a_unit_answers_404_out_of_scope_and_403_naming_model_and_unit(world, person):
    user, grant = person
    user = grant("110000", "reporter")
    with pytest.raises(Http404):
        authz.require_in_unit(user, "add", Plan, world.unit("310000"))
    with pytest.raises(PermissionDenied) as refused:
        authz.require_in_unit(user, "add", Plan, world.unit("110101"))
    message = str(refused.value)
    assert "'add'" in message and str(Plan._meta.verbose_name) in message and world.unit("110101").name in message
    authz.require_in_unit(fresh(world.admin), "add", Plan, world.unit("310000"))


def test_can_in_unit_and_covers_subtree_honour_covers_below(world, person):
    user, grant = person
    user = grant("110000", "planner", covers_below=False)
    beijing, district, shanghai = world.unit("110000"), world.unit("110101"), world.unit("310000")
    assert authz.can_in_unit(user, "add", Plan, beijing)
    assert not authz.can_in_unit(user, "add", Plan, district)
    assert not authz.covers_subtree(user, "add", Plan, beijing)
    user = grant("110000", "reporter")  # a second role, covering the units below
    assert authz.can_in_unit(user, "add", Plan, beijing)
    assert not authz.can_in_unit(user, "add", Plan, district)  # reporters do not plan
    assert authz.can_in_unit(user, "submit", authz_model("plans.progressreport"), district)
    assert authz.covers_subtree(user, "submit", authz_model("plans.progressreport"), district)
    assert authz.covers_subtree(user, "submit", authz_model("plans.progressreport"), beijing)
    assert not authz.covers_subtree(user, "submit", authz_model("plans.progressreport"), shanghai)
    assert authz.covers_subtree(fresh(world.admin), "add", Plan, shanghai)


def authz_model(label: str):
    from django.apps import apps

    return apps.get_model(label)


def test_choice_lists_offer_the_units_where_the_role_reaches(world, person):
    user, grant = person
    user = grant("110000", "planner", covers_below=False)
    assert codes(authz.units_where(user, "add", Plan)) == {"110000"}
    user = grant("310000", "planner")
    offered = codes(authz.units_where(user, "add", Plan))
    assert {"110000", "310000", "310101"} <= offered
    assert "110101" not in offered and "MOE" not in offered
    OrgUnit.objects.filter(code="310101").update(is_active=False)
    assert "310101" not in codes(authz.units_where(user, "add", Plan))
    everything = authz.units_where(fresh(world.admin), "add", Plan)
    assert "310101" not in codes(everything) and everything.count() == OrgUnit.objects.filter(is_active=True).count()
    assert not authz.units_where(user, "review", authz_model("plans.progressreport")).exists()


def test_grants_q_matches_the_paths_of_any_listed_rule(world, person):
    user, grant = person
    user = grant("110000", "reporter", covers_below=False)
    user = grant("310000", "planner")
    q = authz.grants_q(user, "path", (Plan, "add"))
    assert codes(OrgUnit.objects.filter(q)) >= {"310000", "310101"} and "110000" not in codes(OrgUnit.objects.filter(q))
    both = authz.grants_q(user, "path", (Plan, "add"), (authz_model("plans.progressreport"), "submit"))
    assert "110000" in codes(OrgUnit.objects.filter(both)) and "110101" not in codes(OrgUnit.objects.filter(both))
    assert authz.grants_q(fresh(world.admin), "path", (Plan, "add")) is None


def test_has_any_role_names_the_roles_held(world, person):
    user, grant = person
    assert not authz.has_any_role(user, "viewer")
    user = grant("110000", "auditor")
    assert authz.has_any_role(user, "reviewer", "auditor")
    assert not authz.has_any_role(user, "admin", "planner")


def test_a_model_with_its_own_scope_rule_is_checked_object_by_object(world, person):
    """Plans scope through ``authz_scope_q`` (issuer, or units holding a published plan's items):
    a draft plan of 上海 is invisible to a 北京 viewer (404) while 上海's planner may edit it."""
    from luoshi.plans import services as plan_services

    shanghai_planner = fresh(world.user("shanghai_planner"))
    plan = plan_services.create_plan(shanghai_planner, title="上海 draft", issuer=world.unit("310000"),
                                     start_year=2026, end_year=2027)
    user, grant = person
    user = grant("110000", "viewer")
    assert not authz.can(user, "view", plan)
    with pytest.raises(Http404):
        authz.require(user, "view", plan)
    assert authz.can(shanghai_planner, "view", plan)
    assert authz.can(shanghai_planner, "change", plan)
    assert not authz.can(fresh(world.user("beijing_planner")), "change", plan)
    assert list(authz.scope(shanghai_planner, Plan.objects.filter(pk=plan.pk), "change")) == [plan]
    assert not authz.scope(user, Plan.objects.filter(pk=plan.pk)).exists()


def test_shared_rows_are_readable_by_every_signed_in_user_and_nothing_more(world, person):
    """``PUBLIC_READ``: a nationally promoted solution is readable by anyone signed in, even
    without a membership; a draft is not; nobody may change a shared row for being shared; a
    signed-out or deactivated user reads nothing."""
    from luoshi.library.models import Solution
    from luoshi.library.tests import factories

    national = factories.solution(world, world.unit("310000"), status="national")
    draft = factories.solution(world, world.unit("310000"))
    user, _grant = person  # no membership at all
    user = fresh(user)
    assert authz.can(user, "view", national)
    assert not authz.can(user, "view", draft)
    assert not authz.can(user, "change", national)
    authz.require(user, "view", national)
    with pytest.raises(Http404):
        authz.require(user, "view", draft)
    with pytest.raises(PermissionDenied):
        authz.require(user, "change", national)
    both = Solution.objects.filter(pk__in=[national.pk, draft.pk])
    assert list(authz.scope(user, both)) == [national]
    assert not authz.scope(user, both, "change").exists()
    beijing = grant_fresh(user, world, "110000", "viewer")
    assert list(authz.scope(beijing, both)) == [national]  # a membership elsewhere adds nothing here
    for nobody in (AnonymousUser(), deactivated(user)):
        assert not authz.can(nobody, "view", national)
        assert authz.public_q(nobody, Solution, "view") is None
    assert authz.public_q(user, Solution, "change") is None
    assert not authz.is_public(user, "change", national)
    assert authz.is_public(user, "view", national) and not authz.is_public(user, "view", draft)


def grant_fresh(user, world, code: str, role: str):
    org_services.add_membership(world.admin, user=user, unit=world.unit(code), role=role, covers_below=True)
    return fresh(user)


def deactivated(user):
    user = fresh(user)
    user.is_active = False
    return user


def test_a_refusal_names_the_action_exactly_and_in_the_readers_language(world, person):
    """The 403 text is shown to the user (page and API ``detail``): exactly, with the action's
    label translated (删除, not "delete", for a Chinese reader)."""
    from django.utils import translation

    user, grant = person
    user = grant("110000", "viewer")
    unit = world.unit("110101")
    refusals = [
        lambda: authz.require(user, "delete", unit),
        lambda: authz.get_or_404(user, OrgUnit, "delete", code="110101"),
    ]
    for refuse in refusals:
        with pytest.raises(PermissionDenied) as refused:
            refuse()
        assert str(refused.value) == "your role does not allow 'delete' here"
        with translation.override("zh-hans"), pytest.raises(PermissionDenied) as refused:
            refuse()
        assert str(refused.value) == "您的角色无权在此执行“删除”操作"
    with translation.override("zh-hans"), pytest.raises(PermissionDenied) as refused:
        authz.require_in_unit(user, "add", Plan, unit)
    assert str(refused.value) == f"您的角色无权在{unit}对规划执行“新建”操作"
    with pytest.raises(PermissionDenied) as refused:
        authz.require_in_unit(user, "add", Plan, unit)
    assert str(refused.value) == f"your role does not allow 'add' of plan in {unit}"


def test_every_grant_counts_not_only_the_last(world, person):
    """Two grants (北京 and 上海, both covering below): both branches are seen, by ``scope``
    (its default action is "view") and by ``grants_q``."""
    user, grant = person
    grant("110000", "viewer")
    user = grant("310000", "viewer")
    seen = codes(authz.scope(user, OrgUnit))
    assert {"110000", "110101", "310000", "310101"} <= seen
    assert OrgUnit.objects.filter(authz.scope_q(user, OrgUnit)).count() == len(seen)
    both = codes(OrgUnit.objects.filter(authz.grants_q(user, "path", (OrgUnit, "view"))))
    assert {"110101", "310101"} <= both and "MOE" not in both


def test_the_import_button_shows_where_a_choice_list_would_offer_a_unit(world, person):
    # has_units_where answers "would units_where offer anything?" without its query.
    from luoshi.plans.models import PlanItem, ProgressReport

    user, grant = person
    rules = [("add", Plan), ("add", PlanItem), ("review", ProgressReport), ("submit", ProgressReport)]

    def both(u):
        return [(authz.has_units_where(u, action, model), authz.units_where(u, action, model).exists())
                for action, model in rules]

    assert both(fresh(user)) == [(False, False)] * 4
    assert not authz.has_units_where(AnonymousUser(), "add", Plan)
    user = grant("110000", "planner", covers_below=False)
    answers = both(user)
    assert all(has == offered for has, offered in answers)
    assert answers[0] == (True, True) and answers[2] == (False, False)
    admin = fresh(world.admin)
    assert all(authz.has_units_where(admin, action, model) for action, model in rules)


def test_every_action_of_the_policy_has_a_label_for_its_refusal():
    """A refusal names the action by its label (see above), translated: every action POLICY
    knows has one, so no refusal falls back to the bare English action name."""
    from django.utils import translation

    actions = {action for rules in authz.POLICY.values() for action in rules}
    assert actions <= set(authz.ACTION_LABELS)
    with translation.override("zh-hans"):
        untranslated = [a for a in actions if str(authz.ACTION_LABELS[a]) == a]
    assert not untranslated


def test_a_published_plan_is_seen_by_the_units_holding_its_items_but_only_its_issuer_may_change_it(world, person):
    """``Plan.authz_scope_q`` per action: a 北京 viewer sees the ministry's published plan because
    北京 leads one of its items (the issuer's path alone would hide it), may not change it, and
    does not see the ministry's draft."""
    from luoshi.plans.tests.conftest import build_small_plan

    published = build_small_plan(world).plan
    draft = build_small_plan(world, status="draft").plan
    user, grant = person
    user = grant("110000", "viewer")
    plans = Plan.objects.filter(pk__in=[published.pk, draft.pk])
    assert list(authz.scope(user, plans)) == [published]
    assert not authz.scope(user, plans, "change").exists()
    ministry = fresh(world.user("ministry_planner"))
    assert set(authz.scope(ministry, plans, "change")) == {published, draft}


def test_an_attachment_is_readable_by_everyone_signed_in_where_its_solution_is_shared(world, person):
    """``PUBLIC_READ`` follows a path (``solution__status``): the file of a nationally promoted
    solution is readable without a membership, the file of a draft is not."""
    from luoshi.library.models import Attachment
    from luoshi.library.tests import factories

    files = {}
    for status in ("national", "draft"):
        solution = factories.solution(world, world.unit("310000"), status=status)
        files[status] = Attachment.objects.create(solution=solution, file=f"m13/{status}.pdf", name=f"{status}.pdf",
                                                  size=1, content_type="application/pdf")
    user, _grant = person
    user = fresh(user)
    assert authz.is_public(user, "view", files["national"]) and authz.can(user, "view", files["national"])
    assert not authz.is_public(user, "view", files["draft"]) and not authz.can(user, "view", files["draft"])
