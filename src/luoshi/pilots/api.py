"""``/api/v1/pilot-programmes``, ``/api/v1/pilots`` and ``/api/v1/reviews``: same scoping,
services and audit as the pages. Lists answer ``{"items": [...], "count": N}``."""


from datetime import date
from decimal import Decimal

from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from luoshi.core import authz
from luoshi.core.paging import Pages
from luoshi.orgs.models import OrgUnit
from luoshi.pilots import queries, services
from luoshi.pilots.models import Application, Pilot, Programme, Review

programmes_router = Router(tags=["pilot programmes"])
pilots_router = Router(tags=["pilots"])
reviews_router = Router(tags=["pilot reviews"])


class Indicator(Schema):
    name: str
    unit: str = ""
    direction: str = Field("up", pattern="^(up|down)$")
    code: str = ""


class ProgrammeOut(Schema):
    id: int
    title: str
    owner: str = Field(..., alias="owner.code")
    status: str
    aims: str
    indicators: list[dict]
    eligible_types: list[str]
    eligible_regions: list[str]
    plan_items: list[int]
    call_opens: date | None
    call_closes: date | None
    starts_on: date | None
    ends_on: date | None
    call_text: str
    places: int
    review_template: str
    version: int

    @staticmethod
    def resolve_eligible_regions(obj: Programme) -> list[str]:
        return sorted(u.code for u in obj.eligible_regions.all())

    @staticmethod
    def resolve_plan_items(obj: Programme) -> list[int]:
        return sorted(i.pk for i in obj.plan_items.all())


class ProgrammeIn(Schema):
    owner: str
    title: str
    aims: str = ""
    indicators: list[Indicator] = []
    eligible_types: list[str] = []
    eligible_regions: list[str] = []
    plan_items: list[int] = []
    call_opens: date | None = None
    call_closes: date | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    call_text: str = ""
    places: int = Field(10, ge=1)
    review_template: str = ""


class ProgrammePatch(Schema):
    title: str | None = None
    aims: str | None = None
    indicators: list[Indicator] | None = None
    eligible_types: list[str] | None = None
    call_opens: date | None = None
    call_closes: date | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    call_text: str | None = None
    places: int | None = Field(None, ge=1)
    review_template: str | None = None
    action: str | None = Field(None, description="publish, close_call, reopen or finish")
    version: int | None = None


class ApplicationOut(Schema):
    id: int
    programme: int = Field(..., alias="programme_id")
    unit: str = Field(..., alias="unit.code")
    state: str
    aims: str
    approach: str
    resources: str
    baseline: dict
    contact_name: str
    contact_info: str
    decision_reason: str
    pilot: int | None = None
    version: int

    @staticmethod
    def resolve_pilot(obj: Application) -> int | None:
        return Pilot.objects.filter(application=obj).values_list("pk", flat=True).first()


class ApplicationIn(Schema):
    unit: str
    aims: str
    approach: str
    resources: str = ""
    baseline: dict[str, Decimal] = {}
    contact_name: str = ""
    contact_info: str = ""
    version: int | None = None


class DecisionIn(Schema):
    decision: str = Field(..., description="shortlist, approve or decline (with a reason)")
    reason: str = ""
    version: int | None = None


class VersionIn(Schema):
    version: int | None = None


class PilotOut(Schema):
    id: int
    title: str
    programme: int = Field(..., alias="programme_id")
    unit: str = Field(..., alias="unit.code")
    state: str
    aims: str
    baseline: dict
    participants: list[str]
    contact_name: str
    contact_info: str
    milestones: list[dict]
    starts_on: date | None
    ends_on: date | None
    version: int

    @staticmethod
    def resolve_participants(obj: Pilot) -> list[str]:
        return sorted(u.code for u in obj.participants.all())


class Milestone(Schema):
    due: date
    title: str
    done: bool = False


class PilotPatch(Schema):
    contact_name: str | None = None
    contact_info: str | None = None
    milestones: list[Milestone] | None = None
    participants: list[str] | None = None
    ends_on: date | None = None
    version: int | None = None


class EntryOut(Schema):
    id: int
    pilot: int = Field(..., alias="pilot_id")
    entry_date: date
    period: str
    done: str
    problems: str
    figures: dict
    escalation: str
    response: str
    version: int


class EntryIn(Schema):
    entry_date: date | None = None
    period: str = ""
    done: str
    problems: str = ""
    figures: dict[str, Decimal] = {}
    escalate: bool = False


class ReviewOut(Schema):
    id: int
    pilot: int = Field(..., alias="pilot_id")
    unit: str = Field(..., alias="pilot.unit.code")
    kind: str
    state: str
    aims_vs_results: str
    figures: list[dict]
    what_worked: str
    essential_problems: str
    core_problems: str
    lessons: str
    reuse_conditions: str
    cost: Decimal | None
    cost_notes: str
    outcome: str
    decision_reason: str
    version: int


class ReviewIn(Schema):
    kind: Review.Kind = Review.Kind.FINAL
    aims_vs_results: str
    results: dict[str, Decimal] = {}
    what_worked: str = ""
    essential_problems: str = ""
    core_problems: str = ""
    lessons: str = ""
    reuse_conditions: str = ""
    cost: Decimal | None = Field(None, ge=0)
    cost_notes: str = ""


class ReviewPatch(Schema):
    aims_vs_results: str | None = None
    results: dict[str, Decimal] | None = None
    what_worked: str | None = None
    essential_problems: str | None = None
    core_problems: str | None = None
    lessons: str | None = None
    reuse_conditions: str | None = None
    cost: Decimal | None = Field(None, ge=0)
    cost_notes: str | None = None
    version: int | None = None


class ReviewDecisionIn(Schema):
    decision: str = Field(..., description="promote, continue, adjust, close, or return (with a reason)")
    reason: str = ""
    version: int | None = None


def _unit(request, code: str) -> OrgUnit:
    return authz.get_or_404(request.user, OrgUnit, code=code)


def _programme(request, programme_id: int) -> Programme:
    return authz.get_or_404(request.user, Programme.objects.select_related("owner"), pk=programme_id)


def _application(request, application_id: int) -> Application:
    return authz.get_or_404(request.user, Application.objects.select_related("programme", "unit"), pk=application_id)


def _pilot(request, pilot_id: int) -> Pilot:
    return authz.get_or_404(request.user, Pilot.objects.select_related("programme", "unit"), pk=pilot_id)


def _review(request, review_id: int) -> Review:
    return authz.get_or_404(request.user, Review.objects.select_related("pilot", "pilot__unit"), pk=review_id)


def _figures(values: dict) -> dict[str, str]:
    return {k: str(v) for k, v in values.items()}


# Programmes -----------------------------------------------------------------------------------

@programmes_router.get("", response=list[ProgrammeOut], summary="Pilot programmes in scope (published calls for everyone)")
@paginate(Pages)
def list_programmes(request, status: Programme.Status | None = None, q: str = ""):
    return queries.programmes(request.user, status=status, q=q).prefetch_related("eligible_regions", "plan_items")


@programmes_router.post("", response={201: ProgrammeOut}, summary="Set up a draft programme")
def create_programme(request, payload: ProgrammeIn):
    from luoshi.plans.models import PlanItem

    items = [authz.get_or_404(request.user, PlanItem, pk=pk) for pk in payload.plan_items]
    programme = services.create_programme(
        request.user, owner=_unit(request, payload.owner), title=payload.title, aims=payload.aims,
        indicators=[i.dict() for i in payload.indicators], eligible_types=payload.eligible_types,
        eligible_regions=[_unit(request, c) for c in payload.eligible_regions], plan_items=items,
        call_opens=payload.call_opens, call_closes=payload.call_closes, starts_on=payload.starts_on,
        ends_on=payload.ends_on, call_text=payload.call_text, places=payload.places, review_template=payload.review_template)
    return Status(201, programme)


@programmes_router.get("/{int:programme_id}", response=ProgrammeOut, summary="One programme")
def get_programme(request, programme_id: int):
    return _programme(request, programme_id)


@programmes_router.patch("/{int:programme_id}", response=ProgrammeOut,
                         summary="Change a programme, or publish / close / reopen / finish its call")
def update_programme(request, programme_id: int, payload: ProgrammePatch):
    programme = _programme(request, programme_id)
    data = payload.dict(exclude_unset=True)
    action = data.pop("action", None)
    version = data.pop("version", None)
    if data:
        programme = services.update_programme(request.user, programme, data, expected_version=version)
    if action:
        programme = services.set_programme_status(request.user, programme, action)
    return programme


@programmes_router.get("/{int:programme_id}/applications", response=list[ApplicationOut], summary="Applications (in scope)")
@paginate(Pages)
def list_applications(request, programme_id: int, state: Application.State | None = None):
    return queries.applications(request.user, programme=_programme(request, programme_id), state=state)


@programmes_router.post("/{int:programme_id}/applications", response=ApplicationOut,
                        summary="Apply, or edit the unit's draft application")
def save_application(request, programme_id: int, payload: ApplicationIn):
    data = payload.dict(exclude={"unit", "version"})
    data["baseline"] = _figures(payload.baseline)
    return services.save_application(request.user, _programme(request, programme_id), _unit(request, payload.unit), data,
                                     expected_version=payload.version)


@programmes_router.get("/applications/{int:application_id}", response=ApplicationOut, summary="One application")
def get_application(request, application_id: int):
    return _application(request, application_id)


@programmes_router.post("/applications/{int:application_id}/submit", response=ApplicationOut, summary="Submit a draft application")
def submit_application(request, application_id: int, payload: VersionIn | None = None):
    return services.submit_application(request.user, _application(request, application_id),
                                       expected_version=payload.version if payload else None)


@programmes_router.post("/applications/{int:application_id}/withdraw", response=ApplicationOut, summary="Withdraw an application")
def withdraw_application(request, application_id: int, payload: VersionIn | None = None):
    return services.withdraw_application(request.user, _application(request, application_id),
                                         expected_version=payload.version if payload else None)


@programmes_router.post("/applications/{int:application_id}/decide", response=ApplicationOut,
                        summary="Shortlist, approve (starts the pilot) or decline an application")
def decide_application(request, application_id: int, payload: DecisionIn):
    return services.decide_application(request.user, _application(request, application_id), payload.decision,
                                       payload.reason, expected_version=payload.version)


# Pilots ---------------------------------------------------------------------------------------

@pilots_router.get("", response=list[PilotOut], summary="Pilots in scope")
@paginate(Pages)
def list_pilots(request, state: Pilot.State | None = None, programme: int | None = None, q: str = ""):
    prog = _programme(request, programme) if programme else None
    return queries.pilots(request.user, programme=prog, state=state, q=q).prefetch_related("participants")


@pilots_router.get("/{int:pilot_id}", response=PilotOut, summary="One pilot")
def get_pilot(request, pilot_id: int):
    return _pilot(request, pilot_id)


@pilots_router.patch("/{int:pilot_id}", response=PilotOut, summary="Change the contact, milestones or participants")
def update_pilot(request, pilot_id: int, payload: PilotPatch):
    pilot = _pilot(request, pilot_id)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version", None)
    if "milestones" in data:
        data["milestones"] = sorted(({"due": m["due"].isoformat(), "title": m["title"], "done": m["done"]}
                                     for m in data["milestones"] or []), key=lambda m: m["due"])
    if "participants" in data:
        data["participants"] = [_unit(request, c) for c in data["participants"] or []]
    return services.update_pilot(request.user, pilot, data, expected_version=version)


@pilots_router.get("/{int:pilot_id}/entries", response=list[EntryOut], summary="Progress entries of a pilot")
@paginate(Pages)
def list_entries(request, pilot_id: int):
    return queries.entries(request.user, _pilot(request, pilot_id))


@pilots_router.post("/{int:pilot_id}/entries", response={201: EntryOut}, summary="Record progress (optionally raising a problem)")
def add_entry(request, pilot_id: int, payload: EntryIn):
    data = payload.dict(exclude={"escalate"}, exclude_none=True)
    data["figures"] = _figures(payload.figures)
    return Status(201, services.add_entry(request.user, _pilot(request, pilot_id), data, escalate=payload.escalate))


@pilots_router.post("/{int:pilot_id}/reviews", response={201: ReviewOut}, summary="Start a review (复盘) of a running pilot")
def create_review(request, pilot_id: int, payload: ReviewIn):
    data = payload.dict(exclude={"kind"})
    data["results"] = _figures(payload.results)
    return Status(201, services.save_review(request.user, _pilot(request, pilot_id), data, kind=payload.kind))


# Reviews --------------------------------------------------------------------------------------

@reviews_router.get("", response=list[ReviewOut], summary="Pilot reviews (复盘) in scope")
@paginate(Pages)
def list_reviews(request, state: Review.State | None = None, outcome: str | None = None, q: str = ""):
    return queries.reviews(request.user, state=state, outcome=outcome or None, q=q)


@reviews_router.get("/{int:review_id}", response=ReviewOut, summary="One review")
def get_review(request, review_id: int):
    return _review(request, review_id)


@reviews_router.patch("/{int:review_id}", response=ReviewOut, summary="Edit a draft or returned review")
def update_review(request, review_id: int, payload: ReviewPatch):
    review = _review(request, review_id)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version", None)
    if "results" in data:
        data["results"] = _figures(data["results"] or {})
    return services.save_review(request.user, review.pilot, data, review=review, expected_version=version)


@reviews_router.post("/{int:review_id}/submit", response=ReviewOut, summary="Submit a review to the programme's reviewers")
def submit_review(request, review_id: int, payload: VersionIn | None = None):
    return services.submit_review(request.user, _review(request, review_id), expected_version=payload.version if payload else None)


@reviews_router.post("/{int:review_id}/decide", response=ReviewOut,
                     summary="Decide a submitted review: promote, continue, adjust, close, or return it")
def decide_review(request, review_id: int, payload: ReviewDecisionIn):
    review = _review(request, review_id)
    if payload.decision == "return":
        return services.return_review(request.user, review, payload.reason, expected_version=payload.version)
    return services.decide_review(request.user, review, payload.decision, payload.reason, expected_version=payload.version)

