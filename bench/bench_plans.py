"""Plan benchmark: a plan of ~5,000 items cascaded into ~3,000 units with ~50,000 reports.

Measures, next to the floor (plain SQL reading the same rows in the same run):
  * the outline API (``GET /api/v1/plans/{id}/outline``) for the ministry and for one province;
  * the plan page (``GET /plans/{id}/``);
  * the roll-up after one report is approved (``services.approve_report``);
and checks that the plan page's query count does not grow with the number of items.

The data set is built with bulk inserts (not the services: the bench measures reads and the
roll-up, not 50,000 audited writes). Run: ``.venv/bin/python bench/bench_plans.py [--json PATH]``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import TABLE_HEAD, Measurement, best_of, count_queries, setup_django  # noqa: E402

N_PROVINCES, CITIES_PER_PROVINCE, COUNTIES_PER_CITY = 31, 8, 11  # 1 + 31 + 248 + 2728 ≈ 3,000 units
N_TASKS, MEASURES_PER_TASK = 10, 6  # 60 national measures
PERIODS = [f"{y}-Q{q}" for y in (2024, 2025) for q in range(1, 5)]


def build(seed: int = 7, progress=lambda msg: None):
    from django.contrib.auth import get_user_model

    from luoshi.orgs.models import Membership, OrgUnit
    from luoshi.plans.models import Plan, PlanItem, ProgressReport
    from luoshi.plans import rollup

    rng = random.Random(seed)
    User = get_user_model()
    root = OrgUnit.objects.create(code="MOE", name="教育部", type="ministry", path="", depth=0)
    root.path = f"/{root.pk}/"
    root.save(update_fields=["path"])

    def level(parents, per, type_, prefix):
        made = OrgUnit.objects.bulk_create([
            OrgUnit(code=f"{prefix}{p.pk}-{i}", name=f"{p.name}·{type_}{i}", type=type_, parent=p, depth=p.depth + 1)
            for p in parents for i in range(per)
        ])
        for u in made:
            u.path = f"{u.parent.path}{u.pk}/"
        OrgUnit.objects.bulk_update(made, ["path"], batch_size=2000)
        return made

    provinces = level([root], N_PROVINCES, "province", "P")
    cities = level(provinces, CITIES_PER_PROVINCE, "city", "C")
    counties = level(cities, COUNTIES_PER_CITY, "county", "X")
    units = OrgUnit.objects.count()
    progress(f"{units} units")

    planner = User.objects.create_user("bench_planner", password="x")
    reviewer = User.objects.create_user("bench_reviewer", password="x")
    province_user = User.objects.create_user("bench_province", password="x")
    Membership.objects.bulk_create([
        Membership(user=planner, unit=root, role="planner"), Membership(user=reviewer, unit=root, role="reviewer"),
        Membership(user=province_user, unit=provinces[0], role="reporter"),
    ])
    plan = Plan.objects.create(title="基准测试规划", issuer=root, start_year=2024, end_year=2025, status="published")

    def items(rows):
        made = PlanItem.objects.bulk_create(rows, batch_size=2000)
        for it in made:
            it.path = f"{it.parent.path if it.parent else '/'}{it.pk}/"
        PlanItem.objects.bulk_update(made, ["path"], batch_size=2000)
        return made

    common = dict(plan=plan, start_date=date(2024, 1, 1), due_date=date(2025, 12, 31))
    tasks = items([PlanItem(code=str(t + 1), kind="key_task", title=f"重点任务{t + 1}", lead_unit=root, assigned_by=root,
                            position=t, depth=0, **common) for t in range(N_TASKS)])
    measures = items([PlanItem(parent=t, code=f"{t.code}.{m + 1}", kind="measure", title=f"举措{t.code}.{m + 1}",
                               lead_unit=root, assigned_by=root, position=m, depth=1, **common)
                      for t in tasks for m in range(MEASURES_PER_TASK)])
    prov_items = items([PlanItem(parent=m, code=f"{m.code}.{i + 1}", kind="measure", title=f"{p.name}落实{m.code}",
                                 lead_unit=p, assigned_by=root, position=i, depth=2, **common)
                        for m in measures for i, p in enumerate(provinces)])
    # Each province item of the first few measures is broken down among that province's cities.
    city_of = {p.pk: [c for c in cities if c.parent_id == p.pk] for p in provinces}
    city_items = items([PlanItem(parent=pi, code=f"{pi.code}.{j + 1}", kind="measure", title=f"{c.name}落实",
                                 lead_unit=c, assigned_by=pi.lead_unit, position=j, depth=3, **common)
                        for pi in prov_items[: N_PROVINCES * 12] for j, c in enumerate(city_of[pi.lead_unit_id])])
    leaves = [pi for pi in prov_items[N_PROVINCES * 12:]] + city_items
    n_items = PlanItem.objects.filter(plan=plan).count()
    progress(f"{n_items} items")

    reports = []
    for leaf in leaves:
        done = rng.randint(0, len(PERIODS))
        for k, period in enumerate(PERIODS[:done]):
            year, q = int(period[:4]), int(period[-1])
            reports.append(ProgressReport(
                item=leaf, unit=leaf.lead_unit, period=period, period_end=date(year, 3 * q, 28),
                state="approved" if k < done - 1 else "submitted", status="on_track",
                percent=Decimal(min(100, 12 * (k + 1))), achievements="按计划推进。"))
    ProgressReport.objects.bulk_create(reports, batch_size=5000)
    # Top up to 50,000 reports with co-reporting units' reports spread over the counties.
    extra = 50_000 - len(reports)
    fillers = []
    county_cycle = iter(counties * 20)
    for k in range(max(0, extra)):
        leaf = leaves[k % len(leaves)]
        fillers.append(ProgressReport(item=leaf, unit=next(county_cycle), period=PERIODS[k % len(PERIODS)],
                                      period_end=date(2024, 3, 28), state="draft", status="on_track", percent=Decimal(10)))
    ProgressReport.objects.bulk_create(fillers, batch_size=5000, ignore_conflicts=True)
    progress(f"{ProgressReport.objects.count()} reports")
    from django.db import connection

    if connection.vendor == "postgresql":
        # Fresh statistics after bulk loading, as autovacuum would soon give a real server.
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    rollup.refresh_plan(plan.pk, date(2025, 6, 30))
    progress("rolled up")
    return {"plan": plan, "units": units, "items": n_items, "reports": ProgressReport.objects.count(),
            "planner": planner, "reviewer": reviewer, "province_user": province_user, "leaves": leaves}


def run() -> list[Measurement]:
    vendor = setup_django("plans")
    from django.db import connection
    from django.test import Client

    from luoshi.plans import services
    from luoshi.plans.models import PlanItem, ProgressReport

    t0 = time.perf_counter()
    world = build(progress=lambda msg: print(f"  [{time.perf_counter() - t0:6.1f} s] {msg}", file=sys.stderr))
    build_s = time.perf_counter() - t0
    plan = world["plan"]
    results: list[Measurement] = []

    client = Client()
    client.force_login(world["planner"])
    province = Client()
    province.force_login(world["province_user"])
    outline_url = f"/api/v1/plans/{plan.pk}/outline"

    def get(c, url):
        response = c.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response

    def floor_outline():
        with connection.cursor() as cur:
            cur.execute(
                "SELECT i.id, i.parent_id, i.code, i.kind, i.title, u.code, i.due_date, i.progress, i.light "
                "FROM plans_planitem i JOIN orgs_orgunit u ON u.id = i.lead_unit_id WHERE i.plan_id = %s ORDER BY i.path",
                [plan.pk])
            return cur.fetchall()

    n_nodes = len(floor_outline())
    results.append(Measurement("outline API, ministry (all items)", best_of(lambda: get(client, outline_url)),
                               best_of(floor_outline), count_queries(lambda: get(client, outline_url)), f"{n_nodes} nodes"))
    prov_path = world["province_user"].memberships.get().unit.path

    def floor_outline_province():
        # The same two steps in plain SQL: the province's own items (lead, assigning unit or
        # co-owner in its subtree) with their paths, then those rows plus their ancestors.
        like = prov_path + "%"
        with connection.cursor() as cur:
            cur.execute(
                "SELECT i.id, i.path FROM plans_planitem i JOIN orgs_orgunit l ON l.id = i.lead_unit_id "
                "JOIN orgs_orgunit a ON a.id = i.assigned_by_id WHERE i.plan_id = %s AND (l.path LIKE %s OR a.path LIKE %s "
                "OR i.id IN (SELECT c.planitem_id FROM plans_planitem_co_owners c JOIN orgs_orgunit o ON o.id = c.orgunit_id WHERE o.path LIKE %s))",
                [plan.pk, like, like, like])
            ids = {int(p) for _id, path in cur.fetchall() for p in path.strip("/").split("/") if p}
            cur.execute(
                "SELECT i.id, i.parent_id, i.code, i.kind, i.title, u.code, i.due_date, i.progress, i.light "
                "FROM plans_planitem i JOIN orgs_orgunit u ON u.id = i.lead_unit_id WHERE i.plan_id = %s ORDER BY i.path",
                [plan.pk])
            return [row for row in cur.fetchall() if row[0] in ids]

    results.append(Measurement("outline API, one province (its cascade + context)", best_of(lambda: get(province, outline_url)),
                               best_of(floor_outline_province), count_queries(lambda: get(province, outline_url)),
                               f"{len(floor_outline_province())} nodes"))

    page_url = f"/plans/{plan.pk}/"
    try:
        page_ms = best_of(lambda: get(client, page_url))
        page_q = count_queries(lambda: get(client, page_url))

        def floor_page():
            # What the page shows, read in plain SQL: the top-level rows, the light counts for the
            # chart and the lead units offered by the unit filter.
            with connection.cursor() as cur:
                cur.execute("SELECT i.id, i.code, i.title, i.progress, i.light, i.child_count, u.name FROM plans_planitem i "
                            "JOIN orgs_orgunit u ON u.id = i.lead_unit_id WHERE i.plan_id = %s AND i.parent_id IS NULL ORDER BY i.position",
                            [plan.pk])
                rows = cur.fetchall()
                cur.execute("SELECT light, COUNT(*) FROM plans_planitem WHERE plan_id = %s GROUP BY light", [plan.pk])
                rows += cur.fetchall()
                cur.execute("SELECT id, code, name FROM orgs_orgunit WHERE id IN (SELECT lead_unit_id FROM plans_planitem WHERE plan_id = %s) ORDER BY path",
                            [plan.pk])
                return rows + cur.fetchall()

        results.append(Measurement("plan page (top level, children on demand)", page_ms, best_of(floor_page), page_q,
                                   "floor: top-level rows, light counts, unit filter choices; ours includes rendering"))
    except Exception as exc:  # the page may not exist in an older checkout
        results.append(Measurement("plan page", float("nan"), None, None, f"failed: {exc}"))

    # Roll-up after one approval: a submitted report on a deep leaf.
    report = (ProgressReport.objects.filter(item__plan=plan, state="submitted", item__depth=3)
              .select_related("item").first())
    item = report.item
    start = time.perf_counter()
    queries = count_queries(lambda: services.approve_report(world["reviewer"], report, "同意"))
    approve_ms = (time.perf_counter() - start) * 1000
    chain = [*item.ancestor_ids(), item.pk]

    def floor_rollup():
        with connection.cursor() as cur:
            marks = ",".join(["%s"] * len(chain))
            cur.execute(f"SELECT id, parent_id, weight, progress, light FROM plans_planitem WHERE id IN ({marks}) OR parent_id IN ({marks})",  # noqa: S608 - placeholders only
                        chain + chain)
            return cur.fetchall()

    results.append(Measurement("approve one report (workflow, audit, version, notification, roll-up)", approve_ms,
                               best_of(floor_rollup), queries, f"item depth {len(chain)}"))
    from luoshi.plans import rollup

    results.append(Measurement("roll-up alone: item and its ancestors", best_of(lambda: rollup.refresh_branch(item)),
                               best_of(floor_rollup), count_queries(lambda: rollup.refresh_branch(item)),
                               "floor: reading the chain and its children"))
    results.append(Measurement("roll-up of the whole plan (daily refresh)", best_of(lambda: rollup.refresh_plan(plan.pk), repeat=3),
                               best_of(floor_outline), count_queries(lambda: rollup.refresh_plan(plan.pk)),
                               "floor: reading every item once"))

    # Query count must not grow with the number of items: compare with a 10-item plan.
    from luoshi.plans.models import Plan

    small = Plan.objects.create(title="小规划", issuer=plan.issuer, start_year=2024, end_year=2025, status="published")
    for k in range(10):
        it = PlanItem.objects.create(plan=small, code=str(k + 1), title=f"任务{k}", lead_unit=plan.issuer, assigned_by=plan.issuer, position=k)
        it.path = f"/{it.pk}/"
        it.save(update_fields=["path"])
    small_q = {u: count_queries(lambda u=u: get(client, u)) for u in (f"/plans/{small.pk}/", f"/api/v1/plans/{small.pk}/outline")}
    big_q = {u.replace(str(small.pk), str(plan.pk)): 0 for u in small_q}
    for u in list(big_q):
        big_q[u] = count_queries(lambda u=u: get(client, u))
    for (su, sq), (bu, bq) in zip(small_q.items(), big_q.items(), strict=True):
        results.append(Measurement(f"queries: {bu.split('/')[1]} {'page' if 'api' not in bu else 'outline'} 10 items vs {world['items']}",
                                   0.0, None, bq, f"{sq} queries with 10 items, {bq} with {world['items']}"))
        if bq != sq:
            print(f"WARNING: query count grows with items for {bu}: {sq} → {bq}", file=sys.stderr)
    meta = {"vendor": vendor, "units": world["units"], "items": world["items"], "reports": world["reports"], "build_s": round(build_s, 1)}
    return results, meta


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", help="write results here")
    args = parser.parse_args()
    results, meta = run()
    print(f"plans benchmark on {meta['vendor']}: {meta['units']} units, {meta['items']} items, {meta['reports']} reports (built in {meta['build_s']} s)")
    print(TABLE_HEAD)
    for m in results:
        print(m.row())
    if args.json:
        Path(args.json).write_text(json.dumps({"meta": meta, "results": [m.__dict__ for m in results]}, ensure_ascii=False, indent=1, default=str))


if __name__ == "__main__":
    main()
