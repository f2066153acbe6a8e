"""orgs/services.py: cases its full mutation sweep showed nobody checked (issue 13)."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied

from luoshi.accounts import services as account_services
from luoshi.audit.models import AuditRecord
from luoshi.orgs import services
from luoshi.orgs.models import Invitation, Membership, OrgGroup, OrgUnit


def _code() -> str:
    return "T" + uuid.uuid4().hex[:10].upper()


def _person(creator):
    return account_services.create_user(creator, username="u" + uuid.uuid4().hex[:10], password=None)


# Defaults of the writes ----------------------------------------------------------------------------

def test_a_unit_created_without_a_short_name_or_state_has_none_and_is_active(world):
    unit = services.create_unit(world.beijing_admin, code=_code(), name="默认学校", type="school",
                                parent=world.unit("110101"))
    stored = OrgUnit.objects.get(pk=unit.pk)
    assert (stored.short_name, stored.is_active) == ("", True)


def test_a_group_created_without_a_description_has_none(world):
    group = services.create_group(world.beijing_admin, code=_code(), name="无说明的组", owner=world.unit("110101"))
    assert OrgGroup.objects.get(pk=group.pk).description == ""


def test_a_role_given_without_saying_its_reach_covers_the_units_below(world):
    person = _person(world.admin)
    membership = services.add_membership(world.admin, user=person, unit=world.unit("110101"), role="viewer")
    assert Membership.objects.get(pk=membership.pk).covers_below is True
    assert services.add_or_invite(world.beijing_admin, username=person.username, unit=world.unit("110102"),
                                  role="viewer") == "added"  # the same role in another unit
    assert Membership.objects.get(user=person, unit=world.unit("110102")).covers_below is True
    outsider = _person(world.admin)
    services.add_membership(world.admin, user=outsider, unit=world.unit("310101"), role="viewer")
    assert services.add_or_invite(world.beijing_admin, username=outsider.username, unit=world.unit("110101"),
                                  role="viewer") == "invited"
    assert Invitation.objects.get(user=outsider).covers_below is True


# Deleting a unit ------------------------------------------------------------------------------------

def test_a_deleted_unit_is_recorded_as_leaving_each_group_it_was_in(world):
    school = services.create_unit(world.admin, code=_code(), name="将撤销的学校", type="school", parent=world.unit("110101"))
    other = world.unit("110102")
    group = services.create_group(world.admin, code=_code(), name="测试组", owner=world.unit("110000"),
                                  members=[school, other])
    services.delete_unit(world.beijing_admin, school)
    record = AuditRecord.objects.get(content_type__model="orggroup", object_id=str(group.pk), action="update")
    assert (sorted(record.before["members"]), record.after["members"]) == (sorted([school.pk, other.pk]), [other.pk])
    assert OrgGroup.objects.get(pk=group.pk).version == group.version + 1


# Who counts as someone the actor already knows -----------------------------------------------------

def test_a_superuser_adds_anyone_directly_even_an_account_another_superuser_created(world):
    other_superuser = account_services.create_user(world.admin, username="r" + uuid.uuid4().hex[:10], password=None,
                                                   is_superuser=True)
    person = _person(other_superuser)  # no membership, not created by world.admin
    membership = services.add_membership(world.admin, user=person, unit=world.unit("110101"), role="viewer")
    assert Membership.objects.filter(pk=membership.pk, user=person).exists()


def test_an_admin_adds_directly_an_account_they_created_while_a_superuser_but_no_other(world):
    former = account_services.create_user(world.admin, username="f" + uuid.uuid4().hex[:10], password=None,
                                          is_superuser=True)
    theirs = _person(former)  # created by them; no membership yet
    not_theirs = _person(world.admin)
    get_user_model().objects.filter(pk=former.pk).update(is_superuser=False, is_staff=False)
    former = get_user_model().objects.get(pk=former.pk)
    services.add_membership(world.admin, user=former, unit=world.unit("110000"), role="admin")
    former = get_user_model().objects.get(pk=former.pk)
    membership = services.add_membership(former, user=theirs, unit=world.unit("110101"), role="viewer")
    assert (membership.user, membership.unit) == (theirs, world.unit("110101"))
    with pytest.raises(PermissionDenied) as refusal:
        services.add_membership(former, user=not_theirs, unit=world.unit("110101"), role="viewer")
    assert str(refusal.value) == "This person is outside your units; invite them instead."
    assert not Membership.objects.filter(user=not_theirs).exists()


def test_creating_another_kind_of_object_with_the_same_number_does_not_make_an_account_the_admins(world):
    admin = world.beijing_admin
    unit = services.create_unit(admin, code=_code(), name="同号学校", type="school", parent=world.unit("110101"))
    User = get_user_model()
    assert not User.objects.filter(pk=unit.pk).exists()
    person = User.objects.create(pk=unit.pk, username="n" + uuid.uuid4().hex[:10])  # no membership, made by nobody
    with pytest.raises(PermissionDenied) as refusal:
        services.add_membership(admin, user=person, unit=world.unit("110101"), role="viewer")
    assert str(refusal.value) == "This person is outside your units; invite them instead."


# Appointments and invitations ------------------------------------------------------------------------

def test_an_admin_covering_the_units_below_appoints_an_administrator_there(world):
    person = _person(world.admin)
    services.add_membership(world.admin, user=person, unit=world.unit("110102"), role="viewer")
    membership = services.add_membership(world.beijing_admin, user=person, unit=world.unit("110101"), role="admin")
    stored = Membership.objects.get(pk=membership.pk)
    assert (stored.user, stored.unit, stored.role, stored.covers_below) == (person, world.unit("110101"), "admin", True)


def test_an_accepted_invitation_gives_its_role_beside_another_role_held_in_the_same_unit(world):
    outsider = _person(world.admin)
    services.add_membership(world.admin, user=outsider, unit=world.unit("310101"), role="viewer")
    services.add_or_invite(world.beijing_admin, username=outsider.username, unit=world.unit("110101"), role="viewer")
    invitation = Invitation.objects.get(user=outsider)
    services.add_membership(world.admin, user=outsider, unit=world.unit("110101"), role="planner")  # meanwhile
    membership = services.decide_invitation(outsider, invitation, accept=True)
    assert (membership.user, membership.unit, membership.role) == (outsider, world.unit("110101"), "viewer")
    assert sorted(Membership.objects.filter(user=outsider, unit=world.unit("110101")).values_list("role", flat=True)) == [
        "planner", "viewer"]


# Groups ------------------------------------------------------------------------------------------

def test_a_group_is_created_as_asked_and_recorded_with_what_it_holds(world):
    members = [world.unit("110101"), world.unit("110102")]
    group = services.create_group(world.beijing_admin, code=_code(), name="新组", owner=world.unit("110000"),
                                  description="组的说明", members=members)
    stored = OrgGroup.objects.get(pk=group.pk)
    assert (stored.name, stored.owner, stored.description, sorted(m.pk for m in stored.members.all())) == (
        "新组", world.unit("110000"), "组的说明", sorted(m.pk for m in members))
    record = AuditRecord.objects.get(content_type__model="orggroup", object_id=str(group.pk))
    assert (record.action, record.actor, record.before) == ("create", world.beijing_admin, None)
    assert (record.after["name"], record.after["description"], sorted(record.after["members"])) == (
        "新组", "组的说明", sorted(m.pk for m in members))


def test_two_people_in_scope_are_added_with_the_same_role_in_the_same_unit(world):
    unit = world.unit("110101")
    people = [_person(world.admin) for _n in range(2)]
    for person in people:
        services.add_membership(world.admin, user=person, unit=world.unit("110102"), role="viewer")
    for person in people:
        assert services.add_or_invite(world.beijing_admin, username=person.username, unit=unit, role="planner") == "added"
    assert sorted(Membership.objects.filter(unit=unit, role="planner", user__in=people).values_list("user_id", flat=True)) == sorted(
        p.pk for p in people)


def _unit_only_admin(world):
    """An administrator of 北京 itself, not of the units below it."""
    admin = _person(world.admin)
    services.add_membership(world.admin, user=admin, unit=world.unit("110000"), role="admin", covers_below=False)
    return get_user_model().objects.get(pk=admin.pk)


def test_an_admin_not_covering_the_units_below_neither_adds_nor_invites_an_administrator_or_a_covering_role(world):
    beijing = world.unit("110000")
    admin = _unit_only_admin(world)
    known = _person(world.admin)
    services.add_membership(world.admin, user=known, unit=beijing, role="viewer", covers_below=False)
    no_admin = "You cannot appoint an administrator there."
    no_reach = "You cannot give a role covering the units below, which you do not administer."
    with pytest.raises(PermissionDenied) as refusal:
        services.add_membership(admin, user=known, unit=beijing, role="admin", covers_below=False)
    assert str(refusal.value) == no_admin
    with pytest.raises(PermissionDenied) as refusal:
        services.add_or_invite(admin, username=known.username, unit=beijing, role="admin", covers_below=False)
    assert str(refusal.value) == no_admin
    with pytest.raises(PermissionDenied) as refusal:
        services.add_or_invite(admin, username=known.username, unit=beijing, role="planner", covers_below=True)
    assert str(refusal.value) == no_reach
    assert list(Membership.objects.filter(user=known).values_list("role", flat=True)) == ["viewer"]
    assert services.add_or_invite(admin, username=known.username, unit=beijing, role="planner",
                                  covers_below=False) == "added"


def test_each_person_unit_and_role_gets_its_own_invitation_and_a_declined_one_can_be_renewed(world):
    first, second = _person(world.admin), _person(world.admin)
    for person in (first, second):
        services.add_membership(world.admin, user=person, unit=world.unit("310101"), role="viewer")
    dongcheng, xicheng = world.unit("110101"), world.unit("110102")
    for person, unit in ((first, dongcheng), (second, dongcheng), (first, xicheng)):
        assert services.add_or_invite(world.beijing_admin, username=person.username, unit=unit, role="viewer") == "invited"
    assert sorted(Invitation.objects.filter(user__in=[first, second]).values_list("user_id", "unit_id")) == sorted(
        [(first.pk, dongcheng.pk), (second.pk, dongcheng.pk), (first.pk, xicheng.pk)])
    declined = Invitation.objects.get(user=second)
    services.decide_invitation(second, declined, accept=False)
    assert services.add_or_invite(world.beijing_admin, username=second.username, unit=dongcheng, role="viewer") == "invited"
    assert sorted(Invitation.objects.filter(user=second).values_list("state", flat=True)) == ["declined", "pending"]


def test_two_people_invited_to_the_same_role_in_a_unit_both_get_it_when_they_accept(world):
    people = [_person(world.admin) for _n in range(2)]
    unit = world.unit("110101")
    for person in people:
        services.add_membership(world.admin, user=person, unit=world.unit("310101"), role="viewer")
        services.add_or_invite(world.beijing_admin, username=person.username, unit=unit, role="viewer")
    for person in people:
        membership = services.decide_invitation(person, Invitation.objects.get(user=person), accept=True)
        assert (membership.user, membership.unit, membership.role) == (person, unit, "viewer")
    assert Membership.objects.filter(unit=unit, role="viewer", user__in=people).count() == 2


# Export ------------------------------------------------------------------------------------------

def test_the_export_reads_the_units_with_their_parents_in_one_query(world, django_assert_num_queries):
    units = OrgUnit.objects.filter(path__startswith=world.unit("110000").path)
    assert units.count() > 3
    with django_assert_num_queries(1):
        header, rows = services.export_rows(units)
    assert header == ["code", "name", "type", "parent_code", "short_name"]
    beijing = world.unit("110000")
    assert rows[0] == [beijing.code, beijing.name, beijing.type, beijing.parent.code, beijing.short_name]
    assert ["110101", world.unit("110101").name, "county", "110000", world.unit("110101").short_name] in rows


def test_an_account_an_admin_created_is_theirs_to_add_only_while_it_has_no_role_elsewhere(world):
    admin = world.beijing_admin
    person, _password = account_services.create_account(admin, unit=world.unit("110101"), username="c" + uuid.uuid4().hex[:10],
                                                        role="viewer")
    services.add_membership(world.admin, user=person, unit=world.unit("310101"), role="viewer")
    services.remove_membership(world.admin, Membership.objects.get(user=person, unit=world.unit("110101")))
    with pytest.raises(PermissionDenied) as refusal:  # a role in 上海 only now: outside 北京's admin's units
        services.add_membership(admin, user=person, unit=world.unit("110102"), role="viewer")
    assert str(refusal.value) == "This person is outside your units; invite them instead."
    assert not Membership.objects.filter(user=person, unit=world.unit("110102")).exists()


def test_an_account_an_admin_only_managed_is_not_theirs_to_add_once_it_has_no_role(world):
    admin = world.beijing_admin
    person = _person(world.admin)
    membership = services.add_membership(world.admin, user=person, unit=world.unit("110101"), role="viewer")
    account_services.reset_password(admin, person)  # recorded as the admin's update of the account
    services.remove_membership(world.admin, membership)
    with pytest.raises(PermissionDenied) as refusal:
        services.add_membership(admin, user=person, unit=world.unit("110101"), role="viewer")
    assert str(refusal.value) == "This person is outside your units; invite them instead."


def test_a_group_edited_from_a_stale_copy_is_refused_and_kept(world):
    from luoshi.core.services import EditConflict

    group = services.create_group(world.admin, code=_code(), name="原名组", owner=world.unit("110101"))
    stale = group.version
    services.update_group(world.beijing_admin, group, {"name": "第一次改名"}, expected_version=stale)
    with pytest.raises(EditConflict):
        services.update_group(world.beijing_admin, group, {"name": "第二次改名"}, expected_version=stale)
    stored = OrgGroup.objects.get(pk=group.pk)
    assert (stored.name, stored.version) == ("第一次改名", stale + 1)
