"""Helpers for browser tests (Playwright in Debian's Chromium against ``live_server``)."""

from __future__ import annotations

from luoshi.core.testing.world import PASSWORD


def log_in(page, base: str, username: str, next_url: str = "/") -> None:
    """Open a page, get sent to the login form, log in there and land back on the page."""
    page.goto(f"{base}{next_url}")
    assert "/accounts/login/" in page.url
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_url(f"{base}{next_url}")


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
