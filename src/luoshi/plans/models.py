"""Plans, their item trees (cascaded down the org tree), progress reports and supervision."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from luoshi.core.models import TrackedModel
from luoshi.orgs.models import OrgUnit


class SourceDocument(TrackedModel):
    """A policy text a plan was drafted from (see ``luoshi.intake``), kept with its cleaning report."""

    unit = models.ForeignKey(OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    title = models.CharField(_("title"), max_length=500, blank=True)
    doc_number = models.CharField(_("document number"), max_length=100, blank=True)
    doc_date = models.CharField(_("date"), max_length=40, blank=True)
    source = models.CharField(_("source"), max_length=500, blank=True)
    clean_text = models.TextField(_("cleaned text"))
    removed = models.JSONField(_("removed"), default=list, blank=True)
    flags = models.JSONField(_("flags"), default=list, blank=True)

    audit_exclude = ("created_at", "updated_at", "clean_text")

    class Meta:
        verbose_name = _("source document")
        verbose_name_plural = _("source documents")

    def __str__(self) -> str:
        return self.title or self.filename or f"#{self.pk}"


class Plan(TrackedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")

    class Period(models.TextChoices):
        MONTHLY = "monthly", _("Monthly")
        QUARTERLY = "quarterly", _("Quarterly")
        HALF_YEARLY = "half", _("Half-yearly")
        YEARLY = "yearly", _("Yearly")

    title = models.CharField(_("title"), max_length=300)
    issuer = models.ForeignKey(OrgUnit, verbose_name=_("issuing unit"), on_delete=models.PROTECT, related_name="issued_plans")
    start_year = models.PositiveSmallIntegerField(_("start year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    end_year = models.PositiveSmallIntegerField(_("end year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    period = models.CharField(_("reporting period"), max_length=16, choices=Period.choices, default=Period.QUARTERLY)
    description = models.TextField(_("description"), blank=True)
    source = models.ForeignKey(SourceDocument, verbose_name=_("source document"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="plans")

    scope_field = "issuer__path"
    # ``authz.can`` decides from the grants alone when one covers the issuer (every action but
    # viewing is the issuer's scope only, see ``authz_scope_q``): no query for those checks.
    authz_owner_path = "issuer__path"

    class Meta:
        ordering = ["-start_year", "title"]
        verbose_name = _("plan")
        verbose_name_plural = _("plans")

    def __str__(self) -> str:
        return self.title

    @property
    def horizon(self) -> str:
        return str(self.start_year) if self.start_year == self.end_year else f"{self.start_year}–{self.end_year}"

    @classmethod
    def authz_scope_q(cls, path_q, action: str, base=None) -> Q:
        """A plan is visible to its issuer's scope and to every unit that holds one of its items."""
        own = path_q("issuer__path")
        if action != "view":
            return own
        held = PlanItem.objects.filter(plan=OuterRef("pk")).filter(
            path_q("lead_unit__path") | Q(pk__in=PlanItem.co_owners.through.objects.filter(path_q("orgunit__path")).values("planitem_id"))
        )
        return own | (Q(status__in=["published", "archived"]) & Q(Exists(held)))

    @classmethod
    def authz_can(cls, obj: "Plan", path_q, action: str) -> bool:
        """``authz_scope_q`` for one plan, cheaper to plan and run: whether the grants hold one of a
        published plan's items is asked of its items directly (by ``plan_id``), not through the
        plans table with a correlated ``EXISTS``; the issuer's grants are tried after it (``authz.can``
        has already answered them from the grants in Python when it could)."""
        if action == "view" and obj.status in (cls.Status.PUBLISHED, cls.Status.ARCHIVED):
            # Asked on every view of a plan page by the units holding its items: compiled once per
            # process and shape of grants (``authz.PathQ.rows``).
            if path_q.rows("plan-held-items", PlanItem, _held_items, {"plan_id": -736_201_557}, plan_id=obj.pk):
                return True
        return cls.objects.filter(cls.authz_scope_q(path_q, action), pk=obj.pk).exists()


def _held_items(path_q, plan_id: int):
    """One item of plan ``plan_id`` led or co-owned by a unit of the grants (``path_q``), if any."""
    co_owned = PlanItem.co_owners.through.objects.filter(path_q("orgunit__path"), planitem__plan_id=plan_id) \
        .values("planitem_id")
    return PlanItem.objects.filter(Q(plan_id=plan_id) & (path_q("lead_unit__path") | Q(pk__in=co_owned))) \
        .order_by().values_list("pk")[:1]


class ItemKind(models.TextChoices):
    GOAL = "goal", _("Goal")
    MAIN_LINE = "main_line", _("Main line")
    DIRECTION = "direction", _("Direction")
    KEY_TASK = "key_task", _("Key task")
    MEASURE = "measure", _("Measure")
    MILESTONE = "milestone", _("Milestone")
    REQUIREMENT = "requirement", _("Requirement")


class Light(models.TextChoices):
    """Traffic lights, ordered from best to worst (see ``luoshi.plans.rules``)."""

    DONE = "done", _("Done")
    GREY = "grey", _("Not started yet")
    GREEN = "green", _("On track")
    AMBER = "amber", _("At risk")
    RED = "red", _("Behind or overdue")


class VisibleItems(set):
    """The ids of the items a user sees (``PlanItem.authz_scope_pks``), and ``parents``: those of them
    with a visible child. An item is visible when it is directly visible or above one that is, so
    its visible children are exactly the next steps on those items' paths: whether to offer an
    expand toggle is known without another query."""

    def __init__(self, *args):
        super().__init__(*args)
        self.parents: set[int] = set()


class PlanItem(TrackedModel):
    """A goal, task, measure … of a plan. Items form a tree (``path`` of ids) of any depth.

    ``assigned_by`` is the unit that set the item (the plan's issuer, or the lead unit of the
    parent item when a unit cascades its item down); its reviewers review the item's reports.
    ``progress`` and ``light`` are the rolled-up values, maintained by ``luoshi.plans.rollup``.
    """

    plan = models.ForeignKey(Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="items")
    parent = models.ForeignKey("self", verbose_name=_("parent item"), null=True, blank=True,
                               on_delete=models.CASCADE, related_name="children")
    path = models.CharField(max_length=255, editable=False, default="")
    depth = models.PositiveSmallIntegerField(editable=False, default=0)
    position = models.PositiveIntegerField(_("position"), default=0)
    code = models.CharField(_("code"), max_length=64, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=ItemKind.choices, default=ItemKind.MEASURE)
    title = models.CharField(_("title"), max_length=500)
    description = models.TextField(_("description"), blank=True)
    lead_unit = models.ForeignKey(OrgUnit, verbose_name=_("lead unit"), on_delete=models.PROTECT, related_name="led_items")
    co_owners = models.ManyToManyField(OrgUnit, verbose_name=_("co-owner units"), blank=True, related_name="co_owned_items")
    assigned_by = models.ForeignKey(OrgUnit, verbose_name=_("assigned by"), on_delete=models.PROTECT, related_name="assigned_items")
    start_date = models.DateField(_("start date"), null=True, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    weight = models.DecimalField(_("weight"), max_digits=6, decimal_places=2, default=Decimal("1"),
                                 validators=[MinValueValidator(Decimal("0"))])
    deliverables = models.TextField(_("expected deliverables"), blank=True)
    progress = models.DecimalField(_("progress"), max_digits=5, decimal_places=2, default=Decimal("0"), editable=False)
    light = models.CharField(_("traffic light"), max_length=8, choices=Light.choices, default=Light.GREY, editable=False)
    child_count = models.PositiveIntegerField(default=0, editable=False)

    scope_field = "lead_unit__path"
    audit_exclude = ("created_at", "updated_at", "path", "depth", "progress", "light", "child_count")

    class Meta:
        ordering = ["plan", "path"]
        verbose_name = _("plan item")
        verbose_name_plural = _("plan items")
        indexes = [
            models.Index(fields=["plan", "path"], name="planitem_path_idx", opclasses=["", "varchar_pattern_ops"]),
            models.Index(fields=["plan", "parent", "position"], name="planitem_sibling_idx"),
            models.Index(fields=["due_date"], name="planitem_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}".strip()

    def ancestor_ids(self) -> list[int]:
        return [int(p) for p in self.path.strip("/").split("/") if p and int(p) != self.pk]

    def audit_unit_path(self) -> str:
        """Audit records follow the item's scope: the lead unit's, but the issuer's while the plan
        is a draft (a draft is its issuer's alone, so are the records of its items)."""
        if self.plan.status == Plan.Status.DRAFT:
            return self.plan.issuer.path
        return self.lead_unit.path

    def responsible_unit_ids(self) -> set[int]:
        return {self.lead_unit_id, *self.co_owners.values_list("pk", flat=True)}

    @classmethod
    def _direct_q(cls, path_q) -> Q:
        """Items whose lead unit, assigning unit or a co-owner lies in the grants."""
        return (
            path_q("lead_unit__path")
            | path_q("assigned_by__path")
            | Q(pk__in=cls.co_owners.through.objects.filter(path_q("orgunit__path")).values("planitem_id"))
        )

    @classmethod
    def _plan_shown_q(cls, path_q) -> Q:
        """Items of plans the grants may see at all: a draft is its issuer's scope only (as for
        ``Plan``); publishing shows it to the units that hold its items."""
        return Q(plan__status__in=["published", "archived"]) | path_q("plan__issuer__path")

    @classmethod
    def authz_scope_q(cls, path_q, action: str, base=None) -> Q:
        """Which items a set of grants reaches, per action (never the items of a draft plan
        outside the issuer's scope):

        * change/delete: the unit that assigned the item (its planners edit what they set);
        * add (sub-items, i.e. cascading): the lead unit or the assigning unit;
        * view: lead unit, co-owners and assigning unit, plus the ancestors of any such item,
          so a unit sees the context its part hangs from but nothing of its peers.

        Ancestors are found from the materialised paths of the directly visible items of the
        plans in ``base`` (one query), not by a correlated subquery per row.
        """
        shown = cls._plan_shown_q(path_q)
        if action in ("change", "delete"):
            return path_q("assigned_by__path") & shown
        if action != "view":
            return (path_q("lead_unit__path") | path_q("assigned_by__path")) & shown
        direct = cls._direct_q(path_q) & shown
        direct_ids, above = cls._direct_and_above(direct, base)
        extra = above - direct_ids
        return direct | Q(pk__in=extra) if extra else direct

    @classmethod
    def _direct_and_above(cls, direct: Q, base) -> tuple[set[int], set[int]]:
        """The directly visible items of the plans in ``base`` and every item on their paths (one query)."""
        rows = cls.objects.filter(direct)
        if base is not None:
            rows = rows.filter(plan_id__in=base.values("plan_id"))
        direct_ids: set[int] = set()
        above: set[int] = set()
        for pk, path in rows.values_list("pk", "path"):
            direct_ids.add(pk)
            above.update(int(p) for p in path.strip("/").split("/") if p)
        return direct_ids, above

    @classmethod
    def authz_scope_pks(cls, path_q, action: str, base, within=None) -> set[int]:
        """The ids of ``authz_scope_q``'s items as a set, for viewing in one query (the same one that
        finds the ancestors): the directly visible items of the plans in ``base`` and their ancestors.
        The items of one plan or of the plans in one state (``within={"plan_id": …}``, the plan
        page's question on every view; ``{"plan__status": …}``, supervision's) are read by SQL
        compiled once per process and shape of grants (``authz.PathQ.rows``)."""
        if action != "view":
            return set(base.filter(cls.authz_scope_q(path_q, action, base)).values_list("pk", flat=True))
        if within and within.keys() <= _WITHIN_SENTINELS.keys():
            names = sorted(within)
            rows = path_q.rows(f"plan-visible-items:{','.join(names)}", cls, _directly_visible,
                               {name: _WITHIN_SENTINELS[name] for name in names}, **within)
        else:
            rows = cls.objects.filter(cls._direct_q(path_q) & cls._plan_shown_q(path_q))
            if base is not None:
                rows = rows.filter(plan_id__in=base.values("plan_id"))
            rows = rows.values_list("pk", "path")
        found = VisibleItems()
        for pk, path in rows:
            ids = [int(p) for p in path.strip("/").split("/") if p]
            found.add(pk)
            found.update(ids)
            found.parents.update(ids[:-1])
        return found

    @classmethod
    def authz_can(cls, obj: "PlanItem", path_q, action: str) -> bool:
        if action == "view":
            # Visible when the item or anything below it is directly visible: one indexed query.
            return cls.objects.filter(cls._direct_q(path_q), cls._plan_shown_q(path_q), plan_id=obj.plan_id,
                                      path__startswith=obj.path).exists()
        return cls.objects.filter(cls.authz_scope_q(path_q, action), pk=obj.pk).exists()


class ProgressReport(TrackedModel):
    """One responsible unit's report on one item for one reporting period."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        RETURNED = "returned", _("Returned")
        APPROVED = "approved", _("Approved")

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", _("Not started")
        ON_TRACK = "on_track", _("On track")
        AT_RISK = "at_risk", _("At risk")
        DELAYED = "delayed", _("Delayed")
        DONE = "done", _("Done")

    item = models.ForeignKey(PlanItem, verbose_name=_("item"), on_delete=models.CASCADE, related_name="reports")
    unit = models.ForeignKey(OrgUnit, verbose_name=_("reporting unit"), on_delete=models.PROTECT, related_name="progress_reports")
    period = models.CharField(_("period"), max_length=16, help_text=_("e.g. 2024-Q1, 2024-M03, 2024-H1, 2024"))
    period_end = models.DateField(_("period ends"))
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.DRAFT)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ON_TRACK)
    percent = models.DecimalField(_("percent complete"), max_digits=5, decimal_places=2,
                                  validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))])
    achievements = models.TextField(_("what was done"), blank=True)
    problems = models.TextField(_("problems"), blank=True)
    next_steps = models.TextField(_("next steps"), blank=True)
    review_comment = models.TextField(_("review comment"), blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("submitted by"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reviewed by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    scope_field = "unit__path"

    class Meta:
        ordering = ["-period_end", "unit__code"]
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        constraints = [models.UniqueConstraint(fields=["item", "unit", "period"], name="report_unique_period")]
        indexes = [
            models.Index(fields=["state", "period_end"], name="report_state_idx"),
            models.Index(fields=["item", "state", "period_end"], name="report_item_state_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.item.code} · {self.unit} · {self.period}"

    @property
    def locked(self) -> bool:
        return self.state in (self.State.SUBMITTED, self.State.APPROVED)


class ReportVersion(models.Model):
    """A frozen copy of a report each time it is submitted, approved or returned."""

    report = models.ForeignKey(ProgressReport, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    state = models.CharField(max_length=16)
    data = models.JSONField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    scope_field = "report__unit__path"

    class Meta:
        ordering = ["report", "number"]
        constraints = [models.UniqueConstraint(fields=["report", "number"], name="report_version_unique")]


def evidence_path(instance: "Evidence", filename: str) -> str:
    return f"evidence/{instance.report.item.plan_id}/{instance.report_id}/{filename}"


class Evidence(models.Model):
    """A file attached to a report as evidence, stored through Django's storage API."""

    report = models.ForeignKey(ProgressReport, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to=evidence_path, max_length=300)
    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=100)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    scope_field = "report__unit__path"

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")

    def __str__(self) -> str:
        return self.name


class Notification(models.Model):
    """An in-app message (reminder, escalation, review result) for one user."""

    class Kind(models.TextChoices):
        DUE_SOON = "due_soon", _("Due soon")
        DUE_TODAY = "due_today", _("Due today")
        MISSING_REPORT = "missing_report", _("Report missing")
        ESCALATION = "escalation", _("Overdue: escalated")
        RETURNED = "returned", _("Report returned")
        APPROVED = "approved", _("Report approved")
        SUBMITTED = "submitted", _("Report submitted for review")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("message"), blank=True)
    item = models.ForeignKey(PlanItem, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread_idx")]

    def __str__(self) -> str:
        return self.title


class ReminderLog(models.Model):
    """One row per reminder already sent: the unique key makes every reminder go out once."""

    key = models.CharField(max_length=200, unique=True)
    sent_at = models.DateTimeField(auto_now_add=True)


_WITHIN_SENTINELS = {"plan_id": -736_201_558, "plan__status": "\x00plan-status-736201558"}


def _directly_visible(path_q, **within):
    """(id, path) of the items matching ``within`` directly visible to the grants (``path_q``)."""
    return PlanItem.objects.filter(PlanItem._direct_q(path_q) & PlanItem._plan_shown_q(path_q), **within) \
        .values_list("pk", "path")
