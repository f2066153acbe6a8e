"""The one place that decides who may see and do what.

Two questions, asked by every view, API endpoint, export, choice list and chart:

* ``scope(user, Model_or_queryset, action)`` — which of these objects may this user see
  (or act on)? Out-of-scope objects are simply absent, so detail lookups answer 404.
* ``can(user, action, obj)`` / ``require(user, action, obj)`` — may this user do this
  action to this object? ``require`` raises ``Http404`` when the object is outside the
  user's view scope and ``PermissionDenied`` (403) when it is visible but the role lacks
  the action.

Scope comes from memberships: (user, org unit, role, covers units below). Every scoped
model names the path of its org unit in ``scope_field`` (a materialised path such as
``/1/12/140/``), so a subtree is one ``startswith`` filter, never a walk through the tree.
The policy table below lists, for every model, which roles may do which action.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext, gettext_lazy

ADMIN, PLANNER, REPORTER, REVIEWER, VIEWER, AUDITOR = (
    "admin", "planner", "reporter", "reviewer", "viewer", "auditor",
)
ALL_ROLES = frozenset({ADMIN, PLANNER, REPORTER, REVIEWER, VIEWER, AUDITOR})
# How refusals name an action (in English, the action itself).
ACTION_LABELS = {
    "view": gettext_lazy("view"), "add": gettext_lazy("add"), "change": gettext_lazy("change"),
    "delete": gettext_lazy("delete"), "publish": gettext_lazy("publish"), "submit": gettext_lazy("submit"),
    "review": gettext_lazy("review"),
}


def roles(*names: str) -> frozenset[str]:
    return frozenset(names)


# model label -> action -> roles allowed. Every scoped model appears here; the permission
# test battery checks that it does.
POLICY: dict[str, dict[str, frozenset[str]]] = {
    "orgs.orgunit": {
        "view": ALL_ROLES, "add": roles(ADMIN), "change": roles(ADMIN), "delete": roles(ADMIN),
    },
    "orgs.orggroup": {
        "view": ALL_ROLES, "add": roles(ADMIN), "change": roles(ADMIN), "delete": roles(ADMIN),
    },
    "orgs.membership": {
        "view": ALL_ROLES, "add": roles(ADMIN), "change": roles(ADMIN), "delete": roles(ADMIN),
    },
    "audit.auditrecord": {"view": roles(AUDITOR, ADMIN)},
    "plans.plan": {
        "view": ALL_ROLES, "add": roles(PLANNER, ADMIN), "change": roles(PLANNER, ADMIN),
        "delete": roles(PLANNER, ADMIN), "publish": roles(PLANNER, ADMIN),
    },
    "plans.planitem": {
        "view": ALL_ROLES, "add": roles(PLANNER, ADMIN), "change": roles(PLANNER, ADMIN),
        "delete": roles(PLANNER, ADMIN),
    },
    "plans.progressreport": {
        "view": ALL_ROLES, "add": roles(REPORTER), "change": roles(REPORTER), "submit": roles(REPORTER),
        "review": roles(REVIEWER),
    },
    "plans.sourcedocument": {"view": ALL_ROLES, "add": roles(PLANNER, ADMIN)},
    "plans.reportversion": {"view": ALL_ROLES},
    "plans.evidence": {"view": ALL_ROLES},
    # Evaluation system: definitions are written by planners, values by reporters, approved by reviewers.
    "indicators.indicator": {
        "view": ALL_ROLES, "add": roles(PLANNER, ADMIN), "change": roles(PLANNER, ADMIN), "delete": roles(PLANNER, ADMIN),
    },
    "indicators.categoryset": {
        "view": ALL_ROLES, "add": roles(PLANNER, ADMIN), "change": roles(PLANNER, ADMIN), "delete": roles(PLANNER, ADMIN),
    },
    "indicators.target": {
        "view": ALL_ROLES, "add": roles(PLANNER, ADMIN), "change": roles(PLANNER, ADMIN), "delete": roles(PLANNER, ADMIN),
    },
    "indicators.validationrule": {
        "view": ALL_ROLES, "add": roles(PLANNER, ADMIN), "change": roles(PLANNER, ADMIN), "delete": roles(PLANNER, ADMIN),
    },
    "indicators.dataset": {
        "view": ALL_ROLES, "add": roles(PLANNER, ADMIN), "change": roles(PLANNER, ADMIN), "delete": roles(PLANNER, ADMIN),
    },
    "indicators.datavalue": {
        "view": ALL_ROLES, "add": roles(REPORTER), "change": roles(REPORTER), "review": roles(REVIEWER),
    },
    "indicators.approval": {"view": ALL_ROLES, "submit": roles(REPORTER), "review": roles(REVIEWER)},
    # Pilots (试点): the owner's planners run programmes, applicants (planners or reporters of the
    # unit) apply, run the pilot and write its review; the owner's reviewers decide.
    "pilots.programme": {
        "view": ALL_ROLES, "add": roles(PLANNER, ADMIN), "change": roles(PLANNER, ADMIN),
        "delete": roles(PLANNER, ADMIN), "publish": roles(PLANNER, ADMIN),
    },
    "pilots.application": {
        "view": ALL_ROLES, "add": roles(PLANNER, REPORTER), "change": roles(PLANNER, REPORTER),
        "submit": roles(PLANNER, REPORTER), "review": roles(REVIEWER),
    },
    "pilots.pilot": {"view": ALL_ROLES, "change": roles(PLANNER, REPORTER)},
    "pilots.progressentry": {
        "view": ALL_ROLES, "add": roles(PLANNER, REPORTER), "change": roles(PLANNER, REPORTER), "review": roles(REVIEWER),
    },
    "pilots.pilotevidence": {"view": ALL_ROLES},
    "pilots.review": {
        "view": ALL_ROLES, "add": roles(PLANNER, REPORTER), "change": roles(PLANNER, REPORTER),
        "submit": roles(PLANNER, REPORTER), "review": roles(REVIEWER),
    },
    # The library (luoshi.library): solutions, their files and adoptions, and the policy registry.
    "library.solution": {
        "view": ALL_ROLES, "add": roles(PLANNER, ADMIN), "change": roles(PLANNER, ADMIN),
        "delete": roles(PLANNER, ADMIN), "publish": roles(PLANNER, ADMIN),
    },
    "library.attachment": {"view": ALL_ROLES},
    "library.adoption": {
        "view": ALL_ROLES, "add": roles(PLANNER, REPORTER, ADMIN), "change": roles(PLANNER, REPORTER, ADMIN),
        "delete": roles(PLANNER, ADMIN),
    },
    "library.policydocument": {
        "view": ALL_ROLES, "add": roles(PLANNER, ADMIN), "change": roles(PLANNER, ADMIN),
        "delete": roles(PLANNER, ADMIN), "publish": roles(PLANNER, ADMIN),
    },
    # Analytics: aggregates are read-only (written by the rollup engine); schemes by planners.
    "analytics.aggregatevalue": {"view": ALL_ROLES},
    "analytics.evaluationscheme": {
        "view": ALL_ROLES, "add": roles(PLANNER, ADMIN), "change": roles(PLANNER, ADMIN), "delete": roles(PLANNER, ADMIN),
    },
    "analytics.evaluationrun": {"view": ALL_ROLES, "add": roles(PLANNER, ADMIN), "publish": roles(PLANNER, ADMIN)},
    "analytics.evaluationresult": {"view": ALL_ROLES},
    # Bulletins: made by those who review, plan or administer a unit's branch; read by all in scope.
    "bulletins.bulletin": {"view": ALL_ROLES, "add": roles(REVIEWER, PLANNER, ADMIN)},
}

# Shared on purpose: rows every signed-in user may read, whatever their memberships (model label
# -> (field path, values)). Sharing is the point of the library: a solution promoted nationally
# (and its files) and a policy once issued (also after it was revised or repealed) are readable
# by everyone signed in; drafts stay within the scope rules of their models.
PUBLIC_READ: dict[str, tuple[str, tuple[str, ...]]] = {
    "library.solution": ("status", ("national",)),
    "library.attachment": ("solution__status", ("national",)),
    "library.policydocument": ("status", ("issued", "revised", "repealed")),
}


@dataclass(frozen=True)
class Grant:
    path: str
    covers_below: bool
    role: str
    unit_id: int

    def covers(self, path: str) -> bool:
        return path.startswith(self.path) if self.covers_below else path == self.path


def grants(user) -> list[Grant]:
    """The user's memberships as grants, loaded once per user object (one query)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, "_luoshi_grants", None)
    if cached is None:
        cached = [Grant(path, bool(covers_below), role, unit_id)
                  for path, covers_below, role, unit_id in _grants_query().rows(user_id=user.pk)]
        user._luoshi_grants = cached
    return cached


def _membership_rows(user_id):
    from luoshi.orgs.models import Membership

    return Membership.objects.filter(user_id=user_id, unit__is_active=True) \
        .values_list("unit__path", "covers_below", "role", "unit_id")


@functools.cache
def _grants_query():
    """The grants query of every request, compiled once per process (``core.precompiled``):
    the same SQL as ``_membership_rows``, read fresh from the database on every call."""
    from luoshi.core.precompiled import Precompiled
    from luoshi.orgs.models import Membership

    return Precompiled(Membership, _membership_rows, user_id=-731_904_117)


def forget(user) -> None:
    """Drop cached grants (after the user's memberships changed)."""
    if hasattr(user, "_luoshi_grants"):
        del user._luoshi_grants


def public_q(user, model: type[models.Model], action: str) -> Q | None:
    """The rows of ``model`` every signed-in user may ``action`` (only "view"), or ``None``."""
    rule = PUBLIC_READ.get(label(model)) if action == "view" else None
    if rule is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    field, values = rule
    return Q(**{f"{field}__in": values})


def is_public(user, action: str, obj: models.Model) -> bool:
    rule = PUBLIC_READ.get(label(type(obj))) if action == "view" else None
    if rule is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    value: object = obj
    for part in rule[0].split("__"):
        value = getattr(value, part, None)
    return value in rule[1]


def is_unrestricted(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.is_superuser)


def label(model: type[models.Model]) -> str:
    return model._meta.label_lower


def allowed_roles(model: type[models.Model], action: str) -> frozenset[str]:
    try:
        return POLICY[label(model)][action]
    except KeyError:
        return frozenset()


def _grants_for(user, model: type[models.Model], action: str) -> list[Grant]:
    allowed = allowed_roles(model, action)
    return [g for g in grants(user) if g.role in allowed]


def _ancestor_ids(path: str) -> list[int]:
    return [int(part) for part in path.strip("/").split("/") if part]


def _path_q(matched: list[Grant], field: str) -> Q:
    q = Q(pk__in=[])
    for g in matched:
        q |= Q(**{f"{field}__startswith": g.path}) if g.covers_below else Q(**{field: g.path})
    return q


_GRANT_SENTINEL = 9_104_733_000  # sentinel unit paths "/-9104733000/", "/-9104733001/" …
_SHAPED_LIMIT = 512  # compiled grant shapes kept per process; a rarer shape is compiled per call
_shaped: dict[tuple, Any] = {}


class PathQ:
    """What a model's ``authz_scope_q``, ``authz_can`` and ``authz_scope_pks`` receive as
    ``path_q``: ``path_q(field)`` is the filter of the matched grants on a unit path field.

    ``path_q.rows(key, model, build, sentinels, **values)`` runs the query ``build(path_q,
    **values)`` compiled once per process for each *shape* of grants (how many grants of each
    kind, exact unit or units below; ``core.precompiled``): the SQL of the grants' own queryset,
    with the grants' paths and ``values`` put in as parameters. For a check asked on every
    request, whose ORM building and compiling costs more than running it. ``sentinels`` gives one
    value per name in ``values``, unlike any other parameter of the query; ``key`` names the query."""

    __slots__ = ("grants",)

    def __init__(self, grants: list[Grant]):
        # Exact grants first, then those covering units below: the filter is a disjunction, so the
        # order changes nothing, and users with as many grants of each kind share one compilation.
        self.grants = sorted(grants, key=lambda g: g.covers_below)

    def __call__(self, field: str) -> Q:
        return _path_q(self.grants, field)

    def rows(self, key: str, model: type[models.Model], build, sentinels: dict[str, Any], **values: Any) -> list[tuple]:
        from luoshi.core.precompiled import Precompiled

        shape = tuple(g.covers_below for g in self.grants)
        cache_key = (key, build.__module__, build.__qualname__, shape)
        query = _shaped.get(cache_key)
        if query is None:
            def built(**given):
                grants = [Grant(given.pop(f"_grant_{i}"), below, "", 0) for i, below in enumerate(shape)]
                return build(PathQ(grants), **given)

            query = Precompiled(model, built, **{f"_grant_{i}": f"/-{_GRANT_SENTINEL + i}/" for i in range(len(shape))},
                                **sentinels)
            if len(_shaped) < _SHAPED_LIMIT:
                _shaped[cache_key] = query
        return query.rows(**values, **{f"_grant_{i}": g.path for i, g in enumerate(self.grants)})


def scope_q(user, model: type[models.Model], action: str = "view", base: models.QuerySet | None = None) -> Q | None:
    """A filter selecting what ``user`` may ``action``; ``None`` means everything.

    A model whose scope is more than one unit path defines ``authz_scope_q(path_q, action, base)``;
    ``path_q(field)`` gives the filter of the user's grants on that path field and ``base`` is
    the queryset being scoped (so the model can narrow any helper query to it). Such a model may
    also define ``authz_can(obj, path_q, action)`` for a cheaper single-object check.
    """
    if is_unrestricted(user):
        return None
    matched = _grants_for(user, model, action)
    shared = public_q(user, model, action)
    if not matched:
        return Q(pk__in=[]) if shared is None else shared
    if hasattr(model, "authz_scope_q"):
        q = model.authz_scope_q(PathQ(matched), action, base)
        return q if shared is None else q | shared
    q = _path_q(matched, model.scope_field)
    if label(model) == "orgs.orgunit" and action == "view" and matched:
        # A unit's ancestors are shown (names only) so the user can see where they stand.
        q |= Q(pk__in={pk for g in matched for pk in _ancestor_ids(g.path)})
    return q if shared is None else q | shared


def scope(user, source, action: str = "view") -> models.QuerySet:
    """The objects of ``source`` (a model or queryset) that ``user`` may ``action``."""
    qs = source.objects.all() if isinstance(source, type) else source
    q = scope_q(user, qs.model, action, qs)
    return qs if q is None else qs.filter(q)


def scope_pks(user, source, action: str = "view", **within: Any) -> set | None:
    """The primary keys that ``scope(user, source, action)`` selects, read once; ``None`` means every
    object of ``source``. ``qs.filter(pk__in=pks)`` then selects what ``scope`` selected, for any
    ``qs`` within ``source``, and is far cheaper to compile and plan than the scope's joins and
    subqueries: for a page that asks the same scope question of several queries within one request
    (never across requests: the set is a snapshot of the grants and the data). A model may define
    ``authz_scope_pks(path_q, action, base, within)`` returning a set ``S`` (possibly with ids outside
    ``base``) such that ``base.filter(pk__in=S)`` is ``base.filter(authz_scope_q(...))``.

    ``within`` (field=value equalities) narrows ``source`` to those rows and is handed to the model
    too, which may then answer from a query of its own compiled once per process (``PathQ.rows``)
    instead of building one around ``base``."""
    qs = source.objects.all() if isinstance(source, type) else source
    if within:
        qs = qs.filter(**within)
    if is_unrestricted(user):
        return None
    model = qs.model
    if hasattr(model, "authz_scope_pks") and public_q(user, model, action) is None:
        matched = _grants_for(user, model, action)
        if not matched:
            return set()
        return model.authz_scope_pks(PathQ(matched), action, qs, within)
    return set(scope(user, qs, action).values_list("pk", flat=True))


def _value_at(obj: models.Model, field: str) -> str:
    """The value at a ``a__b__c`` field path of an object, as text ("" where a link is empty)."""
    value: object = obj
    for part in field.split("__"):
        value = getattr(value, part)
        if value is None:
            return ""
    return str(value)


def object_path(obj: models.Model) -> str:
    return _value_at(obj, obj.scope_field)


def can(user, action: str, obj: models.Model) -> bool:
    if is_unrestricted(user):
        return True
    if is_public(user, action, obj):
        return True
    model = type(obj)
    owner_field = getattr(model, "authz_owner_path", None)
    if owner_field is not None:
        # The model's scope is "a grant on this path, or (for viewing) something more": the grant
        # is checked in Python; only a miss while viewing needs the model's query below.
        owner_path = _value_at(obj, owner_field)
        if owner_path and any(g.covers(owner_path) for g in _grants_for(user, model, action)):
            return True
        if action != "view":
            return False
    if hasattr(model, "authz_can"):
        matched = _grants_for(user, model, action)
        return bool(matched) and model.authz_can(obj, PathQ(matched), action)
    if hasattr(model, "authz_scope_q"):
        q = scope_q(user, model, action, model.objects.filter(pk=obj.pk))
        return model.objects.filter(q, pk=obj.pk).exists()
    path = object_path(obj)
    matched = _grants_for(user, type(obj), action)
    if any(g.covers(path) for g in matched):
        return True
    if label(type(obj)) == "orgs.orgunit" and action == "view":
        return any(obj.pk in _ancestor_ids(g.path) for g in matched)
    return False


def can_in_unit(user, action: str, model: type[models.Model], unit) -> bool:
    """May ``user`` do ``action`` on objects of ``model`` that belong to ``unit``?"""
    if is_unrestricted(user):
        return True
    return any(g.covers(unit.path) for g in _grants_for(user, model, action))


def covers_subtree(user, action: str, model: type[models.Model], unit) -> bool:
    """Does one grant let ``user`` do ``action`` on ``model`` in ``unit`` and everything below it?"""
    if is_unrestricted(user):
        return True
    return any(g.covers_below and unit.path.startswith(g.path) for g in _grants_for(user, model, action))


def require(user, action: str, obj: models.Model) -> None:
    """404 if ``obj`` is outside the user's view scope, 403 if the role lacks ``action``."""
    if not can(user, "view", obj):
        raise Http404("not found")
    if action != "view" and not can(user, action, obj):
        raise PermissionDenied(gettext("your role does not allow '%(action)s' here") % {"action": ACTION_LABELS.get(action, action)})


def require_in_unit(user, action: str, model: type[models.Model], unit) -> None:
    """For creating: 404 if ``unit`` is out of view scope, 403 if the role lacks ``action``."""
    from luoshi.orgs.models import OrgUnit

    if not can(user, "view", unit) and not is_unrestricted(user):
        raise Http404("not found")
    if not can_in_unit(user, action, model, unit):
        label_ = model._meta.verbose_name
        raise PermissionDenied(gettext("your role does not allow '%(action)s' of %(model)s in %(unit)s")
                               % {"action": ACTION_LABELS.get(action, action), "model": label_, "unit": unit})
    assert isinstance(unit, OrgUnit)


def get_or_404(user, source, action: str = "view", **lookup) -> models.Model:
    """The object matching ``lookup`` within the user's view scope, else 404; 403 for the role."""
    qs = source.objects.all() if isinstance(source, type) else source
    try:
        obj = qs.get(**lookup)
    except qs.model.DoesNotExist:
        raise Http404("not found") from None
    return check_or_404(user, obj, action)


def check_or_404(user, obj: models.Model | None, action: str = "view") -> models.Model:
    """``obj`` if ``user`` may view it and ``action`` it; 404 when missing (``None``) or out of
    view scope, 403 for the role (as ``get_or_404``)."""
    if obj is None or not can(user, "view", obj):
        raise Http404("not found")
    if action != "view" and not can(user, action, obj):
        raise PermissionDenied(gettext("your role does not allow '%(action)s' here") % {"action": ACTION_LABELS.get(action, action)})
    return obj


def grants_q(user, field: str, *rules: tuple[type[models.Model], str]) -> Q | None:
    """A filter on the unit path ``field`` matching the user's grants for any of ``rules``
    ((model, action) pairs); ``None`` for a superuser (everything). Cheaper to compile and run
    than ``field__in=units_where(...)`` (no subquery of units)."""
    if is_unrestricted(user):
        return None
    matched = [g for model, action in rules for g in _grants_for(user, model, action)]
    return _path_q(matched, field)


def units_where(user, action: str, model: type[models.Model]) -> models.QuerySet:
    """Org units in which ``user`` may ``action`` objects of ``model`` (for choice lists)."""
    from luoshi.orgs.models import OrgUnit

    if is_unrestricted(user):
        return OrgUnit.objects.filter(is_active=True)
    q = Q(pk__in=[])
    for g in _grants_for(user, model, action):
        q |= Q(path__startswith=g.path) if g.covers_below else Q(path=g.path)
    return OrgUnit.objects.filter(q, is_active=True)


def has_units_where(user, action: str, model: type[models.Model]) -> bool:
    """``units_where(user, action, model).exists()``, without a query for a user with grants: a
    grant's own unit is active (``grants`` loads only those) and always among its units."""
    if is_unrestricted(user):
        return units_where(user, action, model).exists()
    return bool(_grants_for(user, model, action))


def has_any_role(user, *names: str) -> bool:
    return is_unrestricted(user) or any(g.role in names for g in grants(user))
