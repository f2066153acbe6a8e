"""Logging in through the form, and the lock after repeated failures (django-axes)."""

from __future__ import annotations

import os

import pytest
from django.conf import settings as live_settings
from django.test import Client

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def attempt(client: Client, username: str, password: str):
    return client.post(LOGIN, {"username": username, "password": password})


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("username", ["admin", "beijing_reporter", "shanghai_reporter", "auditor", "ministry_planner"])
def test_it_logs_demo_users_in_with_the_demo_password(world, username):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = attempt(client, username, "luoshi-demo")
    assert response.status_code == 302 and response.url == "/"
    assert logged_in(client)
    assert "Welcome" in client.get("/").content.decode()


def test_it_refuses_a_wrong_password_with_a_message(world):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = attempt(client, "beijing_reporter", "wrong-password")
    assert response.status_code == 200
    assert "did not match" in response.content.decode()
    assert not logged_in(client)


def test_it_redirects_anonymous_visitors_to_the_login_page(world):
    response = Client().get("/units/110101/")
    assert response.status_code == 302 and response.url == "/accounts/login/?next=/units/110101/"


def test_it_locks_the_account_after_the_configured_number_of_failures(world):
    limit = live_settings.AXES_FAILURE_LIMIT
    assert limit == 5 or "LUOSHI_LOGIN_FAILURE_LIMIT" in os.environ  # the documented default
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    for _ in range(limit - 1):
        assert attempt(client, "beijing_reporter", "wrong-password").status_code == 200
    # One more failure reaches the limit; from then on even the right password is refused.
    attempt(client, "beijing_reporter", "wrong-password")
    response = attempt(client, "beijing_reporter", "luoshi-demo")
    assert response.status_code in (403, 429)
    assert "Too many failed attempts" in response.content.decode()
    assert not logged_in(client)
    # Other accounts are not locked.
    other = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert attempt(other, "shanghai_reporter", "luoshi-demo").status_code == 302


def test_it_honours_a_lower_failure_limit(world, settings):
    settings.AXES_FAILURE_LIMIT = 2
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    attempt(client, "beijing_admin", "wrong-password")
    attempt(client, "beijing_admin", "wrong-password")
    assert attempt(client, "beijing_admin", "luoshi-demo").status_code in (403, 429)
    assert not logged_in(client)


def test_it_forgets_failures_after_a_successful_login(world, settings):
    settings.AXES_FAILURE_LIMIT = 3
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    attempt(client, "beijing_admin", "wrong-password")
    attempt(client, "beijing_admin", "wrong-password")
    assert attempt(client, "beijing_admin", "luoshi-demo").status_code == 302
    client.post("/accounts/logout/")
    attempt(client, "beijing_admin", "wrong-password")
    attempt(client, "beijing_admin", "wrong-password")
    assert attempt(client, "beijing_admin", "luoshi-demo").status_code == 302
