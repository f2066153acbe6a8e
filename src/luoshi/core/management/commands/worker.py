"""``luoshi worker``: the background job worker (django-tasks-db's ``db_worker``)."""

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the background worker that executes queued jobs (reminders, long imports)."

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="exit when the queue is empty")

    def handle(self, *args, batch: bool, **options):
        extra = ["--batch", "--no-startup-delay"] if batch else []
        call_command("db_worker", *extra)
