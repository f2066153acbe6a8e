"""Issue 12: membership is not a lookup. Someone outside the admin's scope is invited, and the answer
does not tell whether the username exists."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from luoshi.orgs import services
from luoshi.orgs.models import Invitation, Membership


def _add(client, code, username, role="viewer"):
    return client.post(f"/units/{code}/members/add/", {"username": username, "role": role, "covers_below": "on"}, follow=True)


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_the_add_form_answers_the_same_for_an_outsider_and_a_missing_username(world, login):
    client = login("beijing_admin")
    outsider = _add(client, "110101", "shanghai_reporter")
    missing = _add(client, "110101", "no_such_person_at_all")
    assert outsider.status_code == missing.status_code == 200
    assert _messages(outsider) == _messages(missing)
    assert "shanghai_reporter" not in outsider.content.decode()
    # No membership yet: 北京's admin cannot read the outsider's account.
    assert not Membership.objects.filter(user=world.user("shanghai_reporter"), unit=world.unit("110101")).exists()
    assert client.get("/accounts/users/shanghai_reporter/").status_code == 404
    # Asking twice answers the same again (no "already invited" oracle).
    assert _messages(_add(client, "110101", "shanghai_reporter")) == _messages(missing)


def test_the_service_refuses_adding_an_outsider_directly(world):
    with pytest.raises(PermissionDenied):
        services.add_membership(world.user("beijing_admin"), user=world.user("shanghai_reporter"), unit=world.unit("110101"),
                                role="viewer")


def test_someone_in_scope_is_added_at_once(world, login):
    client = login("beijing_admin")
    answer = _add(client, "110101", "beijing_reporter", role="viewer")
    assert "Member added." in _messages(answer)
    assert Membership.objects.filter(user=world.user("beijing_reporter"), unit=world.unit("110101"), role="viewer").exists()


def test_the_invited_person_accepts_on_their_home_page(world, login):
    _add(login("beijing_admin"), "110101", "shanghai_reporter")
    invitation = Invitation.objects.get(user=world.user("shanghai_reporter"))
    invitee = login("shanghai_reporter")
    home = invitee.get("/")
    assert 'data-testid="invitations"' in home.content.decode()
    # Nobody else can answer it: the inviter, or an admin who does not manage the person.
    assert login("beijing_admin").post(f"/units/invitations/{invitation.pk}/accept/").status_code == 404
    assert invitee.post(f"/units/invitations/{invitation.pk}/accept/").status_code == 302
    assert Membership.objects.filter(user=world.user("shanghai_reporter"), unit=world.unit("110101"), role="viewer").exists()
    assert Invitation.objects.get(pk=invitation.pk).state == "accepted"
    assert login("beijing_admin").get("/accounts/users/shanghai_reporter/").status_code in (200, 403)


def test_an_admin_managing_the_person_may_accept_or_decline_for_them(world, login):
    _add(login("beijing_admin"), "110101", "shanghai_reporter")
    invitation = Invitation.objects.get(user=world.user("shanghai_reporter"))
    admin = login("shanghai_admin")
    page = admin.get("/accounts/users/shanghai_reporter/")
    assert 'data-testid="invitations"' in page.content.decode()
    assert admin.post(f"/units/invitations/{invitation.pk}/decline/").status_code == 302
    assert Invitation.objects.get(pk=invitation.pk).state == "declined"
    assert not Membership.objects.filter(user=world.user("shanghai_reporter"), unit=world.unit("110101")).exists()


def test_the_inviter_sees_no_trace_of_the_invitation(world, login):
    client = login("beijing_admin")
    _add(client, "110101", "shanghai_reporter")
    assert "shanghai_reporter" not in client.get("/units/110101/", {"tab": "members"}).content.decode()
    assert "shanghai_reporter" not in client.get("/audit/").content.decode()
