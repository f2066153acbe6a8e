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


# The role × scope-shape matrix ------------------------------------------------------------------

def _matrix_cells():
    from luoshi.core.testing.battery import matrix_cells

    return [cell for spec in _specs().values() for action in spec.actions for cell in matrix_cells(spec, action)]


def test_the_matrix_has_every_role_and_shape_for_every_action():
    from luoshi.core.testing.battery import SHAPES

    assert set(SHAPES) >= {"own", "above", "above_not_covering", "sibling", "prefix", "deactivated", "two_grants"}
    by_action: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for cell in _matrix_cells():
        by_action.setdefault((cell.spec.label, cell.action.name), set()).add((cell.role, cell.shape))
    assert by_action, "no matrix cells at all: the check itself is broken"
    wanted = {(role, shape) for role in authz.ALL_ROLES for shape in SHAPES}
    for (label, action), got in by_action.items():
        missing = sorted(wanted - got)
        assert not missing, f"{label}.{action}: no matrix cell for (role, shape) {missing[:10]}"


def test_every_policy_role_action_and_shape_is_tried_for_every_model():
    """Cells that cannot be built for one action (declared in ``shapes_na`` with a reason) must
    be run by another action of the model needing the same permission."""
    from luoshi.core.testing.battery import SHAPES

    cells = _matrix_cells()
    for cell in cells:
        assert cell.na is None or isinstance(cell.na, str)
        if cell.na:
            assert len(cell.na) > 10, f"{cell.id}: say why the shape cannot be built"
    run = {(c.spec.label, c.action.permission, c.role, c.shape) for c in cells if not c.na}
    missing = [(label, action, role, shape) for label, actions in authz.POLICY.items() for action in actions
               for role in sorted(authz.ALL_ROLES) for shape in SHAPES if (label, action, role, shape) not in run]
    assert not missing, f"{len(missing)} model × action × role × shape cells are never run, e.g. {missing[:8]}"


def test_every_role_is_tried_through_the_channels_at_its_own_unit():
    for cell in _matrix_cells():
        if cell.shape == "own" and not cell.na:
            channels = {ch for ch in ("ui", "api", "service") if getattr(cell.action, ch) is not None}
            assert set(cell.channels) == channels, f"{cell.id}: tried through {cell.channels}, not {sorted(channels)}"


def test_the_expectations_follow_the_policy_and_the_shape():
    """Spot checks of ``expected`` on the slips the issue names (the matrix derives every cell so)."""
    from luoshi.core.testing.battery import SHAPES, expected

    assert expected("orgs.membership", "add", "planner", "own") == "wrong_role"
    assert expected("orgs.membership", "add", "admin", "above") == "in_scope"
    assert expected("plans.planitem", "change", "viewer", "own") == "wrong_role"
    assert expected("plans.plan", "add", "admin", "own") == "in_scope"
    assert expected("audit.auditrecord", "view", "reporter", "own") == "wrong_role"
    assert expected("plans.progressreport", "review", "reviewer", "two_grants") == "in_scope"
    for shape in ("above_not_covering", "sibling", "prefix", "deactivated"):
        assert expected("plans.plan", "view", "admin", shape) == "out_of_scope"
    assert len(SHAPES) == len(set(SHAPES)) == 7


# The matrix takes its expectations from POLICY, so a slip in POLICY itself (planners adding
# memberships, viewers changing items, admins no longer creating plans) would move the matrix
# with it. The table is therefore pinned here: change it together with POLICY, on purpose.
# "*" = every role.
REVIEWED_POLICY = {
    "orgs.orgunit": {"view": "*", "add": "admin", "change": "admin", "delete": "admin"},
    "orgs.orggroup": {"view": "*", "add": "admin", "change": "admin", "delete": "admin"},
    "orgs.membership": {"view": "*", "add": "admin", "change": "admin", "delete": "admin"},
    "audit.auditrecord": {"view": "admin auditor"},
    "plans.plan": {"view": "*", "add": "admin planner", "change": "admin planner", "delete": "admin planner", "publish": "admin planner"},
    "plans.planitem": {"view": "*", "add": "admin planner", "change": "admin planner", "delete": "admin planner"},
    "plans.progressreport": {"view": "*", "add": "reporter", "change": "reporter", "submit": "reporter", "review": "reviewer"},
    "plans.sourcedocument": {"view": "*", "add": "admin planner"},
    "plans.reportversion": {"view": "*"},
    "plans.evidence": {"view": "*"},
    "indicators.indicator": {"view": "*", "add": "admin planner", "change": "admin planner", "delete": "admin planner"},
    "indicators.categoryset": {"view": "*", "add": "admin planner", "change": "admin planner", "delete": "admin planner"},
    "indicators.target": {"view": "*", "add": "admin planner", "change": "admin planner", "delete": "admin planner"},
    "indicators.validationrule": {"view": "*", "add": "admin planner", "change": "admin planner", "delete": "admin planner"},
    "indicators.dataset": {"view": "*", "add": "admin planner", "change": "admin planner", "delete": "admin planner"},
    "indicators.datavalue": {"view": "*", "add": "reporter", "change": "reporter", "review": "reviewer"},
    "indicators.approval": {"view": "*", "submit": "reporter", "review": "reviewer"},
    "pilots.programme": {"view": "*", "add": "admin planner", "change": "admin planner", "delete": "admin planner", "publish": "admin planner"},
    "pilots.application": {"view": "*", "add": "planner reporter", "change": "planner reporter", "submit": "planner reporter", "review": "reviewer"},
    "pilots.pilot": {"view": "*", "change": "planner reporter"},
    "pilots.progressentry": {"view": "*", "add": "planner reporter", "change": "planner reporter", "review": "reviewer"},
    "pilots.pilotevidence": {"view": "*"},
    "pilots.review": {"view": "*", "add": "planner reporter", "change": "planner reporter", "submit": "planner reporter", "review": "reviewer"},
    "library.solution": {"view": "*", "add": "admin planner", "change": "admin planner", "delete": "admin planner", "publish": "admin planner"},
    "library.attachment": {"view": "*"},
    "library.adoption": {"view": "*", "add": "admin planner reporter", "change": "admin planner reporter", "delete": "admin planner"},
    "library.policydocument": {"view": "*", "add": "admin planner", "change": "admin planner", "delete": "admin planner", "publish": "admin planner"},
    "analytics.aggregatevalue": {"view": "*"},
    "analytics.evaluationscheme": {"view": "*", "add": "admin planner", "change": "admin planner", "delete": "admin planner"},
    "analytics.evaluationrun": {"view": "*", "add": "admin planner", "publish": "admin planner"},
    "analytics.evaluationresult": {"view": "*"},
    "bulletins.bulletin": {"view": "*", "add": "admin planner reviewer"},
}


def test_the_policy_is_the_reviewed_one():
    def spelled(roles):
        return "*" if roles == authz.ALL_ROLES else " ".join(sorted(roles))

    current = {label: {action: spelled(roles) for action, roles in actions.items()} for label, actions in authz.POLICY.items()}
    changed = sorted(set(current) ^ set(REVIEWED_POLICY)) + [
        f"{label}.{action}: {REVIEWED_POLICY[label].get(action)!r} -> {current[label].get(action)!r}"
        for label in sorted(set(current) & set(REVIEWED_POLICY))
        for action in sorted(set(current[label]) | set(REVIEWED_POLICY[label]))
        if current[label].get(action) != REVIEWED_POLICY[label].get(action)
    ]
    assert not changed, f"authz.POLICY differs from the reviewed table (update both on purpose): {changed}"
