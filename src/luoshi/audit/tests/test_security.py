"""Scope rules found in the security review: the audit trail shows an auditor only the records
of objects they could see when the change was made (a draft plan is its issuer's alone)."""

from __future__ import annotations

from luoshi.audit import queries
from luoshi.audit.models import AuditRecord
from luoshi.core import authz
from luoshi.plans import services as plan_services
from luoshi.plans.tests.conftest import build_small_plan


def _item_records(user, *items):
    return queries.search(user).filter(content_type__model="planitem", object_id__in=[str(i.pk) for i in items])


def test_it_keeps_the_records_of_a_draft_plans_items_within_the_issuers_scope(world, login):
    small = build_small_plan(world, status="draft")
    auditor = world.user("beijing_auditor")
    assert not authz.can(auditor, "view", small.beijing)  # a draft is 教育部's own until published
    assert not _item_records(auditor, small.beijing, small.dongcheng).exists()
    record = AuditRecord.objects.get(content_type__model="planitem", object_id=str(small.dongcheng.pk), action="create")
    assert login("beijing_auditor").get(f"/audit/{record.pk}/").status_code == 404
    assert _item_records(world.user("auditor"), small.beijing, small.dongcheng).count() == 2  # 教育部's auditor

    plan_services.set_plan_status(world.user("ministry_planner"), small.plan, "published")
    plan_services.update_item(world.user("beijing_planner"), small.dongcheng, {"title": "东城区落实（修订）"})
    assert list(_item_records(auditor, small.beijing, small.dongcheng).values_list("action", flat=True)) == ["update"]
