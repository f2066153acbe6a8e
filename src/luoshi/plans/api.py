"""``/api/v1/plans``, ``/api/v1/items`` and ``/api/v1/reports``: same scoping and audit as the UI."""

from datetime import date
from decimal import Decimal

from django.http import JsonResponse
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from luoshi.core import authz
from luoshi.core.paging import Pages
from luoshi.core import services as core_services
from luoshi.orgs.models import OrgUnit
from luoshi.plans import queries, services
from luoshi.plans.models import ItemKind, Plan, PlanItem, ProgressReport

plans_router = Router(tags=["plans"])
items_router = Router(tags=["plan items"])
reports_router = Router(tags=["progress reports"])


class PlanOut(Schema):
    id: int
    title: str
    issuer: str = Field(..., alias="issuer.code")
    start_year: int
    end_year: int
    status: str
    period: str
    description: str
    version: int


class PlanIn(Schema):
    title: str
    issuer: str
    start_year: int
    end_year: int
    period: Plan.Period = Plan.Period.QUARTERLY
    description: str = ""


class PlanPatch(Schema):
    title: str | None = None
    description: str | None = None
    status: Plan.Status | None = None
    version: int | None = None


class OutlineNode(Schema):
    id: int
    code: str
    kind: str
    title: str
    lead_unit: str
    start: date | None
    due: date | None
    progress: float = Field(..., description="0–100, rolled up from approved reports")
    status: str
    children: list["OutlineNode"]


OutlineNode.model_rebuild()


class ItemOut(Schema):
    id: int
    plan: int = Field(..., alias="plan_id")
    parent: int | None = Field(None, alias="parent_id")
    code: str
    kind: str
    title: str
    description: str
    lead_unit: str = Field(..., alias="lead_unit.code")
    assigned_by: str = Field(..., alias="assigned_by.code")
    co_owners: list[str]
    start_date: date | None
    due_date: date | None
    weight: Decimal
    deliverables: str
    progress: Decimal
    status: str = Field(..., alias="light")
    version: int

    @staticmethod
    def resolve_co_owners(obj: PlanItem) -> list[str]:
        return sorted(u.code for u in obj.co_owners.all())


class ItemIn(Schema):
    title: str
    lead_unit: str
    parent: int | None = None
    kind: ItemKind = ItemKind.MEASURE
    co_owners: list[str] = []
    start_date: date | None = None
    due_date: date | None = None
    weight: Decimal = Decimal(1)
    description: str = ""
    deliverables: str = ""


class ItemPatch(Schema):
    title: str | None = None
    kind: ItemKind | None = None
    lead_unit: str | None = None
    co_owners: list[str] | None = None
    start_date: date | None = None
    due_date: date | None = None
    weight: Decimal | None = None
    description: str | None = None
    deliverables: str | None = None
    version: int | None = None


class MoveIn(Schema):
    parent: int | None = None
    position: int | None = None
    version: int | None = None


class ReportOut(Schema):
    id: int
    item: int = Field(..., alias="item_id")
    unit: str = Field(..., alias="unit.code")
    period: str
    state: str
    status: str
    percent: Decimal
    achievements: str
    problems: str
    next_steps: str
    review_comment: str
    version: int


class ReportIn(Schema):
    unit: str
    period: str
    status: ProgressReport.Status = ProgressReport.Status.ON_TRACK
    percent: Decimal = Field(..., ge=0, le=100)
    achievements: str = ""
    problems: str = ""
    next_steps: str = ""
    version: int | None = Field(None, description="Omit (or 0) to create the period's report; the version read to change it.")


class ReviewIn(Schema):
    comment: str = ""
    version: int | None = None


def _unit(request, code: str) -> OrgUnit:
    return authz.get_or_404(request.user, OrgUnit, code=code)


def _plan(request, plan_id: int) -> Plan:
    return authz.get_or_404(request.user, Plan.objects.select_related("issuer"), pk=plan_id)


def _item(request, item_id: int) -> PlanItem:
    return authz.get_or_404(request.user, PlanItem.objects.select_related("plan", "lead_unit", "assigned_by"), pk=item_id)


def _report(request, report_id: int) -> ProgressReport:
    return authz.get_or_404(request.user, ProgressReport.objects.select_related("item", "unit"), pk=report_id)


@plans_router.get("", response=list[PlanOut], summary="Plans in scope")
@paginate(Pages)
def list_plans(request, status: Plan.Status | None = None, q: str = ""):
    return queries.plans(request.user, status=status, q=q)


@plans_router.post("", response={201: PlanOut}, summary="Create a draft plan")
def create_plan(request, payload: PlanIn):
    plan = services.create_plan(request.user, title=payload.title, issuer=_unit(request, payload.issuer),
                                start_year=payload.start_year, end_year=payload.end_year, period=payload.period,
                                description=payload.description)
    return Status(201, plan)


@plans_router.get("/{plan_id}", response=PlanOut, summary="One plan")
def get_plan(request, plan_id: int):
    return _plan(request, plan_id)


@plans_router.patch("/{plan_id}", response=PlanOut, summary="Change a plan, or publish / archive it")
def update_plan(request, plan_id: int, payload: PlanPatch):
    plan = _plan(request, plan_id)
    data = payload.dict(exclude_unset=True)
    core_services.refuse_nulls(data, nullable=("version",))
    status = data.pop("status", None)
    version = data.pop("version", None)
    if data:
        plan = services.update_plan(request.user, plan, data, expected_version=core_services.require_version(version))
    if status and status != plan.status:
        plan = services.set_plan_status(request.user, plan, status)
    return plan


@plans_router.get("/{plan_id}/outline", response=list[OutlineNode], summary="The plan's item tree (nested children)")
def get_outline(request, plan_id: int):
    # Built as plain dicts in one pass and sent as is: validating thousands of nested nodes
    # through the schema would cost more than reading them (see docs/performance.md).
    return JsonResponse(queries.outline(request.user, _plan(request, plan_id)), safe=False)


@plans_router.post("/{plan_id}/items", response={201: ItemOut}, summary="Add an item (top level or below a parent)")
def create_item(request, plan_id: int, payload: ItemIn):
    plan = _plan(request, plan_id)
    parent = _item(request, payload.parent) if payload.parent else None
    item = services.add_item(
        request.user, plan, parent=parent, title=payload.title, kind=payload.kind, lead_unit=_unit(request, payload.lead_unit),
        co_owners=[_unit(request, c) for c in payload.co_owners], start_date=payload.start_date, due_date=payload.due_date,
        weight=payload.weight, description=payload.description, deliverables=payload.deliverables,
    )
    return Status(201, item)


@items_router.get("/{item_id}", response=ItemOut, summary="One plan item")
def get_item(request, item_id: int):
    return _item(request, item_id)


@items_router.patch("/{item_id}", response=ItemOut, summary="Change an item (send the version you read)")
def update_item(request, item_id: int, payload: ItemPatch):
    item = _item(request, item_id)
    data = payload.dict(exclude_unset=True)
    core_services.refuse_nulls(data, nullable=("version", "start_date", "due_date", "co_owners"))
    version = core_services.require_version(data.pop("version", None))
    if "lead_unit" in data:
        data["lead_unit"] = _unit(request, data["lead_unit"])
    if "co_owners" in data:
        data["co_owners"] = [_unit(request, c) for c in data["co_owners"] or []]
    return services.update_item(request.user, item, data, expected_version=version)


@items_router.post("/{item_id}/move", response=ItemOut, summary="Move an item under another parent or position")
def move_item(request, item_id: int, payload: MoveIn):
    item = _item(request, item_id)
    parent = _item(request, payload.parent) if payload.parent else None
    return services.move_item(request.user, item, parent, payload.position,
                              expected_version=core_services.require_version(payload.version))


@items_router.delete("/{item_id}", response={204: None}, summary="Delete an item with its sub-items")
def delete_item(request, item_id: int):
    services.delete_item(request.user, _item(request, item_id))
    return Status(204, None)


@items_router.get("/{item_id}/reports", response=list[ReportOut], summary="Reports on an item (in scope)")
@paginate(Pages)
def list_item_reports(request, item_id: int):
    return queries.item_reports(request.user, _item(request, item_id))


@items_router.post("/{item_id}/reports", response={200: ReportOut}, summary="Create or edit a draft report for a period")
def save_report(request, item_id: int, payload: ReportIn):
    item = _item(request, item_id)
    data = payload.dict(exclude={"unit", "period", "version"})
    # Without a version (or with 0) the call creates the report and conflicts (409) if it exists:
    # changing an existing report needs the version read, like every other update.
    return services.save_report(request.user, item, _unit(request, payload.unit), payload.period, data,
                                expected_version=payload.version or 0)


@reports_router.get("/{report_id}", response=ReportOut, summary="One report")
def get_report(request, report_id: int):
    return _report(request, report_id)


@reports_router.post("/{report_id}/submit", response=ReportOut, summary="Submit a draft or returned report")
def submit_report(request, report_id: int, payload: ReviewIn | None = None):
    return services.submit_report(request.user, _report(request, report_id), expected_version=payload.version if payload else None)


@reports_router.post("/{report_id}/approve", response=ReportOut, summary="Approve a submitted report")
def approve_report(request, report_id: int, payload: ReviewIn | None = None):
    payload = payload or ReviewIn()
    return services.approve_report(request.user, _report(request, report_id), payload.comment, expected_version=payload.version)


@reports_router.post("/{report_id}/return", response=ReportOut, summary="Return a submitted report with a comment")
def return_report(request, report_id: int, payload: ReviewIn):
    return services.return_report(request.user, _report(request, report_id), payload.comment, expected_version=payload.version)
