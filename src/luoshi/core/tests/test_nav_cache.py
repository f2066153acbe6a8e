"""The main navigation is rendered once per shape (``core/templatetags/luoshi_nav.py``): every
page must show exactly the navigation the template renders for that user, page and language,
and the badges must follow the counts at once."""

from __future__ import annotations

import re

import pytest

from luoshi.core.templatetags import luoshi_nav
from luoshi.core.testing.fixtures import ENGLISH

PAGES = ["/", "/plans/", "/plans/my-work/", "/plans/reviews/", "/plans/supervision/", "/plans/notifications/",
         "/indicators/", "/pilots/", "/library/", "/analytics/", "/orgs/", "/audit/"]


def _nav(html: str) -> str:
    return re.search(r'<nav id="main-nav".*?</nav>', html, re.S).group(0)


@pytest.mark.parametrize("username", ["ministry_reviewer", "beijing_reporter", "auditor", "admin"])
def test_the_cached_navigation_is_what_the_template_renders(world, login, username):
    client = login(username)
    luoshi_nav._rendered.clear()
    seen = {}
    for language in ("zh-hans", "en"):
        for page in PAGES:
            response = client.get(page, HTTP_ACCEPT_LANGUAGE=language)
            if response.status_code != 200:
                continue
            seen[(page, language)] = _nav(response.content.decode())
    assert len(seen) >= 12
    assert luoshi_nav._rendered  # the pages went through the cache
    # now render every page with the cache bypassed: the template itself, each time
    original = luoshi_nav._rendered
    try:
        class Never(dict):
            def get(self, key, default=None):
                return None

            def __setitem__(self, key, value):
                pass
        luoshi_nav._rendered = Never()
        for (page, language), nav in seen.items():
            fresh = _nav(client.get(page, HTTP_ACCEPT_LANGUAGE=language).content.decode())
            assert fresh == nav, (page, language)
    finally:
        luoshi_nav._rendered = original


def test_sections_and_languages_do_not_share_a_navigation(world, login):
    client = login("beijing_reporter")
    luoshi_nav._rendered.clear()
    home = _nav(client.get("/", **ENGLISH).content.decode())
    plans = _nav(client.get("/plans/", **ENGLISH).content.decode())
    chinese = _nav(client.get("/plans/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode())
    assert re.search(r'href="/"\s+aria-current="page">Home', home)
    assert re.search(r'href="/plans/"\s+aria-current="page">Plans', plans)
    assert not re.search(r'aria-current="page">Plans', home)
    assert "Plans" in plans and "Plans" not in chinese and "规划" in chinese


def test_fixed_urls_are_what_the_url_tag_gives_under_any_script_prefix(world):
    """``{% fixed_url %}`` (the base template's links) gives ``{% url %}``'s text, escaped alike,
    also when the site is served below a path (the script prefix is part of its key)."""
    from django.template import Context, Engine
    from django.urls import get_script_prefix, set_script_prefix

    names = ["core:home", "set_language", "accounts:password", "accounts:tokens", "accounts:users", "accounts:logout"]
    engine = Engine.get_default()
    before = get_script_prefix()
    try:
        for prefix in ("/", "/luoshi/", "/a&b/"):
            set_script_prefix(prefix)
            for name in names:
                fixed = engine.from_string(f"{{% load luoshi_nav %}}{{% fixed_url '{name}' %}}").render(Context())
                assert fixed == engine.from_string(f"{{% url '{name}' %}}").render(Context())
                assert fixed.startswith(prefix.replace("&", "&amp;"))
    finally:
        set_script_prefix(before)
