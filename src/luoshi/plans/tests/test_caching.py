"""What the load work caches must never show an old answer: the navigation badges follow every
write that changes them, a revoked grant takes effect on the next request, and the per-request
memo of a plan's item scope lives for one reading request only."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import transaction

from luoshi.core import badges
from luoshi.core.testing.fixtures import ENGLISH
from luoshi.orgs import services as org_services
from luoshi.orgs.models import Membership
from luoshi.plans import services
from luoshi.plans.models import Plan, PlanItem

DATA = {"status": "on_track", "percent": Decimal(40), "achievements": "完成园所布局调研。"}


def _badge(client, testid: str) -> int:
    page = client.get("/").content.decode()
    found = re.search(rf'data-testid="{testid}"><span class="visually-hidden">\(</span>(\d+)', page)
    return int(found.group(1)) if found else 0


def test_the_review_badge_counts_a_report_submitted_after_it_was_cached(world, small, login):
    reviewer = login("ministry_reviewer")
    before = _badge(reviewer, "review-count")
    assert _badge(reviewer, "review-count") == before  # served from the cache now
    report = services.save_report(world.user("beijing_reporter"), small.beijing, world.unit("110000"), "2024-Q1", DATA)
    services.submit_report(world.user("beijing_reporter"), report)
    assert _badge(reviewer, "review-count") == before + 1
    services.approve_report(world.user("ministry_reviewer"), report)
    assert _badge(reviewer, "review-count") == before


def test_the_unread_badge_follows_new_and_read_notifications(world, small, login):
    reporter = login("beijing_reporter")
    before = _badge(reporter, "unread-count")
    report = services.save_report(world.user("beijing_reporter"), small.beijing, world.unit("110000"), "2024-Q1", DATA)
    services.submit_report(world.user("beijing_reporter"), report)
    services.return_report(world.user("ministry_reviewer"), report, "请补充量化数据。")
    assert _badge(reporter, "unread-count") == before + 1
    reporter.post("/plans/notifications/read/")
    assert _badge(reporter, "unread-count") == 0


def test_a_count_cached_inside_a_transaction_is_dropped_when_it_commits(world, small):
    user = world.user("ministry_reviewer")
    calls = []

    def compute(u):
        calls.append(1)
        return {"reviews": len(calls), "unread": 0}

    with transaction.atomic():
        badges.changed()
        assert badges.nav_counts(user, compute)["reviews"] == 1  # computed before the commit …
        assert badges.nav_counts(user, compute)["reviews"] == 1
    # (a test transaction never commits, so run the commit hook as a real commit would)
    badges._new_generation()
    assert badges.nav_counts(user, compute)["reviews"] == 2  # … and not reused after it


def test_a_revoked_grant_takes_effect_on_the_next_request(world, small, login):
    reporter = login("beijing_reporter")
    url = f"/plans/{small.plan.pk}/items/{small.beijing.pk}/"
    assert reporter.get(url).status_code == 200
    assert reporter.get(f"/plans/{small.plan.pk}/").status_code == 200
    for membership in Membership.objects.filter(user=world.user("beijing_reporter")):
        org_services.remove_membership(world.user("admin"), membership)
    assert reporter.get(url).status_code == 404
    assert small.beijing.title not in reporter.get(f"/plans/{small.plan.pk}/?q=北京").content.decode()


def test_a_granted_unit_shows_its_items_on_the_next_request(world, small, login):
    client = login("shanghai_reporter")
    page = client.get(f"/plans/{small.plan.pk}/?q=北京", **ENGLISH).content.decode()
    assert small.beijing.title not in page
    org_services.add_membership(world.user("admin"), user=world.user("shanghai_reporter"), unit=world.unit("110000"),
                                role="reporter")
    page = client.get(f"/plans/{small.plan.pk}/?q=北京", **ENGLISH).content.decode()
    assert small.beijing.title in page


def test_the_item_scope_is_memoised_within_one_reading_request_only(world, small):
    from luoshi.core.context import read_memo
    from luoshi.plans import queries

    user = world.user("beijing_reporter")
    with read_memo():
        first = set(queries.items(user, small.plan).values_list("pk", flat=True))
        extra = services.add_item(world.user("ministry_planner"), small.plan, parent=small.measure, title="北京：新增",
                                  lead_unit=world.unit("110000"))
        # within one reading request the visible ids are a snapshot, read once …
        assert set(queries.items(user, small.plan).values_list("pk", flat=True)) == first
    # … and the next request reads them again
    assert set(queries.items(user, small.plan).values_list("pk", flat=True)) == first | {extra.pk}
    assert PlanItem.objects.filter(pk=extra.pk).exists()


@pytest.mark.parametrize("max_ids", [2000, 0])
def test_a_plans_items_as_ids_are_what_the_scope_selects(world, small, max_ids, monkeypatch):
    """``queries.items`` filters a plan's items by the ids ``authz.scope_pks`` read once (or, above
    ``MAX_SCOPE_IDS``, by the scope filter): for every user, on a published and a draft plan, in and
    out of a reading request, it selects exactly what ``authz.scope`` selects."""
    from luoshi.core import authz
    from luoshi.core.context import read_memo
    from luoshi.plans import queries

    monkeypatch.setattr(queries, "MAX_SCOPE_IDS", max_ids)
    draft = services.create_plan(world.user("ministry_planner"), title="草案规划", issuer=world.unit("MOE"),
                                 start_year=2025, end_year=2025)
    services.add_item(world.user("ministry_planner"), draft, title="草案：北京", lead_unit=world.unit("110000"))
    services.add_item(world.user("beijing_planner"), small.plan, parent=small.dongcheng, title="东城区：细化",
                      lead_unit=world.unit("110101"))
    seen_some = False
    for plan in (small.plan, draft):
        plan = Plan.objects.select_related("issuer").get(pk=plan.pk)
        for user in world.users.values():
            expected = set(authz.scope(user, PlanItem.objects.filter(plan=plan)).values_list("pk", flat=True))
            assert set(queries.items(user, plan).values_list("pk", flat=True)) == expected, (user.username, plan.status)
            with read_memo():
                assert set(queries.items(user, plan).values_list("pk", flat=True)) == expected
                assert set(queries.items(user, plan).filter(light="grey").values_list("pk", flat=True)) == \
                    {pk for pk in expected if PlanItem.objects.get(pk=pk).light == "grey"}
            seen_some = seen_some or (0 < len(expected) < PlanItem.objects.filter(plan=plan).count())
    assert seen_some  # some user sees part of a plan (the case the ids are for)


def test_scope_pks_selects_what_scope_selects_for_every_action(world, small):
    from luoshi.core import authz

    base = PlanItem.objects.filter(plan=small.plan)
    for user in world.users.values():
        for action in ("view", "change", "delete", "add"):
            pks = authz.scope_pks(user, base, action)
            got = set(base.values_list("pk", flat=True)) if pks is None else set(base.filter(pk__in=pks).values_list("pk", flat=True))
            assert got == set(authz.scope(user, base, action).values_list("pk", flat=True)), (user.username, action)


def test_plan_checks_decided_from_the_grants_agree_with_the_scope_query(world, small, django_assert_num_queries):
    """``authz.can`` on a plan answers from the grants when one covers the issuer (no query): for
    every user and action, on a published and a draft plan, it must say what the scope query says."""
    from luoshi.core import authz
    from luoshi.plans.models import Plan

    draft = services.create_plan(world.user("ministry_planner"), title="草案规划", issuer=world.unit("MOE"),
                                 start_year=2025, end_year=2025)
    # a published plan 北京 sees only as a co-owner of one item, and a draft with such an item
    co_owned = services.create_plan(world.user("ministry_planner"), title="协办规划", issuer=world.unit("MOE"),
                                    start_year=2025, end_year=2025)
    services.add_item(world.user("ministry_planner"), co_owned, title="上海牵头，北京协办", lead_unit=world.unit("310000"),
                      co_owners=[world.unit("110000")])
    services.add_item(world.user("ministry_planner"), draft, title="草案：北京协办", lead_unit=world.unit("310000"),
                      co_owners=[world.unit("110000")])
    services.set_plan_status(world.user("ministry_planner"), co_owned, Plan.Status.PUBLISHED)
    assert authz.can(world.user("beijing_reporter"), "view", Plan.objects.select_related("issuer").get(pk=co_owned.pk))
    for plan in (small.plan, draft, co_owned):
        plan = Plan.objects.select_related("issuer").get(pk=plan.pk)
        for user in world.users.values():
            for action in ("view", "change", "delete", "publish"):
                expected = authz.scope(user, Plan, action).filter(pk=plan.pk).exists()
                assert authz.can(user, action, plan) is expected, (user.username, action, plan.status)
    plan = Plan.objects.select_related("issuer").get(pk=small.plan.pk)
    planner, other = world.user("ministry_planner"), world.user("beijing_planner")
    authz.grants(planner), authz.grants(other)  # loaded once per request by the first check
    with django_assert_num_queries(0):
        assert authz.can(planner, "view", plan) and authz.can(planner, "change", plan) and authz.can(planner, "publish", plan)
        assert not authz.can(other, "change", plan) and not authz.can(other, "publish", plan)


def test_a_revoked_grant_empties_supervision_on_the_next_request(world, small, login):
    reporter = login("beijing_reporter")
    assert small.beijing.title in reporter.get("/plans/supervision/", **ENGLISH).content.decode()  # overdue: shown
    for membership in Membership.objects.filter(user=world.user("beijing_reporter")):
        org_services.remove_membership(world.user("admin"), membership)
    assert small.beijing.title not in reporter.get("/plans/supervision/", **ENGLISH).content.decode()


@pytest.mark.parametrize("max_ids", [2000, 0])
def test_supervision_by_ids_lists_what_the_scope_selects(world, small, max_ids, monkeypatch):
    from datetime import date

    from luoshi.core import authz
    from luoshi.core.context import read_memo
    from luoshi.plans import queries

    monkeypatch.setattr(queries, "MAX_SCOPE_IDS", max_ids)
    today = date(2026, 1, 1)  # every item of the small plan is overdue then
    published = PlanItem.objects.filter(plan__status="published")
    for user in world.users.values():
        expected = set(authz.scope(user, published).exclude(light="done").values_list("pk", flat=True))
        with read_memo():
            assert set(queries.supervision(user, today=today).values_list("pk", flat=True)) == expected, user.username
            assert set(queries.supervision(user, today=today).values_list("pk", flat=True)) == expected


def test_expand_toggles_known_from_the_scope_agree_with_the_query(world, small):
    """Within a reading request ``mark_expandable`` answers from the visible items' paths (no query);
    for every user and item it must offer the toggle exactly when a child is visible to them."""
    from luoshi.core.context import read_memo
    from luoshi.plans import queries

    services.add_item(world.user("ministry_planner"), small.plan, parent=small.shanghai, title="上海：细化",
                      lead_unit=world.unit("310000"))
    plan = Plan.objects.select_related("issuer").get(pk=small.plan.pk)
    every = list(PlanItem.objects.filter(plan=plan))
    for user in world.users.values():
        visible = set(queries.items(user, plan).values_list("pk", flat=True))
        expected = {i.pk for i in every if i.pk in visible and visible & {c.pk for c in every if c.parent_id == i.pk}}
        with read_memo():
            rows = queries.mark_expandable(user, plan, [i for i in PlanItem.objects.filter(plan=plan) if i.pk in visible])
        assert {i.pk for i in rows if i.expandable} == expected, user.username
    # 北京's reporter sees 北京's part and the items above it, never 上海's: the measure (parent of
    # both) opens, 上海's item does not appear, 北京's item opens onto 东城区
    reporter = world.user("beijing_reporter")
    with read_memo():
        rows = queries.mark_expandable(reporter, plan, list(queries.items(reporter, plan)))
    opens = {i.pk for i in rows if i.expandable}
    assert small.measure.pk in opens and small.beijing.pk in opens and small.shanghai.pk not in {i.pk for i in rows}
