""""My work" reads its three lists in two queries (``queries.my_work_lists``): they must be the
groups of ``queries.my_work`` — same items, same order, same paging — for every user and page."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from luoshi.plans import queries, services
from luoshi.plans.views import LIST_FIELDS


@pytest.mark.parametrize("page_size", [1, 2, 50])
def test_my_work_lists_are_the_groups_of_my_work(world, small, page_size):
    today = date(2025, 6, 20)
    planner = world.user("ministry_planner")
    for n, due in enumerate([today - timedelta(days=3), today, today + timedelta(days=10), today + timedelta(days=90),
                             None, today - timedelta(days=40)]):
        services.add_item(planner, small.plan, parent=small.measure, title=f"北京：第{n}项", lead_unit=world.unit("110000"),
                          due_date=due, start_date=date(2024, 1, 1))
    services.add_item(planner, small.plan, parent=small.measure, title="上海牵头，北京协办", lead_unit=world.unit("310000"),
                      co_owners=[world.unit("110000")], due_date=today + timedelta(days=5), start_date=date(2024, 1, 1))
    checked = 0
    for user in world.users.values():
        groups = queries.my_work(user, today=today)
        expected = {key: list(qs.values_list("pk", flat=True)) for key, qs in groups.items()}
        pages = max(1, -(-len(expected["others"]) // page_size))
        for page in [*range(1, pages + 1), "x", pages + 5]:
            overdue, due_soon, others = queries.my_work_lists(user, page, page_size, LIST_FIELDS, today=today)
            assert [i.pk for i in overdue] == expected["overdue"][:page_size], user.username
            assert [i.pk for i in due_soon] == expected["due_soon"][:page_size], user.username
            start = (others.number - 1) * page_size
            assert [i.pk for i in others] == expected["others"][start:start + page_size], (user.username, page)
            assert others.paginator.count == len(expected["others"])
            checked += len(overdue) + len(due_soon) + len(others)
            for item in [*overdue, *due_soon, *others]:
                item.plan.title, item.lead_unit.display_name  # loaded with the rows (no deferred field read)
    assert checked
    beijing = queries.my_work(world.user("beijing_reporter"), today=today)
    assert beijing["overdue"].count() >= 2 and beijing["due_soon"].count() >= 2 and beijing["others"].count() >= 2


@pytest.mark.parametrize("per_page", [1, 2, 5, 50])
def test_a_first_page_read_without_count_is_the_paginators_page(world, small, per_page, django_assert_max_num_queries):
    from django.core.paginator import Paginator

    from luoshi.plans.models import PlanItem
    from luoshi.plans.views import _get_page

    qs = PlanItem.objects.filter(plan=small.plan).order_by("path")
    total = qs.count()
    for number in (None, "", "1", "2", "x", "99"):
        expected = Paginator(qs, per_page).get_page(number)
        if number in (None, "", "1") and total <= per_page:
            with django_assert_max_num_queries(1):  # the rows only, no COUNT
                got = _get_page(qs, per_page, number)
                assert got.paginator.count == total
        got = _get_page(qs, per_page, number)
        assert [i.pk for i in got] == [i.pk for i in expected], number
        assert (got.number, got.paginator.count, got.paginator.num_pages, got.has_next(), got.has_previous(),
                got.start_index(), got.end_index()) == \
            (expected.number, expected.paginator.count, expected.paginator.num_pages, expected.has_next(),
             expected.has_previous(), expected.start_index(), expected.end_index()), number


def test_main_pages_query_counts_stay_down(world, small, login, django_assert_max_num_queries):
    """Queries per page after the load work (2026-12-03): a later change that adds one shows here."""
    budgets = {"/": 8, "/plans/my-work/": 6, f"/plans/{small.plan.pk}/": 11, f"/plans/{small.plan.pk}/?light=grey": 12,
               "/plans/supervision/": 7}
    for username in ("ministry_planner", "beijing_reporter"):
        client = login(username)
        for url in budgets:
            client.get(url)  # warm: badge counts cached, session read
        for url, budget in budgets.items():
            with django_assert_max_num_queries(budget):
                assert client.get(url).status_code == 200, url
