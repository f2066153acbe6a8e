"""The main navigation, rendered once per shape and reused.

``core/_nav_items.html`` is the same on every page but for the language, the page's section
(``aria-current``), three role flags and the two badge counts; its render cost (twenty URL
reversals and translations) was paid by every page. Its output is a pure function of those
values, so it is kept per process under exactly that key: nothing read from the database is in
it but the counts, which are part of the key, so there is nothing to invalidate (the counts come
from ``core.badges``, invalidated on every write that changes them).
"""

from __future__ import annotations

from django import template
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import get_language

register = template.Library()

_rendered: dict[tuple, str] = {}
MAX_SHAPES = 2048  # distinct shapes kept (a bound, not an expiry: the output never goes stale)


def nav_key(context) -> tuple:
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    can_review, can_intake, can_audit = (bool(context.get(name)) for name in ("can_review", "can_intake", "can_audit"))
    counts = context.get("nav_counts")
    reviews = counts.get("reviews") if (counts is not None and can_review) else None
    unread = counts.get("unread") if counts is not None else None
    return (get_language(), get_script_prefix(), getattr(match, "app_name", None), getattr(match, "url_name", None),
            can_review, can_intake, can_audit, reviews, unread)


@register.simple_tag(takes_context=True)
def nav_items(context) -> str:
    key = nav_key(context)
    html = _rendered.get(key)
    if html is None:
        html = context.template.engine.get_template("core/_nav_items.html").render(context)
        if len(_rendered) >= MAX_SHAPES:
            _rendered.clear()
        _rendered[key] = html
    return html


_urls: dict[tuple, str] = {}


@register.simple_tag
def fixed_url(name: str) -> str:
    """``{% url name %}`` for a URL without arguments (the base template's seven links), reversed
    once per name, script prefix and URLconf: the same text, escaped as ``{% url %}`` escapes it."""
    key = (name, get_script_prefix(), get_urlconf())
    url = _urls.get(key)
    if url is None:
        url = reverse(name)
        if len(_urls) >= MAX_SHAPES:
            _urls.clear()
        _urls[key] = url
    return url
