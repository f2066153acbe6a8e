"""The evaluation system: indicators, their targets and rules, data sets, reported values, approval.

Reported numbers live in one narrow table, ``DataValue`` (indicator, unit, period, category,
value), so roll-ups can be set-based SQL: ``value`` is a plain double-precision column, and the
indexes serve "all values of an indicator in a period" joined to ``orgs_orgunit.path`` for a
subtree. Periods are canonical strings from ``luoshi.plans.rules`` (``2024``, ``2024-H2``,
``2024-Q3``, ``2024-M07``). Totals of disaggregated indicators are derived from the category
values (a row with ``category`` NULL is never typed for an indicator that has a category set).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from luoshi.core.models import TrackedModel
from luoshi.orgs.models import OrgUnit, code_validator

# Indicator codes are referenced by name in formulas, so they are identifiers: letters (any
# script, so 在校生数 works), digits and '_', not starting with a digit.
indicator_code_validator = RegexValidator(
    r"^[^\W\d]\w{0,39}$",
    _("Use 1–40 letters, digits or '_', starting with a letter."),
)


class Periodicity(models.TextChoices):
    """The same kinds as a plan's reporting period (``luoshi.plans.rules.periods_for_year``)."""

    YEARLY = "yearly", _("Yearly")
    HALF_YEARLY = "half", _("Half-yearly")
    QUARTERLY = "quarterly", _("Quarterly")
    MONTHLY = "monthly", _("Monthly")


class ValueType(models.TextChoices):
    NUMBER = "number", _("Number")
    INTEGER = "integer", _("Whole number")
    PERCENT = "percent", _("Percent")
    BOOLEAN = "boolean", _("Yes/no")
    TEXT = "text", _("Text")


class Direction(models.TextChoices):
    HIGHER = "higher", _("Higher is better")
    LOWER = "lower", _("Lower is better")
    BAND = "band", _("Within a target band")


class Aggregation(models.TextChoices):
    SUM = "sum", _("Sum")
    AVG = "avg", _("Average")
    WEIGHTED_AVG = "weighted_avg", _("Weighted average")
    MIN = "min", _("Minimum")
    MAX = "max", _("Maximum")
    NONE = "none", _("Not aggregated")


class Severity(models.TextChoices):
    ERROR = "error", _("Error (blocks saving)")
    WARNING = "warning", _("Warning (needs a comment)")


def _visible_down_the_tree(path_q, field: str) -> Q:
    """Definitions flow down the tree: visible in the owner's subtree and to every unit below it.

    An object owned by unit O is visible to a user who can see O itself or any unit below O
    (a province reporter sees the ministry's indicators). ``field`` is the owner's path field.
    """
    inner = OrgUnit.objects.filter(path_q("path"), path__startswith=OuterRef(field))
    return Q(Exists(inner))


class OwnedDefinition(TrackedModel):
    """Abstract: a definition owned by a unit, visible down the tree, changed in the owner's scope."""

    scope_field = "owner_unit__path"

    class Meta:
        abstract = True

    @classmethod
    def authz_scope_q(cls, path_q, action: str, base) -> Q:
        if action == "view":
            return _visible_down_the_tree(path_q, "owner_unit__path")
        return path_q("owner_unit__path")


class CategorySet(OwnedDefinition):
    """A disaggregation (城乡, 性别, 学段 …): values of an indicator are reported per category."""

    code = models.CharField(_("code"), max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=200)
    owner_unit = models.ForeignKey(OrgUnit, verbose_name=_("owning unit"), on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["code"]
        verbose_name = _("category set")
        verbose_name_plural = _("category sets")

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    """One category of a set (城镇 / 乡村). Written only through the category set's services."""

    category_set = models.ForeignKey(CategorySet, verbose_name=_("category set"), on_delete=models.CASCADE, related_name="categories")
    code = models.CharField(_("code"), max_length=32, validators=[code_validator])
    name = models.CharField(_("name"), max_length=200)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["category_set", "order", "code"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [models.UniqueConstraint(fields=["category_set", "code"], name="category_unique_code")]

    def __str__(self) -> str:
        return self.name


class Indicator(OwnedDefinition):
    """A measured quantity: what it means, how it is typed, reported and rolled up the tree."""

    code = models.CharField(_("code"), max_length=40, unique=True, validators=[indicator_code_validator])
    name = models.CharField(_("name"), max_length=200)
    definition = models.TextField(_("definition"), blank=True)
    unit_of_measure = models.CharField(_("unit of measure"), max_length=40, blank=True)
    value_type = models.CharField(_("value type"), max_length=16, choices=ValueType.choices, default=ValueType.NUMBER)
    decimals = models.PositiveSmallIntegerField(_("decimals"), default=2, validators=[MaxValueValidator(6)])
    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices, default=Direction.HIGHER)
    band_low = models.FloatField(_("band low"), null=True, blank=True)
    band_high = models.FloatField(_("band high"), null=True, blank=True)
    periodicity = models.CharField(_("periodicity"), max_length=16, choices=Periodicity.choices, default=Periodicity.YEARLY)
    reporting_unit_types = models.JSONField(_("reporting unit types"), default=list, blank=True,
                                            help_text=_("Org unit types that report this indicator."))
    source = models.CharField(_("source"), max_length=300, blank=True)
    owner_unit = models.ForeignKey(OrgUnit, verbose_name=_("owning unit"), on_delete=models.PROTECT, related_name="owned_indicators")
    aggregation = models.CharField(_("aggregation"), max_length=16, choices=Aggregation.choices, default=Aggregation.SUM)
    weight_indicator = models.ForeignKey("self", verbose_name=_("weighted by"), null=True, blank=True,
                                         on_delete=models.PROTECT, related_name="weighted_indicators")
    category_set = models.ForeignKey(CategorySet, verbose_name=_("disaggregation"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="indicators")
    formula = models.CharField(_("formula"), max_length=1000, blank=True,
                               help_text=_("Blank for a reported indicator; e.g. STUDENTS / POPULATION * 100."))
    formula_refs = models.JSONField(default=list, blank=True, editable=False)  # codes the formula uses
    min_value = models.FloatField(_("minimum"), null=True, blank=True)
    max_value = models.FloatField(_("maximum"), null=True, blank=True)
    required = models.BooleanField(_("required"), default=False)
    baseline_value = models.FloatField(_("baseline value"), null=True, blank=True)
    baseline_year = models.PositiveSmallIntegerField(_("baseline year"), null=True, blank=True,
                                                     validators=[MinValueValidator(1949), MaxValueValidator(2100)])
    plan_items = models.ManyToManyField("plans.PlanItem", verbose_name=_("plan items measured"), blank=True,
                                        related_name="indicators")
    is_active = models.BooleanField(_("active"), default=True)

    audit_exclude = ("created_at", "updated_at", "formula_refs")

    class Meta:
        ordering = ["code"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        indexes = [models.Index(fields=["owner_unit"], name="indicator_owner_idx")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_derived(self) -> bool:
        return bool(self.formula.strip())

    @property
    def is_numeric(self) -> bool:
        return self.value_type != ValueType.TEXT


class Target(TrackedModel):
    """A target value of an indicator for a unit and year (national targets on the root unit)."""

    indicator = models.ForeignKey(Indicator, verbose_name=_("indicator"), on_delete=models.CASCADE, related_name="targets")
    unit = models.ForeignKey(OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    value = models.FloatField(_("target value"))

    scope_field = "unit__path"

    class Meta:
        ordering = ["indicator__code", "unit__path", "year"]
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        constraints = [models.UniqueConstraint(fields=["indicator", "unit", "year"], name="target_unique")]

    def __str__(self) -> str:
        return f"{self.indicator.code} {self.unit} {self.year}: {self.value}"

    @classmethod
    def authz_scope_q(cls, path_q, action: str, base) -> Q:
        if action == "view":  # a province sees the national target as well as its own
            return _visible_down_the_tree(path_q, "unit__path")
        return path_q("unit__path")


class ValidationRule(OwnedDefinition):
    """A rule between indicators, checked per unit, period and category: ``A <= B``, ``A == B + C``."""

    code = models.CharField(_("code"), max_length=32, unique=True, validators=[code_validator])
    expression = models.CharField(_("expression"), max_length=1000,
                                  help_text=_("A comparison of indicator codes, e.g. TEACHERS_F <= TEACHERS."))
    tolerance = models.FloatField(_("tolerance"), default=0, validators=[MinValueValidator(0)],
                                  help_text=_("How far the two sides of '==' may differ."))
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices, default=Severity.ERROR)
    message = models.CharField(_("message"), max_length=300, blank=True)
    owner_unit = models.ForeignKey(OrgUnit, verbose_name=_("owning unit"), on_delete=models.PROTECT, related_name="+")
    refs = models.JSONField(default=list, blank=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)

    audit_exclude = ("created_at", "updated_at", "refs")

    class Meta:
        ordering = ["code"]
        verbose_name = _("validation rule")
        verbose_name_plural = _("validation rules")

    def __str__(self) -> str:
        return f"{self.code}: {self.expression}"


class DataSet(OwnedDefinition):
    """The indicators a set of units reports for a period type, and who is expected to report.

    Expected reporters are the active units in the owner's subtree whose type is in
    ``reporting_unit_types`` (this drives completeness, 上报率).
    """

    code = models.CharField(_("code"), max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    periodicity = models.CharField(_("period type"), max_length=16, choices=Periodicity.choices, default=Periodicity.YEARLY)
    owner_unit = models.ForeignKey(OrgUnit, verbose_name=_("owning unit"), on_delete=models.PROTECT, related_name="owned_datasets")
    indicators = models.ManyToManyField(Indicator, verbose_name=_("indicators"), related_name="datasets", blank=True)
    reporting_unit_types = models.JSONField(_("reporting unit types"), default=list, blank=True,
                                            help_text=_("Org unit types expected to report."))

    class Meta:
        ordering = ["code"]
        verbose_name = _("data set")
        verbose_name_plural = _("data sets")

    def __str__(self) -> str:
        return self.name


class ValueState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")


class DataValue(models.Model):
    """One reported value: indicator × unit × period × category (NULL: no disaggregation).

    Kept narrow on purpose (millions of rows; bulk-written by imports). ``state`` mirrors the
    approval of the unit's data set for the period, so "approved only" is a column filter.
    ``warnings`` lists codes of the checks it failed but was allowed with (``outlier_own``,
    ``outlier_peer``, ``rule:<code>``); ``follow_up`` marks it for reviewers.
    """

    id = models.BigAutoField(primary_key=True)
    # No single-column indexes on the foreign keys: the composite indexes below serve them, and
    # every index costs on bulk loads (categories and users are deleted rarely, if ever).
    indicator = models.ForeignKey(Indicator, verbose_name=_("indicator"), on_delete=models.PROTECT, related_name="values",
                                  db_index=False)
    unit = models.ForeignKey(OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+", db_index=False)
    period = models.CharField(_("period"), max_length=10)
    category = models.ForeignKey(Category, verbose_name=_("category"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+", db_index=False)
    value = models.FloatField(_("value"), null=True, blank=True)
    text_value = models.CharField(_("text value"), max_length=500, blank=True, default="")
    comment = models.CharField(_("comment"), max_length=1000, blank=True, default="")
    state = models.CharField(_("state"), max_length=10, choices=ValueState.choices, default=ValueState.DRAFT)
    warnings = models.JSONField(_("warnings"), default=list, blank=True)
    follow_up = models.BooleanField(_("marked for follow-up"), default=False)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("entered by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+", db_index=False)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    import_batch = models.UUIDField(null=True, blank=True, editable=False)

    scope_field = "unit__path"
    audit_exclude = ("updated_at",)

    class Meta:
        ordering = ["indicator_id", "unit_id", "period", "category_id"]
        verbose_name = _("data value")
        verbose_name_plural = _("data values")
        constraints = [
            # One value per indicator, period, unit and category, the total (no category) counted
            # as category 0: one unique index instead of one per case, and with the indicator and
            # period first it also serves "all values of an indicator in a period" (roll-ups).
            models.UniqueConstraint(F("indicator"), F("period"), F("unit"), Coalesce(F("category"), 0),
                                    name="datavalue_unique_key"),
        ]
        indexes = [
            models.Index(fields=["unit", "period"], name="datavalue_unit_period_idx"),
            models.Index(fields=["follow_up"], name="datavalue_follow_up_idx", condition=Q(follow_up=True)),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id}/{self.unit_id}/{self.period}: {self.display_value}"

    @property
    def display_value(self) -> str:
        return self.text_value if self.value is None else f"{self.value:g}"


class ApprovalState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned")


class Approval(TrackedModel):
    """The state of one unit's data for a data set and period (填报 → 上报 → 审核).

    Approved bottom-up: a unit can be approved only when every expected reporting unit below
    it is approved, by a reviewer of a unit above it. Approval locks the values.
    """

    dataset = models.ForeignKey(DataSet, verbose_name=_("data set"), on_delete=models.CASCADE, related_name="approvals")
    unit = models.ForeignKey(OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    period = models.CharField(_("period"), max_length=10)
    state = models.CharField(_("state"), max_length=10, choices=ApprovalState.choices, default=ApprovalState.DRAFT)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("submitted by"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("approved by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True, help_text=_("Why the data was returned or un-approved."))

    scope_field = "unit__path"

    class Meta:
        ordering = ["dataset__code", "period", "unit__path"]
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")
        constraints = [models.UniqueConstraint(fields=["dataset", "unit", "period"], name="approval_unique")]

    def __str__(self) -> str:
        return f"{self.dataset.code} {self.unit} {self.period}: {self.get_state_display()}"


class DataImport(models.Model):
    """One run of the bulk importer: its staged rows, its state, and what it changed.

    See "Indicators: bulk import" in docs/architecture.md. Rows are staged in
    ``ImportRow`` in short transactions, checked with set-based SQL, then applied to
    ``DataValue`` in bounded batches whose previous values are kept in the staged rows, so an
    import that fails (or a process killed) half-way is undone by ``services.recover_imports``.
    """

    class State(models.TextChoices):
        STAGING = "staging", _("Checking")
        APPLYING = "applying", _("Writing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        ROLLED_BACK = "rolled_back", _("Undone")

    id = models.UUIDField(primary_key=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    filename = models.CharField(max_length=255, blank=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.STAGING)
    dry_run = models.BooleanField(default=False)
    rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    applied_upto = models.BigIntegerField(default=0)  # last ImportRow.id written to DataValue
    pid = models.PositiveIntegerField(default=0)
    host = models.CharField(max_length=100, blank=True)
    unit_path = models.CharField(max_length=255, blank=True)  # where its audit record is scoped
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.filename or self.pk} ({self.get_state_display()})"

    def audit_unit_path(self) -> str:
        return self.unit_path


class ImportRow(models.Model):
    """A staged row of an import (never read by anything but the importer)."""

    id = models.BigAutoField(primary_key=True)
    batch = models.UUIDField()
    row = models.PositiveIntegerField()
    indicator_id = models.BigIntegerField()
    unit_id = models.BigIntegerField()
    period = models.CharField(max_length=10)
    category_id = models.BigIntegerField(null=True)
    value = models.FloatField(null=True)
    text_value = models.CharField(max_length=500, default="")
    comment = models.CharField(max_length=1000, default="")
    # Filled by the checks: the existing value (if any) and whether this row changes it.
    existing_id = models.BigIntegerField(null=True)
    changes = models.BooleanField(default=True)
    # Filled when applied: what the existing row held before (for undoing).
    old_value = models.FloatField(null=True)
    old_text_value = models.CharField(max_length=500, default="")
    old_comment = models.CharField(max_length=1000, default="")
    old_entered_by_id = models.BigIntegerField(null=True)
    old_updated_at = models.DateTimeField(null=True)
    new_id = models.BigIntegerField(null=True)

    # No secondary index: rows are appended and read back by primary-key ranges; the duplicate
    # check sorts once, which is cheaper than maintaining an index on every staged row.
