"""Scope rules found in the security review: an import cannot probe for hidden items, an edit
keeps what the editor cannot see, and notifications go only to those who can open what they name."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from luoshi.accounts import services as account_services
from luoshi.core.tabular import TableError, read_table
from luoshi.orgs import services as org_services
from luoshi.plans import reminders, services
from luoshi.plans.models import Notification, PlanItem

COLUMNS, OPTIONAL = services.ITEM_COLUMNS, services.ITEM_OPTIONAL


def _rows(*lines: str):
    text = ",".join(COLUMNS) + "\n" + "\n".join(lines) + "\n"
    return read_table(text.encode(), "items.csv", COLUMNS, OPTIONAL)


def _import_errors(user, plan, *lines: str) -> list[tuple[str, str]]:
    with pytest.raises(TableError) as caught:
        services.import_items(user, plan, _rows(*lines), "items.csv")
    return [(e.field, e.message) for e in caught.value.errors]


def _user_with(world, code: str, role: str, covers_below: bool):
    user = account_services.create_user(world.admin, username="u" + uuid.uuid4().hex[:10], password=None)
    org_services.add_membership(world.admin, user=user, unit=world.unit(code), role=role, covers_below=covers_below)
    return user


def test_an_import_answers_alike_for_hidden_and_missing_parents(world, small):
    planner = world.user("shanghai_planner")
    hidden = _import_errors(planner, small.plan, f"9,{small.dongcheng.code},measure,子项,310101,2025-06-30")
    missing = _import_errors(planner, small.plan, "9,9.9.9,measure,子项,310101,2025-06-30")
    assert [m.replace(small.dongcheng.code, "X") for _f, m in hidden] == [m.replace("9.9.9", "X") for _f, m in missing]


def test_an_import_row_never_matches_a_hidden_item(world, small):
    # 上海 breaks its part down with a code that 北京's hidden 东城区 item also has: a new item.
    planner = world.user("shanghai_planner")
    result = services.import_items(planner, small.plan, _rows(f"{small.dongcheng.code},{small.shanghai.code},measure,黄浦区落实,310101,2025-06-30"),
                                   "items.csv")
    assert result == {"created": 1, "updated": 0}
    dongcheng = PlanItem.objects.get(pk=small.dongcheng.pk)
    assert (dongcheng.title, dongcheng.parent_id) == ("东城区落实", small.beijing.pk)


def test_an_edit_keeps_the_co_owners_the_editor_cannot_assign(world, small):
    u = world.unit
    services.update_item(world.user("ministry_planner"), small.dongcheng, {"co_owners": [u("110102"), u("310101")]})
    # 北京's planner sees only 北京's units in the choice list; the form sends what they chose.
    services.update_item(world.user("beijing_planner"), small.dongcheng, {"co_owners": [u("110105")]})
    codes = set(PlanItem.objects.get(pk=small.dongcheng.pk).co_owners.values_list("code", flat=True))
    assert codes == {"110105", "310101"}


def test_a_submission_is_announced_only_to_reviewers_who_can_open_it(world, small):
    unit_only = _user_with(world, "110000", "reviewer", covers_below=False)  # cannot see 东城区's report
    reporter = world.user("beijing_reporter")
    report = services.save_report(reporter, small.dongcheng, world.unit("110101"), "2024-Q1", {"status": "on_track", "percent": 10})
    services.submit_report(reporter, report)
    told = set(Notification.objects.filter(kind="submitted", item_id=small.dongcheng.pk).values_list("user__username", flat=True))
    assert "beijing_reviewer" in told and unit_only.username not in told


def test_an_escalation_goes_only_to_those_who_can_see_the_item(world):
    planner = world.user("beijing_planner")
    plan = services.create_plan(planner, title="北京规划", issuer=world.unit("110000"), start_year=2024, end_year=2024)
    item = services.add_item(planner, plan, title="北京自办事项", lead_unit=world.unit("110000"), due_date=date(2024, 3, 31))
    services.set_plan_status(planner, plan, "published")
    unit_only = _user_with(world, "MOE", "reviewer", covers_below=False)  # 教育部 itself: 北京's items are not theirs
    reminders.send_reminders(date(2024, 3, 31) + timedelta(days=20), reminders.ReminderSettings())
    told = set(Notification.objects.filter(kind="escalation", item=item).values_list("user__username", flat=True))
    assert "ministry_reviewer" in told and unit_only.username not in told
