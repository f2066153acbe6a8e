"""``luoshi serve [--port N]``: run the site with gunicorn (WSGI), static files via WhiteNoise."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from luoshi.core.server import run_gunicorn


class Command(BaseCommand):
    help = "Serve Luoshi with gunicorn on 127.0.0.1 (or --host)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--threads", type=int, default=4, help="threads per worker process (default 4)")

    def handle(self, *args, port: int, host: str, workers: int, threads: int = 4, **options):
        if settings.PRODUCTION and host == "127.0.0.1":
            self.stdout.write("Serving on loopback; put a reverse proxy with TLS in front.")
        if threads < 1 or workers < 1:
            raise CommandError("--workers and --threads must be at least 1")
        run_gunicorn(host, port, workers, threads)
