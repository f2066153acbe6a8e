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

