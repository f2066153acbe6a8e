"""Luoshi runs on closed government networks: no page may load scripts, styles or fonts from outside."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

import luoshi

SRC = Path(luoshi.__file__).resolve().parent
EXTERNAL = r"(?:https?:)?//[^\s\"'()<>]+"
# An external URL where a browser would fetch it: script/link/img/source attributes, CSS url() and @import.
TEMPLATE_FETCH = re.compile(rf"""(?:\b(?:src|href|srcset)\s*=\s*["']\s*|url\(\s*["']?|@import\s+["']?){EXTERNAL}""", re.I)
# In scripts: code that fetches a script or style (a URL merely mentioned in a comment is fine).
JS_FETCH = re.compile(
    rf"""(?:\.src\s*=\s*|\bimport\s*\(\s*|\bimportScripts\s*\(\s*|<script\b[^>]*?\bsrc\s*=\s*\\?|"""
    rf"""<link\b[^>]*?\bhref\s*=\s*\\?|\bfrom\s+|@import\s+)["'`]{EXTERNAL}""", re.I)
CSS_FETCH = re.compile(rf"""(?:url\(\s*["']?|@import\s+(?:url\()?["']?){EXTERNAL}""", re.I)


def _templates() -> list[Path]:
    return sorted(p for p in SRC.rglob("templates/**/*.html"))


def _static_files() -> list[Path]:
    files = set()
    for finder in finders.get_finders():
        for path, storage in finder.list([]):
            if path.endswith((".js", ".css", ".html")) and not path.endswith(".map"):
                files.add(Path(storage.path(path)))
    return sorted(files)


def test_it_finds_templates_and_static_files_to_check():
    assert len(_templates()) > 10
    names = {p.name for p in _static_files()}
    assert {"app.css", "app.js", "htmx.min.js", "echarts.min.js", "swagger-ui-bundle.js"} <= names


@pytest.mark.parametrize("template", _templates(), ids=lambda p: str(p.relative_to(SRC)))
def test_it_loads_nothing_external_from_templates(template):
    text = template.read_text(encoding="utf-8")
    hits = [m.group(0) for m in TEMPLATE_FETCH.finditer(text)]
    assert not hits, f"{template.relative_to(SRC)} fetches from outside: {hits}"


def test_it_loads_nothing_external_from_static_files():
    problems = []
    for path in _static_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        pattern = CSS_FETCH if path.suffix == ".css" else JS_FETCH if path.suffix == ".js" else TEMPLATE_FETCH
        hits = [m.group(0)[:120] for m in pattern.finditer(text)]
        if hits:
            problems.append(f"{path}: {hits[:3]}")
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/units/", "/units/110101/", "/units/110101/?tab=history", "/units/search/?q=东城",
                                 "/units/groups/", "/units/import/", "/audit/", "/accounts/tokens/", "/api/v1/docs"])
def test_it_renders_pages_whose_assets_are_all_local(login, url):
    response = login("beijing_admin").get(url)
    assert response.status_code == 200
    html = response.content.decode()
    refs = re.findall(r"""<(?:script|link|img|source|iframe)\b[^>]*?\b(?:src|href)\s*=\s*["']([^"']+)""", html, re.I)
    assert refs
    assert all(ref.startswith("/") and not ref.startswith("//") for ref in refs), refs
    assert any(ref.startswith("/static/") for ref in refs), refs  # so the loop below checks something
    for ref in refs:
        if ref.startswith("/static/"):
            assert finders.find(ref.removeprefix("/static/").split("?")[0]), f"{ref} is not a local static file"


def test_it_serves_the_login_page_without_external_assets(client):
    html = client.get("/accounts/login/").content.decode()
    assert not TEMPLATE_FETCH.search(html)
