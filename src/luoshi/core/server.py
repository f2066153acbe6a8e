"""Running gunicorn in-process for ``luoshi serve`` and ``luoshi demo``."""

from __future__ import annotations

import gc

from gunicorn.app.base import BaseApplication


def freeze_loaded_objects() -> None:
    """Move every object alive now (Django, the apps, their modules, the URL patterns) out of the
    cyclic garbage collector's sight (``gc.freeze``).

    Called once the application is loaded, before gunicorn forks its workers. Without it each
    worker's full collection walks those 130,000-odd long-lived objects again: about 100 ms of
    CPU during which the worker's threads all wait, and 1.3–1.5 ms a request on average
    (docs/performance.md, round 4). They never become garbage, so nothing is lost; and the
    workers' copies of the memory pages they sit on are not written by the collector either."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # import every view module now, in the parent, once
    gc.collect()
    gc.freeze()


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from luoshi.wsgi import application

        freeze_loaded_objects()
        return application


def run_gunicorn(host: str, port: int, workers: int = 2, threads: int = 4) -> None:
    _Gunicorn({
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "timeout": 120,
        "accesslog": "-",
        "errorlog": "-",
        "preload_app": True,
    }).run()
