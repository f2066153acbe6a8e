"""Accounts and API tokens as their owners and administrators see them (issue 13, mutation testing
of ``accounts/services.py``): who may make, revoke and use a token, what is recorded, the refusals
with their messages, and the state an account is left in."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone, translation

from luoshi.accounts import services
from luoshi.accounts.models import ApiToken, digest
from luoshi.audit.models import AuditRecord
from luoshi.orgs import services as org_services
from luoshi.orgs.models import Membership

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def _records(obj, **filters):
    return AuditRecord.objects.filter(object_id=str(obj.pk), content_type__model=obj._meta.model_name,
                                      **filters).order_by("id")


def exactly(text: str) -> str:
    """A ``pytest.raises(match=…)`` pattern for the whole message (``match`` searches)."""
    return f"^{re.escape(text)}$"


# Tokens ---------------------------------------------------------------------------------------

def test_a_token_is_made_for_oneself_with_its_name_and_only_its_digest_is_kept(world):
    me = world.user("beijing_reporter")
    token, raw = services.create_token(me, me, "  nightly  ")
    assert raw.startswith("ls_") and len(raw) == 3 + 43   # 32 random bytes, URL-safe base64
    stored = ApiToken.objects.get(pk=token.pk)
    assert (stored.user, stored.name, stored.prefix, stored.key_digest) == (me, "nightly", raw[:10], digest(raw))
    assert stored.revoked_at is None and services.authenticate_token(raw) == me
    record = _records(token).get()
    assert (record.action, record.actor, record.before) == ("create", me, None)
    assert record.after["name"] == "nightly" and "key_digest" not in record.after
    unnamed, _raw = services.create_token(me, me, "   ")
    assert unnamed.name == "token"


def test_no_one_but_a_superuser_makes_a_token_for_someone_else(world):
    owner = world.user("beijing_reporter")
    with pytest.raises(PermissionDenied, match=exactly("You can only manage your own tokens.")):
        services.create_token(world.user("beijing_admin"), owner, "theirs")
    assert not ApiToken.objects.filter(user=owner).exists()
    token, _raw = services.create_token(world.user("admin"), owner, "for them")
    assert token.user == owner and _records(token).get().actor == world.user("admin")


def test_a_token_is_revoked_by_its_owner_or_a_superuser_once(world):
    owner = world.user("beijing_reporter")
    token, raw = services.create_token(owner, owner, "script")
    with pytest.raises(Http404):
        services.revoke_token(world.user("beijing_admin"), token)
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None and services.authenticate_token(raw) == owner
    revoked = services.revoke_token(owner, token)
    assert revoked.revoked_at is not None and services.authenticate_token(raw) is None
    record = _records(token, verb="revoke").get()
    assert (record.action, record.actor) == ("update", owner)
    assert record.before["revoked_at"] is None and record.after["revoked_at"] is not None
    # revoking again changes nothing and records nothing
    again = services.revoke_token(world.user("admin"), token)
    assert again.revoked_at == ApiToken.objects.get(pk=token.pk).revoked_at == revoked.revoked_at
    assert _records(token, verb="revoke").count() == 1
    other, _raw = services.create_token(owner, owner, "second")
    services.revoke_token(world.user("admin"), other)
    assert _records(other, verb="revoke").get().actor == world.user("admin")


def test_a_password_change_revokes_only_the_owners_active_tokens(world):
    owner, other = world.user("beijing_reporter"), world.user("shanghai_reporter")
    old, _raw = services.create_token(owner, owner, "old")
    services.revoke_token(owner, old)
    old_revoked_at = ApiToken.objects.get(pk=old.pk).revoked_at
    services.create_token(owner, owner, "one")
    services.create_token(owner, owner, "two")
    _theirs, their_raw = services.create_token(other, other, "theirs")
    assert services.set_password(world.user("admin"), owner, "a-long-new-secret") == 2
    assert not ApiToken.objects.filter(user=owner, revoked_at__isnull=True).exists()
    assert ApiToken.objects.get(pk=old.pk).revoked_at == old_revoked_at
    assert services.authenticate_token(their_raw) == other
    assert AuditRecord.objects.filter(content_type__model="apitoken", verb="revoke",
                                      actor=world.user("admin")).count() == 2


def test_a_token_is_refused_when_malformed_unknown_revoked_or_its_owner_is_inactive(world):
    owner = world.user("beijing_reporter")
    _token, raw = services.create_token(owner, owner, "script")
    for bad in ("", None, raw[3:], "xx" + raw, raw + "x"):
        assert services.authenticate_token(bad) is None
    User.objects.filter(pk=owner.pk).update(is_active=False)
    assert services.authenticate_token(raw) is None


def test_a_tokens_use_is_noted_at_most_once_a_minute(world, monkeypatch):
    owner = world.user("beijing_reporter")
    token, raw = services.create_token(owner, owner, "script")
    start = timezone.now()
    clock = [start]
    monkeypatch.setattr(timezone, "now", lambda: clock[0])   # (a pause of the machine changes nothing)

    def used_at():
        assert services.authenticate_token(raw) == owner
        return ApiToken.objects.get(pk=token.pk).last_used_at

    assert used_at() == start                                   # first use
    clock[0] = start + timedelta(seconds=60)
    assert used_at() == start                                   # a minute later: not yet
    clock[0] = start + timedelta(seconds=60, microseconds=1)
    assert used_at() == clock[0]                                # more than a minute: noted
    clock[0] += timedelta(seconds=59)
    assert used_at() == start + timedelta(seconds=60, microseconds=1)


# Accounts -------------------------------------------------------------------------------------

def test_only_a_superuser_or_the_system_creates_a_bare_account(world):
    with pytest.raises(PermissionDenied, match=exactly("Only a superuser can create accounts.")):
        services.create_user(world.user("beijing_admin"), username="by_admin", password="x-long-secret")
    assert not User.objects.filter(username="by_admin").exists()
    by_system = services.create_user(None, username="by_system", password=None)
    assert not by_system.has_usable_password()
    assert _records(by_system).get().actor_username == "system"


def test_a_created_account_has_its_names_password_and_rights_and_is_recorded(world):
    user = services.create_user(world.user("admin"), username="made", password="a-long-secret",
                                display_name="名" * 160, email="made@example.org", is_superuser=True)
    stored = User.objects.get(pk=user.pk)
    assert stored.first_name == "名" * 150 and stored.email == "made@example.org"
    assert stored.is_superuser and stored.is_staff and stored.check_password("a-long-secret")
    plain = services.create_user(world.user("admin"), username="plain", password=None)
    assert not plain.is_superuser and not plain.is_staff
    record = _records(user).get()
    assert (record.action, record.actor, record.before) == ("create", world.user("admin"), None)
    assert record.after == {"username": "made", "first_name": "名" * 150, "email": "made@example.org",
                            "is_active": True, "is_superuser": True}
    with pytest.raises(ValidationError):
        services.create_user(world.user("admin"), username="bad name!", password=None)


def test_setting_someone_elses_password_takes_a_superuser(world):
    user = world.user("beijing_reporter")
    with pytest.raises(PermissionDenied, match=exactly("You can only manage your own tokens.")):
        services.set_password(world.user("beijing_admin"), user, "another-long-secret")
    assert User.objects.get(pk=user.pk).check_password("luoshi-demo")
    assert services.set_password(user, user, "my-own-long-secret") == 0
    assert User.objects.get(pk=user.pk).check_password("my-own-long-secret")
    record = _records(user, verb="password").get()
    assert (record.action, record.actor, record.before, record.after) == ("update", user, None, None)


def test_a_unit_admin_creates_an_account_with_its_first_role_and_records_both(world):
    admin = world.user("beijing_admin")
    user, initial = services.create_account(admin, unit=world.unit("110101"), username="new_reporter", role="reporter",
                                            display_name="新" * 160, email="n@example.org", covers_below=True)
    stored = User.objects.get(pk=user.pk)
    assert stored.check_password(initial) and len(initial) == 16   # 12 random bytes, URL-safe base64
    assert (stored.first_name, stored.email, stored.is_superuser) == ("新" * 150, "n@example.org", False)
    membership = Membership.objects.get(user=user)
    assert (membership.unit, membership.role, membership.covers_below) == (world.unit("110101"), "reporter", True)
    assert _records(user).get().actor == admin and _records(membership).get().action == "create"
    chosen, password = services.create_account(admin, unit=world.unit("110101"), username="chosen", role="viewer",
                                               password="a-chosen-secret")
    assert password == "a-chosen-secret" and User.objects.get(pk=chosen.pk).check_password("a-chosen-secret")
    assert Membership.objects.get(user=chosen).covers_below is False
    other, other_password = services.create_account(admin, unit=world.unit("110101"), username="other", role="viewer")
    assert other_password != initial


def test_a_taken_username_is_refused_whatever_its_case(world):
    with pytest.raises(ValidationError) as caught:
        services.create_account(world.user("beijing_admin"), unit=world.unit("110101"), username="Beijing_Reporter",
                                role="viewer")
    assert caught.value.message_dict == {"username": ["This username is taken."]}
    assert not User.objects.filter(username="Beijing_Reporter").exists()


def test_an_account_is_deactivated_and_activated_again_with_records(world):
    admin, user = world.user("beijing_admin"), world.user("beijing_reporter")
    services.set_account_active(admin, user, False)
    assert not User.objects.get(pk=user.pk).is_active
    services.set_account_active(admin, user, True)
    assert User.objects.get(pk=user.pk).is_active
    off, on = _records(user, action="update")
    assert (off.verb, off.before["is_active"], off.after["is_active"]) == ("deactivate", True, False)
    assert (on.verb, on.before["is_active"], on.after["is_active"]) == ("activate", False, True)
    assert off.actor == admin


def test_an_account_without_a_role_is_managed_by_a_superuser_only(world):
    loose = services.create_user(world.user("admin"), username="loose", password=None)
    with pytest.raises(Http404):
        services.set_account_active(world.user("beijing_admin"), loose, False)
    with pytest.raises(Http404):
        services.reset_password(world.user("ministry_admin"), loose)
    assert User.objects.get(pk=loose.pk).is_active
    services.set_account_active(world.user("admin"), loose, False)
    assert not User.objects.get(pk=loose.pk).is_active


def test_an_account_with_a_role_beyond_the_admins_units_is_refused_with_a_reason(world):
    user = world.user("beijing_reporter")
    # 北京's reporter also reports for 上海's 黄浦区: 北京's admin sees that role but may not remove it
    org_services.add_membership(world.user("admin"), user=user, unit=world.unit("310101"), role="reporter")
    with pytest.raises(Http404):
        services.reset_password(world.user("beijing_admin"), user)
    assert User.objects.get(pk=user.pk).check_password("luoshi-demo")
    services.reset_password(world.user("ministry_admin"), user)


def test_an_account_seen_but_not_wholly_administered_is_refused_with_the_reason(world):
    user = world.user("beijing_reporter")
    # 北京's planner sees the reporter's role but administers nothing
    with pytest.raises(PermissionDenied, match=exactly("Only an administrator of all this person's units can manage the account.")):
        services.set_account_active(world.user("beijing_planner"), user, False)
    # 北京's admin, a mere viewer in 上海, sees both of the reporter's roles but administers one
    admin = world.user("beijing_admin")
    org_services.add_membership(world.user("admin"), user=admin, unit=world.unit("310000"), role="viewer")
    org_services.add_membership(world.user("admin"), user=user, unit=world.unit("310101"), role="reporter")
    admin = User.objects.get(pk=admin.pk)
    with pytest.raises(PermissionDenied, match=exactly("Only an administrator of all this person's units can manage the account.")):
        services.reset_password(admin, user)
    assert User.objects.get(pk=user.pk).is_active and User.objects.get(pk=user.pk).check_password("luoshi-demo")
    assert not _records(user, action="update").exists()


def test_a_password_reset_gives_a_new_password_once_and_revokes_the_tokens(world):
    user = world.user("beijing_reporter")
    services.create_token(user, user, "script")
    password, revoked = services.reset_password(world.user("beijing_admin"), user)
    assert revoked == 1 and len(password) == 16
    assert User.objects.get(pk=user.pk).check_password(password)
    record = _records(user, verb="password reset").get()
    assert (record.actor, record.before, record.after) == (world.user("beijing_admin"), None, None)
    again, _revoked = services.reset_password(world.user("beijing_admin"), user)
    assert again != password


def test_ones_own_password_change_needs_the_current_one_and_a_good_new_one(world):
    user = world.user("beijing_reporter")
    services.create_token(user, user, "script")
    with pytest.raises(ValidationError) as wrong:
        services.change_own_password(user, "not-it", "a-much-longer-secret")
    assert wrong.value.message_dict == {"old_password": ["Your current password is not correct."]}
    with pytest.raises(ValidationError):
        services.change_own_password(user, "luoshi-demo", "123")
    # long enough and uncommon, but too like the username: the check knows whose password it is
    with pytest.raises(ValidationError) as similar:
        services.change_own_password(user, "luoshi-demo", "beijing_reporter1")
    assert any("too similar" in message for message in similar.value.messages)
    assert User.objects.get(pk=user.pk).check_password("luoshi-demo")
    assert not _records(user, verb="password").exists()
    assert services.change_own_password(user, "luoshi-demo", "a-much-longer-secret") == 1
    assert User.objects.get(pk=user.pk).check_password("a-much-longer-secret")
    record = _records(user, verb="password").get()
    assert (record.actor, record.action) == (user, "update")
    assert AuditRecord.objects.get(content_type__model="apitoken", verb="revoke").actor == user


# Writes touch only their own fields ------------------------------------------------------------

def test_account_writes_from_a_stale_copy_keep_what_others_changed_meanwhile(world):
    """Each write saves only the field it is about: an administrator's page opened before the
    person changed their e-mail does not put the old address back."""
    admin = world.user("beijing_admin")

    def stale(username):
        copy = User.objects.get(username=username)
        User.objects.filter(pk=copy.pk).update(email=f"{username}@changed.example.org")
        return copy

    services.set_account_active(admin, stale("beijing_reporter"), False)
    services.reset_password(admin, stale("beijing_reviewer"))
    services.set_password(world.user("admin"), stale("beijing_planner"), "another-long-secret")
    services.change_own_password(stale("shanghai_reporter"), "luoshi-demo", "a-much-longer-secret")
    for username in ("beijing_reporter", "beijing_reviewer", "beijing_planner", "shanghai_reporter"):
        assert User.objects.get(username=username).email == f"{username}@changed.example.org", username


def test_a_password_reset_records_the_administrator_on_the_update_and_on_each_revoked_token(world):
    admin, user = world.user("beijing_admin"), world.user("beijing_reporter")
    services.create_token(user, user, "script")
    services.reset_password(admin, user)
    assert _records(user, verb="password reset").get().action == "update"
    revoked = AuditRecord.objects.filter(content_type__model="apitoken", verb="revoke")
    assert [(r.actor, r.action) for r in revoked] == [(admin, "update")]


def test_new_accounts_without_a_name_have_none_and_their_creation_records_what_was_made(world):
    user = services.create_user(world.user("admin"), username="nameless", password=None)
    assert User.objects.get(pk=user.pk).first_name == ""
    account, _password = services.create_account(world.user("beijing_admin"), unit=world.unit("110101"),
                                                  username="quiet", role="viewer")
    assert User.objects.get(pk=account.pk).first_name == ""
    record = _records(account).get()
    assert (record.action, record.before) == ("create", None)
    assert record.after == {"username": "quiet", "first_name": "", "email": "", "is_active": True,
                            "is_superuser": False}


def test_each_revoked_token_is_recorded_with_its_state_before_and_after(world):
    user = world.user("beijing_reporter")
    services.create_token(user, user, "one")
    services.change_own_password(user, "luoshi-demo", "a-much-longer-secret")
    record = AuditRecord.objects.get(content_type__model="apitoken", verb="revoke")
    assert record.before["revoked_at"] is None and record.after["revoked_at"] is not None
    assert record.before["name"] == record.after["name"] == "one"


def test_no_one_deactivates_their_own_account(world):
    admin = world.user("admin")
    with pytest.raises(PermissionDenied, match=exactly("You cannot deactivate your own account.")):
        services.set_account_active(admin, admin, False)
    assert User.objects.get(pk=admin.pk).is_active
