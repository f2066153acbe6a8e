"""Writes for accounts: users and personal API tokens (each audited)."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from luoshi.accounts.models import ApiToken, digest
from luoshi.audit import services as audit

TOKEN_PREFIX = "ls_"


def _require_self_or_superuser(actor, user) -> None:
    if actor.pk != user.pk and not getattr(actor, "is_superuser", False):
        raise PermissionDenied(_("You can only manage your own tokens."))


@transaction.atomic
def create_token(actor, user, name: str) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns the token row and the secret, shown only once."""
    _require_self_or_superuser(actor, user)
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name.strip() or _("token"), prefix=raw[:10], key_digest=digest(raw))
    audit.record(actor, "create", token, None, audit.snapshot(token))
    return token, raw


@transaction.atomic
def revoke_token(actor, token: ApiToken) -> ApiToken:
    if actor.pk != token.user_id and not getattr(actor, "is_superuser", False):
        raise Http404("not found")
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        before = audit.snapshot(token)
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(actor, "update", token, before, audit.snapshot(token), verb="revoke")
    return token


def _revoke_all_tokens(actor, user) -> int:
    """Revoke every active token of ``user`` (after a password change or reset); returns how many."""
    tokens = list(ApiToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True))
    now = timezone.now()
    for token in tokens:
        before = audit.snapshot(token)
        token.revoked_at = now
        token.save(update_fields=["revoked_at"])
        audit.record(actor, "update", token, before, audit.snapshot(token), verb="revoke")
    return len(tokens)


def authenticate_token(raw: str):
    """The active user owning ``raw``, or ``None``. Records the time of use (at most once a minute)."""
    if not raw or not raw.startswith(TOKEN_PREFIX):
        return None
    token = ApiToken.objects.select_related("user").filter(key_digest=digest(raw), revoked_at__isnull=True).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


@transaction.atomic
def create_user(actor, *, username: str, password: str | None, display_name: str = "", email: str = "", is_superuser: bool = False):
    """Create a user account (superusers only)."""
    if actor is not None and not getattr(actor, "is_superuser", False):
        raise PermissionDenied(_("Only a superuser can create accounts."))
    User = get_user_model()
    user = User(username=username, first_name=display_name[:150], email=email, is_superuser=is_superuser, is_staff=is_superuser)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    audit.record(actor, "create", user, None, _user_snapshot(user))
    return user


def _user_snapshot(user) -> dict:
    return {"username": user.username, "first_name": user.first_name, "email": user.email,
            "is_active": user.is_active, "is_superuser": user.is_superuser}


@transaction.atomic
def set_password(actor, user, password: str) -> int:
    """Set a password; the user's API tokens are revoked with it. Returns how many were revoked."""
    _require_self_or_superuser(actor, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    audit.record(actor, "update", user, None, None, verb="password")
    return _revoke_all_tokens(actor, user)


# Accounts managed by unit administrators ------------------------------------------------------

def _generated_password() -> str:
    return secrets.token_urlsafe(12)


def _require_manages(actor, user) -> None:
    """An administrator manages an account only when every membership of it lies in their scope."""
    from luoshi.core import authz
    from luoshi.orgs.models import Membership

    if getattr(actor, "is_superuser", False):
        return
    memberships = list(Membership.objects.filter(user=user).select_related("unit"))
    if not memberships or not all(authz.can(actor, "view", m) for m in memberships):
        raise Http404("not found")
    if user.is_superuser or not all(authz.can(actor, "delete", m) for m in memberships):
        raise PermissionDenied(_("Only an administrator of all this person's units can manage the account."))


@transaction.atomic
def create_account(actor, *, unit, username: str, role: str, display_name: str = "", email: str = "",
                   covers_below: bool = False, password: str | None = None):
    """Create an account together with its first membership; returns (user, the initial password).

    Unit administrators may do this in their scope; the initial password is shown once and
    should be changed by its owner.
    """
    from luoshi.core import authz
    from luoshi.orgs import services as org_services
    from luoshi.orgs.models import Membership

    authz.require_in_unit(actor, "add", Membership, unit)
    User = get_user_model()
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("This username is taken.")})
    initial = password or _generated_password()
    user = User(username=username, first_name=display_name[:150], email=email)
    user.set_password(initial)
    user.full_clean(exclude=["password"])
    user.save()
    audit.record(actor, "create", user, None, _user_snapshot(user))
    org_services.add_membership(actor, user=user, unit=unit, role=role, covers_below=covers_below)
    return user, initial


@transaction.atomic
def set_account_active(actor, user, active: bool) -> None:
    _require_manages(actor, user)
    if actor.pk == user.pk:
        raise PermissionDenied(_("You cannot deactivate your own account."))
    before = _user_snapshot(user)
    user.is_active = active
    user.save(update_fields=["is_active"])
    audit.record(actor, "update", user, before, _user_snapshot(user), verb="activate" if active else "deactivate")


@transaction.atomic
def reset_password(actor, user) -> tuple[str, int]:
    """Give the account a new random password (shown once to the administrator) and revoke its
    API tokens: whoever knew the old password may have made one. Returns (password, tokens revoked)."""
    _require_manages(actor, user)
    initial = _generated_password()
    user.set_password(initial)
    user.save(update_fields=["password"])
    audit.record(actor, "update", user, None, None, verb="password reset")
    return initial, _revoke_all_tokens(actor, user)


@transaction.atomic
def change_own_password(user, old_password: str, new_password: str) -> int:
    """Change one's password; one's API tokens are revoked with it. Returns how many were revoked."""
    from django.contrib.auth.password_validation import validate_password

    if not user.check_password(old_password):
        raise ValidationError({"old_password": _("Your current password is not correct.")})
    validate_password(new_password, user)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    audit.record(user, "update", user, None, None, verb="password")
    return _revoke_all_tokens(user, user)
