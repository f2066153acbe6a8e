"""ORM queries asked on every request, compiled to SQL once per process.

Building and compiling a queryset costs the Django process 0.5–1 ms even for a one-table
lookup, and a few queries run on every page with nothing but a value changing (the user's
grants). ``Precompiled`` builds such a queryset once with sentinel values, keeps its SQL and
where the sentinels went among its parameters, and from then on only executes that SQL with the
real values. The SQL is exactly the queryset's own (same joins, same order), so the rows are the
same; it is kept per database alias and vendor.

The rows are the database driver's values, without the ORM's converters (SQLite answers 0/1 for
a boolean, for instance): the caller converts what it needs. A sentinel must appear among the
compiled parameters, once or more, and no other parameter may equal it (checked when compiling).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connections, models, router
from django.db.models import QuerySet


class Precompiled:
    def __init__(self, model: type[models.Model], build: Callable[..., QuerySet], **sentinels: Any):
        """``build(**values)`` returns the queryset (of ``model``) for the given values;
        ``sentinels`` gives one value per name, unlike any other parameter of the query."""
        self.model = model
        self.build = build
        self.sentinels = sentinels
        self._compiled: dict[tuple[str, str], tuple[str, tuple, dict[str, list[int]]]] = {}

    def compile(self, alias: str) -> tuple[str, tuple, dict[str, list[int]]]:
        sql, params = self.build(**self.sentinels).query.get_compiler(using=alias).as_sql()
        positions = {name: [i for i, p in enumerate(params) if type(p) is type(value) and p == value]
                     for name, value in self.sentinels.items()}
        for name, found in positions.items():
            if not found:
                raise ValueError(f"{name}: the sentinel is not among the compiled parameters")
        return sql, tuple(params), positions

    def rows(self, **values: Any) -> list[tuple]:
        alias = router.db_for_read(self.model)
        connection = connections[alias]
        key = (alias, connection.vendor)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = self.compile(alias)
        sql, constant, positions = compiled
        params = list(constant)
        for name, found in positions.items():
            for i in found:
                params[i] = values[name]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
