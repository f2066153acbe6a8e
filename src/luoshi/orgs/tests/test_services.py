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


# Adding or inviting -----------------------------------------------------------------------------

def _outsider(world, unit_code="310101"):
    """A person with a role in 上海 only: outside 北京's admin's units."""
    person = _person(world)
    services.add_membership(world.admin, user=person, unit=world.unit(unit_code), role="viewer")
    return person


def test_someone_in_scope_is_added_by_their_trimmed_username_once(world):
    from django.core.exceptions import ValidationError

    from luoshi.audit.models import AuditRecord
    from luoshi.orgs.models import Membership

    person = _person(world)  # created by the superuser, no membership yet: the admin reaches them through …
    services.add_membership(world.admin, user=person, unit=world.unit("110102"), role="viewer")  # … a role in 北京
    assert services.add_or_invite(world.beijing_admin, username=f"  {person.username} ", unit=world.unit("110101"),
                                  role="planner", covers_below=False) == "added"
    membership = Membership.objects.get(user=person, unit=world.unit("110101"))
    assert (membership.role, membership.covers_below) == ("planner", False)
    record = AuditRecord.objects.get(content_type__model="membership", object_id=str(membership.pk), action="create")
    assert record.actor == world.beijing_admin
    with pytest.raises(ValidationError) as refusal:
        services.add_or_invite(world.beijing_admin, username=person.username, unit=world.unit("110101"), role="planner")
    assert refusal.value.messages == [f"{person.username} already holds this role here."]
    assert services.add_or_invite(world.beijing_admin, username=person.username, unit=world.unit("110101"),
                                  role="reporter") == "added"


def test_an_outsider_is_invited_once_with_the_role_and_reach_asked_and_an_inactive_one_not_at_all(world):
    from django.contrib.auth import get_user_model

    from luoshi.audit.models import AuditRecord
    from luoshi.orgs.models import Invitation, Membership

    outsider = _outsider(world)
    answer = services.add_or_invite(world.beijing_admin, username=outsider.username, unit=world.unit("110101"),
                                    role="planner", covers_below=False)
    assert answer == "invited"
    invitation = Invitation.objects.get(user=outsider)
    assert (invitation.unit, invitation.role, invitation.covers_below, invitation.invited_by, invitation.state) == (
        world.unit("110101"), "planner", False, world.beijing_admin, "pending")
    assert AuditRecord.objects.get(content_type__model="invitation", object_id=str(invitation.pk)).actor == world.beijing_admin
    assert not Membership.objects.filter(user=outsider, unit=world.unit("110101")).exists()
    for _again in range(2):
        assert services.add_or_invite(world.beijing_admin, username=outsider.username, unit=world.unit("110101"),
                                      role="planner") == "invited"
    assert Invitation.objects.filter(user=outsider).count() == 1
    assert services.add_or_invite(world.beijing_admin, username=outsider.username, unit=world.unit("110101"),
                                  role="viewer") == "invited"  # another role: another invitation
    assert Invitation.objects.filter(user=outsider).count() == 2
    inactive = _outsider(world)
    get_user_model().objects.filter(pk=inactive.pk).update(is_active=False)
    assert services.add_or_invite(world.beijing_admin, username=inactive.username, unit=world.unit("110101"),
                                  role="viewer") == "invited"
    assert not Invitation.objects.filter(user=inactive).exists()


def test_an_accepted_invitation_gives_the_role_as_the_inviter_and_is_answered_once(world):
    from django.core.exceptions import ValidationError

    from luoshi.audit.models import AuditRecord
    from luoshi.orgs.models import Invitation

    outsider = _outsider(world)
    services.add_or_invite(world.beijing_admin, username=outsider.username, unit=world.unit("110101"), role="planner",
                           covers_below=False)
    invitation = Invitation.objects.get(user=outsider)
    membership = services.decide_invitation(outsider, invitation, accept=True)
    assert (membership.user, membership.unit, membership.role, membership.covers_below) == (
        outsider, world.unit("110101"), "planner", False)
    created = AuditRecord.objects.get(content_type__model="membership", object_id=str(membership.pk), action="create")
    assert created.actor == world.beijing_admin
    invitation.refresh_from_db()
    assert (invitation.state, invitation.decided_by, invitation.version) == ("accepted", outsider, 2)
    assert invitation.decided_at is not None
    decided = AuditRecord.objects.get(content_type__model="invitation", object_id=str(invitation.pk), action="update")
    assert (decided.verb, decided.actor, decided.before["state"], decided.after["state"]) == (
        "accept", outsider, "pending", "accepted")
    with pytest.raises(ValidationError) as refusal:
        services.decide_invitation(outsider, invitation, accept=False)
    assert refusal.value.messages == ["This invitation was already answered."]


def test_a_declined_invitation_gives_nothing_and_one_for_a_role_held_meanwhile_gives_nothing_twice(world):
    from luoshi.audit.models import AuditRecord
    from luoshi.orgs.models import Invitation, Membership

    outsider = _outsider(world)
    for role in ("planner", "viewer"):
        services.add_or_invite(world.beijing_admin, username=outsider.username, unit=world.unit("110101"), role=role)
    declined, accepted = Invitation.objects.get(user=outsider, role="planner"), Invitation.objects.get(user=outsider, role="viewer")
    assert services.decide_invitation(world.shanghai_admin, declined, accept=False) is None
    declined.refresh_from_db()
    assert (declined.state, declined.decided_by) == ("declined", world.shanghai_admin)
    assert AuditRecord.objects.get(content_type__model="invitation", object_id=str(declined.pk), action="update").verb == "decline"
    services.add_membership(world.admin, user=outsider, unit=world.unit("110101"), role="viewer")
    assert services.decide_invitation(outsider, accepted, accept=True) is None
    assert Membership.objects.filter(user=outsider, unit=world.unit("110101")).count() == 1
    assert Invitation.objects.get(pk=accepted.pk).state == "accepted"


def test_an_invitation_whose_inviter_is_gone_is_accepted_in_the_name_of_who_answers(world):
    from luoshi.audit.models import AuditRecord
    from luoshi.orgs.models import Invitation

    outsider = _outsider(world)
    services.add_or_invite(world.beijing_admin, username=outsider.username, unit=world.unit("110101"), role="viewer")
    Invitation.objects.filter(user=outsider).update(invited_by=None)  # the inviter's account was deleted
    membership = services.decide_invitation(outsider, Invitation.objects.get(user=outsider), accept=True)
    assert AuditRecord.objects.get(content_type__model="membership", object_id=str(membership.pk), action="create").actor == outsider


# Groups ------------------------------------------------------------------------------------------

def test_a_groups_edit_keeps_the_members_the_editor_cannot_see_and_refuses_adding_one(world):
    from django.core.exceptions import ValidationError

    from luoshi.audit.models import AuditRecord

    group = services.create_group(world.admin, code=_code(), name="跨省组", owner=world.unit("110000"), description="说明",
                                  members=[world.unit("110101"), world.unit("310101")])
    huangpu = world.unit("310104")
    with pytest.raises(ValidationError) as refusal:
        services.update_group(world.beijing_admin, group, {"members": [world.unit("110102"), huangpu]})
    assert refusal.value.message_dict == {"members": [f"Unit {huangpu.code} is outside your scope."]}
    with pytest.raises(ValidationError) as refusal:
        services.create_group(world.beijing_admin, code=_code(), name="新组", owner=world.unit("110000"), members=[huangpu])
    assert refusal.value.message_dict == {"members": [f"Unit {huangpu.code} is outside your scope."]}
    new_code = _code()
    services.update_group(world.beijing_admin, group, {"code": new_code, "name": "改名组", "description": "新说明",
                                                       "members": [world.unit("110102")]}, expected_version=group.version)
    group.refresh_from_db()
    assert (group.code, group.name, group.description, group.version) == (new_code, "改名组", "新说明", 2)
    assert sorted(m.code for m in group.members.all()) == ["110102", "310101"]
    record = AuditRecord.objects.filter(content_type__model="orggroup", object_id=str(group.pk), action="update").get()
    assert record.actor == world.beijing_admin and record.after["name"] == "改名组"
    services.update_group(world.beijing_admin, group, {"name": "改名组", "owner": world.unit("110000")})
    assert AuditRecord.objects.filter(content_type__model="orggroup", object_id=str(group.pk), action="update").count() == 1


def test_a_group_moves_only_to_an_owner_where_the_editor_may_add_groups(world):
    from django.http import Http404

    group = services.create_group(world.admin, code=_code(), name="北京组", owner=world.unit("110101"))
    with pytest.raises((PermissionDenied, Http404)):
        services.update_group(world.beijing_admin, group, {"owner": world.unit("MOE")})
    services.update_group(world.beijing_admin, group, {"owner": world.unit("110102")})
    group.refresh_from_db()
    assert group.owner == world.unit("110102")


def test_a_deleted_group_is_recorded_with_what_it_was(world):
    from luoshi.audit.models import AuditRecord
    from luoshi.orgs.models import OrgGroup

    group = services.create_group(world.admin, code=_code(), name="将删除的组", owner=world.unit("110101"),
                                  members=[world.unit("110101")])
    pk = group.pk
    services.delete_group(world.beijing_admin, group)
    assert not OrgGroup.objects.filter(pk=pk).exists()
    record = AuditRecord.objects.get(content_type__model="orggroup", object_id=str(pk), action="delete")
    assert (record.actor, record.before["name"], record.before["members"], record.after) == (
        world.beijing_admin, "将删除的组", [world.unit("110101").pk], None)


# Units and the grants they change -----------------------------------------------------------------

def test_a_unit_is_created_as_asked_and_recorded(world):
    from luoshi.audit.models import AuditRecord

    parent = world.unit("110101")
    unit = services.create_unit(world.beijing_admin, code=_code(), name="新学校", type="school", parent=parent,
                                short_name="新校", is_active=False)
    stored = OrgUnit.objects.get(pk=unit.pk)
    assert (stored.name, stored.short_name, stored.type, stored.is_active, stored.parent, stored.depth, stored.path) == (
        "新学校", "新校", "school", False, parent, parent.depth + 1, f"{parent.path}{unit.pk}/")
    record = AuditRecord.objects.get(content_type__model="orgunit", object_id=str(unit.pk))
    assert (record.action, record.actor, record.before, record.after["short_name"], record.after["is_active"]) == (
        "create", world.beijing_admin, None, "新校", False)


def test_a_unit_edit_changes_only_its_fields_moves_it_and_refuses_a_stale_copy(world):
    from luoshi.audit.models import AuditRecord
    from luoshi.core.services import EditConflict

    unit = services.create_unit(world.admin, code=_code(), name="学校", type="school", parent=world.unit("110101"))
    target = world.unit("110102")
    services.update_unit(world.beijing_admin, unit, {"name": "改名学校", "parent": target, "depth": 9, "path": "/x/",
                                                     "version": 40}, expected_version=unit.version)
    stored = OrgUnit.objects.get(pk=unit.pk)
    assert (stored.name, stored.parent, stored.depth, stored.path, stored.version) == (
        "改名学校", target, target.depth + 1, f"{target.path}{unit.pk}/", 3)  # moved (+1), then renamed (+1)
    records = AuditRecord.objects.filter(content_type__model="orgunit", object_id=str(unit.pk), action="update").order_by("id")
    assert [(r.verb, r.actor) for r in records] == [("move", world.beijing_admin), ("", world.beijing_admin)]
    assert records[0].before["parent"] == world.unit("110101").pk and records[0].after["parent"] == target.pk
    with pytest.raises(EditConflict):
        services.update_unit(world.beijing_admin, unit, {"name": "再改"}, expected_version=1)
    assert OrgUnit.objects.get(pk=unit.pk).name == "改名学校"


def test_a_new_or_removed_role_counts_at_once_for_the_person_it_concerns(world):
    from luoshi.core import authz

    person, unit = _person(world), world.unit("110101")
    assert not authz.can(person, "view", unit)  # grants read now and kept on the object
    membership = services.add_membership(world.admin, user=person, unit=unit, role="viewer")
    assert authz.can(person, "view", unit)
    services.remove_membership(world.beijing_admin, membership)
    assert not authz.can(person, "view", unit)
