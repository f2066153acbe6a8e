"""orgs/services.py: cases its mutation run showed nobody checked (issue 13)."""

from __future__ import annotations

import uuid

import pytest
from django.core.exceptions import PermissionDenied

from luoshi.orgs import services
from luoshi.orgs.models import OrgUnit


def _code() -> str:
    return "T" + uuid.uuid4().hex[:10].upper()


def test_only_a_superuser_creates_a_top_level_unit_and_an_admin_is_told_why(world):
    code = _code()
    top = services.create_unit(world.admin, code=code, name="新的顶级单位", type="ministry")
    assert top.parent is None and OrgUnit.objects.get(code=code).depth == 0
    refused = _code()
    with pytest.raises(PermissionDenied) as refusal:
        services.create_unit(world.beijing_admin, code=refused, name="越级单位", type="ministry")
    assert str(refusal.value) == "Only a superuser can create a top-level unit."
    assert not OrgUnit.objects.filter(code=refused).exists()


def test_only_a_superuser_moves_a_unit_to_the_top_level(world):
    school = services.create_unit(world.admin, code=_code(), name="测试学校", type="school",
                                  parent=world.unit("110101"))
    with pytest.raises(PermissionDenied) as refusal:
        services.update_unit(world.beijing_admin, school, {"parent": None})
    assert str(refusal.value) == "Only a superuser can create a top-level unit."
    services.update_unit(world.admin, school, {"parent": None})
    school.refresh_from_db()
    assert school.parent is None and school.depth == 0


def test_a_unit_with_members_only_or_groups_only_is_not_deleted_and_the_refusal_names_it(world):
    from django.core.exceptions import ValidationError

    from luoshi.accounts import services as account_services

    school = services.create_unit(world.admin, code=_code(), name="有成员的学校", type="school",
                                  parent=world.unit("110101"))
    person = account_services.create_user(world.admin, username="u" + uuid.uuid4().hex[:10], password=None)
    services.add_membership(world.admin, user=person, unit=school, role="viewer")
    with pytest.raises(ValidationError) as refusal:
        services.delete_unit(world.admin, school)
    assert refusal.value.messages == [f"{school} still has units, members or groups; deactivate it instead."]
    assert OrgUnit.objects.filter(pk=school.pk).exists()


def test_a_membership_changed_to_cover_the_units_below_keeps_the_change(world):
    from luoshi.accounts import services as account_services

    person = account_services.create_user(world.admin, username="u" + uuid.uuid4().hex[:10], password=None)
    membership = services.add_membership(world.admin, user=person, unit=world.unit("110000"), role="viewer",
                                         covers_below=False)
    services.update_membership(world.admin, membership, {"covers_below": True})
    membership.refresh_from_db()
    assert membership.covers_below is True



def _person(world):
    from luoshi.accounts import services as account_services

    return account_services.create_user(world.admin, username="u" + uuid.uuid4().hex[:10], password=None)


def test_a_membership_changed_from_a_stale_copy_is_refused_and_kept(world):
    from luoshi.core.services import EditConflict

    membership = services.add_membership(world.admin, user=_person(world), unit=world.unit("110101"), role="viewer")
    stale = membership.version
    services.update_membership(world.beijing_admin, membership, {"role": "reporter"}, expected_version=stale)
    with pytest.raises(EditConflict) as conflict:
        services.update_membership(world.beijing_admin, membership, {"role": "planner"}, expected_version=stale)
    membership.refresh_from_db()
    assert str(conflict.value) == (f"{membership} was changed by someone else since you opened it (version {stale} → "
                                   f"{stale + 1}; changed: role). Reload and apply your edit again.")
    assert (membership.role, membership.version) == ("reporter", stale + 1)


def test_an_admin_of_one_unit_only_changes_no_membership_into_one_reaching_further_than_theirs(world):
    """An administrator whose own role does not cover the units below may edit the memberships of
    their unit, but a change keeps the membership's other half: changing only the reach of an
    administrator's membership, or only the role of one that covers the units below, is an
    appointment they cannot make."""
    unit = world.unit("110000")
    local = _person(world)
    services.add_membership(world.admin, user=local, unit=unit, role="admin", covers_below=False)
    other_admin = services.add_membership(world.admin, user=_person(world), unit=unit, role="admin", covers_below=False)
    wide_viewer = services.add_membership(world.admin, user=_person(world), unit=unit, role="viewer", covers_below=True)
    narrow_viewer = services.add_membership(world.admin, user=_person(world), unit=unit, role="viewer", covers_below=False)
    with pytest.raises(PermissionDenied) as refusal:
        services.update_membership(local, other_admin, {"covers_below": False})
    assert str(refusal.value) == "You cannot appoint an administrator there."
    with pytest.raises(PermissionDenied) as refusal:
        services.update_membership(local, wide_viewer, {"role": "reporter"})
    assert str(refusal.value) == "You cannot give a role covering the units below, which you do not administer."
    services.update_membership(local, narrow_viewer, {"role": "reporter"})
    for membership, expected in ((other_admin, ("admin", False)), (wide_viewer, ("viewer", True)),
                                 (narrow_viewer, ("reporter", False))):
        membership.refresh_from_db()
        assert (membership.role, membership.covers_below) == expected


def test_a_deleted_units_groups_and_its_own_deletion_are_recorded_as_the_deleters(world):
    from luoshi.audit.models import AuditRecord
    from luoshi.orgs.models import OrgGroup

    school = services.create_unit(world.admin, code=_code(), name="将撤销的学校", type="school", parent=world.unit("110101"))
    groups = [services.create_group(world.admin, code=_code(), name=f"测试组{n}", owner=world.unit("110000"),
                                    members=[school, world.unit("110102")]) for n in range(2)]
    services.delete_unit(world.beijing_admin, school)
    assert not OrgUnit.objects.filter(pk=school.pk).exists()
    for group in groups:
        record = AuditRecord.objects.get(content_type__model="orggroup", object_id=str(group.pk), action="update")
        assert (record.actor, record.after["members"]) == (world.beijing_admin, [world.unit("110102").pk])
        assert list(OrgGroup.objects.get(pk=group.pk).members.all()) == [world.unit("110102")]
    deleted = AuditRecord.objects.get(content_type__model="orgunit", object_id=str(school.pk), action="delete")
    assert deleted.actor == world.beijing_admin and deleted.before["code"] == school.code


def test_a_unit_owning_a_group_is_not_deleted(world):
    from django.core.exceptions import ValidationError

    school = services.create_unit(world.admin, code=_code(), name="有组的学校", type="school", parent=world.unit("110101"))
    services.create_group(world.admin, code=_code(), name="学校的组", owner=school)
    with pytest.raises(ValidationError) as refusal:
        services.delete_unit(world.admin, school)
    assert refusal.value.messages == [f"{school} still has units, members or groups; deactivate it instead."]
    parent = world.unit("110101")
    with pytest.raises(ValidationError) as refusal:
        services.delete_unit(world.admin, parent)
    assert refusal.value.messages == [f"{parent} still has units, members or groups; deactivate it instead."]
