"""Pilot programmes (试点), applications, running pilots, their progress and reviews (复盘).

A planner's unit (the programme's *owner*) sets up a programme and opens its call; units
apply; the owner's reviewers shortlist, approve or decline; an approved application becomes a
pilot run by the applicant with participants, milestones and a contact. The pilot reports
progress (with evidence files and figures, raising problems to the level above) and ends with
a structured review whose outcome is promote, continue, adjust or close. A promoted review
becomes a solution in ``luoshi.library``.

Indicators are hand-entered (name, unit of measure, direction) until the evaluation system
lands; each entry may carry a ``code`` that will later name an indicator there. Figures are
kept by indicator name, so they can be matched to indicators then.

Scoping: a programme is its owner's; once its call is published every signed-in member can
read it (a call must reach the applicants). Applications, pilots, progress and reviews are
visible to the applicant's (pilot unit's) scope and to the owner's scope, drafts to the
applicant's scope alone.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from luoshi.core.models import TrackedModel
from luoshi.orgs.models import OrgUnit


class Programme(TrackedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Call open")
        RUNNING = "running", _("Running")
        FINISHED = "finished", _("Finished")

    owner = models.ForeignKey(OrgUnit, verbose_name=_("owner unit"), on_delete=models.PROTECT, related_name="pilot_programmes")
    title = models.CharField(_("title"), max_length=300)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    aims = models.TextField(_("aims"), blank=True)
    plan_items = models.ManyToManyField("plans.PlanItem", verbose_name=_("linked plan items"), blank=True,
                                        related_name="pilot_programmes")
    # [{"name": "…", "unit": "%", "direction": "up"|"down", "code": ""}]; see rules.parse_indicators
    indicators = models.JSONField(_("indicators"), default=list, blank=True)
    eligible_types = models.JSONField(_("eligible unit types"), default=list, blank=True)
    eligible_regions = models.ManyToManyField(OrgUnit, verbose_name=_("eligible regions"), blank=True, related_name="+")
    call_opens = models.DateField(_("call opens"), null=True, blank=True)
    call_closes = models.DateField(_("call closes"), null=True, blank=True)
    starts_on = models.DateField(_("pilots start"), null=True, blank=True)
    ends_on = models.DateField(_("pilots end"), null=True, blank=True)
    call_text = models.TextField(_("call text"), blank=True)
    places = models.PositiveSmallIntegerField(_("number of places"), default=10, validators=[MinValueValidator(1)])
    review_template = models.TextField(_("review template"), blank=True)

    scope_field = "owner__path"

    class Meta:
        ordering = ["-starts_on", "title"]
        verbose_name = _("pilot programme")
        verbose_name_plural = _("pilot programmes")
        indexes = [models.Index(fields=["status"], name="programme_status_idx")]

    def __str__(self) -> str:
        return self.title

    @classmethod
    def authz_scope_q(cls, path_q, action: str, base=None) -> Q:
        own = path_q("owner__path")
        if action == "view":
            return own | ~Q(status=cls.Status.DRAFT)
        return own

    @classmethod
    def authz_can(cls, obj: "Programme", path_q, action: str) -> bool:
        if action == "view" and obj.status != cls.Status.DRAFT:
            return True
        return cls.objects.filter(path_q("owner__path"), pk=obj.pk).exists()

    def indicator_names(self) -> list[str]:
        return [i.get("name", "") for i in self.indicators if i.get("name")]


def _baseline_items(owner) -> list[tuple[str, object]]:
    from luoshi.pilots.rules import ordered_figures

    return ordered_figures(owner.programme.indicator_names(), owner.baseline)


class Application(TrackedModel):
    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        SHORTLISTED = "shortlisted", _("Shortlisted")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    programme = models.ForeignKey(Programme, verbose_name=_("pilot programme"), on_delete=models.CASCADE,
                                  related_name="applications")
    unit = models.ForeignKey(OrgUnit, verbose_name=_("applicant unit"), on_delete=models.PROTECT, related_name="pilot_applications")
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.DRAFT)
    aims = models.TextField(_("aims"))
    approach = models.TextField(_("approach"))
    resources = models.TextField(_("resources"), blank=True)
    baseline = models.JSONField(_("baseline figures"), default=dict, blank=True)
    baseline_items = _baseline_items  # in the programme's indicator order (rules.ordered_figures)
    contact_name = models.CharField(_("contact person"), max_length=100, blank=True)
    contact_info = models.CharField(_("contact details"), max_length=200, blank=True)
    decision_reason = models.TextField(_("reason"), blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("submitted by"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    scope_field = "unit__path"

    class Meta:
        ordering = ["programme", "unit__code"]
        verbose_name = _("pilot application")
        verbose_name_plural = _("pilot applications")
        constraints = [models.UniqueConstraint(fields=["programme", "unit"], name="application_unique_unit")]
        indexes = [models.Index(fields=["state"], name="application_state_idx")]

    def __str__(self) -> str:
        return f"{self.unit} · {self.programme}"

    @classmethod
    def authz_scope_q(cls, path_q, action: str, base=None) -> Q:
        own = path_q("unit__path")
        owners = path_q("programme__owner__path") & ~Q(state=cls.State.DRAFT)
        if action == "view":
            return own | owners
        if action == "review":
            return owners
        return own


class Pilot(TrackedModel):
    class State(models.TextChoices):
        RUNNING = "running", _("Running")
        REVIEWING = "reviewing", _("Under review")
        PROMOTED = "promoted", _("Promoted")
        CLOSED = "closed", _("Closed")

    programme = models.ForeignKey(Programme, verbose_name=_("pilot programme"), on_delete=models.PROTECT, related_name="pilots")
    application = models.OneToOneField(Application, verbose_name=_("application"), null=True, blank=True,
                                       on_delete=models.SET_NULL, related_name="pilot")
    unit = models.ForeignKey(OrgUnit, verbose_name=_("pilot unit"), on_delete=models.PROTECT, related_name="pilots")
    title = models.CharField(_("title"), max_length=300)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.RUNNING)
    aims = models.TextField(_("aims"), blank=True)
    approach = models.TextField(_("approach"), blank=True)
    baseline = models.JSONField(_("baseline figures"), default=dict, blank=True)
    baseline_items = _baseline_items  # in the programme's indicator order (rules.ordered_figures)
    participants = models.ManyToManyField(OrgUnit, verbose_name=_("participants"), blank=True, related_name="pilot_participations")
    contact_name = models.CharField(_("contact person"), max_length=100, blank=True)
    contact_info = models.CharField(_("contact details"), max_length=200, blank=True)
    # [{"due": "YYYY-MM-DD", "title": "…", "done": bool}]; see rules.parse_milestones
    milestones = models.JSONField(_("milestones"), default=list, blank=True)
    starts_on = models.DateField(_("starts"), null=True, blank=True)
    ends_on = models.DateField(_("ends"), null=True, blank=True)

    scope_field = "unit__path"

    class Meta:
        ordering = ["programme", "unit__code"]
        verbose_name = _("pilot")
        verbose_name_plural = _("pilots")
        indexes = [models.Index(fields=["state"], name="pilot_state_idx")]

    def __str__(self) -> str:
        return self.title

    @classmethod
    def authz_scope_q(cls, path_q, action: str, base=None) -> Q:
        own = path_q("unit__path")
        owners = path_q("programme__owner__path")
        if action == "view":
            participating = Q(pk__in=cls.participants.through.objects.filter(path_q("orgunit__path")).values("pilot_id"))
            return own | owners | participating
        if action == "review":
            return owners
        return own


class ProgressEntry(TrackedModel):
    """One periodic entry of a running pilot; a problem may be raised to the level above."""

    class Escalation(models.TextChoices):
        NONE = "", _("Not raised")
        OPEN = "open", _("Raised, awaiting an answer")
        ANSWERED = "answered", _("Answered")

    pilot = models.ForeignKey(Pilot, verbose_name=_("pilot"), on_delete=models.CASCADE, related_name="entries")
    entry_date = models.DateField(_("date"))
    period = models.CharField(_("period"), max_length=40, blank=True)
    done = models.TextField(_("what was done"))
    problems = models.TextField(_("problems met"), blank=True)
    figures = models.JSONField(_("indicator figures"), default=dict, blank=True)
    escalation = models.CharField(_("raised to the level above"), max_length=10, choices=Escalation.choices, blank=True,
                                  default=Escalation.NONE)
    response = models.TextField(_("answer from above"), blank=True)
    responded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("answered by"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("written by"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")

    scope_field = "pilot__unit__path"

    class Meta:
        ordering = ["pilot", "-entry_date", "-id"]
        verbose_name = _("progress entry")
        verbose_name_plural = _("progress entries")
        indexes = [models.Index(fields=["escalation"], name="entry_escalation_idx")]

    def __str__(self) -> str:
        return f"{self.pilot} · {self.entry_date}"

    @classmethod
    def authz_scope_q(cls, path_q, action: str, base=None) -> Q:
        own = path_q("pilot__unit__path")
        owners = path_q("pilot__programme__owner__path")
        if action == "view":
            return own | owners
        if action == "review":
            # An issue raised goes to the level above: whoever covers the pilot unit's parent, or the owner.
            return path_q("pilot__unit__parent__path") | owners
        return own


def evidence_path(instance: "PilotEvidence", filename: str) -> str:
    return f"pilot-evidence/{instance.entry.pilot_id}/{instance.entry_id}/{filename}"


class PilotEvidence(models.Model):
    """A file attached to a progress entry (size- and type-checked as report evidence is)."""

    entry = models.ForeignKey(ProgressEntry, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to=evidence_path, max_length=300)
    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=100)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    scope_field = "entry__pilot__unit__path"

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("pilot evidence file")
        verbose_name_plural = _("pilot evidence files")

    def __str__(self) -> str:
        return self.name

    @classmethod
    def authz_scope_q(cls, path_q, action: str, base=None) -> Q:
        return path_q("entry__pilot__unit__path") | path_q("entry__pilot__programme__owner__path")


class Review(TrackedModel):
    """A structured review (复盘) of a pilot, at the end or mid-term, decided by the programme's reviewers."""

    class Kind(models.TextChoices):
        FINAL = "final", _("End review")
        MIDTERM = "midterm", _("Mid-term check")

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        RETURNED = "returned", _("Returned")
        DECIDED = "decided", _("Decided")

    class Outcome(models.TextChoices):
        NONE = "", _("Not decided")
        PROMOTE = "promote", _("Promote")
        CONTINUE = "continue", _("Continue")
        ADJUST = "adjust", _("Adjust")
        CLOSE = "close", _("Close")

    pilot = models.ForeignKey(Pilot, verbose_name=_("pilot"), on_delete=models.CASCADE, related_name="reviews")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.FINAL)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.DRAFT)
    aims_vs_results = models.TextField(_("aims against results"))
    # [{"name": "…", "baseline": "…", "result": "…"}]: the change of each figure from the baseline
    figures = models.JSONField(_("figures against baseline"), default=list, blank=True)
    what_worked = models.TextField(_("what worked"), blank=True)
    essential_problems = models.TextField(_("essential problems"), blank=True)
    core_problems = models.TextField(_("core problems"), blank=True)
    lessons = models.TextField(_("lessons"), blank=True)
    reuse_conditions = models.TextField(_("conditions for reuse"), blank=True)
    cost = models.DecimalField(_("cost (10,000 yuan)"), max_digits=12, decimal_places=2, null=True, blank=True,
                               validators=[MinValueValidator(0)])
    cost_notes = models.TextField(_("cost notes"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True, default=Outcome.NONE)
    decision_reason = models.TextField(_("reviewers' reasons"), blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("submitted by"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    scope_field = "pilot__unit__path"

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("pilot review")
        verbose_name_plural = _("pilot reviews")
        indexes = [models.Index(fields=["state", "outcome"], name="review_state_idx")]

    def __str__(self) -> str:
        return f"{self.pilot} · {self.get_kind_display()}"

    @classmethod
    def authz_scope_q(cls, path_q, action: str, base=None) -> Q:
        own = path_q("pilot__unit__path")
        owners = path_q("pilot__programme__owner__path") & ~Q(state=cls.State.DRAFT)
        if action == "view":
            return own | owners
        if action == "review":
            return owners
        return own
