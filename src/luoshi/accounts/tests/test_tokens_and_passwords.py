"""Issue 12: API tokens do not outlive a password reset or change."""

from __future__ import annotations

from django.test import Client

from luoshi.accounts import services
from luoshi.accounts.models import ApiToken
from luoshi.audit.models import AuditRecord


def _token_client(user):
    _token, raw = services.create_token(user, user, "script")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_ACCEPT_LANGUAGE="en")


def test_an_admins_password_reset_revokes_the_tokens_and_says_so(world, login):
    user = world.user("beijing_reporter")
    script = _token_client(user)
    assert script.get("/api/v1/plans").status_code == 200
    page = login("beijing_admin").post("/accounts/users/beijing_reporter/", {"action": "reset"}, follow=True)
    assert page.status_code == 200
    assert "API token" in page.content.decode() and "revoked" in page.content.decode()
    assert script.get("/api/v1/plans").status_code == 401
    assert not ApiToken.objects.filter(user=user, revoked_at__isnull=True).exists()
    assert AuditRecord.objects.filter(content_type__model="apitoken", verb="revoke").exists()


def test_changing_ones_own_password_revokes_the_tokens_and_says_so(world, login):
    user = world.user("beijing_reporter")
    script = _token_client(user)
    client = login("beijing_reporter")
    page = client.post("/accounts/password/", {"old_password": "luoshi-demo", "new_password": "a-much-longer-secret",
                                                "new_password_again": "a-much-longer-secret"}, follow=True)
    assert page.status_code == 200 and "revoked" in page.content.decode()
    assert script.get("/api/v1/plans").status_code == 401
    assert client.get("/").status_code == 200  # the session that changed it stays


def test_a_superuser_setting_a_password_revokes_the_tokens(world):
    user = world.user("beijing_reporter")
    script = _token_client(user)
    services.set_password(world.user("admin"), user, "another-long-secret")
    assert script.get("/api/v1/plans").status_code == 401
