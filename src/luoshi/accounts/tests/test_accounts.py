"""Accounts managed by unit administrators, within their scope, and one's own password."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from luoshi.accounts import services
from luoshi.audit.models import AuditRecord
from luoshi.orgs.models import Membership


def test_it_lets_a_unit_admin_create_an_account_with_a_role_in_scope(world, login):
    client = login("beijing_admin")
    response = client.post("/accounts/users/new/", {"username": "dongcheng_reporter", "display_name": "东城填报员",
                                                    "unit": world.unit("110101").pk, "role": "reporter"},
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    password = response.context["password"]
    user = get_user_model().objects.get(username="dongcheng_reporter")
    assert user.check_password(password)
    assert Membership.objects.filter(user=user, unit__code="110101", role="reporter").exists()
    assert AuditRecord.objects.filter(content_type__model="user", object_id=str(user.pk), action="create").exists()
    # The unit choice list offers only the admin's units.
    form = client.get("/accounts/users/new/").context["form"]
    assert not form.fields["unit"].queryset.filter(code="310000").exists()


def test_it_refuses_creating_an_account_outside_scope(world):
    with pytest.raises(Http404):
        services.create_account(world.user("beijing_admin"), unit=world.unit("310101"), username="x1", role="reporter")
    with pytest.raises(PermissionDenied):
        services.create_account(world.user("beijing_reporter"), unit=world.unit("110101"), username="x2", role="reporter")
    assert not get_user_model().objects.filter(username__in=["x1", "x2"]).exists()


def test_it_refuses_a_taken_username(world):
    with pytest.raises(ValidationError):
        services.create_account(world.user("beijing_admin"), unit=world.unit("110101"), username="beijing_reporter", role="viewer")


def test_it_lets_an_admin_manage_only_accounts_wholly_in_scope(world, login):
    admin = world.user("beijing_admin")
    services.reset_password(admin, world.user("beijing_reporter"))
    with pytest.raises(Http404):
        services.reset_password(admin, world.user("shanghai_reporter"))
    with pytest.raises(Http404):  # 教育部's planner holds a role above 北京
        services.set_account_active(admin, world.user("ministry_planner"), False)
    assert login("beijing_admin").get("/accounts/users/shanghai_reporter/").status_code == 404
    assert login("beijing_reporter").get("/accounts/users/").status_code == 403
    listed = login("beijing_admin").get("/accounts/users/").content.decode()
    assert "beijing_reporter" in listed and "shanghai_reporter" not in listed


def test_it_deactivates_an_account_and_records_it(world, login):
    client = login("beijing_admin")
    response = client.post("/accounts/users/beijing_reporter/", {"action": "deactivate"})
    assert response.status_code == 302
    assert not get_user_model().objects.get(username="beijing_reporter").is_active
    assert AuditRecord.objects.filter(verb="deactivate", object_id=str(world.user("beijing_reporter").pk)).exists()


def test_it_changes_ones_own_password(world, login):
    client = login("beijing_reporter")
    bad = client.post("/accounts/password/", {"old_password": "wrong", "new_password": "a-much-longer-secret",
                                               "new_password_again": "a-much-longer-secret"})
    assert bad.status_code == 200
    ok = client.post("/accounts/password/", {"old_password": "luoshi-demo", "new_password": "a-much-longer-secret",
                                              "new_password_again": "a-much-longer-secret"})
    assert ok.status_code == 302
    assert get_user_model().objects.get(username="beijing_reporter").check_password("a-much-longer-secret")
    assert client.get("/").status_code == 200  # still logged in
