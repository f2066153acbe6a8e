"""``luoshi token create USERNAME [--name N]``, ``luoshi token list USERNAME``, ``luoshi token revoke ID``."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from luoshi.accounts import services
from luoshi.accounts.models import ApiToken
from luoshi.core.context import batch


class Command(BaseCommand):
    help = "Create, list or revoke personal API tokens."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="print a new token for USERNAME")
        create.add_argument("username")
        create.add_argument("--name", default="cli")
        listing = sub.add_parser("list")
        listing.add_argument("username")
        revoke = sub.add_parser("revoke")
        revoke.add_argument("id", type=int)

    def handle(self, *args, action: str, **options):
        with batch("cli"):
            if action == "create":
                user = self._user(options["username"])
                _token, raw = services.create_token(user, user, options["name"])
                self.stdout.write(raw)
            elif action == "list":
                user = self._user(options["username"])
                for t in ApiToken.objects.filter(user=user):
                    state = "active" if t.is_active else "revoked"
                    self.stdout.write(f"{t.pk}\t{t.prefix}…\t{t.name}\t{state}\t{t.created_at:%Y-%m-%d}")
            else:
                token = ApiToken.objects.select_related("user").filter(pk=options["id"]).first()
                if token is None:
                    raise CommandError(f"no token {options['id']}")
                services.revoke_token(token.user, token)
                self.stdout.write(f"revoked {token.prefix}…")

    @staticmethod
    def _user(username: str):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username!r}")
        return user
