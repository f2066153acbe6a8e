"""Settings come from ``LUOSHI_*`` variables; a bad value stops start-up with one line naming it."""

from __future__ import annotations

import os
import runpy
import secrets

import pytest
from django.test import Client

from luoshi import settings as live_settings
from luoshi.conf import ConfigError
from luoshi.core.testing.skips import requires_postgres

SETTINGS_FILE = live_settings.__file__
GOOD_KEY = secrets.token_urlsafe(50)
PRODUCTION = {"LUOSHI_MODE": "production", "LUOSHI_SECRET_KEY": GOOD_KEY, "LUOSHI_ALLOWED_HOSTS": "luoshi.example.org"}


@pytest.fixture
def load_settings(monkeypatch, tmp_path):
    """Evaluate ``luoshi.settings`` afresh under the given environment (and nothing else)."""

    def _load(**env: str) -> dict:
        for name in list(os.environ):
            if name.startswith("LUOSHI_"):
                monkeypatch.delenv(name)
        monkeypatch.setenv("LUOSHI_DATA_DIR", str(tmp_path))
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(SETTINGS_FILE, run_name="luoshi_settings_under_test")

    return _load


BAD = [
    ("LUOSHI_DEBUG", {"LUOSHI_DEBUG": "maybe"}),
    ("LUOSHI_DEBUG", {**PRODUCTION, "LUOSHI_DEBUG": "true"}),
    ("LUOSHI_MODE", {"LUOSHI_MODE": "prod"}),
    ("LUOSHI_DATABASE_URL", {"LUOSHI_DATABASE_URL": "mysql://luoshi:secret@db.example.org/luoshi"}),
    ("LUOSHI_DATABASE_URL", {"LUOSHI_DATABASE_URL": "this is not a url"}),
    ("LUOSHI_DATABASE_URL", {"LUOSHI_DATABASE_URL": "postgresql://db.example.org"}),
    ("LUOSHI_ALLOWED_HOSTS", {**PRODUCTION, "LUOSHI_ALLOWED_HOSTS": ""}),
    ("LUOSHI_ALLOWED_HOSTS", {"LUOSHI_ALLOWED_HOSTS": "a.example.org,,b.example.org"}),
    ("LUOSHI_SECRET_KEY", {**PRODUCTION, "LUOSHI_SECRET_KEY": ""}),
    ("LUOSHI_SECRET_KEY", {**PRODUCTION, "LUOSHI_SECRET_KEY": "too-short"}),
    ("LUOSHI_LOGIN_FAILURE_LIMIT", {"LUOSHI_LOGIN_FAILURE_LIMIT": "abc"}),
    ("LUOSHI_LOGIN_FAILURE_LIMIT", {"LUOSHI_LOGIN_FAILURE_LIMIT": "0"}),
    ("LUOSHI_EMAIL_URL", {"LUOSHI_EMAIL_URL": "http://mail.example.org"}),
    ("LUOSHI_EMAIL_URL", {"LUOSHI_EMAIL_URL": "smtp://mail.example.org:port"}),
    ("LUOSHI_EMAIL_URL", {"LUOSHI_EMAIL_URL": "smtp://"}),
]


@pytest.mark.parametrize(("variable", "env"), BAD, ids=[f"{v}={list(e.values())[-1]!r}" for v, e in BAD])
def test_it_refuses_a_bad_value_naming_the_variable(load_settings, variable, env):
    with pytest.raises(ConfigError) as exc:
        load_settings(**env)
    message = str(exc.value)
    assert message.startswith(f"{variable}: "), message
    assert "\n" not in message and len(message) < 200


def test_it_refuses_a_missing_secret_key_in_production_naming_the_mode(load_settings):
    env = {k: v for k, v in PRODUCTION.items() if k != "LUOSHI_SECRET_KEY"}
    with pytest.raises(ConfigError, match=r"^LUOSHI_SECRET_KEY: required when LUOSHI_MODE=production"):
        load_settings(**env)


def test_it_runs_embedded_with_no_configuration_at_all(load_settings, tmp_path):
    config = load_settings()
    assert config["MODE"] == "embedded" and config["DEBUG"] is False
    assert config["DATABASES"]["default"]["NAME"] == str(tmp_path / "luoshi.sqlite3")
    assert len(config["SECRET_KEY"]) >= 50 and (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert load_settings()["SECRET_KEY"] == config["SECRET_KEY"]  # kept across restarts
    assert not config.get("SESSION_COOKIE_SECURE", False)  # plain http on 127.0.0.1 works


def test_it_reads_good_values(load_settings):
    config = load_settings(LUOSHI_DATABASE_URL="postgresql://luoshi:pw@db.example.org:5433/luoshi",
                           LUOSHI_LOGIN_FAILURE_LIMIT="3", LUOSHI_DEBUG="yes",
                           LUOSHI_EMAIL_URL="smtp+tls://robot:pw@mail.example.org:587")
    db = config["DATABASES"]["default"]
    assert (db["ENGINE"], db["HOST"], db["PORT"], db["NAME"]) == ("django.db.backends.postgresql", "db.example.org", 5433, "luoshi")
    assert config["AXES_FAILURE_LIMIT"] == 3 and config["DEBUG"] is True
    assert (config["EMAIL_HOST"], config["EMAIL_PORT"], config["EMAIL_USE_TLS"]) == ("mail.example.org", 587, True)


def test_postgresql_binds_parameters_on_the_server_and_prepares_repeated_statements(load_settings):
    db = load_settings(LUOSHI_DATABASE_URL="postgresql://luoshi:pw@db.example.org/luoshi")["DATABASES"]["default"]
    assert db["OPTIONS"] == {"server_side_binding": True, "prepare_threshold": 2}
    off = load_settings(LUOSHI_DATABASE_URL="postgresql://luoshi:pw@db.example.org/luoshi", LUOSHI_DATABASE_PREPARED="false")
    assert off["DATABASES"]["default"]["OPTIONS"] == {"server_side_binding": True, "prepare_threshold": None}
    tls = load_settings(LUOSHI_DATABASE_URL="postgresql://luoshi:pw@db.example.org/luoshi?sslmode=require")
    assert tls["DATABASES"]["default"]["OPTIONS"]["sslmode"] == "require"
    assert "OPTIONS" not in load_settings()["DATABASES"]["default"] or \
        "server_side_binding" not in load_settings()["DATABASES"]["default"]["OPTIONS"]


def test_it_hardens_cookies_and_transport_in_production(load_settings):
    config = load_settings(**PRODUCTION)
    assert config["SESSION_COOKIE_SECURE"] and config["CSRF_COOKIE_SECURE"] and config["SESSION_COOKIE_HTTPONLY"]
    assert config["SECURE_SSL_REDIRECT"] and config["SECURE_HSTS_SECONDS"] >= 31536000
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax" and config["X_FRAME_OPTIONS"] == "DENY"


@pytest.mark.django_db
def test_it_sends_secure_httponly_session_cookies_in_production(load_settings, settings, world):
    production = load_settings(**PRODUCTION)
    for name in ("SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE",
                 "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS"):
        setattr(settings, name, production[name])
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert client.get("/accounts/login/").status_code == 301  # plain http is redirected to https
    page = client.get("/accounts/login/", secure=True)
    assert page["Strict-Transport-Security"].startswith("max-age=31536000")
    assert page.cookies["csrftoken"]["secure"]
    response = client.post("/accounts/login/", {"username": "beijing_reporter", "password": "luoshi-demo"}, secure=True)
    assert response.status_code == 302
    cookie = response.cookies["sessionid"]
    assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax"


# The real console script ----------------------------------------------------------------------

@pytest.mark.parametrize(("variable", "value"), [
    ("LUOSHI_DEBUG", "maybe"),
    ("LUOSHI_DATABASE_URL", "mysql://luoshi@db.example.org/luoshi"),
    ("LUOSHI_LOGIN_FAILURE_LIMIT", "abc"),
])
def test_it_stops_the_cli_with_one_line_naming_the_variable(run_luoshi, variable, value):
    result = run_luoshi("check", env={variable: value})
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"luoshi: configuration error: {variable}: ")
    assert "Traceback" not in result.stderr


def test_it_passes_the_deployment_checks_in_production(run_luoshi):
    result = run_luoshi("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@requires_postgres()
@pytest.mark.django_db
def test_a_statement_run_again_on_a_connection_is_prepared_there():
    """Server-side binding in use: the page's repeated reads are parsed and planned once."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    User = get_user_model()
    for name in ("a", "b", "c"):
        list(User.objects.filter(username=name))
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql")
        statements = [row[0] for row in cursor.fetchall()]
    assert any('FROM "auth_user"' in s and "$1" in s for s in statements), statements
