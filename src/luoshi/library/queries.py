"""Scoped reads of the library. Every list goes through ``authz.scope``; a query string turns a
list into a ranked full-text search (``library.search``)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from luoshi.core import authz
from luoshi.library import search
from luoshi.library.models import Adoption, Attachment, PolicyDocument, Solution, Tag
from luoshi.orgs.models import OrgUnit


@dataclass
class SolutionFilters:
    q: str = ""
    status: str = ""
    region: OrgUnit | None = None   # a province-level unit
    level: str = ""                 # a unit type (county, school …)
    plan_item: int | None = None
    tag: str = ""


def readable(user, model) -> QuerySet:
    """``authz.scope(user, model)``, short-cut when one of the user's grants covers every tree of
    units (the ministry): then everything is readable and no row needs testing (as in
    ``plans.queries.items``)."""
    if authz.is_unrestricted(user):
        return model.objects.all()
    # Only a grant on a root unit (a path of one id, "/1/") can cover a whole tree, so the roots
    # are looked up only for a user who has one (one query less per search for everyone else).
    if any(g.covers_below and g.path.count("/") == 2 for g in authz.grants(user)):
        roots = list(OrgUnit.objects.filter(parent=None).only("path"))
        if roots and all(authz.covers_subtree(user, "view", model, root) for root in roots):
            return model.objects.all()
    return authz.scope(user, model.objects.all())


def solutions_base(user, f: SolutionFilters | None = None) -> QuerySet[Solution]:
    """The solutions ``user`` may read, filtered (not searched, not ordered)."""
    f = f or SolutionFilters()
    qs = readable(user, Solution)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.region is not None:
        qs = qs.filter(region=f.region)
    if f.level:
        qs = qs.filter(level=f.level)
    if f.plan_item:
        qs = qs.filter(plan_items__pk=f.plan_item)
    if f.tag:
        qs = qs.filter(tags__name=f.tag)
    return qs


def _solution_rows(qs: QuerySet[Solution]) -> QuerySet[Solution]:
    """Rows for a page: units, source units and tags in a constant number of queries, the number of
    adoptions from a correlated count (no GROUP BY over the long text columns), without the
    search columns."""
    adoptions = (Adoption.objects.filter(solution=OuterRef("pk")).order_by().values("solution")
                 .annotate(n=Count("id")).values("n"))
    return (qs.select_related("unit", "region").defer("search_title", "search_body")
            .prefetch_related("source_units", "tags")
            .annotate(adoption_total=Coalesce(Subquery(adoptions), 0)))


def solutions(user, f: SolutionFilters | None = None, *, rows: bool = True):
    """A list (newest first) or, with a query, ranked search results; both page with ``Paginator``.

    ``rows=False``: the list or results without the page's objects (a plain ordered queryset, or
    ``search.Results`` to take ``page_ids`` from), for callers that load their rows as values
    (``solution_items``)."""
    f = f or SolutionFilters()
    base = solutions_base(user, f)
    tokens = search.query_terms(f.q) if f.q else []
    if f.q and not tokens:
        return Solution.objects.none()
    if tokens:
        return search.Results(base, tokens, rows=_solution_rows(Solution.objects.all()) if rows else None)
    listing = Solution.objects.filter(pk__in=base.values("pk")).order_by("-updated_at", "-id")
    return _solution_rows(listing) if rows else listing


# API list rows as plain values ------------------------------------------------------------------
# A page of the API's lists is read with two hand-written statements (the rows with their codes,
# then every many-to-many link in one UNION ALL) and shaped into dicts: for a page of 20 rows,
# building model instances with their related objects, or even composing the same statements with
# the ORM, costs several times what the database does (docs/performance.md, "Library search").
# Values are converted as the ORM converts them (``_converters``), so the answer is the same.

def _converters(model, names) -> list[tuple]:
    """For each field of ``names``: the column expression and the functions the ORM would apply
    to a value read from the database (decimals, dates and booleans on SQLite, for example)."""
    out = []
    for name in names:
        col = model._meta.get_field(name).get_col(model._meta.db_table)
        out.append((col, connection.ops.get_db_converters(col) + col.get_db_converters(connection)))
    return out


def _select(model, ids: list[int], names: tuple[str, ...], extra: tuple[tuple[str, str], ...] = (), joins: str = "") -> dict:
    """The rows of ``model`` whose primary keys are ``ids``, as dicts by primary key: the fields
    ``names`` (keyed by field name) and the SQL expressions ``extra`` ((key, expression) over the
    table aliased ``t`` and ``joins``)."""
    qn = connection.ops.quote_name
    columns = [f"t.{qn(model._meta.get_field(name).column)}" for name in names] + [sql for _key, sql in extra]
    keys = [*names, *(key for key, _sql in extra)]
    converters = _converters(model, names)
    sql = (f"SELECT {', '.join(columns)} FROM {qn(model._meta.db_table)} t {joins} "
           f"WHERE t.{qn(model._meta.pk.column)} IN ({', '.join(['%s'] * len(ids))})")
    rows = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, list(ids))
        for values in cursor.fetchall():
            values = list(values)
            for i, (col, functions) in enumerate(converters):
                for convert in functions:
                    values[i] = convert(values[i], col, connection)
            row = dict(zip(keys, values))
            rows[row["id"]] = row
    return rows


def _add_links(model, rows: dict, links) -> None:
    """Add to each row the sorted list of its linked values per many-to-many relation of ``model``.
    ``links``: (relation name, column of the linked model giving the value, or ``None`` for its
    id, Python type of the value). One statement (UNION ALL, the values as text) for all."""
    qn = connection.ops.quote_name
    ids = list(rows)
    marks = ", ".join(["%s"] * len(ids))
    parts = []
    for i, (name, column, _type) in enumerate(links):
        field = model._meta.get_field(name)
        through = field.remote_field.through._meta
        owner = qn(through.get_field(field.m2m_field_name()).column)
        target = qn(through.get_field(field.m2m_reverse_field_name()).column)
        if column is None:
            value, join = f"x.{target}", ""
        else:
            linked = field.related_model._meta
            value = f"o.{qn(linked.get_field(column).column)}"
            join = f"JOIN {qn(linked.db_table)} o ON o.{qn(linked.pk.column)} = x.{target}"
        parts.append(f"SELECT x.{owner}, {i}, CAST({value} AS TEXT) FROM {qn(through.db_table)} x {join} WHERE x.{owner} IN ({marks})")
        for row in rows.values():
            row[name] = []
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), ids * len(links))
        for pk, i, value in cursor.fetchall():
            name, _column, type_ = links[i]
            rows[pk][name].append(type_(value))
    for row in rows.values():
        for name, _column, _type in links:
            row[name].sort()


SOLUTION_ITEM_FIELDS = ("id", "title", "status", "level", "summary", "problem", "approach", "results", "evidence", "conditions",
                        "cost", "cost_notes", "result_label", "result_value", "source_review", "version")
SOLUTION_LINKS = (("source_units", "code", str), ("tags", "name", str), ("plan_items", None, int))


def solution_items(ids: list[int]) -> list[dict]:
    """The solutions ``ids``, in that order, as the API lists them (``api.SolutionItem``): plain
    values, the owning unit, region and source units as codes, tag names, plan-item ids and the
    number of adoptions. Two statements for any number of rows, no model instances."""
    if not ids:
        return []
    qn = connection.ops.quote_name
    units, adoptions = qn(OrgUnit._meta.db_table), qn(Adoption._meta.db_table)
    rows = _select(Solution, ids, SOLUTION_ITEM_FIELDS,
                   (("unit", "u.code"), ("region", "r.code"),
                    ("adoption_count", f"(SELECT count(*) FROM {adoptions} a WHERE a.solution_id = t.id)")),
                   f"JOIN {units} u ON u.id = t.unit_id LEFT JOIN {units} r ON r.id = t.region_id")
    _add_links(Solution, rows, SOLUTION_LINKS)
    return [rows[pk] for pk in ids if pk in rows]


def similar(user, solution: Solution, count: int = 5) -> list[Solution]:
    """Readable solutions sharing the most characteristic words of ``solution``."""
    words = search.keywords(f"{solution.title}\n{solution.problem}\n{solution.approach}", 8)
    words += [t.name.lower() for t in solution.tags.all() if t.name.lower() not in words]
    if not words:
        return []
    base = authz.scope(user, Solution.objects.exclude(pk=solution.pk))
    ids = search.ranked_ids(base, [w for tok in words for w in search.query_tokens(tok)][:16], any_of=True, limit=count)
    found = Solution.objects.select_related("unit").in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


def adoptions_in_scope(user, solution: Solution) -> QuerySet[Adoption]:
    """The adoptions of ``solution`` the user may read in detail."""
    return authz.scope(user, Adoption.objects.filter(solution=solution)).select_related("unit").order_by("unit__path")


def spread_by_province(solution: Solution) -> list[dict]:
    """Where the solution has spread: adopting units counted by province (figures only, no detail,
    so anyone who may read the solution may read them)."""
    rows = list(Adoption.objects.filter(solution=solution).values_list("unit__path", "status"))
    provinces = {u.pk: u for u in OrgUnit.objects.filter(type="province", depth=1)}
    table: dict[int | None, dict] = {}
    for path, status in rows:
        ids = [int(p) for p in path.strip("/").split("/") if p]
        province = next((provinces[i] for i in ids if i in provinces), None)
        key = province.pk if province else None
        row = table.setdefault(key, {"province": province, "units": 0, "done": 0, "underway": 0})
        row["units"] += 1
        if status == Adoption.Status.DONE:
            row["done"] += 1
        elif status == Adoption.Status.UNDERWAY:
            row["underway"] += 1
    return sorted(table.values(), key=lambda r: (-r["units"], r["province"].code if r["province"] else "~"))


def comparison(user, solution: Solution) -> list[dict]:
    """The source pilot's headline figure beside each readable adopter's (difference and ratio)."""
    out = []
    for adoption in adoptions_in_scope(user, solution):
        row = {"adoption": adoption, "value": adoption.result_value, "diff": None}
        if adoption.result_value is not None and solution.result_value is not None:
            row["diff"] = adoption.result_value - solution.result_value
        out.append(row)
    return out


def adoption_counts(ids) -> dict[int, int]:
    rows = Adoption.objects.filter(solution_id__in=list(ids)).values("solution_id").annotate(n=Count("id"))
    return {r["solution_id"]: r["n"] for r in rows}


def my_adoptions(user) -> QuerySet[Adoption]:
    return authz.scope(user, Adoption.objects.all(), "change").select_related("solution", "unit").order_by("-updated_at")


def attachments(user, solution: Solution) -> QuerySet[Attachment]:
    return authz.scope(user, Attachment.objects.filter(solution=solution))


def tag_choices(user) -> list[str]:
    return list(Tag.objects.filter(solutions__in=authz.scope(user, Solution.objects.all()))
                .values_list("name", flat=True).distinct().order_by("name")[:200])


# Policy registry ------------------------------------------------------------------------------

@dataclass
class PolicyFilters:
    q: str = ""
    status: str = ""
    plan_item: int | None = None
    unit: OrgUnit | None = None


def policies_base(user, f: PolicyFilters | None = None) -> QuerySet[PolicyDocument]:
    f = f or PolicyFilters()
    qs = readable(user, PolicyDocument)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.plan_item:
        qs = qs.filter(plan_items__pk=f.plan_item)
    if f.unit is not None:
        qs = qs.filter(unit__path__startswith=f.unit.path)
    return qs


def policies(user, f: PolicyFilters | None = None, *, rows: bool = True):
    """As ``solutions``: a list (latest first) or ranked search results; ``rows=False`` for
    callers that load their rows as values (``policy_items``)."""
    f = f or PolicyFilters()
    base = policies_base(user, f)
    objects = PolicyDocument.objects.select_related("unit").defer("search_title", "search_body")
    tokens = search.query_terms(f.q) if f.q else []
    if f.q and not tokens:
        return PolicyDocument.objects.none()
    if tokens:
        return search.Results(base, tokens, rows=objects if rows else None)
    return (objects if rows else PolicyDocument.objects).filter(pk__in=base.values("pk")).order_by("-issued_on", "-id")


POLICY_ITEM_FIELDS = ("id", "title", "doc_number", "issuer", "issued_on", "status", "summary", "source_url",
                      "is_illustrative", "source_document", "version")
POLICY_LINKS = (("plan_items", None, int), ("solutions", None, int), ("revises", None, int), ("repeals", None, int))


def policy_items(ids: list[int]) -> list[dict]:
    """The policy documents ``ids``, in that order, as the API lists them (``api.PolicyItem``):
    plain values, the registering unit as its code, the ids of the linked plan items, solutions and
    documents revised or repealed. Two statements for any number of rows, no model instances."""
    if not ids:
        return []
    units = connection.ops.quote_name(OrgUnit._meta.db_table)
    rows = _select(PolicyDocument, ids, POLICY_ITEM_FIELDS, (("unit", "u.code"),), f"JOIN {units} u ON u.id = t.unit_id")
    _add_links(PolicyDocument, rows, POLICY_LINKS)
    return [rows[pk] for pk in ids if pk in rows]


def policy_links(user, doc: PolicyDocument) -> dict:
    """The document's readable links (out-of-scope ones are left out)."""
    return {
        "plan_items": authz.scope(user, doc.plan_items.select_related("plan")),
        "solutions": authz.scope(user, doc.solutions.all()),
        "revises": authz.scope(user, doc.revises.all()),
        "repeals": authz.scope(user, doc.repeals.all()),
        "revised_by": authz.scope(user, doc.revised_by.all()),
        "repealed_by": authz.scope(user, doc.repealed_by.all()),
    }
