"""Scoped reads of the library. Every list goes through ``authz.scope``; a query string turns a
list into a ranked full-text search (``library.search``)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
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
    roots = list(OrgUnit.objects.filter(parent=None))
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


def solutions(user, f: SolutionFilters | None = None):
    """A list (newest first) or, with a query, ranked search results; both page with ``Paginator``."""
    f = f or SolutionFilters()
    base = solutions_base(user, f)
    tokens = search.query_terms(f.q) if f.q else []
    if f.q and not tokens:
        return Solution.objects.none()
    if tokens:
        return search.Results(base, tokens, rows=_solution_rows(Solution.objects.all()))
    return _solution_rows(Solution.objects.filter(pk__in=base.values("pk"))).order_by("-updated_at", "-id")


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


def policies(user, f: PolicyFilters | None = None):
    f = f or PolicyFilters()
    base = policies_base(user, f)
    rows = PolicyDocument.objects.select_related("unit").defer("search_title", "search_body")
    tokens = search.query_terms(f.q) if f.q else []
    if f.q and not tokens:
        return PolicyDocument.objects.none()
    if tokens:
        return search.Results(base, tokens, rows=rows)
    return rows.filter(pk__in=base.values("pk")).order_by("-issued_on", "-id")


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
