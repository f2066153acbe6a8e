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

``luoshi/core/tests/test_battery_coverage.py`` fails when a model in ``authz.POLICY`` or
a concrete luoshi model with a ``scope_field`` has no spec, or a spec misses a policy action.
"""

from __future__ import annotations

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
    """A parametrised test function running every case of ``specs``."""
    all_cases = cases(specs)

    @pytest.mark.django_db
    @pytest.mark.parametrize("case", all_cases, ids=[c.id for c in all_cases])
    def test_permissions(case: Case, world: World) -> None:
        run(case, world)

    return test_permissions


# Running one case ----------------------------------------------------------------------------

def _client(world: World, username: str | None, channel: str):
    from django.test import Client

    from luoshi.accounts import services as account_services

    english = {"HTTP_ACCEPT_LANGUAGE": "en"}
    if username is None:
        return Client(**english)
    user = world.user(username)
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
    if action.prepare is not None:
        action.prepare(ctx)
    if action.writes:
        assert action.effect is None or not action.effect(ctx), f"{case.id}: effect present before the action"

    client = _client(world, username, case.channel) if case.channel != "service" else None
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
