"""The library of replicable solutions (可复制可推广的解决方案), their adoption, and the policy
registry (制度政策).

A solution is owned by a unit (``unit``: the programme owner that promoted a pilot's review, or
the unit that wrote it down) and names the units whose pilot it comes from (``source_units``).
Status: draft → recommended → promoted nationally (``rules.SOLUTION_TRANSITIONS``). A unit that
adopts a solution records an :class:`Adoption` with its own progress and result.

A policy document (title, 文号, issuer, date, status, full text) is registered by a unit; it links
the plan items and solutions it serves and the documents it revises or repeals. A document taken
in through policy intake becomes an entry here (``source_document``).

Reading rules (``core.authz.PUBLIC_READ``): a solution promoted nationally and a policy that has
been issued (also once revised or repealed) are readable by every signed-in user; anything else
stays within the scope of its unit (and, for solutions, of its source units).

``search_title`` and ``search_body`` hold the text segmented by jieba (``library.search``); a full-text
index is built on them per database (FTS5 on SQLite, a GIN index on PostgreSQL; see migration 0002).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from luoshi.core.models import TrackedModel
from luoshi.orgs.models import OrgUnit

SEARCH_FIELDS = ("search_title", "search_body")


def units_in(path_q) -> models.QuerySet:
    """The ids of the units a set of grants reaches. Scopes filter ``unit_id IN (these)`` (an
    indexed lookup per unit) rather than joining every row to its unit to test the path; with
    10,000 solutions that is several times faster (``bench/bench_search.py``)."""
    return OrgUnit.objects.filter(path_q("path")).values("pk")


class Tag(models.Model):
    """A keyword shared by solutions (a flat vocabulary, created when first used)."""

    name = models.CharField(_("name"), max_length=40, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class Solution(TrackedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        RECOMMENDED = "recommended", _("Recommended")
        NATIONAL = "national", _("Promoted nationally")

    title = models.CharField(_("title"), max_length=300)
    unit = models.ForeignKey(OrgUnit, verbose_name=_("owning unit"), on_delete=models.PROTECT, related_name="solutions")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    summary = models.TextField(_("summary"), blank=True)
    problem = models.TextField(_("problem addressed"))
    approach = models.TextField(_("approach"))
    results = models.TextField(_("results"), blank=True)
    evidence = models.TextField(_("evidence of results"), blank=True)
    conditions = models.TextField(_("conditions for reuse"), blank=True)
    cost = models.DecimalField(_("cost (10,000 yuan)"), max_digits=12, decimal_places=2, null=True, blank=True)
    cost_notes = models.TextField(_("cost notes"), blank=True)
    result_label = models.CharField(_("headline result"), max_length=100, blank=True,
                                    help_text=_("The figure adopters compare against, e.g. 课后服务参与率（%）"))
    result_value = models.DecimalField(_("source pilot's value"), max_digits=14, decimal_places=2, null=True, blank=True)
    source_review = models.ForeignKey("pilots.Review", verbose_name=_("source review"), null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="solutions")
    source_units = models.ManyToManyField(OrgUnit, verbose_name=_("source units"), blank=True, related_name="source_of_solutions")
    plan_items = models.ManyToManyField("plans.PlanItem", verbose_name=_("plan items served"), blank=True, related_name="solutions")
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="solutions")
    # Derived from the main source unit (or the owner), for filtering: its province and its level.
    region = models.ForeignKey(OrgUnit, verbose_name=_("region"), null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+", editable=False)
    level = models.CharField(_("level"), max_length=16, blank=True, editable=False)
    search_title = models.TextField(blank=True, default="", editable=False)
    search_body = models.TextField(blank=True, default="", editable=False)
    promoted_at = models.DateTimeField(_("promoted nationally at"), null=True, blank=True, editable=False)

    scope_field = "unit__path"
    audit_exclude = ("created_at", "updated_at", "search_title", "search_body", "region", "level")

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("solution")
        verbose_name_plural = _("solutions")
        indexes = [
            models.Index(fields=["status", "updated_at"], name="solution_status_idx"),
            models.Index(fields=["region", "level"], name="solution_region_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @classmethod
    def authz_scope_q(cls, path_q, action: str, base=None, prefix: str = "") -> Q:
        """Writes: the owning unit's scope. Reading: also the scope of any source unit."""
        units = units_in(path_q)
        own = Q(**{f"{prefix}unit_id__in": units})
        if action != "view":
            return own
        through = cls.source_units.through.objects.filter(orgunit_id__in=units).values("solution_id")
        return own | Q(**{f"{prefix}id__in": through})


def attachment_path(instance: "Attachment", filename: str) -> str:
    return f"solutions/{instance.solution_id}/{filename}"


class Attachment(models.Model):
    """A file attached to a solution (size- and type-checked by ``services.add_attachment``)."""

    solution = models.ForeignKey(Solution, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=300)
    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField(_("size"))
    content_type = models.CharField(max_length=100)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    scope_field = "solution__unit__path"

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name

    @classmethod
    def authz_scope_q(cls, path_q, action: str, base=None) -> Q:
        return Solution.authz_scope_q(path_q, action, prefix="solution__")


class Adoption(TrackedModel):
    """A unit's record that it adopts a solution, with its own progress and result."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        UNDERWAY = "underway", _("Underway")
        DONE = "done", _("Completed")
        STOPPED = "stopped", _("Stopped")

    solution = models.ForeignKey(Solution, verbose_name=_("solution"), on_delete=models.PROTECT, related_name="adoptions")
    unit = models.ForeignKey(OrgUnit, verbose_name=_("adopting unit"), on_delete=models.PROTECT, related_name="adoptions")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PLANNED)
    started_on = models.DateField(_("started on"), null=True, blank=True)
    progress = models.TextField(_("progress"), blank=True)
    results = models.TextField(_("results"), blank=True)
    result_value = models.DecimalField(_("our value"), max_digits=14, decimal_places=2, null=True, blank=True,
                                       help_text=_("The same figure as the solution's headline result, measured here."))
    adapted = models.TextField(_("what we adapted"), blank=True)

    scope_field = "unit__path"

    class Meta:
        ordering = ["unit__path"]
        verbose_name = _("adoption")
        verbose_name_plural = _("adoptions")
        constraints = [models.UniqueConstraint(fields=["solution", "unit"], name="adoption_unique_unit")]

    def __str__(self) -> str:
        return f"{self.unit} · {self.solution}"

    @classmethod
    def authz_scope_q(cls, path_q, action: str, base=None) -> Q:
        """The adopting unit's scope; the solution's owners also read how it spreads."""
        own = Q(unit_id__in=units_in(path_q))
        if action == "view":
            return own | Q(solution__unit_id__in=units_in(path_q))
        return own


class PolicyDocument(TrackedModel):
    """A policy document of the registry (制度政策)."""

    class Status(models.TextChoices):
        DRAFTING = "drafting", _("Drafting")
        ISSUED = "issued", _("Issued")
        REVISED = "revised", _("Revised")
        REPEALED = "repealed", _("Repealed")

    title = models.CharField(_("title"), max_length=500)
    doc_number = models.CharField(_("document number (文号)"), max_length=100, blank=True)
    issuer = models.CharField(_("issued by"), max_length=200, blank=True)
    unit = models.ForeignKey(OrgUnit, verbose_name=_("registering unit"), on_delete=models.PROTECT, related_name="policy_documents")
    issued_on = models.DateField(_("date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFTING)
    summary = models.TextField(_("summary"), blank=True)
    full_text = models.TextField(_("full text"), blank=True)
    source_url = models.URLField(_("source address"), max_length=500, blank=True)
    is_illustrative = models.BooleanField(_("illustrative (invented for the demo)"), default=False)
    source_document = models.OneToOneField("plans.SourceDocument", verbose_name=_("intake source document"), null=True,
                                           blank=True, on_delete=models.SET_NULL, related_name="registry_entry")
    plan_items = models.ManyToManyField("plans.PlanItem", verbose_name=_("plan items served"), blank=True, related_name="policies")
    solutions = models.ManyToManyField(Solution, verbose_name=_("solutions served"), blank=True, related_name="policies")
    revises = models.ManyToManyField("self", verbose_name=_("revises"), symmetrical=False, blank=True, related_name="revised_by")
    repeals = models.ManyToManyField("self", verbose_name=_("repeals"), symmetrical=False, blank=True, related_name="repealed_by")
    search_title = models.TextField(blank=True, default="", editable=False)
    search_body = models.TextField(blank=True, default="", editable=False)

    scope_field = "unit__path"
    audit_exclude = ("created_at", "updated_at", "search_title", "search_body", "full_text")

    class Meta:
        ordering = ["-issued_on", "-id"]
        verbose_name = _("policy document")
        verbose_name_plural = _("policy documents")
        indexes = [
            models.Index(fields=["status", "issued_on"], name="policy_status_idx"),
            models.Index(fields=["doc_number"], name="policy_number_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.title}（{self.doc_number}）" if self.doc_number else self.title

    @classmethod
    def authz_scope_q(cls, path_q, action: str, base=None) -> Q:
        """The registering unit's scope (as ``scope_field`` says), as an indexed unit-id lookup."""
        return Q(unit_id__in=units_in(path_q))
