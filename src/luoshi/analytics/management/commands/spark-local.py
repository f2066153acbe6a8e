"""``luoshi spark-local start|stop|status [--workers N]``: a standalone Spark cluster on 127.0.0.1.

The pid files and logs are in ``<data dir>/spark/cluster``. Then:
``luoshi analytics rebuild --engine spark --master spark://127.0.0.1:7077``.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from luoshi.analytics import spark, spark_local


class Command(BaseCommand):
    help = "Start or stop a local standalone Spark cluster (a master and N workers on 127.0.0.1)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["start", "stop", "status"])
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--cores", type=int, default=1, help="cores per worker")
        parser.add_argument("--memory", default="1g", help="memory per worker")
        parser.add_argument("--port", type=int, default=7077)

    def handle(self, *args, action: str, **options):
        directory: Path = spark.work_dir() / "cluster"
        if action == "start":
            if reason := spark.available():
                raise CommandError(reason, returncode=2)
            if options["workers"] < 1:
                raise CommandError("--workers must be at least 1", returncode=2)
            try:
                url = spark_local.start(directory, workers=options["workers"], cores=options["cores"],
                                        memory=options["memory"], port=options["port"])
            except RuntimeError as exc:
                raise CommandError(str(exc), returncode=1) from None
            self.stdout.write(f"{url} ({options['workers']} workers; pid files in {directory})")
        elif action == "stop":
            n = spark_local.stop(directory)
            self.stdout.write(f"stopped {n} process(es)")
        else:
            pids = spark_local.running(directory)
            url = (directory / "master.url").read_text() if (directory / "master.url").exists() else "-"
            self.stdout.write(f"{url}: {len(pids)} process(es) running" if pids else "not running")
