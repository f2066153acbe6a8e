"""The rollup against the brute-force reference on random trees and values (property tests).

Random worlds are written with plain ORM inserts (test set-up of thousands of combinations;
the services are exercised elsewhere) inside a transaction rolled back after each example.
"""

from __future__ import annotations

import math

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from luoshi.analytics import engine
from luoshi.analytics.models import AggregateValue
from luoshi.analytics.tests import reference
from luoshi.indicators.models import Category, CategorySet, DataValue, Indicator
from luoshi.orgs.models import OrgUnit

PERIODS_Y = ["2023", "2024"]
PERIODS_Q = ["2024-Q1", "2024-Q2", "2024-Q3", "2023-Q4", "2023"]  # a typed year of a quarterly indicator is ignored
AGGS = ["sum", "avg", "min", "max", "none"]

# (code, aggregation, weight code, with categories, quarterly, formula, reporting types)
shape = st.fixed_dictionaries({
    "x_agg": st.sampled_from(AGGS), "x_cat": st.booleans(), "x_quarterly": st.booleans(),
    "z_cat": st.booleans(), "types": st.sampled_from([[], ["county"], ["county", "city"]]),
    "formula": st.sampled_from(["X / Y * 100", "X + Y", "if(X > Y, X, Y - 1)", "max(X, Y) - min(X, 2)", "Y / (X - X)"]),
})


def tree_strategy():
    # parent index for each of up to 12 units after the root (index 0)
    return st.lists(st.integers(min_value=0, max_value=100), min_size=1, max_size=12)


def build_tree(parents_raw: list[int], inactive: set[int]) -> list[OrgUnit]:
    units: list[OrgUnit] = []
    root = OrgUnit.objects.create(code="R0", name="root", type="ministry")
    root.path, root.depth = f"/{root.pk}/", 0
    root.save(update_fields=["path", "depth"])
    units.append(root)
    for n, raw in enumerate(parents_raw, start=1):
        candidates = [u for u in units if u.depth < 3]
        parent = candidates[raw % len(candidates)]
        type_ = {0: "province", 1: "city", 2: "county"}[parent.depth]
        u = OrgUnit.objects.create(code=f"R{n}", name=f"u{n}", type=type_, parent=parent, is_active=n not in inactive)
        u.path, u.depth = f"{parent.path}{u.pk}/", parent.depth + 1
        u.save(update_fields=["path", "depth"])
        units.append(u)
    return units


def build_indicators(sh: dict, owner: OrgUnit) -> dict[str, Indicator]:
    cs = CategorySet.objects.create(code="CS", name="cs", owner_unit=owner)
    Category.objects.bulk_create([Category(category_set=cs, code="a", name="a", order=0),
                                  Category(category_set=cs, code="b", name="b", order=1)])
    common = {"owner_unit": owner, "reporting_unit_types": sh["types"]}
    made = {}
    made["Y"] = Indicator.objects.create(code="Y", name="Y", aggregation="sum", **common)
    made["YC"] = Indicator.objects.create(code="YC", name="YC", aggregation="sum", category_set=cs, **common)
    made["X"] = Indicator.objects.create(code="X", name="X", aggregation=sh["x_agg"], category_set=cs if sh["x_cat"] else None,
                                         periodicity="quarterly" if sh["x_quarterly"] else "yearly", **common)
    made["Z"] = Indicator.objects.create(code="Z", name="Z", aggregation="weighted_avg", weight_indicator=made["Y"], **common)
    made["ZC"] = Indicator.objects.create(code="ZC", name="ZC", aggregation="weighted_avg", category_set=cs if sh["z_cat"] else None,
                                          weight_indicator=made["YC"], **common)
    made["D"] = Indicator.objects.create(code="D", name="D", aggregation="none", formula=sh["formula"], owner_unit=owner)
    made["D2"] = Indicator.objects.create(code="D2", name="D2", aggregation="none", formula="D * 2 + Y", owner_unit=owner)
    return made


def value_keys(inds: dict[str, Indicator], units: list[OrgUnit]) -> list[tuple]:
    cats = list(Category.objects.order_by("code"))
    keys = []
    for code, ind in inds.items():
        if ind.formula:
            continue
        periods = PERIODS_Q if ind.periodicity == "quarterly" else PERIODS_Y
        for u in units:
            for p in periods:
                for c in (cats if ind.category_set_id else [None]):
                    keys.append((ind, u, p, c))
    return keys


def snapshot() -> dict:
    return {(r.indicator_id, r.unit_id, r.period, r.category_id): (r.value, r.units_reporting, r.units_expected, r.completeness)
            for r in AggregateValue.objects.all()}


def expected_from(units: list[OrgUnit], inds: dict[str, Indicator]) -> dict:
    unit_map = {u.pk: (u.parent_id, u.type, u.is_active) for u in OrgUnit.objects.filter(pk__in=[u.pk for u in units])}
    ind_rows = list(Indicator.objects.values(*engine.INDICATOR_FIELDS))
    values = list(DataValue.objects.values_list("indicator_id", "unit_id", "period", "category_id", "value"))
    return reference.compute(unit_map, ind_rows, values)


def close(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def assert_same(got: dict, want: dict) -> None:
    assert set(got) == set(want), (sorted(set(got) - set(want))[:5], sorted(set(want) - set(got))[:5])
    for key, (value, ur, ue, comp) in want.items():
        g = got[key]
        assert close(g[0], value), (key, g, (value, ur, ue, comp))
        assert (g[1], g[2]) == (ur, ue), (key, g, (value, ur, ue, comp))
        assert close(g[3], comp), (key, g, (value, ur, ue, comp))


class Rollback(Exception):
    pass


values_strategy = st.lists(st.tuples(st.integers(0, 10_000), st.integers(-5, 60)), min_size=0, max_size=60)


@pytest.mark.django_db
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(tree=tree_strategy(), inactive=st.sets(st.integers(1, 12), max_size=2), sh=shape, picks=values_strategy)
def test_rebuild_matches_reference(tree, inactive, sh, picks):
    try:
        with transaction.atomic():
            units = build_tree(tree, inactive)
            inds = build_indicators(sh, units[0])
            keys = value_keys(inds, units)
            seen = set()
            rows = []
            for pick, number in picks:
                ind, unit, period, cat = keys[pick % len(keys)]
                key = (ind.pk, unit.pk, period, cat.pk if cat else None)
                if key in seen:
                    continue
                seen.add(key)
                # a few zeros and negatives exercise division by zero and min/max
                rows.append(DataValue(indicator=ind, unit=unit, period=period, category=cat, value=float(number)))
            DataValue.objects.bulk_create(rows)
            engine.rebuild()
            assert_same(snapshot(), expected_from(units, inds))
            raise Rollback
    except Rollback:
        pass


edits_strategy = st.lists(st.tuples(st.integers(0, 10_000), st.one_of(st.none(), st.integers(-3, 40))), min_size=1, max_size=8)


@pytest.mark.django_db
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(tree=tree_strategy(), sh=shape, picks=values_strategy, edits=edits_strategy)
def test_incremental_equals_rebuild(tree, sh, picks, edits):
    """After random edits (new values, changes, deletions) each refreshed incrementally, the
    table equals a full rebuild."""
    try:
        with transaction.atomic():
            units = build_tree(tree, set())
            inds = build_indicators(sh, units[0])
            keys = value_keys(inds, units)
            for pick, number in picks[:20]:
                ind, unit, period, cat = keys[pick % len(keys)]
                DataValue.objects.update_or_create(indicator=ind, unit=unit, period=period, category=cat,
                                                   defaults={"value": float(number)})
            engine.rebuild()
            for pick, number in edits:
                ind, unit, period, cat = keys[pick % len(keys)]
                if number is None:
                    DataValue.objects.filter(indicator=ind, unit=unit, period=period, category=cat).delete()
                else:
                    DataValue.objects.update_or_create(indicator=ind, unit=unit, period=period, category=cat,
                                                       defaults={"value": float(number)})
                engine.refresh([(ind.pk, unit.pk, period)])
            incremental = snapshot()
            engine.rebuild()
            full = snapshot()
            assert_same(incremental, full)
            assert_same(full, expected_from(units, inds))
            raise Rollback
    except Rollback:
        pass


@pytest.mark.django_db
def test_a_small_world_by_hand():
    """Not vacuous: a hand-checked tree (root → 2 provinces → 3 cities) gives the expected numbers."""
    units = build_tree([0, 0, 1, 1, 2], set())  # R1, R2 below R0; R3, R4 below R1; R5 below R2
    inds = build_indicators({"x_agg": "avg", "x_cat": False, "x_quarterly": True, "z_cat": False, "types": ["city"],
                             "formula": "X / Y * 100"}, units[0])
    by = {u.code: u for u in units}
    rows = [("X", "R3", "2024-Q1", 10), ("X", "R3", "2024-Q2", 20), ("X", "R4", "2024-Q1", 60),
            ("Y", "R3", "2024", 100), ("Y", "R4", "2024", 300), ("Y", "R5", "2024", 50),
            ("Z", "R3", "2024", 1), ("Z", "R4", "2024", 2)]
    DataValue.objects.bulk_create([DataValue(indicator=inds[i], unit=by[u], period=p, value=float(v)) for i, u, p, v in rows])
    engine.rebuild()
    got = {(r.indicator.code, r.unit.code, r.period): r for r in AggregateValue.objects.select_related("indicator", "unit")}
    assert got[("Y", "R0", "2024")].value == 450 and got[("Y", "R0", "2024")].units_reporting == 3
    assert got[("X", "R1", "2024")].value == 30  # the mean of 10, 20, 60 (all quarters of both counties)
    assert got[("X", "R0", "2024-Q1")].value == 35
    assert got[("Z", "R0", "2024")].value == pytest.approx((1 * 100 + 2 * 300) / 400)
    assert got[("D", "R1", "2024")].value == pytest.approx(30 / 400 * 100)  # a ratio of the aggregates
    assert got[("Y", "R0", "2024")].completeness == 1.0
    assert got[("X", "R0", "2024")].completeness == pytest.approx(2 / 3)
