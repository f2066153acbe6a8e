"""``/api/v1/solutions``, ``/api/v1/adoptions`` and ``/api/v1/policies``: the same scoping, search
and audit as the pages. Lists answer ``{"items": [...], "count": n}``; ``q`` searches (ranked)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ninja import Field, Query, Router, Schema, Status

from luoshi.core import authz
from luoshi.core.paging import MAX_OFFSET
from luoshi.library import queries, search, services
from luoshi.library.models import Adoption, PolicyDocument, Solution
from luoshi.orgs.models import OrgUnit
from luoshi.plans.models import PlanItem

solutions_router = Router(tags=["solutions"])
adoptions_router = Router(tags=["adoptions"])
policies_router = Router(tags=["policies"])

MAX_LIMIT = 100


class SolutionItem(Schema):
    """A solution as lists give it (read as plain values: ``queries.solution_items``)."""

    id: int
    title: str
    status: str
    unit: str
    source_units: list[str]
    region: str | None
    level: str
    tags: list[str]
    plan_items: list[int]
    summary: str
    problem: str
    approach: str
    results: str
    evidence: str
    conditions: str
    cost: Decimal | None
    cost_notes: str
    result_label: str
    result_value: Decimal | None
    source_review: int | None = None
    adoption_count: int
    version: int


class SolutionOut(SolutionItem):
    """One solution (the same fields as a list item, read from a model instance)."""

    unit: str = Field(..., alias="unit.code")
    source_review: int | None = Field(None, alias="source_review_id")

    @staticmethod
    def resolve_source_units(obj: Solution) -> list[str]:
        return sorted(u.code for u in obj.source_units.all())

    @staticmethod
    def resolve_region(obj: Solution) -> str | None:
        return obj.region.code if obj.region_id else None

    @staticmethod
    def resolve_tags(obj: Solution) -> list[str]:
        return sorted(t.name for t in obj.tags.all())

    @staticmethod
    def resolve_plan_items(obj: Solution) -> list[int]:
        return sorted(i.pk for i in obj.plan_items.all())

    @staticmethod
    def resolve_adoption_count(obj: Solution) -> int:
        total = getattr(obj, "adoption_total", None)
        return obj.adoptions.count() if total is None else total


class SolutionList(Schema):
    items: list[SolutionItem]
    count: int


class SolutionIn(Schema):
    title: str
    unit: str
    problem: str
    approach: str
    summary: str = ""
    results: str = ""
    evidence: str = ""
    conditions: str = ""
    cost: Decimal | None = None
    cost_notes: str = ""
    result_label: str = ""
    result_value: Decimal | None = None
    source_units: list[str] = []
    plan_items: list[int] = []
    tags: list[str] = []


class SolutionPatch(Schema):
    title: str | None = None
    summary: str | None = None
    problem: str | None = None
    approach: str | None = None
    results: str | None = None
    evidence: str | None = None
    conditions: str | None = None
    cost: Decimal | None = None
    cost_notes: str | None = None
    result_label: str | None = None
    result_value: Decimal | None = None
    source_units: list[str] | None = None
    plan_items: list[int] | None = None
    tags: list[str] | None = None
    version: int | None = None


class StatusIn(Schema):
    action: str = Field(..., description="solutions: recommend, promote, withdraw; policies: issue, repeal")
    version: int | None = None


class AdoptionOut(Schema):
    id: int
    solution: int = Field(..., alias="solution_id")
    unit: str = Field(..., alias="unit.code")
    status: str
    started_on: date | None
    progress: str
    results: str
    result_value: Decimal | None
    adapted: str
    version: int


class AdoptionList(Schema):
    items: list[AdoptionOut]
    count: int


class AdoptionIn(Schema):
    unit: str
    status: Adoption.Status = Adoption.Status.PLANNED
    started_on: date | None = None
    progress: str = ""
    results: str = ""
    result_value: Decimal | None = None
    adapted: str = ""


class AdoptionPatch(Schema):
    status: Adoption.Status | None = None
    started_on: date | None = None
    progress: str | None = None
    results: str | None = None
    result_value: Decimal | None = None
    adapted: str | None = None
    version: int | None = None


class PolicyItem(Schema):
    """A policy document as lists give it (read as plain values: ``queries.policy_items``)."""

    id: int
    title: str
    doc_number: str
    issuer: str
    unit: str
    issued_on: date | None
    status: str
    summary: str
    source_url: str
    is_illustrative: bool
    source_document: int | None = None
    plan_items: list[int]
    solutions: list[int]
    revises: list[int]
    repeals: list[int]
    version: int


class PolicyOut(PolicyItem):
    """One policy document (the same fields as a list item, read from a model instance)."""

    unit: str = Field(..., alias="unit.code")
    source_document: int | None = Field(None, alias="source_document_id")

    @staticmethod
    def resolve_plan_items(obj) -> list[int]:
        return sorted(o.pk for o in obj.plan_items.all())

    @staticmethod
    def resolve_solutions(obj) -> list[int]:
        return sorted(o.pk for o in obj.solutions.all())

    @staticmethod
    def resolve_revises(obj) -> list[int]:
        return sorted(o.pk for o in obj.revises.all())

    @staticmethod
    def resolve_repeals(obj) -> list[int]:
        return sorted(o.pk for o in obj.repeals.all())


class PolicyDetail(PolicyOut):
    full_text: str


class PolicyList(Schema):
    items: list[PolicyItem]
    count: int


class PolicyIn(Schema):
    title: str
    unit: str
    status: str = "drafting"
    doc_number: str = ""
    issuer: str = ""
    issued_on: date | None = None
    summary: str = ""
    full_text: str = ""
    source_url: str = ""
    plan_items: list[int] = []
    solutions: list[int] = []
    revises: list[int] = []
    repeals: list[int] = []


class PolicyPatch(Schema):
    title: str | None = None
    doc_number: str | None = None
    issuer: str | None = None
    issued_on: date | None = None
    summary: str | None = None
    full_text: str | None = None
    source_url: str | None = None
    plan_items: list[int] | None = None
    solutions: list[int] | None = None
    revises: list[int] | None = None
    repeals: list[int] | None = None
    version: int | None = None


class SolutionQuery(Schema):
    q: str = ""
    status: Solution.Status | None = None
    region: str | None = Field(None, description="province code, e.g. 110000")
    level: str = ""
    plan_item: int | None = None
    tag: str = ""
    limit: int = Field(20, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class PolicyQuery(Schema):
    q: str = ""
    status: PolicyDocument.Status | None = None
    plan_item: int | None = None
    limit: int = Field(20, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


def _unit(request, code: str) -> OrgUnit:
    return authz.get_or_404(request.user, OrgUnit, code=code)


def _units(request, codes) -> list[OrgUnit]:
    return [_unit(request, c) for c in codes]


def _items(request, ids) -> list[PlanItem]:
    return [authz.get_or_404(request.user, PlanItem, pk=pk) for pk in ids]


def _solution(request, solution_id: int) -> Solution:
    return authz.get_or_404(request.user, Solution.objects.select_related("unit", "region"), pk=solution_id)


def _policy(request, doc_id: int) -> PolicyDocument:
    return authz.get_or_404(request.user, PolicyDocument.objects.select_related("unit"), pk=doc_id)


def _item_page(found, items, limit: int, offset: int) -> dict:
    """A page of a list or search (``queries.solutions``/``policies`` with ``rows=False``): the
    page's ids, then its rows as plain values from ``items`` (``queries.solution_items``/
    ``policy_items``), and the count. A search on PostgreSQL answers the ids of the first pages
    and the count from one statement (``search.Results``)."""
    if isinstance(found, search.Results):
        ids = found.page_ids(offset, limit)
    else:
        ids = list(found.values_list("pk", flat=True)[offset:offset + limit])
    return {"items": items(ids), "count": found.count()}


def _page(results, limit: int, offset: int) -> dict:
    return {"items": list(results[offset:offset + limit]), "count": results.count()}


@solutions_router.get("", response=SolutionList, summary="Solutions in reach; ?q= searches (ranked, Chinese segmentation)")
def list_solutions(request, filters: Query[SolutionQuery]):
    region = OrgUnit.objects.filter(code=filters.region, type="province").first() if filters.region else None
    if filters.region and region is None:
        return {"items": [], "count": 0}
    f = queries.SolutionFilters(q=filters.q, status=filters.status or "", region=region, level=filters.level,
                                plan_item=filters.plan_item, tag=filters.tag)
    return _item_page(queries.solutions(request.user, f, rows=False), queries.solution_items, filters.limit, filters.offset)


@solutions_router.post("", response={201: SolutionOut}, summary="Write a draft solution")
def create_solution(request, payload: SolutionIn):
    data = payload.dict()
    unit = _unit(request, data.pop("unit"))
    data["source_units"] = _units(request, data["source_units"])
    data["plan_items"] = _items(request, data["plan_items"])
    return Status(201, services.create_solution(request.user, unit=unit, **data))


@solutions_router.get("/{solution_id}", response=SolutionOut, summary="One solution")
def get_solution(request, solution_id: int):
    return _solution(request, solution_id)


@solutions_router.patch("/{solution_id}", response=SolutionOut, summary="Change a solution (send the version you read)")
def update_solution(request, solution_id: int, payload: SolutionPatch):
    solution = _solution(request, solution_id)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version", None)
    if "source_units" in data:
        data["source_units"] = _units(request, data["source_units"] or [])
    if "plan_items" in data:
        data["plan_items"] = _items(request, data["plan_items"] or [])
    return services.update_solution(request.user, solution, data, expected_version=version)


@solutions_router.post("/{solution_id}/status", response=SolutionOut, summary="Recommend, promote nationally or withdraw")
def solution_status(request, solution_id: int, payload: StatusIn):
    return services.set_solution_status(request.user, _solution(request, solution_id), payload.action,
                                        expected_version=payload.version)


@solutions_router.delete("/{solution_id}", response={204: None}, summary="Delete a draft solution")
def delete_solution(request, solution_id: int):
    services.delete_solution(request.user, _solution(request, solution_id))
    return Status(204, None)


@solutions_router.get("/{solution_id}/similar", response=list[SolutionOut], summary="Similar solutions (in reach)")
def similar_solutions(request, solution_id: int):
    return queries.similar(request.user, _solution(request, solution_id))


@solutions_router.get("/{solution_id}/adoptions", response=AdoptionList, summary="Adoptions of a solution (in scope)")
def list_adoptions(request, solution_id: int, limit: int = Query(50, ge=1, le=MAX_LIMIT), offset: int = Query(0, ge=0, le=MAX_OFFSET)):
    qs = queries.adoptions_in_scope(request.user, _solution(request, solution_id))
    return _page(qs, min(max(limit, 1), MAX_LIMIT), max(offset, 0))


@solutions_router.post("/{solution_id}/adoptions", response={201: AdoptionOut}, summary="A unit adopts the solution")
def adopt(request, solution_id: int, payload: AdoptionIn):
    solution = _solution(request, solution_id)
    data = payload.dict()
    unit = _unit(request, data.pop("unit"))
    return Status(201, services.adopt(request.user, solution, unit, **data))


@adoptions_router.get("/{adoption_id}", response=AdoptionOut, summary="One adoption")
def get_adoption(request, adoption_id: int):
    return authz.get_or_404(request.user, Adoption.objects.select_related("unit"), pk=adoption_id)


@adoptions_router.patch("/{adoption_id}", response=AdoptionOut, summary="Update an adoption's progress and results")
def update_adoption(request, adoption_id: int, payload: AdoptionPatch):
    adoption = authz.get_or_404(request.user, Adoption.objects.select_related("unit"), pk=adoption_id)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version", None)
    return services.update_adoption(request.user, adoption, data, expected_version=version)


@adoptions_router.delete("/{adoption_id}", response={204: None}, summary="Remove an adoption record")
def delete_adoption(request, adoption_id: int):
    services.delete_adoption(request.user, authz.get_or_404(request.user, Adoption, pk=adoption_id))
    return Status(204, None)


def _policy_links(request, data: dict) -> dict:
    if "plan_items" in data:
        data["plan_items"] = _items(request, data["plan_items"] or [])
    if "solutions" in data:
        data["solutions"] = [_solution(request, pk) for pk in data["solutions"] or []]
    for name in ("revises", "repeals"):
        if name in data:
            data[name] = [_policy(request, pk) for pk in data[name] or []]
    return data


@policies_router.get("", response=PolicyList, summary="Policy documents in reach; ?q= searches the title, 文号 and full text")
def list_policies(request, filters: Query[PolicyQuery]):
    f = queries.PolicyFilters(q=filters.q, status=filters.status or "", plan_item=filters.plan_item)
    return _item_page(queries.policies(request.user, f, rows=False), queries.policy_items, filters.limit, filters.offset)


@policies_router.post("", response={201: PolicyDetail}, summary="Register a policy document")
def create_policy(request, payload: PolicyIn):
    data = _policy_links(request, payload.dict())
    unit = _unit(request, data.pop("unit"))
    title = data.pop("title")
    return Status(201, services.create_policy(request.user, unit=unit, title=title, **data))


@policies_router.get("/{doc_id}", response=PolicyDetail, summary="One policy document with its full text")
def get_policy(request, doc_id: int):
    return _policy(request, doc_id)


@policies_router.patch("/{doc_id}", response=PolicyDetail, summary="Change a policy document (send the version you read)")
def update_policy(request, doc_id: int, payload: PolicyPatch):
    doc = _policy(request, doc_id)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version", None)
    return services.update_policy(request.user, doc, _policy_links(request, data), expected_version=version)


@policies_router.post("/{doc_id}/status", response=PolicyDetail, summary="Issue or repeal a policy document")
def policy_status(request, doc_id: int, payload: StatusIn):
    return services.set_policy_status(request.user, _policy(request, doc_id), payload.action, expected_version=payload.version)


@policies_router.delete("/{doc_id}", response={204: None}, summary="Delete a document still being drafted")
def delete_policy(request, doc_id: int):
    services.delete_policy(request.user, _policy(request, doc_id))
    return Status(204, None)
