"""Scoped reads of plans, items and reports. Every list goes through ``authz.scope``."""

from __future__ import annotations

from datetime import date
from functools import cache

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from luoshi.core import authz
from luoshi.core.context import memoized
from luoshi.core.text import search_q
from luoshi.orgs.models import OrgUnit
from luoshi.plans.models import Plan, PlanItem, ProgressReport, VisibleItems


def plans(user, *, status: str | None = None, q: str = "") -> QuerySet[Plan]:
    qs = authz.scope(user, Plan.objects.select_related("issuer")).annotate(item_count=Count("items"))
    if status:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(search_q(q, "title"))
    return qs.order_by("-start_year", "title")


MAX_SCOPE_IDS = 2000  # a plan's visible items filtered as a list of ids up to this many


def items(user, plan: Plan) -> QuerySet[PlanItem]:
    """The plan's items the user may see (their own part, what is below, and its context)."""
    qs = PlanItem.objects.filter(plan=plan)
    if authz.covers_subtree(user, "view", PlanItem, plan.issuer):
        # Items are led and assigned from below the plan's issuer (the services keep it so), so a
        # grant covering the issuer's subtree sees them directly: no row-by-row scope. Should a
        # unit move out from under the issuer later, its items are left out here, never leaked.
        path = plan.issuer.path
        qs = qs.filter(Q(lead_unit__path__startswith=path) | Q(assigned_by__path__startswith=path))
    else:
        # The scope of a plan's items costs a query (the ancestors of what the user sees); a page
        # asks for it several times (tree, filter choices, counts, expand toggles): once a request,
        # kept as the ids it selects (a plain ``id IN (…)`` costs a fraction of the scope's joins and
        # co-owner subquery to compile and to plan, on every later query of the page). A very large
        # part of a plan keeps the scope filter instead of a long list of ids.
        pks = _visible_ids(user, plan)
        if pks is not None and len(pks) <= MAX_SCOPE_IDS:
            qs = qs.filter(pk__in=pks)
        else:
            q = memoized(("plan-items-scope", user.pk, plan.pk), lambda: authz.scope_q(user, PlanItem, "view", qs))
            if q is not None:
                qs = qs.filter(q)
    return qs.select_related("lead_unit").order_by("path")


def _visible_ids(user, plan: Plan):
    """The ids of the plan's items the user sees (``authz.scope_pks``), read once per request."""
    return memoized(("plan-items-pks", user.pk, plan.pk),
                    lambda: authz.scope_pks(user, PlanItem, "view", plan_id=plan.pk))


def outline(user, plan: Plan) -> list[dict]:
    """The visible item tree as nested dicts (the API's outline shape), in a constant number of
    queries whatever the plan's size."""
    rows = items(user, plan).values_list(
        "id", "parent_id", "position", "code", "kind", "title", "lead_unit__code", "start_date", "due_date", "progress", "light",
    )
    nodes: dict[int, dict] = {}
    order = []
    for pk, parent_id, position, code, kind, title, lead, start, due, progress, light in rows:
        nodes[pk] = {"id": pk, "code": code, "kind": kind, "title": title, "lead_unit": lead,
                     "start": start.isoformat() if start else None, "due": due.isoformat() if due else None,
                     "progress": float(progress), "status": light, "children": []}
        order.append((position, pk, parent_id))
    roots = []
    for _position, pk, parent_id in sorted(order):
        parent = nodes.get(parent_id)
        (parent["children"] if parent else roots).append(nodes[pk])
    return roots


def filtered_items(user, plan: Plan, *, unit=None, light: str = "", overdue: bool = False,
                   kind: str = "", q: str = "", today: date | None = None) -> QuerySet[PlanItem]:
    qs = items(user, plan)
    if unit is not None:
        qs = qs.filter(Q(lead_unit__path__startswith=unit.path) | Q(co_owners__path__startswith=unit.path)).distinct()
    if light:
        qs = qs.filter(light=light)
    if overdue:
        qs = qs.filter(due_date__lt=today or timezone.localdate()).exclude(light="done")
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(search_q(q, "title", "description", "code"))
    return qs


def children(user, plan: Plan, parent: PlanItem | None) -> QuerySet[PlanItem]:
    return items(user, plan).filter(parent=parent).order_by("position", "pk")


def mark_expandable(user, plan: Plan, page):
    """Set ``expandable`` on the items of ``page`` (a Paginator page or a list): whether the user
    can see any of the item's children (one query), so that no expand toggle opens empty."""
    rows = list(page)
    if hasattr(page, "object_list"):
        page.object_list = rows
    with_children = [item.pk for item in rows if item.child_count]
    if with_children and not authz.is_unrestricted(user):
        visible = None if authz.covers_subtree(user, "view", PlanItem, plan.issuer) else _visible_ids(user, plan)
        if isinstance(visible, VisibleItems) and len(visible) <= MAX_SCOPE_IDS:
            shown = {pk for pk in with_children if pk in visible.parents}  # known from the scope's paths
        else:
            shown = set(items(user, plan).filter(parent_id__in=with_children).order_by()
                        .values_list("parent_id", flat=True).distinct())
    else:
        shown = set(with_children)
    for item in rows:
        item.expandable = item.pk in shown
    return page


def cascade(user, item: PlanItem) -> QuerySet[PlanItem]:
    """The item's visible subtree below it (how it was broken down)."""
    return authz.scope(user, PlanItem.objects.filter(plan_id=item.plan_id, path__startswith=item.path).exclude(pk=item.pk)) \
        .select_related("lead_unit").order_by("path")


def reports(user, **filters) -> QuerySet[ProgressReport]:
    return authz.scope(user, ProgressReport.objects.filter(**filters)).select_related("item", "item__plan", "unit")


def item_reports(user, item: PlanItem) -> QuerySet[ProgressReport]:
    return reports(user, item=item).prefetch_related("evidence").order_by("-period_end", "unit__code")


def review_queue(user) -> QuerySet[ProgressReport]:
    """Submitted reports the user may review (a reviewer of the assigning unit)."""
    units = authz.units_where(user, "review", ProgressReport)
    return (reports(user, state=ProgressReport.State.SUBMITTED).filter(item__assigned_by__in=units)
            .select_related("submitted_by").order_by("submitted_at"))


def my_items(user) -> QuerySet[PlanItem]:
    """Items led or co-owned by units where the user reports or plans (their "my work" page)."""
    rules = ((ProgressReport, "add"), (PlanItem, "add"))
    published = PlanItem.objects.filter(plan__status=Plan.Status.PUBLISHED)
    lead_q = authz.grants_q(user, "lead_unit__path", *rules)
    if lead_q is None:  # a superuser: every item of an active unit
        units = OrgUnit.objects.filter(is_active=True)
        mine = published.filter(Q(lead_unit__in=units) | Q(co_owners__in=units)).distinct()
    else:
        # Path filters and a subquery on the co-owner table: no join that needs DISTINCT.
        co_owned = PlanItem.co_owners.through.objects.filter(
            authz.grants_q(user, "orgunit__path", *rules), orgunit__is_active=True).values("planitem_id")
        mine = published.filter((lead_q & Q(lead_unit__is_active=True)) | Q(pk__in=co_owned))
    return mine.select_related("plan", "lead_unit").order_by("due_date", "path")


def supervision(user, *, unit=None, light: str = "", overdue_only: bool = False, today: date | None = None) -> QuerySet[PlanItem]:
    """Overdue and at-risk items of published plans in scope."""
    today = today or timezone.localdate()
    published = PlanItem.objects.filter(plan__status=Plan.Status.PUBLISHED)
    # The scope of published items costs a query (the ancestors of what the user sees); the page
    # asks for it twice (the unit filter's choices and the list): once a request, as ids (see ``items``).
    pks = memoized(("published-items-pks", user.pk), lambda: authz.scope_pks(user, PlanItem, "view", plan__status=Plan.Status.PUBLISHED.value))
    if pks is None:
        qs = published
    elif len(pks) <= MAX_SCOPE_IDS:
        qs = published.filter(pk__in=pks)
    else:
        q = memoized(("published-items-scope", user.pk), lambda: authz.scope_q(user, PlanItem, "view", published))
        qs = published.filter(q)
    qs = qs.select_related("plan", "lead_unit")
    qs = qs.filter(Q(light__in=["amber", "red"]) | (Q(due_date__lt=today) & ~Q(light="done")))
    if overdue_only:
        qs = qs.filter(due_date__lt=today)
    if light:
        qs = qs.filter(light=light)
    if unit is not None:
        qs = qs.filter(lead_unit__path__startswith=unit.path)
    return qs.order_by("due_date", "path")


def notifications(user, unread_only: bool = False):
    from luoshi.plans.models import Notification

    qs = Notification.objects.filter(user=user).select_related("item")
    return qs.filter(read_at__isnull=True) if unread_only else qs


def _unread_head(user_id: int, shown: int = 5):
    # Only what the home page shows of them: no joined item.
    return notifications(user_id, unread_only=True).select_related(None) \
        .only("pk", "kind", "title", "url", "created_at", "read_at")[:shown]


@cache
def _unread_head_query():
    from luoshi.core.precompiled import Precompiled
    from luoshi.plans.models import Notification

    return Precompiled(Notification, _unread_head, user_id=-581_337_029)


def unread_head(user) -> list:
    """The home page's first five unread notifications of ``user`` (newest first): the
    ``notifications(user, unread_only=True)`` query with the fields shown, compiled once per
    process (``core.precompiled``) and read on every call."""
    return _unread_head_query().objects(user_id=user.pk)


def _plan_with_issuer(plan_id: int):
    return Plan.objects.select_related("issuer").filter(pk=plan_id)


@cache
def _plan_query():
    from luoshi.core.precompiled import Precompiled

    return Precompiled(Plan, _plan_with_issuer, plan_id=-740_113_659)


def plan_with_issuer(plan_id: int) -> Plan | None:
    """The plan ``plan_id`` with its issuing unit, or ``None`` (no scope check: the caller's
    ``authz.check_or_404`` does it), by SQL compiled once per process."""
    found = _plan_query().objects(plan_id=int(plan_id))
    return found[0] if found else None




# Reads for the web pages ----------------------------------------------------------------------

def subtree_size(item: PlanItem) -> int:
    """How many items go when ``item`` is deleted (itself and every item below it, seen or not)."""
    return PlanItem.objects.filter(plan_id=item.plan_id, path__startswith=item.path).count()


def light_counts(qs: QuerySet[PlanItem]) -> dict[str, int]:
    """``{light: count}`` over a (scoped) item queryset, in one query."""
    return dict(qs.order_by().values_list("light").annotate(n=Count("pk")))


def my_work(user, today: date | None = None, soon_days: int = 30) -> dict[str, QuerySet[PlanItem]]:
    """The user's items (``my_items``) grouped: overdue, due within ``soon_days``, and the others."""
    from datetime import timedelta

    from luoshi.plans.rollup import overdue_q

    today = today or timezone.localdate()
    mine = my_items(user)
    soon = Q(due_date__gte=today, due_date__lte=today + timedelta(days=soon_days)) & ~Q(light="done")
    return {
        "overdue": mine.filter(overdue_q(today)),
        "due_soon": mine.filter(soon),
        "others": mine.exclude(overdue_q(today)).exclude(soon),
    }


def my_work_lists(user, page_number, page_size: int, fields: tuple[str, ...], today: date | None = None,
                  soon_days: int = 30):
    """``my_work``'s groups as the "my work" page shows them, in two queries whatever their sizes:
    the ids of all the user's items with their group (in the list's order), then the rows shown
    (at most ``page_size`` overdue, ``page_size`` due soon and the requested page of the others),
    with only ``fields``. Returns (overdue, due soon, page of others)."""
    from datetime import timedelta

    from django.core.paginator import Paginator
    from django.db.models import Case, IntegerField, Value, When

    from luoshi.plans.rollup import overdue_q

    today = today or timezone.localdate()
    soon = Q(due_date__gte=today, due_date__lte=today + timedelta(days=soon_days)) & ~Q(light="done")
    grouped = my_items(user).select_related(None).annotate(
        group=Case(When(overdue_q(today), then=Value(0)), When(soon, then=Value(1)), default=Value(2),
                   output_field=IntegerField())).values_list("pk", "group")
    ids: tuple[list[int], list[int], list[int]] = ([], [], [])
    for pk, group in grouped:
        ids[group].append(pk)
    others = Paginator(ids[2], page_size).get_page(page_number)
    wanted = [*ids[0][:page_size], *ids[1][:page_size], *others.object_list]
    rows = {i.pk: i for i in PlanItem.objects.filter(pk__in=wanted).select_related("plan", "lead_unit").only(*fields)}
    pick = lambda chosen: [rows[pk] for pk in chosen if pk in rows]  # noqa: E731
    others.object_list = pick(others.object_list)
    return pick(ids[0][:page_size]), pick(ids[1][:page_size]), others


def my_work_summary(user, today: date | None = None, soon_days: int = 30, shown: int = 5) -> dict:
    """For the home page: the first ``shown`` overdue and due-soon items and how many there are,
    in two queries (the ids with their group, then the rows shown)."""
    from datetime import timedelta

    from django.db.models import Case, IntegerField, Value, When

    from luoshi.plans.rollup import overdue_q

    today = today or timezone.localdate()
    soon = Q(due_date__gte=today, due_date__lte=today + timedelta(days=soon_days)) & ~Q(light="done")
    late = overdue_q(today)
    rows = list(my_items(user).filter(late | soon).select_related(None)
                .annotate(group=Case(When(late, then=Value(0)), default=Value(1), output_field=IntegerField()))
                .values_list("pk", "group"))
    overdue_ids = [pk for pk, group in rows if group == 0]
    soon_ids = [pk for pk, group in rows if group == 1]
    wanted = overdue_ids[:shown] + soon_ids[:shown]
    # Only the fields the home page shows (``core/home.html``).
    items = {i.pk: i for i in PlanItem.objects.filter(pk__in=wanted).select_related("lead_unit")
             .only("pk", "plan_id", "code", "title", "due_date", "light", "lead_unit__name", "lead_unit__short_name")}
    return {"overdue": [items[pk] for pk in overdue_ids[:shown] if pk in items], "overdue_count": len(overdue_ids),
            "due_soon": [items[pk] for pk in soon_ids[:shown] if pk in items], "due_soon_count": len(soon_ids)}


def current_period(plan: Plan, today: date | None = None):
    """The reporting period of ``plan`` that contains today, kept within the plan's horizon."""
    from luoshi.plans import rules

    today = min(max(today or timezone.localdate(), date(plan.start_year, 1, 1)), date(plan.end_year, 12, 31))
    return rules.period_containing(plan.period, today)


def current_reports(user, items: list[PlanItem], today: date | None = None) -> dict[int, ProgressReport]:
    """``{item id: report}``: each item's lead-unit report for its plan's current period (one query)."""
    today = today or timezone.localdate()
    by_plan: dict[int, str] = {}  # the current period of each plan, worked out once per plan
    keys = {}
    for item in items:
        key = by_plan.get(item.plan_id)
        if key is None:
            key = by_plan[item.plan_id] = current_period(item.plan, today).key
        keys[item.pk] = key
    if not keys:
        return {}
    # Only what the lists show (state, period, link): not the report texts, nor the related rows.
    found = reports(user, item_id__in=keys.keys(), period__in=set(keys.values())).filter(item__lead_unit=F("unit")) \
        .select_related(None).only("pk", "item_id", "period", "state")
    return {r.item_id: r for r in found if keys[r.item_id] == r.period}


def report_versions(user, report: ProgressReport):
    from luoshi.plans.models import ReportVersion

    return authz.scope(user, ReportVersion.objects.filter(report=report)).select_related("actor").order_by("-number")


def report_evidence(user, report: ProgressReport):
    from luoshi.plans.models import Evidence

    return authz.scope(user, Evidence.objects.filter(report=report)).select_related("uploaded_by").order_by("created_at")
