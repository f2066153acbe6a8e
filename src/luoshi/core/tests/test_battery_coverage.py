"""Every scoped model has a permission battery spec, so a new model cannot be forgotten."""

from __future__ import annotations

import importlib

from django.apps import apps

from luoshi.core import authz

SPEC_MODULE = "{app}.tests.test_permissions"


def _luoshi_apps():
    return [a for a in apps.get_app_configs() if a.name.startswith("luoshi.")]


def _specs() -> dict[str, object]:
    found = {}
    for app in _luoshi_apps():
        if not list(app.get_models()):
            continue
        try:
            module = importlib.import_module(SPEC_MODULE.format(app=app.name))
        except ModuleNotFoundError as exc:
            if exc.name and SPEC_MODULE.format(app=app.name).startswith(exc.name):
                continue  # the app has no spec module; the checks below name what is missing
            raise
        for spec in module.SPECS:
            found[spec.label] = spec
    return found


def test_it_has_a_spec_for_every_model_in_the_policy():
    specs = _specs()
    missing = sorted(set(authz.POLICY) - set(specs))
    assert not missing, f"add a ModelSpec to <app>/tests/test_permissions.py for: {', '.join(missing)}"


def test_it_has_a_spec_for_every_scoped_model():
    specs = _specs()
    scoped = {m._meta.label_lower for a in _luoshi_apps() for m in a.get_models()
              if not m._meta.abstract and hasattr(m, "scope_field")}
    assert scoped, "no scoped models found: the check itself is broken"
    missing = sorted(scoped - set(specs))
    assert not missing, f"scoped models without a battery spec: {', '.join(missing)}"
    unlisted = sorted(scoped - set(authz.POLICY))
    assert not unlisted, f"scoped models missing from authz.POLICY: {', '.join(unlisted)}"


def test_it_covers_every_policy_action_of_each_model():
    for label, spec in _specs().items():
        covered = {action.permission for action in spec.actions}
        missing = set(authz.POLICY.get(label, {})) - covered
        assert not missing, f"{label}: the battery spec has no action needing {sorted(missing)}"
        channels = {ch for action in spec.actions for ch in ("ui", "api", "service") if getattr(action, ch)}
        assert "service" in channels, f"{label}: no action is checked through its service functions"


def test_it_checks_writes_in_all_four_parties():
    from luoshi.core.testing.battery import cases

    for label, spec in _specs().items():
        for action in spec.actions:
            if not action.writes:
                continue
            parties = {c.party for c in cases([spec]) if c.action is action}
            assert parties == {"anonymous", "in_scope", "out_of_scope", "wrong_role"}, f"{label}.{action.name}: {parties}"
            assert action.effect is not None, f"{label}.{action.name}: a write needs an effect check"
