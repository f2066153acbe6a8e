"""Account and unit guards the issue names (13): a superuser is not managed by a unit admin, no one
deactivates their own account, and a unit with members is not deleted."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError

from luoshi.accounts import services as account_services
from luoshi.audit.models import AuditRecord
from luoshi.orgs import services as org_services
from luoshi.orgs.models import Membership, OrgUnit


@pytest.fixture
def superuser_in_beijing(world):
    """A superuser who also holds a role in 北京's 东城区, so 北京's admin can see the account."""
    admin = world.user("admin")
    user = account_services.create_user(admin, username="su_dongcheng", password=None, display_name="超级用户", is_superuser=True)
    org_services.add_membership(admin, user=user, unit=world.unit("110101"), role="reporter")
    return user


@pytest.mark.parametrize("action", ["deactivate", "reset_password"])
def test_a_unit_admin_cannot_manage_a_superuser(world, superuser_in_beijing, action):
    before = AuditRecord.objects.count()
    with pytest.raises(PermissionDenied, match="Only an administrator of all this person's units"):
        if action == "deactivate":
            account_services.set_account_active(world.user("beijing_admin"), superuser_in_beijing, False)
        else:
            account_services.reset_password(world.user("beijing_admin"), superuser_in_beijing)
    user = get_user_model().objects.get(pk=superuser_in_beijing.pk)
    assert user.is_active and user.is_superuser and AuditRecord.objects.count() == before


def test_the_same_admin_manages_an_ordinary_account_of_the_same_unit(world):
    admin = world.user("admin")
    user = account_services.create_user(admin, username="plain_dongcheng", password=None, display_name="普通用户")
    org_services.add_membership(admin, user=user, unit=world.unit("110101"), role="reporter")
    account_services.set_account_active(world.user("beijing_admin"), user, False)
    assert not get_user_model().objects.get(pk=user.pk).is_active


@pytest.mark.parametrize("username", ["beijing_admin", "admin"])
def test_no_one_deactivates_their_own_account(world, username):
    me = world.user(username)
    with pytest.raises(PermissionDenied, match="You cannot deactivate your own account"):
        account_services.set_account_active(me, me, False)
    assert get_user_model().objects.get(pk=me.pk).is_active


def test_a_unit_with_members_is_not_deleted(world):
    admin = world.user("admin")
    unit = org_services.create_unit(admin, code="110101T13", name="测试科室", type="school", parent=world.unit("110101"))
    user = account_services.create_user(admin, username="member_t13", password=None, display_name="成员")
    membership = org_services.add_membership(admin, user=user, unit=unit, role="viewer")
    with pytest.raises(ValidationError, match="still has units, members or groups; deactivate it instead"):
        org_services.delete_unit(world.user("beijing_admin"), unit)
    assert OrgUnit.objects.filter(pk=unit.pk).exists() and Membership.objects.filter(pk=membership.pk).exists()
    # Without the member it goes.
    Membership.objects.filter(pk=membership.pk).delete()
    org_services.delete_unit(world.user("beijing_admin"), unit)
    assert not OrgUnit.objects.filter(pk=unit.pk).exists()
