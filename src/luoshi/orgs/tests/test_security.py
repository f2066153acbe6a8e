"""Scope rules found in the security review: appointments reach no further than the appointing
admin, and counts shown on group lists leave hidden member units out."""

from __future__ import annotations

import uuid

import pytest
from django.core.exceptions import PermissionDenied

from luoshi.accounts import services as account_services
from luoshi.core import authz
from luoshi.orgs import queries, services
from luoshi.orgs.models import Membership, OrgUnit


def _user(world):
    return account_services.create_user(world.admin, username="u" + uuid.uuid4().hex[:10], password=None)


@pytest.fixture
def unit_only_admin(world):
    """An administrator of 北京 itself, not of the units below it."""
    admin = _user(world)
    services.add_membership(world.admin, user=admin, unit=world.unit("110000"), role="admin", covers_below=False)
    return admin


def test_it_refuses_an_appointment_covering_units_the_admin_does_not_cover(world, unit_only_admin):
    beijing = world.unit("110000")
    with pytest.raises(PermissionDenied):  # would reach 东城区 … which this admin cannot see
        services.add_membership(unit_only_admin, user=unit_only_admin, unit=beijing, role="planner", covers_below=True)
    assert not Membership.objects.filter(user=unit_only_admin, role="planner").exists()
    known = _user(world)  # someone the admin can already see in 北京 (others are invited, not added)
    services.add_membership(world.admin, user=known, unit=beijing, role="viewer", covers_below=False)
    services.add_membership(unit_only_admin, user=known, unit=beijing, role="planner", covers_below=False)


def test_it_refuses_widening_a_membership_beyond_the_admins_scope(world, unit_only_admin):
    viewer = services.add_membership(unit_only_admin, user=unit_only_admin, unit=world.unit("110000"),
                                     role="viewer", covers_below=False)
    with pytest.raises(PermissionDenied):
        services.update_membership(unit_only_admin, viewer, {"covers_below": True})
    with pytest.raises(PermissionDenied):  # as for appointing one: not an admin without covering below
        services.update_membership(unit_only_admin, viewer, {"role": "admin"})
    viewer.refresh_from_db()
    assert (viewer.role, viewer.covers_below) == ("viewer", False)
    authz.forget(unit_only_admin)
    assert not authz.scope(unit_only_admin, OrgUnit).filter(code="110101").exists()


def test_it_counts_only_the_member_units_the_user_can_see(world):
    group = services.create_group(world.admin, code="T" + uuid.uuid4().hex[:8].upper(), name="跨省组",
                                  owner=world.unit("110000"), members=[world.unit("110101"), world.unit("310000")])
    listed = queries.groups(world.user("beijing_admin")).get(pk=group.pk)
    assert listed.member_count == 1  # 上海 is outside 北京's scope
    assert queries.groups(world.admin).get(pk=group.pk).member_count == 2


def test_it_audits_the_groups_a_deleted_unit_leaves(world):
    from luoshi.audit.models import AuditRecord

    school = services.create_unit(world.admin, code="T" + uuid.uuid4().hex[:8].upper(), name="测试学校", type="school",
                                  parent=world.unit("110101"))
    group = services.create_group(world.admin, code="T" + uuid.uuid4().hex[:8].upper(), name="测试组",
                                  owner=world.unit("110000"), members=[school, world.unit("110102")])
    services.delete_unit(world.user("beijing_admin"), school)
    record = AuditRecord.objects.filter(content_type__model="orggroup", object_id=str(group.pk), action="update").get()
    assert (record.before["members"], record.after["members"]) == (sorted([school.pk, world.unit("110102").pk]),
                                                                   [world.unit("110102").pk])
