"""The ``luoshi`` console script: Django's management commands plus Luoshi's own.

``luoshi migrate``, ``luoshi shell -c ...`` and every other Django command work as with
``manage.py``; Luoshi adds ``demo``, ``serve``, ``worker``, ``orgunits``, ``token`` and
``policy`` as management commands in the domain packages.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luoshi.settings")
    argv = list(sys.argv if argv is None else argv)
    argv[0] = "luoshi"
    from luoshi.conf import ConfigError

    try:
        import django

        django.setup()
    except ConfigError as exc:
        print(f"luoshi: configuration error: {exc}", file=sys.stderr)
        return 2
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
