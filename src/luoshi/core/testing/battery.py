"""The shared permission battery: one declarative spec per model, one generated test per case.

Every scoped model plugs in by adding a ``ModelSpec`` to ``SPECS`` in its domain's
``tests/test_permissions.py`` and generating the tests there::

    SPECS = [ModelSpec(model=Plan, make=make_plan, actions=(...))]
    test_permissions = battery.generate(SPECS)

The spec says how to build an object with the real services (in the 北京 district 110101
for the tests; in the 上海 district 310101 as the out-of-scope counterpart), which users play
which part, and for each action (list, detail, add, change, delete, custom) how to do it
through the UI views, the API and the service functions. For every action, channel and
party the battery checks:

==============  =========================  ===========  =================================
party           UI                         API          service function
==============  =========================  ===========  =================================
anonymous       302 to the login page      401          refused (404/403), or sees nothing
in scope        success; for a write an    success      success; audit record in the
                audit record (actor,                    batch opened around the call
                action, model) whose
                batch is X-Request-ID
out of scope    404 (lists: absent)        404          Http404 (lists: absent)
wrong role      403                        403          PermissionDenied (lists: absent)
==============  =========================  ===========  =================================

Refused writes must leave no trace: the action's effect is absent and no audit record was
written. Reads never write audit records. Before each case the battery also checks that the
standing users really are in scope / out of scope / in the wrong role for the object
(through ``authz``), so a mis-wired spec fails instead of passing vacuously.

Beside these cases, ``generate`` adds one ``matrix-<model>-<action>`` test per action: every
role of POLICY in seven scope shapes (at the anchor, above it with and without "covers units
below", with a second grant elsewhere, at a sibling, through a sibling whose id shares the
anchor's prefix, through a deactivated unit), checked through ``authz`` and the channels, with
the expected answer derived from POLICY and the shape (see "The role × scope-shape matrix"
below and ``docs/testing.md``).

``luoshi/core/tests/test_battery_coverage.py`` fails when a model in ``authz.POLICY`` or
a concrete luoshi model with a ``scope_field`` has no spec, a spec misses a policy action, or a
model × action × role × shape cell of the matrix is never run.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpResponse
from django.urls import reverse

from luoshi.core import authz
from luoshi.core.context import batch
from luoshi.core.testing.world import World

PARTIES = ("anonymous", "in_scope", "out_of_scope", "wrong_role")
CHANNELS = ("ui", "api", "service")
HOME_DISTRICT = "110101"   # 北京市东城区: where the battery's objects live
OTHER_DISTRICT = "310101"  # 上海市黄浦区: the out-of-scope counterpart


class Ctx:
    """What one case knows: the world, the target object, and fresh values it needs."""

    def __init__(self, world: World, obj: models.Model) -> None:
        self.world = world
        self.obj = obj
        self.pk = obj.pk  # kept: deleting an instance sets its pk to None

    @cached_property
    def new_code(self) -> str:
        return "T" + uuid.uuid4().hex[:10].upper()

    @cached_property
    def new_user(self):
        """A fresh user with no memberships (for membership actions)."""
        from luoshi.accounts import services as account_services

        return account_services.create_user(self.world.admin, username="u" + uuid.uuid4().hex[:10], password=None)

    def refresh(self) -> models.Model | None:
        return type(self.obj).objects.filter(pk=self.pk).first()


@dataclass(frozen=True)
class Http:
    """One way to do an action over HTTP (a UI view or an API endpoint)."""

    method: str
    url: Callable[[Ctx], str]
    data: Callable[[Ctx], dict] | None = None
    ok: int = 200
    json: bool = False
    # For listings: does the response show the target object?
    shows: Callable[[Ctx, HttpResponse], bool] | None = None
    # For listings: the status an out-of-scope user gets (a list page: 200 without the
    # object; a list inside an out-of-scope page: 404).
    out_of_scope_status: int = 200


@dataclass(frozen=True)
class Action:
    name: str
    permission: str = "view"                        # the POLICY action it needs
    ui: Http | None = None
    api: Http | None = None
    service: Callable[[Any, Ctx], Any] | None = None
    listing: bool = False                           # out of scope means "absent", not 404
    service_shows: Callable[[Ctx, Any], bool] | None = None
    target: Callable[[World, models.Model], models.Model] | None = None  # default: spec.make
    audit: str | None = None                        # AuditRecord.action of a write
    # The model the write's audit record is about when it is not the spec's (evidence files of
    # a report: the report's "change" writes records of ``Evidence``). The record is then not
    # matched to the target object; the action's ``effect`` says which object changed.
    audit_model: type[models.Model] | None = None
    verb: str = ""
    effect: Callable[[Ctx], bool] | None = None     # has the write happened?
    prepare: Callable[[Ctx], object] | None = None  # runs before counting (fresh users, files …)
    in_scope: str | None = None
    wrong_role: str | None = None                   # default: spec.wrong_role for writes
    out_of_scope: str | None = None
    expect: dict[tuple[str, str], object] = field(default_factory=dict)  # (channel, party) -> override
    # Scope shapes of the role matrix that cannot be built for this action, with the reason
    # (an object tied to a fixed unit whatever the district it is made for, …).
    shapes_na: dict[str, str] = field(default_factory=dict)
    # (channel, shape) -> what a refused matrix cell answers there instead of its party's default
    # (a collection endpoint answers 403 to a user whose grants reach no unit at all …).
    shape_expect: dict[tuple[str, str], object] = field(default_factory=dict)
    # Another rule of POLICY (model label, action) the action's channels also need (a page only
    # the reviewers of a report open, showing its versions); ``authz`` on the model itself is
    # still checked against the model's own rule.
    needs: tuple[str, str] | None = None

    @property
    def writes(self) -> bool:
        return self.audit is not None


@dataclass(frozen=True)
class ModelSpec:
    model: type[models.Model]
    make: Callable[[World, models.Model], models.Model]  # an object in the given district
    actions: tuple[Action, ...]
    in_scope: str = "beijing_admin"
    wrong_role: str = "beijing_reporter"
    out_of_scope: str = "shanghai_admin"

    @property
    def label(self) -> str:
        return self.model._meta.label_lower

    def party(self, action: Action, party: str) -> str | None:
        if party == "anonymous":
            return None
        if party == "wrong_role":
            if action.wrong_role is not None:
                return action.wrong_role
            return self.wrong_role if action.permission != "view" else None
        return getattr(action, party) or getattr(self, party)


@dataclass(frozen=True)
class Case:
    spec: ModelSpec
    action: Action
    channel: str
    party: str

    @property
    def id(self) -> str:
        return f"{self.spec.model._meta.model_name}-{self.action.name}-{self.channel}-{self.party}"


def cases(specs: Iterable[ModelSpec]) -> list[Case]:
    out = []
    for spec in specs:
        for action, channel, party in itertools.product(spec.actions, CHANNELS, PARTIES):
            if getattr(action, channel) is None:
                continue
            if party == "wrong_role" and spec.party(action, party) is None:
                continue
            out.append(Case(spec, action, channel, party))
    return out


def generate(specs: Iterable[ModelSpec]):
    """A parametrised test function running every case of ``specs`` and, per action, its
    role × scope-shape matrix (``matrix-<model>-<action>``)."""
    specs = list(specs)
    all_cases: list[Case | MatrixGroup] = [*cases(specs), *matrix_groups(specs)]

    @pytest.mark.django_db
    @pytest.mark.parametrize("case", all_cases, ids=[c.id for c in all_cases])
    def test_permissions(case: Case | MatrixGroup, world: World) -> None:
        if isinstance(case, MatrixGroup):
            run_matrix(case, world)
        else:
            run(case, world)

    return test_permissions


# Running one case ----------------------------------------------------------------------------

def _client(world: World, username: str | None, channel: str):
    return _client_for(world.user(username) if username is not None else None, channel)


def _client_for(user, channel: str):
    from django.test import Client

    from luoshi.accounts import services as account_services

    english = {"HTTP_ACCEPT_LANGUAGE": "en"}
    if user is None:
        return Client(**english)
    if channel == "api":
        _token, raw = account_services.create_token(user, user, "battery")
        return Client(HTTP_AUTHORIZATION=f"Bearer {raw}", **english)
    client = Client(**english)
    client.force_login(user)
    return client


def _request(client, http: Http, ctx: Ctx) -> HttpResponse:
    url = http.url(ctx)
    data = http.data(ctx) if http.data else None
    method = getattr(client, http.method.lower())
    if http.json:
        return method(url, data=json.dumps(data or {}), content_type="application/json")
    return method(url, data or {})


def _allowed(user, spec: ModelSpec, action: Action, obj) -> bool:
    if action.permission == "add":
        return authz.can_in_unit(user, "add", spec.model, obj)
    return authz.can(user, action.permission, obj)


def _check_parties(case: Case, world: World, obj) -> None:
    """The spec's users really play their parts for this object (so no case passes vacuously)."""
    username = case.spec.party(case.action, case.party)
    if username is None:
        return
    user = world.user(username)
    where = f"{username} for {obj!r} ({case.id})"
    if case.party == "in_scope":
        assert _allowed(user, case.spec, case.action, obj), f"spec error: {where} should be allowed"
    elif case.party == "out_of_scope":
        assert not authz.can(user, "view", obj), f"spec error: {where} should not see the object"
    elif case.party == "wrong_role":
        assert authz.can(user, "view", obj) or case.action.permission == "view", f"spec error: {where} should see the object"
        assert not _allowed(user, case.spec, case.action, obj), f"spec error: {where} should lack '{case.action.permission}'"


def _audit_count() -> int:
    from luoshi.audit.models import AuditRecord

    return AuditRecord.objects.count()


def _check_audit(case: Case, user, batch_id, ctx: Ctx, source: str) -> None:
    from luoshi.audit.models import AuditRecord

    records = list(AuditRecord.objects.filter(batch_id=batch_id).select_related("content_type"))
    model = case.action.audit_model or case.spec.model
    matching = [r for r in records if r.action == case.action.audit and r.verb == case.action.verb
                and r.content_type.model_class() is model]
    assert matching, (f"{case.id}: no '{case.action.audit}' audit record of {model._meta.label_lower} in batch {batch_id};"
                      f" found {[(r.action, r.verb, r.content_type.model) for r in records]}")
    for r in matching:
        assert (r.actor_id, r.actor_username, r.source) == (user.pk, user.username, source), case.id
    if case.action.permission != "add" and case.action.audit_model is None:
        assert any(r.object_id == str(ctx.pk) for r in matching), f"{case.id}: the record is not about {ctx.obj!r}"


def run(case: Case, world: World) -> None:
    spec, action = case.spec, case.action
    home = world.unit(HOME_DISTRICT)
    obj = (action.target or spec.make)(world, home)
    ctx = Ctx(world, obj)
    _check_parties(case, world, obj)
    username = spec.party(action, case.party)
    user = world.user(username) if username else AnonymousUser()
    client = _perform(case, ctx, user, lambda: _client(world, username, case.channel))
    succeeded = case.party == "in_scope"

    if action.listing and succeeded:
        # ... and the in-scope user does not see the out-of-scope counterpart either (built
        # like the target, so that it would be listed if it were in scope).
        other = (action.target or spec.make)(world, world.unit(OTHER_DISTRICT))
        other_ctx = Ctx(world, other)
        if case.channel == "service":
            assert not _shows_service(action, other_ctx, action.service(user, other_ctx)), f"{case.id}: out-of-scope object listed"
        else:
            http = getattr(action, case.channel)
            response = _request(client, http, other_ctx)
            assert response.status_code == http.out_of_scope_status, f"{case.id}: {response.status_code} for the out-of-scope list"
            assert response.status_code != 200 or not http.shows(other_ctx, response), f"{case.id}: out-of-scope object listed"


def _perform(case: Case, ctx: Ctx, user, make_client: Callable[[], Any]):
    """Do ``case``'s action as ``user`` on ``ctx.obj`` and check the outcome its party expects:
    success with its effect and audit record (in scope), or a refusal leaving no trace."""
    action = case.action
    if action.prepare is not None:
        action.prepare(ctx)
    if action.writes:
        assert action.effect is None or not action.effect(ctx), f"{case.id}: effect present before the action"

    client = make_client() if case.channel != "service" else None
    audit_before = _audit_count()
    if case.channel == "service":
        outcome = _run_service(case, ctx, user)
    else:
        outcome = _run_http(case, ctx, client)

    succeeded = case.party == "in_scope"
    if action.writes and action.effect is not None:
        assert action.effect(ctx) is succeeded, f"{case.id}: effect {'missing' if succeeded else 'present after refusal'}"
    if action.writes and succeeded:
        source = {"ui": "web", "api": "api", "service": "cli"}[case.channel]
        _check_audit(case, user, outcome, ctx, source)
    else:
        assert _audit_count() == audit_before, f"{case.id}: audit records were written"
    return client

def _shows_service(action: Action, ctx: Ctx, result) -> bool:
    if action.service_shows is not None:
        return action.service_shows(ctx, result)
    return any(getattr(o, "pk", o) == ctx.pk for o in result)


def _run_service(case: Case, ctx: Ctx, user):
    action = case.action
    expected = action.expect.get(("service", case.party))
    if case.party == "in_scope":
        with batch("cli") as opened:
            result = action.service(user, ctx)
        if action.listing:
            assert _shows_service(action, ctx, result), f"{case.id}: the object is not listed"
        return opened.batch_id
    if action.listing and expected is None:
        result = action.service(user, ctx)
        assert not _shows_service(action, ctx, result), f"{case.id}: the object is listed"
        return None
    if expected is None:
        expected = {"anonymous": (Http404, PermissionDenied), "out_of_scope": Http404,
                    "wrong_role": PermissionDenied}[case.party]
    with pytest.raises(expected):
        with batch("cli"):
            action.service(user, ctx)
    return None


def _run_http(case: Case, ctx: Ctx, client):
    action = case.action
    http: Http = getattr(action, case.channel)
    response = _request(client, http, ctx)
    status = response.status_code
    expected = action.expect.get((case.channel, case.party))
    where = f"{case.id}: {http.method.upper()} {http.url(ctx)} → {status}"
    if case.party == "anonymous":
        if case.channel == "ui":
            assert status == 302 and response.url.startswith(reverse("accounts:login")), where
        else:
            assert status == 401, where
        return None
    if case.party == "in_scope":
        assert status == (expected or http.ok), where + f" {response.content[:300]!r}"
        if action.listing:
            assert http.shows(ctx, response), f"{where}: the object is not listed"
        return uuid.UUID(response["X-Request-ID"])
    if expected is None:
        if case.party == "out_of_scope":
            expected = http.out_of_scope_status if action.listing else 404
        else:
            expected = 403
    assert status == expected, where
    if action.listing and status == 200:
        assert not http.shows(ctx, response), f"{where}: the object is listed"
    return None


# The role × scope-shape matrix ---------------------------------------------------------------
#
# The cases above try each action as the spec's few standing users. The matrix tries it as every
# role of ``authz.POLICY`` placed in every scope shape around the unit where the spec's in-scope
# user holds the grant that lets it act (the *anchor*, 北京 for most actions): fresh users with
# exactly the grants of the shape. What each cell must answer follows from POLICY and the shape
# alone (``expected``), so a role or an action added to POLICY adds its cells by itself.

SHAPES = ("own", "above", "above_not_covering", "two_grants", "sibling", "prefix", "deactivated")
SHAPE_NOTES = {
    "own": "the role at the anchor, covering below as the in-scope user's grant does",
    "above": "the role at the anchor's parent, covering units below",
    "above_not_covering": "the role at the anchor's parent, not covering units below",
    "two_grants": "the role at the anchor plus a role that may act, but at a sibling unit of the anchor",
    "sibling": "the role at a sibling unit of the anchor, covering below",
    "prefix": "the role at the anchor (id N), the object below a sibling unit whose id starts with N (N0 …)",
    "deactivated": "the role at the anchor, which has been deactivated",
}
IN_SCOPE_SHAPES = frozenset({"own", "above", "two_grants"})
ROLES = tuple(sorted(authz.ALL_ROLES))
MATRIX_CHANNELS = ("service", "api", "ui")
TWINS = 3                    # prefix twins of the anchor: ids N0, N00, N000 (or the next free)
FILLER_PER_TWIN = 100        # schools below each twin, so the world has several hundred units


def expected(model_label: str, permission: str, role: str, shape: str, needs: tuple[str, str] | None = None) -> str:
    """The party a user with ``role`` in ``shape`` plays for ``permission`` on the model:
    "in_scope" (allowed), "wrong_role" (sees the object, may not act) or "out_of_scope"."""
    policy = authz.POLICY.get(model_label, {})
    if shape not in IN_SCOPE_SHAPES:
        return "out_of_scope"
    if needs is not None and role not in authz.POLICY.get(needs[0], {}).get(needs[1], ()):
        return "wrong_role"
    if role in policy.get(permission, ()) and role in policy.get("view", ()):
        return "in_scope"
    return "wrong_role"


@dataclass(frozen=True)
class Cell:
    spec: ModelSpec
    action: Action
    role: str
    shape: str
    channels: tuple[str, ...]   # tried through these besides ``authz`` itself
    na: str = ""                # why the shape cannot be built for this action ("" = it runs)

    @property
    def id(self) -> str:
        return f"{self.spec.model._meta.model_name}-{self.action.name}-{self.role}-{self.shape}"


@dataclass(frozen=True)
class MatrixGroup:
    """Every cell of one action: one test, one object (two with the prefix twin's)."""

    spec: ModelSpec
    action: Action

    @property
    def id(self) -> str:
        return f"matrix-{self.spec.model._meta.model_name}-{self.action.name}"

    @property
    def cells(self) -> list[Cell]:
        return matrix_cells(self.spec, self.action)


def _channels(action: Action) -> tuple[str, ...]:
    return tuple(ch for ch in MATRIX_CHANNELS if getattr(action, ch) is not None)


def matrix_cells(spec: ModelSpec, action: Action) -> list[Cell]:
    """Every role × shape of ``action``. All channels for every role at the anchor; one channel
    for the roles that may act, in the other shapes; ``authz`` itself for every cell."""
    out = []
    channels = _channels(action)
    for role, shape in itertools.product(ROLES, SHAPES):
        if shape == "own":
            tried = channels
        elif role in authz.POLICY.get(spec.label, {}).get(action.permission, ()):
            tried = channels[:1]
        else:
            tried = ()
        out.append(Cell(spec, action, role, shape, tried, action.shapes_na.get(shape, "")))
    return out


def matrix_groups(specs: Iterable[ModelSpec]) -> list[MatrixGroup]:
    return [MatrixGroup(spec, action) for spec in specs for action in spec.actions]


class _Undo(Exception):
    """Raised to roll a savepoint back after an attempt."""


class ShapeWorld:
    """The units around one anchor: its parent, a fresh sibling, and prefix twins (siblings
    whose ids extend the anchor's: N0, N00, N000) each with a copy of the chain from the anchor
    down to the home district and a school, plus filler schools. Built inside the test's
    transaction with explicit ids; the id sequence is moved past them."""

    def __init__(self, anchor, home) -> None:
        from luoshi.orgs.models import OrgUnit

        self.anchor, self.home = anchor, home
        self.parent = anchor.parent
        chain_ids = [int(p) for p in home.path.strip("/").split("/")]
        below = chain_ids[chain_ids.index(anchor.pk) + 1:]
        units = OrgUnit.objects.in_bulk(below)
        self.chain = [units[pk] for pk in below]                  # anchor (exclusive) … home
        self.school = OrgUnit.objects.filter(parent=home, type="school").order_by("code").first()
        taken = set(OrgUnit.objects.values_list("pk", flat=True))
        next_id = max(taken) + 1
        rows: list = []

        def add(pk, parent, type_, code):
            path = f"{parent.path if parent else '/'}{pk}/"
            unit = OrgUnit(pk=pk, code=code, name=f"电池测试{code}", type=type_, parent=parent, path=path,
                           depth=parent.depth + 1 if parent else 0)
            rows.append(unit)
            taken.add(pk)
            return unit

        def fresh():
            nonlocal next_id
            while next_id in taken:
                next_id += 1
            return next_id

        self.sibling = add(fresh(), self.parent, anchor.type, f"BS{next_id}")
        self.twins, self.twin_homes = [], []
        for digits in itertools.count(1):
            if len(self.twins) == TWINS:
                break
            # the first free id of this many more digits: N0 …, else N1 …
            pk = next((int(f"{anchor.pk}{suffix:0{digits}d}") for suffix in range(10 ** digits)
                       if int(f"{anchor.pk}{suffix:0{digits}d}") not in taken), None)
            if pk is not None:
                self.twins.append(add(pk, self.parent, anchor.type, f"BT{pk}"))
        next_id = max(taken) + 1
        for twin in self.twins:
            node = twin
            for unit in self.chain:
                node = add(fresh(), node, unit.type, f"BT{twin.pk}-{next_id}")
            if self.school is not None:
                add(fresh(), node, "school", f"BT{twin.pk}-{next_id}")
            self.twin_homes.append(node)
            for _ in range(FILLER_PER_TWIN):
                add(fresh(), node, "school", f"BF{next_id}")
        OrgUnit.objects.bulk_create(rows)
        _reset_sequence(OrgUnit)
        self.twin_home = self.twin_homes[0]   # the prefix shape's object lives below N0

    @cached_property
    def tree(self) -> dict[int, tuple[int | None, bool]]:
        """Every unit's parent and active flag (read once the test's objects exist)."""
        from luoshi.orgs.models import OrgUnit

        return {pk: (parent_id, active) for pk, parent_id, active in OrgUnit.objects.values_list("pk", "parent_id", "is_active")}

    def make_in_twin(self, world: World, make: Callable[[World, models.Model], models.Model]) -> models.Model:
        """``make`` for the twin's district. Specs make their objects as the standing users of
        北京 or 上海; while it runs, each standing user also holds its roles at the twin."""
        from luoshi.orgs.models import Membership

        users = list(world.users.values())
        held = Membership.objects.filter(user__in=users).values_list("user_id", "role").distinct()
        Membership.objects.bulk_create([Membership(user_id=user_id, unit=self.twins[0], role=role, covers_below=True)
                                        for user_id, role in held])
        for user in users:
            authz.forget(user)
        try:
            return make(world, self.twin_home)
        finally:
            Membership.objects.filter(unit=self.twins[0], user__in=users).delete()
            for user in users:
                authz.forget(user)

    def placements(self, role: str, shape: str, covers: bool, other_role: str) -> list[tuple]:
        """(unit, role, covers below) of the grants a user holds in ``shape``."""
        if shape in ("above", "above_not_covering") and self.parent is None:
            raise AssertionError(f"the anchor {self.anchor.code} is a root unit: declare shapes_na for '{shape}'")
        return {
            "own": [(self.anchor, role, covers)],
            "above": [(self.parent, role, True)],
            "above_not_covering": [(self.parent, role, False)],
            "two_grants": [(self.anchor, role, covers), (self.sibling, other_role, True)],
            "sibling": [(self.sibling, role, True)],
            "prefix": [(self.anchor, role, True)],
            "deactivated": [(self.anchor, role, covers)],
        }[shape]

    def reached(self, grants: list[tuple], deactivated: set[int]) -> set[int]:
        """Active units the grants reach, found by walking parent links (not paths)."""
        children: dict[int | None, list[int]] = {}
        for pk, (parent_id, _active) in self.tree.items():
            children.setdefault(parent_id, []).append(pk)
        out: set[int] = set()
        for unit, _role, covers in grants:
            if unit.pk in deactivated or not self.tree[unit.pk][1]:
                continue
            todo = [unit.pk]
            while todo:
                pk = todo.pop()
                if self.tree[pk][1] and pk not in deactivated:
                    out.add(pk)
                if covers:
                    todo.extend(children.get(pk, ()))
        return out


def _reset_sequence(model) -> None:
    from django.core.management.color import no_style
    from django.db import connection

    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [model]):
            cursor.execute(sql)


def _anchor(spec: ModelSpec, action: Action, world: World):
    """The in-scope user's grant that lets it do the action: the unit the shapes are built around."""
    username = spec.party(action, "in_scope")
    allowed = authz.allowed_roles(spec.model, action.permission)
    matched = [g for g in authz.grants(world.user(username)) if g.role in allowed]
    assert len(matched) == 1, f"spec error: {username} needs exactly one grant for '{action.permission}', has {matched}"
    return matched[0]


def _make_users(cells: list[Cell], shapes: ShapeWorld, covers: bool) -> dict[tuple[str, str], tuple]:
    """One fresh user per (role, shape) holding exactly the shape's grants (bulk, two queries)."""
    from django.contrib.auth import get_user_model

    from luoshi.orgs.models import Membership

    User = get_user_model()
    tag = uuid.uuid4().hex[:6]
    planned = {}
    for cell in cells:
        if cell.na:
            continue
        permitted = sorted(authz.POLICY[cell.spec.label][cell.action.permission] & authz.POLICY[cell.spec.label]["view"])
        other = next((r for r in permitted if r != cell.role), permitted[0])
        planned[(cell.role, cell.shape)] = shapes.placements(cell.role, cell.shape, covers, other)
    names = {key: f"bx-{tag}-{key[0]}-{key[1]}" for key in planned}
    User.objects.bulk_create([User(username=name, password="!battery") for name in names.values()])
    users = User.objects.in_bulk(list(names.values()), field_name="username")
    Membership.objects.bulk_create([
        Membership(user=users[names[key]], unit=unit, role=role, covers_below=cover)
        for key, grants in planned.items() for unit, role, cover in grants
    ])
    return {key: (users[names[key]], planned[key]) for key in planned}


def _fresh(user):
    authz.forget(user)
    return user


def _check_authz(cell: Cell, user, obj, grants: list[tuple], shapes: ShapeWorld, deactivated: set[int]) -> None:
    """``authz`` itself gives the answer POLICY and the shape call for."""
    from luoshi.orgs.models import OrgUnit

    spec, perm = cell.spec, cell.action.permission
    party = expected(spec.label, perm, cell.role, cell.shape)
    where = f"{cell.id}: {cell.role} {SHAPE_NOTES[cell.shape]}"
    if perm == "add" and isinstance(obj, OrgUnit):
        view_ok = cell.shape in IN_SCOPE_SHAPES and cell.role in authz.POLICY["orgs.orgunit"]["view"]
        may = party == "in_scope"
        assert authz.can(user, "view", obj) is view_ok, f"{where}: can view the unit is not {view_ok}"
        assert authz.can_in_unit(user, "add", spec.model, obj) is may, f"{where}: can_in_unit is not {may}"
        assert authz.covers_subtree(user, "add", spec.model, obj) is may, f"{where}: covers_subtree is not {may}"
        allowed = authz.allowed_roles(spec.model, "add")
        want = shapes.reached([g for g in grants if g[1] in allowed], deactivated)
        got = set(authz.units_where(user, "add", spec.model).values_list("pk", flat=True))
        assert got == want, (f"{where}: units_where: {len(got - want)} units too many (e.g. {sorted(got - want)[:5]}),"
                             f" {len(want - got)} missing (e.g. {sorted(want - got)[:5]})")
        refusal = None if may else (PermissionDenied if view_ok else Http404)
        _expect_raise(lambda: authz.require_in_unit(user, "add", spec.model, obj), refusal, where)
        return
    model = type(obj)
    view_ok = cell.shape in IN_SCOPE_SHAPES and cell.role in authz.allowed_roles(model, "view")
    assert authz.can(user, "view", obj) is view_ok, f"{where}: can view is not {view_ok}"
    seen = authz.scope(user, model).filter(pk=obj.pk).exists()
    assert seen is view_ok, f"{where}: scope() {'lists' if seen else 'misses'} the object"
    if model is spec.model:
        may = party == "in_scope"
        assert authz.can(user, perm, obj) is may, f"{where}: can {perm} is not {may}"
        if perm != "view":
            acts = authz.scope(user, model, perm).filter(pk=obj.pk).exists()
            assert acts is may, f"{where}: scope(…, '{perm}') {'has' if acts else 'misses'} the object"
        refusal = None if may else (PermissionDenied if view_ok else Http404)
        _expect_raise(lambda: authz.require(user, perm, obj), refusal, where)


def _expect_raise(call, exc, where: str) -> None:
    try:
        call()
    except (Http404, PermissionDenied) as raised:
        assert exc is not None and isinstance(raised, exc), f"{where}: raised {type(raised).__name__}, expected {exc}"
    else:
        assert exc is None, f"{where}: no refusal, expected {exc.__name__}"


def run_matrix(group: MatrixGroup, world: World) -> None:
    import copy

    from django.db import transaction

    from luoshi.orgs.models import OrgUnit

    spec, action = group.spec, group.action
    cells = group.cells
    make = action.target or spec.make
    grant = _anchor(spec, action, world)
    home = world.unit(HOME_DISTRICT)
    anchor = OrgUnit.objects.get(pk=grant.unit_id)
    assert home.path.startswith(anchor.path), f"spec error: {home.code} is not below the anchor {anchor.code}"
    shapes = ShapeWorld(anchor, home)
    targets = {"home": make(world, home)}
    if any(c.shape == "prefix" and not c.na for c in cells):
        targets["prefix"] = shapes.make_in_twin(world, make)
    pristine = {k: copy.deepcopy(v) for k, v in targets.items()}
    users = _make_users(cells, shapes, grant.covers_below)
    failures: list[str] = []

    def attempt(cell: Cell, check: Callable[[Any, Any, set[int]], None]) -> None:
        user, _grants = users[(cell.role, cell.shape)]
        deactivated = {anchor.pk} if cell.shape == "deactivated" else set()
        try:
            with transaction.atomic():
                if deactivated:
                    OrgUnit.objects.filter(pk__in=deactivated).update(is_active=False)
                obj = copy.deepcopy(pristine["prefix" if cell.shape == "prefix" else "home"])
                check(_fresh(user), obj, deactivated)
                raise _Undo
        except _Undo:
            pass
        except (Exception, pytest.fail.Exception) as exc:  # noqa: BLE001 - every failure is reported below
            failures.append(f"{type(exc).__name__}: {exc}".splitlines()[0][:400])

    for cell in cells:
        if cell.na:
            continue
        grants = users[(cell.role, cell.shape)][1]
        attempt(cell, lambda user, obj, off, cell=cell, grants=grants: _check_authz(cell, user, obj, grants, shapes, off))
        party = expected(spec.label, action.permission, cell.role, cell.shape, action.needs)
        for channel in cell.channels:
            override = action.shape_expect.get((channel, cell.shape))
            tried = action if override is None or party == "in_scope" else \
                dataclasses.replace(action, expect={**action.expect, (channel, party): override})
            case = Case(spec, tried, channel, party)

            def through(user, obj, _off, case=case, channel=channel):
                ctx = Ctx(world, obj)
                try:
                    _perform(case, ctx, user, lambda: _client_for(user, channel))
                except (AssertionError, pytest.fail.Exception) as exc:
                    raise AssertionError(f"{case.id} as {cell.role} ({cell.shape}): {exc}") from None

            attempt(cell, through)
    assert not failures, f"{len(failures)} failing cells:\n" + "\n".join(failures[:60])
