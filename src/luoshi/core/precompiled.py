"""ORM queries asked on every request, compiled to SQL once per process.

Building and compiling a queryset costs the Django process 0.5–1 ms even for a one-table
lookup, and a few queries run on every page with nothing but a value changing (the user's
grants). ``Precompiled`` builds such a queryset once with sentinel values, keeps its SQL and
where the sentinels went among its parameters, and from then on only executes that SQL with the
real values. The SQL is exactly the queryset's own (same joins, same order), so the rows are the
same; it is kept per database alias and vendor.

A text sentinel may also stand for the start of a text (``field__startswith=sentinel``): the
compiled parameter is then the sentinel as a LIKE pattern (``sentinel%``), and the real value
takes its place escaped the same way (``connection.ops.prep_for_like_query``), as the queryset
would have written it.

``rows`` gives the database driver's values, without the ORM's converters (SQLite answers 0/1 for
a boolean, for instance): the caller converts what it needs. ``objects`` gives model instances
made from the rows exactly as the queryset would make them (the ORM's converters, ``from_db``,
``select_related`` objects and annotations), for a queryset of model instances. A sentinel must
appear among the compiled parameters, once or more, and no other parameter may equal it
(checked when compiling).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connections, models, router
from django.db.models import QuerySet
from django.db.models.query import ModelIterable, get_related_populators


class _Compiled:
    """One query's SQL for one database, and what turning its rows into objects needs.

    The compiler of the one compilation is kept for its column layout and converters and shared
    by every thread of the process: after ``as_sql`` it is only read (its converters take the
    compiling thread's connection object for settings such as the time zone, never a cursor)."""

    def __init__(self, queryset: QuerySet, compiler, sql: str, params: tuple, positions: dict[str, list[tuple[int, bool]]]):
        self.sql, self.params, self.positions = sql, params, positions
        self.of_instances = queryset._iterable_class is ModelIterable
        self.compiler = compiler
        self.width = compiler.col_count if compiler.has_extra_select else None
        self.converters = compiler.get_converters([s[0] for s in compiler.select[:compiler.col_count]])

    def model_rows(self, alias: str):
        """What ``objects`` needs, prepared once: the model, its field names in the row, the
        related objects' populators and the annotations' columns (as ``ModelIterable`` does)."""
        if not hasattr(self, "_model_rows"):
            compiler = self.compiler
            if not self.of_instances or compiler.klass_info is None:
                raise TypeError("objects() needs a queryset of model instances")
            select, klass_info = compiler.select, compiler.klass_info
            fields = klass_info["select_fields"]
            start, end = fields[0], fields[-1] + 1
            self._model_rows = (klass_info["model"], start, end, [f[0].target.attname for f in select[start:end]],
                                get_related_populators(klass_info, select, alias), compiler.annotation_col_map)
        return self._model_rows


class Precompiled:
    def __init__(self, model: type[models.Model], build: Callable[..., QuerySet], **sentinels: Any):
        """``build(**values)`` returns the queryset (of ``model``) for the given values;
        ``sentinels`` gives one value per name, unlike any other parameter of the query."""
        self.model = model
        self.build = build
        self.sentinels = sentinels
        self._compiled: dict[tuple[str, str], _Compiled] = {}

    def compile(self, alias: str) -> _Compiled:
        queryset = self.build(**self.sentinels)
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        like = connections[alias].ops.prep_for_like_query
        # Where each sentinel went: (index, as a LIKE prefix?).
        positions = {name: [(i, p != value) for i, p in enumerate(params)
                            if type(p) is type(value) and (p == value or (type(p) is str and p == f"{like(value)}%"))]
                     for name, value in self.sentinels.items()}
        for name, found in positions.items():
            if not found:
                raise ValueError(f"{name}: the sentinel is not among the compiled parameters")
            # A text sentinel used any other way (contains, endswith, iexact …) would be left in place
            # or put in unescaped: refuse the query rather than run it wrong.
            value, taken = self.sentinels[name], {i for i, _prefix in found}
            if isinstance(value, str) and any(isinstance(p, str) and (value in p or like(value) in p) and i not in taken
                                              for i, p in enumerate(params)):
                raise ValueError(f"{name}: the sentinel is used in a way other than equal to or starting with")
        return _Compiled(queryset, compiler, sql, tuple(params), positions)

    def _run(self, values: dict[str, Any]) -> tuple[str, _Compiled, list[tuple]]:
        alias = router.db_for_read(self.model)
        connection = connections[alias]
        key = (alias, connection.vendor)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = self.compile(alias)
        params = list(compiled.params)
        for name, found in compiled.positions.items():
            for i, prefix in found:
                params[i] = f"{connection.ops.prep_for_like_query(values[name])}%" if prefix else values[name]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            return alias, compiled, cursor.fetchall()

    def rows(self, **values: Any) -> list[tuple]:
        return self._run(values)[2]

    def objects(self, **values: Any) -> list[models.Model]:
        """The queryset's model instances for ``values``, as iterating the queryset would give them."""
        alias, compiled, rows = self._run(values)
        if not compiled.of_instances:
            raise TypeError("objects() needs a queryset of model instances")
        model, start, end, names, populators, annotations = compiled.model_rows(alias)
        if compiled.width is not None:
            rows = [row[:compiled.width] for row in rows]
        if compiled.converters:
            rows = compiled.compiler.apply_converters(rows, compiled.converters)
        found = []
        for row in rows:
            obj = model.from_db(alias, names, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            for name, position in annotations.items():
                setattr(obj, name, row[position])
            found.append(obj)
        return found
