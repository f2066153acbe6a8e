"""Strict parsing of Luoshi's settings from environment variables.

Every setting comes from a ``LUOSHI_*`` variable. A bad value stops start-up with one
line that names the variable and what is wrong (``ConfigError``), never a silent default.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url


class ConfigError(Exception):
    """A setting from the environment is missing or malformed."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class Env:
    """Typed readers over an environment mapping (``os.environ`` by default)."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ = os.environ if environ is None else environ

    def raw(self, name: str) -> str | None:
        value = self.environ.get(name)
        if value is None or value.strip() == "":
            return None
        return value.strip()

    def bool(self, name: str, default: bool) -> bool:
        value = self.raw(name)
        if value is None:
            return default
        lowered = value.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ConfigError(f"{name}: expected one of true/false/1/0/yes/no/on/off, got {value!r}")

    def int(self, name: str, default: int, minimum: int | None = None, maximum: int | None = None) -> int:
        value = self.raw(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            raise ConfigError(f"{name}: expected a whole number, got {value!r}") from None
        if minimum is not None and number < minimum:
            raise ConfigError(f"{name}: must be at least {minimum}, got {number}")
        if maximum is not None and number > maximum:
            raise ConfigError(f"{name}: must be at most {maximum}, got {number}")
        return number

    def list(self, name: str, default: list[str]) -> list[str]:
        value = self.raw(name)
        if value is None:
            return list(default)
        items = [item.strip() for item in value.split(",")]
        if any(not item for item in items):
            raise ConfigError(f"{name}: empty entry in comma-separated list {value!r}")
        return items

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        value = self.raw(name)
        if value is None:
            return default
        if value not in choices:
            raise ConfigError(f"{name}: expected one of {', '.join(choices)}, got {value!r}")
        return value

    def path(self, name: str, default: str) -> Path:
        value = self.raw(name) or default
        return Path(value).expanduser().resolve()


# How long a write waits for SQLite's lock before the request answers 503 "busy, try again". Long
# imports write in short batches (core/batches.py), so other writers normally wait well under a second.
SQLITE_BUSY_SECONDS = 5

# A PostgreSQL statement is prepared on a connection when it has run this many times there
# (psycopg's default is 5; the pages' queries repeat from the second request on).
PREPARE_THRESHOLD = 2


def database_config(env: Env, data_dir: Path) -> dict:
    """Parse ``LUOSHI_DATABASE_URL`` (SQLite in the data directory by default)."""
    url = env.raw("LUOSHI_DATABASE_URL")
    if url is None:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(data_dir / "luoshi.sqlite3"),
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": SQLITE_BUSY_SECONDS,
                        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"},
            # Keep each server thread's connection (and its page cache) between requests instead
            # of opening the file and running the PRAGMAs on every request.
            "CONN_MAX_AGE": 600,
            "CONN_HEALTH_CHECKS": True,
        }
    scheme = urlsplit(url).scheme
    if scheme not in {"sqlite", "postgres", "postgresql", "pgsql"}:
        raise ConfigError(
            f"LUOSHI_DATABASE_URL: unsupported scheme {scheme!r}; use postgresql://… or sqlite:///path"
        )
    try:
        config = dj_database_url.parse(url, conn_max_age=60 if scheme != "sqlite" else 0, conn_health_checks=True)
    except Exception as exc:  # dj-database-url raises several types for a malformed URL
        raise ConfigError(f"LUOSHI_DATABASE_URL: cannot parse ({exc})") from None
    if scheme.startswith("postg") and not config.get("NAME"):
        raise ConfigError("LUOSHI_DATABASE_URL: no database name in the URL")
    if scheme == "sqlite":
        config["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": SQLITE_BUSY_SECONDS}
    else:
        # Parameters travel apart from the SQL text (server-side binding), so psycopg prepares a
        # statement a connection keeps running (after ``prepare_threshold`` runs) and PostgreSQL
        # parses and plans it once per connection instead of on every request: the plan pages'
        # database CPU fell by about 60 % (docs/performance.md, round 6). A transaction-pooling
        # PgBouncer older than 1.21 cannot keep prepared statements between transactions:
        # ``LUOSHI_DATABASE_PREPARED=false`` turns them off (the binding stays server-side).
        prepared = env.bool("LUOSHI_DATABASE_PREPARED", True)
        config["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": PREPARE_THRESHOLD if prepared else None,
                             **config.get("OPTIONS", {})}
    return config


def secret_key(env: Env, data_dir: Path, production: bool) -> str:
    """``LUOSHI_SECRET_KEY``; generated and kept in the data directory unless in production."""
    value = env.raw("LUOSHI_SECRET_KEY")
    if value is not None:
        if len(value) < 32:
            raise ConfigError("LUOSHI_SECRET_KEY: must be at least 32 characters long")
        return value
    if production:
        raise ConfigError("LUOSHI_SECRET_KEY: required when LUOSHI_MODE=production (at least 32 random characters)")
    key_file = data_dir / "secret_key"
    if key_file.exists():
        return key_file.read_text(encoding="utf-8").strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    key_file.write_text(key, encoding="utf-8")
    key_file.chmod(0o600)
    return key


def email_config(env: Env) -> dict:
    """``LUOSHI_EMAIL_URL`` (smtp://user:pass@host:port, smtp+tls://…, smtp+ssl://…)."""
    url = env.raw("LUOSHI_EMAIL_URL")
    if url is None:
        return {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend", "EMAIL_ENABLED": False}
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtp+tls", "smtp+ssl"} or not parts.hostname:
        raise ConfigError(f"LUOSHI_EMAIL_URL: expected smtp://[user:pass@]host[:port], got {url!r}")
    try:
        port = parts.port or (465 if parts.scheme == "smtp+ssl" else 25)
    except ValueError:
        raise ConfigError("LUOSHI_EMAIL_URL: the port is not a number") from None
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_ENABLED": True,
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": port,
        "EMAIL_HOST_USER": parts.username or "",
        "EMAIL_HOST_PASSWORD": parts.password or "",
        "EMAIL_USE_TLS": parts.scheme == "smtp+tls",
        "EMAIL_USE_SSL": parts.scheme == "smtp+ssl",
    }
