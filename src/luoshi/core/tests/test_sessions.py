"""The session store with its read compiled once per process (``core.sessions``): it loads what
Django's database store loads, and nothing once a session expired or was deleted."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DjangoStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from luoshi.core import sessions
from luoshi.core.precompiled import Precompiled


def test_the_setting_uses_this_store():
    assert settings.SESSION_ENGINE == "luoshi.core.sessions"


def test_a_session_loads_as_with_djangos_store(world):
    store = sessions.SessionStore()
    store.update({"a": 1, "name": "北京"})
    store.create()
    assert sessions.SessionStore(store.session_key).load() == DjangoStore(store.session_key).load() == {"a": 1, "name": "北京"}


def test_an_expired_or_deleted_session_loads_nothing_and_forgets_its_key(world):
    store = sessions.SessionStore()
    store["a"] = 1
    store.create()
    Session.objects.filter(pk=store.session_key).update(expire_date=timezone.now() - timedelta(seconds=1))
    expired = sessions.SessionStore(store.session_key)
    assert expired.load() == {} and expired.session_key is None
    assert DjangoStore(store.session_key).load() == {}
    Session.objects.filter(pk=store.session_key).update(expire_date=timezone.now() + timedelta(hours=1))
    assert sessions.SessionStore(store.session_key).load() == {"a": 1}
    Session.objects.filter(pk=store.session_key).delete()
    gone = sessions.SessionStore(store.session_key)
    assert gone.load() == {} and gone.session_key is None


def test_a_logged_in_user_stays_logged_in_until_the_session_is_deleted(login):
    client = login("beijing_reporter")
    assert client.get("/").status_code == 200
    Session.objects.all().delete()
    response = client.get("/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_read_is_compiled_once(world, django_assert_num_queries):
    store = sessions.SessionStore()
    store["a"] = 1
    store.create()
    sessions._session_query()._compiled.clear()
    with mock.patch.object(Precompiled, "compile", autospec=True, side_effect=Precompiled.compile) as compiled, \
            django_assert_num_queries(3):
        for _ in range(3):
            assert sessions.SessionStore(store.session_key).load() == {"a": 1}
    assert compiled.call_count == 1
