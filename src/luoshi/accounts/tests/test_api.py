"""Personal API tokens and the HTTP API as a script sees it."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.test import Client

from luoshi.accounts.models import ApiToken
from luoshi.audit.models import AuditRecord

pytestmark = pytest.mark.django_db


def cli_token(username: str) -> str:
    out = io.StringIO()
    call_command("token", "create", username, "--name", "nightly export", stdout=out)
    return out.getvalue().strip()


def bearer(token: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE="en")


def test_it_prints_a_token_from_the_cli_that_works_as_bearer(world):
    token = cli_token("shanghai_reporter")
    assert re.fullmatch(r"ls_[A-Za-z0-9_-]{40,}", token)
    response = bearer(token).get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["username"] == "shanghai_reporter"
    stored = ApiToken.objects.get(user__username="shanghai_reporter", name="nightly export")
    assert stored.key_digest != token and token.startswith(stored.prefix)  # only a digest is kept
    assert stored.last_used_at is not None
    record = AuditRecord.objects.get(content_type__model="apitoken", object_id=str(stored.pk))
    assert (record.action, record.source, record.actor_username) == ("create", "cli", "shanghai_reporter")


def test_it_refuses_a_revoked_token(world):
    token = cli_token("beijing_reporter")
    assert bearer(token).get("/api/v1/me").status_code == 200
    stored = ApiToken.objects.get(user__username="beijing_reporter", name="nightly export")
    call_command("token", "revoke", str(stored.pk), stdout=io.StringIO())
    assert bearer(token).get("/api/v1/me").status_code == 401
    assert AuditRecord.objects.filter(object_id=str(stored.pk), verb="revoke").exists()


def test_it_refuses_tokens_that_are_unknown_malformed_or_of_inactive_users(world):
    token = cli_token("beijing_reporter")
    assert bearer("ls_" + "x" * 43).get("/api/v1/me").status_code == 401
    assert bearer("not-a-token").get("/api/v1/me").status_code == 401
    assert Client().get("/api/v1/me").status_code == 401
    user = world.beijing_reporter
    user.is_active = False
    user.save()
    assert bearer(token).get("/api/v1/me").status_code == 401


def test_it_revokes_a_token_from_the_tokens_page(world, login):
    client = login("beijing_reporter")
    page = client.post("/accounts/tokens/", {"name": "my script"})
    token = re.search(r'data-testid="new-token">(ls_[^<]+)<', page.content.decode()).group(1)
    assert bearer(token).get("/api/v1/me").status_code == 200
    stored = ApiToken.objects.get(user=world.beijing_reporter, name="my script")
    assert login("shanghai_reporter").post(f"/accounts/tokens/{stored.pk}/revoke/").status_code == 404
    assert bearer(token).get("/api/v1/me").status_code == 200
    assert client.post(f"/accounts/tokens/{stored.pk}/revoke/").status_code == 302
    assert bearer(token).get("/api/v1/me").status_code == 401


def test_it_keeps_a_token_inside_its_owners_scope(world):
    client = bearer(cli_token("shanghai_reporter"))
    assert client.get("/api/v1/org-units/110101").status_code == 404
    assert client.get("/api/v1/org-units/110101").json() == {"detail": "not found"}
    unit = client.get("/api/v1/org-units/310101")
    assert unit.status_code == 200
    assert unit.json() | {"version": 1} == {"code": "310101", "name": "上海市黄浦区教育局", "short_name": "黄浦区",
                                            "type": "county", "parent_code": "310000", "is_active": True, "version": 1}


def test_it_paginates_the_unit_list(world, api):
    client = api("shanghai_reporter")
    body = client.get("/api/v1/org-units").json()
    assert set(body) == {"items", "count"}
    codes = [u["code"] for u in body["items"]]
    assert body["count"] == len(codes) == 1 + 1 + 16 + 5  # MOE (ancestor), 310000, districts, schools
    assert "110000" not in codes and "310101" in codes
    page = client.get("/api/v1/org-units", {"limit": 5, "offset": 5}).json()
    assert page["count"] == body["count"] and [u["code"] for u in page["items"]] == codes[5:10]


def test_it_paginates_by_fifty_by_default(world, api):
    body = api("admin").get("/api/v1/org-units").json()
    assert len(body["items"]) == 50 and body["count"] > 100


@pytest.mark.parametrize(("params", "expected"), [
    ({"type": "county"}, 16),
    ({"parent": "310000"}, 16),
    ({"parent": "310101"}, 1),
    ({"type": "school", "parent": "310104"}, 1),
    ({"q": "黄浦"}, 1),
    ({"q": "黃浦"}, 1),           # traditional script finds the simplified name
    ({"q": "310115"}, 2),           # the district and its school (S310115001)
    ({"q": "北京"}, 0),
])
def test_it_filters_the_unit_list(world, api, params, expected):
    body = api("shanghai_reporter").get("/api/v1/org-units", params).json()
    assert body["count"] == expected, body
    if "q" in params and expected:
        assert body["items"][0]["code"] in {"310101", "310115"}


def test_it_answers_404_for_a_parent_filter_out_of_scope(world, api):
    assert api("shanghai_reporter").get("/api/v1/org-units", {"parent": "110000"}).status_code == 404


def test_it_rejects_an_unknown_type_filter(world, api):
    assert api("shanghai_reporter").get("/api/v1/org-units", {"type": "castle"}).status_code == 422


def test_it_publishes_an_openapi_schema(world):
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "Luoshi API"
    assert {"/api/v1/org-units", "/api/v1/org-units/{code}", "/api/v1/me"} <= set(schema["paths"])
    assert "BearerAuth" in str(schema["components"]["securitySchemes"]) or "TokenAuth" in str(schema["components"])


def test_it_serves_the_api_docs_from_local_assets_only(world, login):
    client = login("beijing_reporter")
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'<(?:script|link)\b[^>]*?\b(?:src|href)=["\']([^"\']+)', html)
    assert assets, "the docs page references no scripts or styles at all"
    external = [a for a in assets if re.match(r"(?i)(https?:)?//", a)]
    assert not external, f"external assets: {external}"
    assert not re.search(r"(?i)https?://[^\"'\s]*\.(js|css)\b", html)
    assert any(asset.endswith((".js", ".css")) for asset in assets), assets  # so the loop below checks something
    for asset in assets:
        if asset.endswith((".js", ".css")):
            from django.contrib.staticfiles import finders

            assert finders.find(asset.removeprefix("/static/").split("?")[0]), f"{asset} is not served locally"
