"""The helpers every domain's services use (issue 13, mutation testing of ``core/services.py``):
a stale edit refused with what changed meanwhile, a save that changes nothing leaving no trace,
the version counter, the audit records of create, update and delete, and the refusals of
missing versions and explicit nulls."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from luoshi.audit.models import AuditRecord
from luoshi.core import services as core
from luoshi.orgs import services as org_services
from luoshi.orgs.models import OrgUnit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def _records(unit: OrgUnit):
    return AuditRecord.objects.filter(content_type__model="orgunit", object_id=str(unit.pk)).order_by("id")


def _school(world, code="CORE1", name="核心学校") -> OrgUnit:
    return org_services.create_unit(world.admin, code=code, name=name, type="school", parent=world.unit("110101"))


def test_a_stale_edit_is_refused_naming_the_versions_and_the_fields_changed_meanwhile(world):
    school = _school(world)
    org_services.update_unit(world.admin, school, {"name": "核心学校（一）"}, expected_version=1)
    org_services.update_unit(world.admin, school, {"short_name": "核心"}, expected_version=2)
    stale = OrgUnit.objects.get(pk=school.pk)
    with pytest.raises(core.EditConflict) as caught:
        core.check_version(stale, 2)
    conflict = caught.value
    # the newest change is the one shown, not the first
    assert conflict.changes == [("short_name", "", "核心")]
    assert conflict.obj == stale and conflict.expected == 2
    assert str(conflict) == ("核心学校（一） was changed by someone else since you opened it (version 2 → 3; "
                             "changed: short_name). Reload and apply your edit again.")
    # the refused write left the unit as it was
    with pytest.raises(core.EditConflict):
        org_services.update_unit(world.admin, school, {"name": "覆盖"}, expected_version=2)
    assert OrgUnit.objects.get(pk=school.pk).name == "核心学校（一）"


def test_the_change_shown_in_a_conflict_is_the_latest_in_time_then_the_latest_made(world, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    school = _school(world)
    # (as if the second change's clock were behind the first's)
    monkeypatch.setattr(timezone, "now", lambda: now + timedelta(minutes=5))
    org_services.update_unit(world.admin, school, {"name": "五分钟后"})
    monkeypatch.setattr(timezone, "now", lambda: now)
    org_services.update_unit(world.admin, school, {"short_name": "现在"})
    with pytest.raises(core.EditConflict) as caught:
        core.check_version(OrgUnit.objects.get(pk=school.pk), 1)
    assert [name for name, _old, _new in caught.value.changes] == ["name"]

    # of two changes recorded at the same moment, the one made later
    other = _school(world, code="CORE4", name="同时学校")
    org_services.update_unit(world.admin, other, {"short_name": "同时"})
    org_services.update_unit(world.admin, other, {"name": "同时的名字"})
    assert len({r.timestamp for r in _records(other).filter(action="update")}) == 1
    with pytest.raises(core.EditConflict) as caught:
        core.check_version(OrgUnit.objects.get(pk=other.pk), 1)
    assert caught.value.changes == [("name", "同时学校", "同时的名字")]


def test_a_conflict_shows_the_changes_of_the_object_itself_not_of_another_kind_with_the_same_id(world):
    from luoshi.orgs.models import Membership

    membership = Membership.objects.filter(pk__in=OrgUnit.objects.values("pk"), role="reporter").select_related("unit").first()
    unit = OrgUnit.objects.get(pk=membership.pk)   # a unit and a membership with the same id
    version = unit.version
    org_services.update_unit(world.admin, unit, {"short_name": "同号"})
    org_services.update_membership(world.admin, membership, {"role": "viewer"})
    with pytest.raises(core.EditConflict) as caught:
        core.check_version(OrgUnit.objects.get(pk=unit.pk), version)
    assert [name for name, _old, _new in caught.value.changes] == ["short_name"]


def test_a_conflict_lists_every_field_changed_meanwhile(world):
    school = _school(world)
    org_services.update_unit(world.admin, school, {"name": "核心学校（二）", "short_name": "二"}, expected_version=1)
    with pytest.raises(core.EditConflict) as caught:
        core.check_version(OrgUnit.objects.get(pk=school.pk), 1)
    assert "(version 1 → 2; changed: name, short_name)" in str(caught.value)


def test_the_current_version_or_none_passes_and_a_version_as_text_is_compared_as_a_number(world):
    school = _school(world)
    core.check_version(school, None)
    core.check_version(school, 1)
    core.check_version(school, "1")
    with pytest.raises(core.EditConflict) as caught:
        core.check_version(school, "0")
    assert caught.value.expected == 0


def test_a_conflict_on_an_object_without_a_trail_says_no_visible_fields_changed(world):
    school = _school(world)
    bare = OrgUnit.objects.create(code="CORE-BARE", name="无记录", type="school", parent=school, path=school.path + "x/")
    OrgUnit.objects.filter(pk=bare.pk).update(version=4)
    bare.refresh_from_db()
    with pytest.raises(core.EditConflict) as caught:
        core.check_version(bare, 3)
    assert caught.value.changes == []
    assert "(version 3 → 4; changed: no visible fields)" in str(caught.value)


def test_a_missing_version_is_refused_naming_the_field():
    with pytest.raises(ValidationError) as caught:
        core.require_version(None)
    assert list(caught.value.message_dict) == ["version"]
    assert caught.value.message_dict["version"] == [
        "Send the version of the object you read (its \"version\" field); without it the change could overwrite "
        "someone else's."]
    assert core.require_version(0) == 0 and core.require_version(7) == 7


def test_an_explicit_null_is_refused_for_each_field_that_cannot_be_empty():
    core.refuse_nulls({"name": "x", "note": None}, nullable=("note",))
    core.refuse_nulls({})
    with pytest.raises(ValidationError) as caught:
        core.refuse_nulls({"name": None, "code": "X", "note": None, "due": None}, nullable=("note",))
    assert sorted(caught.value.message_dict) == ["due", "name"]
    assert caught.value.message_dict["name"] == ['This field cannot be null; send a value (an empty text is "").']


def test_an_audited_change_bumps_the_version_and_records_before_and_after(world):
    school = _school(world)
    assert core.apply_changes(world.admin, school, {"short_name": "核"}, expected_version=1, verb="rename") is True
    stored = OrgUnit.objects.get(pk=school.pk)
    assert (stored.short_name, stored.version) == ("核", 2)
    record = _records(school).last()
    assert (record.action, record.verb, record.actor) == ("update", "rename", world.admin)
    assert record.before["short_name"] == "" and record.before["version"] == 1
    assert record.after["short_name"] == "核" and record.after["version"] == 2
    assert record.changed_fields() == [("short_name", "", "核")]


def test_a_change_that_changes_nothing_is_neither_saved_nor_recorded(world):
    school = _school(world)
    count = _records(school).count()
    assert core.apply_changes(world.admin, school, {"name": "核心学校"}) is False
    assert OrgUnit.objects.get(pk=school.pk).version == 1 and _records(school).count() == count


def test_an_invalid_change_is_refused_and_nothing_is_stored(world):
    school = _school(world)
    with pytest.raises(ValidationError) as caught:
        core.apply_changes(world.admin, school, {"name": ""})
    assert "name" in caught.value.message_dict
    stored = OrgUnit.objects.get(pk=school.pk)
    assert (stored.name, stored.version) == ("核心学校", 1) and _records(school).count() == 1


def test_a_stale_change_is_refused_before_anything_is_set(world):
    school = _school(world)
    core.apply_changes(world.admin, school, {"short_name": "一"})
    stale = OrgUnit.objects.get(pk=school.pk)
    stale.version = 2
    with pytest.raises(core.EditConflict):
        core.apply_changes(world.admin, stale, {"short_name": "二"}, expected_version=1)
    assert OrgUnit.objects.get(pk=school.pk).short_name == "一" and _records(school).count() == 2


def test_a_version_counter_left_empty_counts_from_nothing(world):
    school = _school(world)
    before = {**core.audit.snapshot(school)}
    school.version = None
    school.short_name = "空"
    assert core.save_if_changed(world.admin, school, before) is True
    assert OrgUnit.objects.get(pk=school.pk).version == 1
    assert _records(school).last().after["version"] == 1


def test_a_change_the_snapshot_cannot_show_is_saved_versioned_and_recorded_when_the_caller_says_so(world):
    """A field the audit leaves out (``audit_exclude``) changes no snapshot; the caller who changed
    one says so (``unseen_change``), and it is saved like any change."""
    school = _school(world)
    version, records = school.version, _records(school).count()
    before = core.audit.snapshot(school)
    assert core.save_if_changed(world.admin, school, before, "edit") is False
    assert (OrgUnit.objects.get(pk=school.pk).version, _records(school).count()) == (version, records)
    assert core.save_if_changed(world.admin, school, before, "edit", unseen_change=True) is True
    assert OrgUnit.objects.get(pk=school.pk).version == version + 1
    record = _records(school).last()
    assert (record.action, record.verb, record.actor, record.before) == ("update", "edit", world.admin, before)
    assert record.after == {**before, "version": version + 1}


def test_a_create_is_validated_and_recorded_with_its_fields(world):
    with pytest.raises(ValidationError):
        core.create(world.admin, OrgUnit(code="bad code!", name="", type="school", parent=world.unit("110101")))
    assert not OrgUnit.objects.filter(code="bad code!").exists()
    unit = OrgUnit(code="CORE2", name="新建学校", type="school", parent=world.unit("110101"))
    assert core.create(world.admin, unit, verb="import") is unit and unit.pk
    record = _records(unit).get()
    assert (record.action, record.verb, record.before, record.actor) == ("create", "import", None, world.admin)
    assert record.after["code"] == "CORE2" and record.after["name"] == "新建学校"


def test_a_delete_is_recorded_with_what_was_deleted(world):
    school = _school(world)
    pk = school.pk
    core.delete(world.admin, school, verb="cleanup")
    assert not OrgUnit.objects.filter(pk=pk).exists()
    record = AuditRecord.objects.filter(content_type__model="orgunit", object_id=str(pk)).order_by("id").last()
    assert (record.action, record.verb, record.after, record.actor) == ("delete", "cleanup", None, world.admin)
    assert record.before["code"] == "CORE1" and record.before["name"] == "核心学校"


def test_writes_without_a_detail_record_none(world):
    """Most writes name no detail (verb): the trail then shows the action alone."""
    unit = OrgUnit(code="CORE3", name="无细节", type="school", parent=world.unit("110101"))
    core.create(world.admin, unit)
    core.apply_changes(world.admin, unit, {"short_name": "无"})
    before = core.audit.snapshot(unit)
    unit.short_name = "无二"
    core.save_if_changed(world.admin, unit, before)
    pk = unit.pk
    core.delete(world.admin, unit)
    records = AuditRecord.objects.filter(content_type__model="orgunit", object_id=str(pk)).order_by("id")
    assert [(r.action, r.verb) for r in records] == [("create", ""), ("update", ""), ("update", ""), ("delete", "")]
