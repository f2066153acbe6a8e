"""Issue 12, point 8: Content-Security-Policy, a request body cap, quiet 403s, a per-address login limit."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from django.test import Client

import luoshi

TEMPLATES = sorted(p for p in Path(luoshi.__file__).parent.rglob("templates/**/*.html"))


def test_pages_send_a_content_security_policy_without_inline_script(world, login):
    for url in ("/", "/accounts/login/", "/api/v1/docs"):
        response = login("beijing_reporter").get(url)
        policy = response["Content-Security-Policy"]
        directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
        assert directives["script-src"] == "'self'", policy
        assert "'unsafe-inline'" not in directives["script-src"] and "'unsafe-eval'" not in directives["script-src"]
        assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
        assert directives["default-src"] == "'self'"


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p).split("/luoshi/")[-1])
def test_no_template_has_inline_script_or_event_handlers(template):
    text = template.read_text(encoding="utf-8")
    inline = [m.group(0) for m in re.finditer(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", text)]
    assert not inline, f"inline <script> in {template}: move it to a static file"
    handlers = re.findall(r"\s(on[a-z]+)\s*=\s*[\"']", text)
    assert not handlers, f"event handler attributes {handlers} in {template}: bind them from a static script"
    assert "javascript:" not in text.lower()


def test_an_oversized_body_is_refused_before_it_is_read(world, login, settings):
    settings.MAX_UPLOAD_BYTES = 1024 * 1024
    client = login("beijing_admin")

    class Exploding:
        def read(self, *args):
            raise AssertionError("the body was read")

        readline = read

    response = client.generic("POST", "/units/import/", b"", CONTENT_TYPE="multipart/form-data; boundary=x",
                              CONTENT_LENGTH=str(400 * 1024 * 1024), **{"wsgi.input": Exploding()})
    assert response.status_code == 413
    api = client.generic("POST", "/api/v1/plans", b"", CONTENT_TYPE="application/json",
                         CONTENT_LENGTH=str(400 * 1024 * 1024), **{"wsgi.input": Exploding()})
    assert api.status_code == 413 and "detail" in api.json()


def test_a_body_within_the_cap_is_read_as_usual(world, login):
    response = login("beijing_admin").post("/units/import/", {})
    assert response.status_code == 200


def test_a_403_is_logged_in_one_line_without_a_traceback(world, login, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = login("beijing_reporter").get("/accounts/users/")
    assert response.status_code == 403
    records = [r for r in caplog.records if r.name == "django.request"]
    assert records and all(r.exc_info is None and not r.exc_text for r in records)
    assert "Forbidden" in records[0].getMessage()


def test_a_500_still_logs_its_traceback():
    from luoshi.core.logs import QuietForbidden

    try:
        raise RuntimeError("boom")
    except RuntimeError:
        import sys

        record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "Internal Server Error: /x", (), sys.exc_info())
    record.status_code = 500
    assert QuietForbidden().filter(record) and record.exc_info is not None


def test_password_spraying_from_one_address_is_limited_across_usernames(world, settings):
    settings.LUOSHI_LOGIN_ADDRESS_LIMIT = 6
    sprayer = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="203.0.113.9")
    for n in range(6):
        answer = sprayer.post("/accounts/login/", {"username": f"guess{n}", "password": "Winter2026!"})
        assert answer.status_code == 200
    # Now even a correct password from this address waits out the cool-off …
    blocked = sprayer.post("/accounts/login/", {"username": "beijing_reporter", "password": "luoshi-demo"})
    assert blocked.status_code == 429 and "_auth_user_id" not in sprayer.session
    assert "Too many failed attempts" in blocked.content.decode()
    # … while another address logs in as usual.
    other = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="198.51.100.7")
    assert other.post("/accounts/login/", {"username": "beijing_reporter", "password": "luoshi-demo"}).status_code == 302
