"""The organisation tree, cross-cutting groups of units, and memberships (who holds which role where)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from luoshi.core.models import TrackedModel

code_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$",
    _("Use 1–32 letters, digits, '.', '_' or '-', starting with a letter or digit."),
)


class UnitType(models.TextChoices):
    MINISTRY = "ministry", _("Ministry")
    DEPARTMENT = "department", _("Department")
    AFFILIATED = "affiliated", _("Affiliated unit")
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    COUNTY = "county", _("County")
    UNIVERSITY = "university", _("University")
    SCHOOL = "school", _("School")
    OTHER = "other", _("Other")


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    PLANNER = "planner", _("Planner")
    REPORTER = "reporter", _("Reporter")
    REVIEWER = "reviewer", _("Reviewer")
    VIEWER = "viewer", _("Viewer")
    AUDITOR = "auditor", _("Auditor")


class OrgUnitQuerySet(models.QuerySet):
    def subtree_of(self, unit: "OrgUnit", include_self: bool = True) -> "OrgUnitQuerySet":
        qs = self.filter(path__startswith=unit.path)
        return qs if include_self else qs.exclude(pk=unit.pk)

    def ancestors_of(self, unit: "OrgUnit", include_self: bool = False) -> "OrgUnitQuerySet":
        ids = unit.ancestor_ids() + ([unit.pk] if include_self else [])
        return self.filter(pk__in=ids).order_by("depth")


class OrgUnit(TrackedModel):
    """A node of the organisation tree.

    ``path`` is a materialised path of primary keys (``/1/12/140/``), maintained by
    ``luoshi.orgs.services``; subtree and ancestor queries are single indexed lookups.
    """

    code = models.CharField(_("code"), max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=60, blank=True)
    type = models.CharField(_("type"), max_length=16, choices=UnitType.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent unit"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="children",
    )
    path = models.CharField(max_length=255, editable=False, default="")
    depth = models.PositiveSmallIntegerField(editable=False, default=0)
    is_active = models.BooleanField(_("active"), default=True)

    objects = OrgUnitQuerySet.as_manager()

    scope_field = "path"
    audit_exclude = ("created_at", "updated_at", "path", "depth")

    class Meta:
        ordering = ["path"]
        verbose_name = _("org unit")
        verbose_name_plural = _("org units")
        indexes = [
            models.Index(fields=["path"], name="orgunit_path_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["type"], name="orgunit_type_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        return self.short_name or self.name

    def ancestor_ids(self) -> list[int]:
        return [int(p) for p in self.path.strip("/").split("/") if p and int(p) != self.pk]


class OrgGroup(TrackedModel):
    """A named set of units that cuts across the tree (部属高校, 计划单列市, 中西部 …)."""

    code = models.CharField(_("code"), max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        OrgUnit, verbose_name=_("owning unit"), on_delete=models.PROTECT, related_name="owned_groups",
        help_text=_("The unit that defines and maintains this group."),
    )
    members = models.ManyToManyField(OrgUnit, verbose_name=_("member units"), related_name="groups", blank=True)

    scope_field = "owner__path"

    class Meta:
        ordering = ["code"]
        verbose_name = _("org unit group")
        verbose_name_plural = _("org unit groups")

    def __str__(self) -> str:
        return self.name


class Membership(TrackedModel):
    """A user's role in a unit, optionally covering every unit below it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships")
    unit = models.ForeignKey(OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    covers_below = models.BooleanField(_("covers units below"), default=True)

    class Meta:
        ordering = ["unit__path", "role", "user__username"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.UniqueConstraint(fields=["user", "unit", "role"], name="membership_unique_role")]

    def __str__(self) -> str:
        return f"{self.user.get_username()} · {self.unit} · {self.get_role_display()}"


class Invitation(models.Model):
    """An offer of a role in a unit to someone outside the inviting administrator's scope.

    It becomes a Membership only when the person (or an administrator who manages their account)
    accepts it. Until then the inviter learns nothing about the person, not even whether the
    username exists; the model therefore has no unit scope (no ``scope_field``): it is read only
    by the invited person and by administrators managing them (``orgs.queries.invitations_for``).
    """

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", _("declined")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="invitations")
    unit = models.ForeignKey(OrgUnit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="invitations")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    covers_below = models.BooleanField(_("covers units below"), default=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("invited by"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [models.UniqueConstraint(fields=["user", "unit", "role"], condition=models.Q(state="pending"),
                                               name="invitation_one_pending")]

    def __str__(self) -> str:
        return f"{self.user.get_username()} · {self.unit} · {self.get_role_display()}"

    def audit_unit_path(self) -> str:
        return ""  # not in any unit's audit trail until accepted: the inviter must not learn of the person
