"""Analytics: aggregated indicator values up the org tree, and evaluation schemes with their scores.

``AggregateValue`` rows are written only by the rollup engine (``luoshi.analytics.engine``,
which runs the SQL of ``luoshi.analytics.rollup_sql``): a full rebuild fills a fresh table and
swaps it in atomically; an incremental refresh replaces the rows of one unit's ancestors for the
indicators and periods that changed. The table has no foreign-key constraints (it is replaced
wholesale by the swap), only plain id columns declared as non-constraining foreign keys so the
ORM can still follow them.

Evaluation schemes (评价方案) are definitions owned by a unit and visible down the tree, like
indicators. A scheme is versioned by ``code`` + ``revision``: a scheme whose results were
published is never edited, a new revision is made instead. ``EvaluationRun`` holds the results
of one scheme for one year; once published it is frozen.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from luoshi.core.models import TrackedModel
from luoshi.indicators.models import Category, Indicator
from luoshi.orgs.models import OrgGroup, OrgUnit, UnitType, code_validator

AGGREGATE_TABLE = "analytics_aggregate"


class AggregateValue(models.Model):
    """One aggregated value: indicator × unit × period × category (NULL: the total).

    ``units_reporting`` counts the units in the subtree whose values went into ``value``;
    ``units_expected`` the units expected to report it (by the indicator's reporting unit types,
    else the subtree's leaf units); ``completeness`` is reporting ÷ expected (NULL when none is
    expected). ``depth`` copies the unit's depth (for ``level=N`` lookups).
    """

    id = models.BigAutoField(primary_key=True)
    indicator = models.ForeignKey(Indicator, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    unit = models.ForeignKey(OrgUnit, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    period = models.CharField(_("period"), max_length=10)
    category = models.ForeignKey(Category, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    depth = models.PositiveSmallIntegerField(default=0)
    value = models.FloatField(_("value"), null=True)
    # Partial results, so a parent is recomputed from its children alone (see rollup_sql):
    # num = Σ value (sum, avg), Σ value × weight (weighted avg), the min or max; den = count or Σ weight.
    num = models.FloatField(null=True)
    den = models.FloatField(null=True)
    units_reporting = models.IntegerField(_("units reporting"), default=0)
    units_expected = models.IntegerField(_("units expected"), default=0)
    completeness = models.FloatField(_("completeness"), null=True)

    scope_field = "unit__path"

    class Meta:
        db_table = AGGREGATE_TABLE
        ordering = ["indicator_id", "unit_id", "period", "category_id"]
        verbose_name = _("aggregated value")
        verbose_name_plural = _("aggregated values")
        indexes = [
            models.Index(fields=["indicator", "unit", "period"], name="analytics_agg_iup_idx"),
            models.Index(fields=["unit", "period"], name="analytics_agg_up_idx"),
            models.Index(fields=["indicator", "period", "depth"], name="analytics_agg_ipd_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id}/{self.unit_id}/{self.period}: {self.value}"


class RebuildState(models.Model):
    """One row: when the analytics were last rebuilt in full, how long it took, how many rows."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    rebuilt_at = models.DateTimeField(null=True)
    seconds = models.FloatField(default=0)
    rows = models.BigIntegerField(default=0)
    approved_only = models.BooleanField(default=False)
    engine = models.CharField(max_length=20, default="database")

    class Meta:
        verbose_name = _("analytics state")


class IndicatorRule(models.Model):
    """The rollup rule of one indicator, flattened for SQL (rewritten by every rebuild).

    ``sig`` numbers the distinct lists of reporting unit types (``SigType``); sig 0 means
    "no types given: the leaf units are expected". Plain integer columns, no constraints, so
    another engine can load the same rows (see ``rollup_sql``).
    """

    indicator_id = models.BigIntegerField(primary_key=True)
    agg = models.CharField(max_length=16)
    weight_id = models.BigIntegerField(null=True)
    weight_by_category = models.SmallIntegerField(default=0)
    sub_yearly = models.SmallIntegerField(default=0)
    derived = models.SmallIntegerField(default=0)
    sig = models.IntegerField(default=0)

    class Meta:
        db_table = "analytics_rule"


class SigType(models.Model):
    """A unit type expected to report the indicators of signature ``sig``."""

    sig = models.IntegerField()
    unit_type = models.CharField(max_length=16)

    class Meta:
        db_table = "analytics_sigtype"


class ExpectedCount(models.Model):
    """How many active units in a unit's subtree (itself included) are expected to report ``sig``."""

    unit_id = models.BigIntegerField()
    sig = models.IntegerField()
    n = models.IntegerField()

    class Meta:
        db_table = "analytics_expected"
        indexes = [models.Index(fields=["unit_id", "sig"], name="analytics_expected_idx")]


class Normalisation(models.TextChoices):
    ATTAINMENT = "attainment", _("Attainment of the target (capped at 100 %)")
    MINMAX = "minmax", _("Min–max across the peer group")
    BANDS = "bands", _("Threshold bands")


class MeasureKind(models.TextChoices):
    INDICATOR = "indicator", _("Indicator")
    PLAN_ON_TIME = "plan_on_time", _("Share of plan items on time")
    PLAN_OVERDUE = "plan_overdue", _("Overdue plan items")


class EvaluationScheme(TrackedModel):
    """A weighted set of measures scoring the units of a peer group per year (评价方案).

    The peer group is either an ``OrgGroup`` (所有省份, 部属高校 …) or the units directly below
    ``peer_parent`` (the districts of one city), optionally only those of ``peer_unit_type``
    (the provinces below the ministry). ``revision`` numbers the versions of a code.
    """

    code = models.CharField(_("code"), max_length=32, validators=[code_validator])
    revision = models.PositiveSmallIntegerField(_("revision"), default=1)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    owner_unit = models.ForeignKey(OrgUnit, verbose_name=_("owning unit"), on_delete=models.PROTECT, related_name="+")
    peer_group = models.ForeignKey(OrgGroup, verbose_name=_("peer group"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    peer_parent = models.ForeignKey(OrgUnit, verbose_name=_("units below"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    peer_unit_type = models.CharField(_("of type"), max_length=16, blank=True, choices=UnitType.choices,
                                      help_text=_("Only the units of this type below it (e.g. the provinces below the ministry)."))
    is_current = models.BooleanField(_("current revision"), default=True)

    scope_field = "owner_unit__path"

    class Meta:
        ordering = ["code", "-revision"]
        verbose_name = _("evaluation scheme")
        verbose_name_plural = _("evaluation schemes")
        constraints = [models.UniqueConstraint(fields=["code", "revision"], name="scheme_unique_revision")]

    def __str__(self) -> str:
        return f"{self.name} (v{self.revision})"

    @classmethod
    def authz_scope_q(cls, path_q, action: str, base) -> Q:
        if action == "view":  # like indicators: visible to the owner's subtree
            inner = OrgUnit.objects.filter(path_q("path"), path__startswith=OuterRef("owner_unit__path"))
            return Q(Exists(inner))
        return path_q("owner_unit__path")


class SchemeMeasure(models.Model):
    """One weighted measure of a scheme. Written only through the scheme's services.

    ``bands``: for threshold bands, a list of ``[threshold, points]`` (points 0–100) read from
    the best threshold down: a unit gets the points of the first threshold its value reaches
    (for lower-is-better measures: does not exceed).
    """

    scheme = models.ForeignKey(EvaluationScheme, on_delete=models.CASCADE, related_name="measures")
    order = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(_("kind"), max_length=16, choices=MeasureKind.choices, default=MeasureKind.INDICATOR)
    indicator = models.ForeignKey(Indicator, verbose_name=_("indicator"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    weight = models.FloatField(_("weight"), validators=[MinValueValidator(0)])
    normalisation = models.CharField(_("normalisation"), max_length=12, choices=Normalisation.choices,
                                     default=Normalisation.ATTAINMENT)
    bands = models.JSONField(_("bands"), default=list, blank=True)

    class Meta:
        ordering = ["scheme", "order"]
        verbose_name = _("scheme measure")
        verbose_name_plural = _("scheme measures")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.indicator_id or ''} × {self.weight}"


class EvaluationRun(TrackedModel):
    """The results of a scheme for one year; frozen once published."""

    class State(models.TextChoices):
        COMPUTED = "computed", _("Computed")
        PUBLISHED = "published", _("Published")

    scheme = models.ForeignKey(EvaluationScheme, verbose_name=_("scheme"), on_delete=models.PROTECT, related_name="runs")
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.COMPUTED)
    computed_at = models.DateTimeField(_("computed at"), null=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    scope_field = "scheme__owner_unit__path"

    class Meta:
        ordering = ["scheme__code", "-year"]
        verbose_name = _("evaluation run")
        verbose_name_plural = _("evaluation runs")
        constraints = [models.UniqueConstraint(fields=["scheme", "year"], name="evaluationrun_unique")]

    def __str__(self) -> str:
        return f"{self.scheme} {self.year}"

    @classmethod
    def authz_scope_q(cls, path_q, action: str, base) -> Q:
        if action == "view":
            inner = OrgUnit.objects.filter(path_q("path"), path__startswith=OuterRef("scheme__owner_unit__path"))
            return Q(Exists(inner))
        return path_q("scheme__owner_unit__path")


class EvaluationResult(models.Model):
    """One unit's score in a run: total (0–100), rank in the peer group, and the breakdown.

    ``breakdown``: one entry per measure — kind, indicator code, raw value, target, attainment,
    normalised points (0–100), weight and the points it contributed — so every score is
    explained point by point. Scoped by the unit: a province sees its own row.
    """

    run = models.ForeignKey(EvaluationRun, on_delete=models.CASCADE, related_name="results")
    unit = models.ForeignKey(OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    score = models.FloatField(_("score"), null=True)
    rank = models.PositiveIntegerField(_("rank"), null=True)
    breakdown = models.JSONField(_("breakdown"), default=list)

    scope_field = "unit__path"

    class Meta:
        ordering = ["run", "rank", "unit__path"]
        verbose_name = _("evaluation result")
        verbose_name_plural = _("evaluation results")
        constraints = [models.UniqueConstraint(fields=["run", "unit"], name="evaluationresult_unique")]

    def __str__(self) -> str:
        return f"{self.run}: {self.unit} {self.score}"
