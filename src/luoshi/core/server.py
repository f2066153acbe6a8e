"""Running gunicorn in-process for ``luoshi serve`` and ``luoshi demo``."""

from __future__ import annotations

from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from luoshi.wsgi import application

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
