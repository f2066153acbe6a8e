"""What an audit record holds (issue 13, mutation testing of ``audit/services.py``): the
snapshot shown as "before" and "after", the unit path that decides which auditors see the
record, who acted, and the object's name as the trail lists it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType

from luoshi.audit import services as audit
from luoshi.audit.models import AuditRecord
from luoshi.core.context import batch
from luoshi.orgs import services as org_services
from luoshi.orgs.models import OrgGroup
from luoshi.plans import services as plan_services
from luoshi.plans.tests.conftest import build_small_plan

pytestmark = pytest.mark.django_db


def _created(obj) -> AuditRecord:
    return AuditRecord.objects.get(content_type=ContentType.objects.get_for_model(obj.__class__),
                                   object_id=str(obj.pk), action="create")


def test_a_snapshot_holds_the_fields_as_shown_without_the_excluded_ones(world):
    small = build_small_plan(world)
    item = small.beijing
    item.co_owners.set([world.unit("310000"), world.unit("110101")])
    item.refresh_from_db()
    shot = audit.snapshot(item)
    # derived and noisy fields stay out of the trail
    assert not {"path", "depth", "progress", "light", "child_count", "created_at", "updated_at"} & set(shot)
    # the fields after an excluded one are all there, foreign keys as ids, values JSON-safe
    assert shot["title"] == "北京：推进学前教育普及普惠"
    assert shot["lead_unit"] == world.unit("110000").pk and shot["plan"] == small.plan.pk
    assert shot["due_date"] == "2025-12-31" and Decimal(shot["weight"]) == 2
    assert shot["version"] == item.version
    # many-to-many sets as sorted ids
    assert shot["co_owners"] == sorted([world.unit("310000").pk, world.unit("110101").pk])


def test_a_snapshot_of_a_model_with_the_default_exclusions_keeps_its_other_fields(world):
    unit = org_services.create_unit(world.admin, code="SNAP1", name="快照学校", type="school", parent=world.unit("110101"))
    shot = audit.snapshot(unit)
    assert "created_at" not in shot and "updated_at" not in shot
    assert shot["code"] == "SNAP1" and shot["name"] == "快照学校" and shot["parent"] == world.unit("110101").pk
    assert _created(unit).after == shot


def test_an_unsaved_object_is_snapshot_without_its_many_to_many_sets(world):
    small = build_small_plan(world, status="draft")
    from luoshi.plans.models import PlanItem

    unsaved = PlanItem(plan=small.plan, title="未保存", lead_unit=world.unit("110000"), due_date=date(2025, 1, 1))
    shot = audit.snapshot(unsaved)
    assert shot["title"] == "未保存" and shot["id"] is None
    assert "co_owners" not in shot


def test_the_record_of_a_draft_items_change_is_scoped_by_the_issuer_and_of_a_published_one_by_its_lead_unit(world):
    small = build_small_plan(world, status="draft")
    assert _created(small.beijing).unit_path == world.unit("MOE").path
    plan_services.set_plan_status(world.user("ministry_planner"), small.plan, "published")
    plan_services.update_item(world.user("ministry_planner"), small.beijing, {"title": "北京：修订"})
    record = AuditRecord.objects.filter(object_id=str(small.beijing.pk), action="update",
                                        content_type__model="planitem").first()
    assert record.unit_path == world.unit("110000").path


def test_an_invitation_is_recorded_with_all_its_fields_and_no_unit_path(world):
    # Invitations declare neither exclusions nor a scope (the inviter must learn nothing of the person)
    from luoshi.orgs.models import Invitation

    answer = org_services.add_or_invite(world.shanghai_admin, username="beijing_reporter", unit=world.unit("310101"),
                                        role="viewer")
    assert answer == "invited"
    invitation = Invitation.objects.get(user=world.beijing_reporter)
    record = _created(invitation)
    assert record.unit_path == ""
    assert record.after == audit.snapshot(invitation)
    assert record.after["state"] == "pending" and record.after["unit"] == world.unit("310101").pk
    assert record.after["created_at"] and record.after["invited_by"] == world.shanghai_admin.pk


def test_a_record_follows_the_scope_path_of_its_object(world):
    unit = world.unit("110101")
    membership = org_services.add_membership(world.beijing_admin, user=world.beijing_reporter, unit=unit, role="viewer")
    assert _created(membership).unit_path == unit.path                    # Membership: unit__path
    school = org_services.create_unit(world.admin, code="SNAP2", name="路径学校", type="school", parent=unit)
    assert _created(school).unit_path == school.path and school.path.startswith(unit.path)  # OrgUnit: path


def test_a_record_of_an_object_outside_every_unit_has_an_empty_path(world):
    from luoshi.accounts import services as account_services

    user = account_services.create_user(world.admin, username="pathless", password=None)
    assert _created(user).unit_path == ""                                 # no scope_field at all
    # an object whose scope path runs into an empty link (a group not yet given its owning unit)
    entry = audit.build(world.admin, "create", OrgGroup(code="G-NONE", name="未定"), None, None)
    assert entry.unit_path == ""


def test_a_record_names_its_actor_or_the_system(world):
    unit = world.unit("110101")
    by_admin = audit.build(world.admin, "update", unit, None, None)
    assert by_admin.actor == world.admin and by_admin.actor_username == "admin"
    for nobody in (None, AnonymousUser()):
        entry = audit.build(nobody, "update", unit, None, None)
        assert entry.actor is None and entry.actor_username == "system"
        assert entry.verb == ""   # (the records of bulk writes are built without a verb)


def test_a_record_keeps_the_action_detail_object_and_batch(world):
    unit = world.unit("110101")
    unit.name = "长" * 300   # (in memory only) a name longer than the trail's column
    with batch("cli") as opened:
        entry = audit.record(world.admin, "update", unit, {"name": "东城区"}, {"name": unit.name}, verb="rename")
    stored = AuditRecord.objects.get(pk=entry.pk)
    assert (stored.action, stored.verb, stored.object_id) == ("update", "rename", str(unit.pk))
    assert stored.object_repr == str(unit)[:255] and len(stored.object_repr) == 255
    assert stored.content_type == ContentType.objects.get_for_model(unit.__class__)
    assert stored.before == {"name": "东城区"} and stored.after == {"name": unit.name}
    assert (stored.batch_id, stored.source) == (opened.batch_id, "cli")


def test_many_records_are_stored_at_once(world):
    units = [world.unit("110101"), world.unit("110102")]
    before = AuditRecord.objects.count()
    with batch("import") as opened:
        audit.record_many(audit.build(world.admin, "update", u, None, None, verb="import") for u in units)
    stored = AuditRecord.objects.filter(batch_id=opened.batch_id)
    assert AuditRecord.objects.count() == before + 2
    assert sorted(stored.values_list("object_id", flat=True)) == sorted(str(u.pk) for u in units)
    assert set(stored.values_list("source", "verb")) == {("import", "import")}
