"""``luoshi serve``'s gunicorn application: what it does once the site is loaded."""

from __future__ import annotations

import gc

from luoshi.core.server import _Gunicorn


def test_loading_the_site_freezes_the_long_lived_objects():
    """The application loaded for the workers leaves Django's objects out of the cyclic garbage
    collector (``gc.freeze``), so no worker walks them on every full collection."""
    from django.db import connections

    # An earlier test in the same process may have left a connection open: what counts is that
    # loading the site opens none of its own.
    before = {alias: connections[alias].connection for alias in connections}
    gc.unfreeze()
    try:
        app = _Gunicorn({"bind": "127.0.0.1:0", "workers": 1}).load()
        assert callable(app)
        assert gc.get_freeze_count() > 10_000
        # The URL patterns (every view module) were loaded before the freeze.
        from django.urls import get_resolver

        assert "url_patterns" in get_resolver().__dict__
        # Nothing opened a database connection the forked workers would share (this test may not
        # touch the database at all: pytest-django refuses it without the db fixture).
        assert {alias: connections[alias].connection for alias in connections} == before
    finally:
        gc.unfreeze()
