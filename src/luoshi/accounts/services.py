"""Writes for accounts: users and personal API tokens (each audited)."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
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
def set_password(actor, user, password: str) -> None:
    _require_self_or_superuser(actor, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    audit.record(actor, "update", user, None, None, verb="password")
