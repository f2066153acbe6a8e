"""Demo evaluation system: the national indicators with their real figures, and illustrative
provincial and district data sets in every state of collection and approval.

National values come from the ministry's statistics (``demo_figures``: each year's bulletin is
named in the indicator's source and in the comment of every value). Everything below the
national level — provincial and district values, per-unit targets, the quarterly district data
set — is invented for the demo and says so (data set descriptions, value comments, "示例").

``define(actor)`` creates the definitions only (category set, indicators, rules, data sets,
targets, plan-item links); ``load(actor)`` also enters, submits and approves the data. Both are
idempotent.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from decimal import Decimal

from luoshi.indicators.demo_figures import BULLETIN, NATIONAL, PLAN_14, TARGETS

ILLUSTRATIVE = "示例数据（illustrative）"
NATIONAL_SOURCE = (
    "教育部《全国教育事业发展统计公报》：2021年数据见2022-09-14发布的公报，2022年数据见2023-07-05发布的公报，"
    "2024年数据见2025-06-11发布的公报；2023年数据见教育部2024-03-01发布的《2023年全国教育事业发展基本情况》。"
)

# code, name, unit of measure, value type, decimals, direction, reporting unit types, aggregation, min, max, definition
NATIONAL_INDICATORS = [
    ("GER_PRE", "学前教育毛入园率", "%", "percent", 1, "higher", ["ministry", "province"], "avg", 0, 150,
     "学前教育在园幼儿数占3—5岁学龄人口的百分比（毛入园率可超过100%）。"),
    ("RET_9Y", "九年义务教育巩固率", "%", "percent", 1, "higher", ["ministry", "province"], "avg", 0, 100,
     "初中毕业班学生数占该年级入小学一年级时学生数的百分比。"),
    ("GER_HS", "高中阶段毛入学率", "%", "percent", 1, "higher", ["ministry", "province"], "avg", 0, 150,
     "高中阶段在校生数占15—17岁学龄人口的百分比。"),
    ("GER_HE", "高等教育毛入学率", "%", "percent", 1, "higher", ["ministry"], "none", 0, 150,
     "高等教育在学总规模占18—22岁学龄人口的百分比。"),
    ("PUHUI_SHARE", "普惠性幼儿园在园幼儿占比", "%", "percent", 2, "higher", ["ministry"], "none", 0, 100,
     "普惠性幼儿园（公办园与普惠性民办园）在园幼儿数占全部在园幼儿数的百分比（普惠性幼儿园覆盖率）。"),
    ("TEACHERS", "各级各类学校专任教师数", "万人", "number", 2, "higher", ["ministry"], "sum", 0, None,
     "各级各类学历教育学校专任教师总数。"),
    ("STR_PRI", "小学阶段生师比", "学生数:1", "number", 2, "lower", ["ministry"], "none", 0, 60,
     "小学阶段在校生数与专任教师数之比（每名专任教师对应的学生数）。"),
    ("HS_ENROL", "普通高中在校生数", "万人", "number", 2, "higher", ["ministry"], "sum", 0, None,
     "普通高中在校学生数。"),
    ("HS_TEACHERS", "普通高中专任教师数", "万人", "number", 2, "higher", ["ministry"], "sum", 0, None,
     "普通高中专任教师数。"),
]
NATIONAL_EXTRA = {"PUHUI_SHARE": {2021: Decimal("87.78"), 2022: Decimal("89.55"), 2023: Decimal("90.81"), 2024: Decimal("91.61")}}
DERIVED_HS = ("STR_HS", "普通高中生师比（计算）", "HS_ENROL / HS_TEACHERS",
              "由普通高中在校生数与专任教师数计算。按公报数字计算，2023年为12.66、2024年为12.70，与公报公布的生师比"
              "（12.66:1、12.70:1）一致。")

# Local indicators reported by provinces and districts (definitions real, values illustrative).
LOCAL_INDICATORS = [
    ("PRI_STUDENTS", "小学在校生数", "人", "integer", 0, "higher", ["province", "county"], "sum", 0, None,
     "本地区小学阶段在校学生数。"),
    ("PRI_TEACHERS", "小学专任教师数", "人", "integer", 0, "higher", ["province", "county"], "sum", 0, None,
     "本地区小学阶段专任教师数。"),
]
KG_CHILDREN = ("KG_CHILDREN", "学前教育在园幼儿数", "人", "integer", 0, "higher", ["province", "county"], "sum", 0, None,
               "本地区幼儿园在园幼儿数，按城区、镇区、乡村分别填报，合计自动计算。")
DERIVED_PRI = ("PRI_STR", "小学生师比（计算）", "PRI_STUDENTS / PRI_TEACHERS", "由小学在校生数与小学专任教师数计算。")
KG_PLACES = ("KG_NEW_PLACES", "新增普惠性学位数", "个", "integer", 0, "higher", ["county"], "sum", 0, None,
             "本季度新增的普惠性幼儿园学位数，按城区、镇区、乡村分别填报（示例指标）。")

RULES = [
    ("R_PRI_TEACHERS", "PRI_TEACHERS <= PRI_STUDENTS", "error", "小学专任教师数不应多于小学在校生数。"),
    ("R_PRI_RATIO", "PRI_STUDENTS / PRI_TEACHERS <= 19", "warning", "小学生师比高于19:1，请在说明中核实。"),
]

DS_NATIONAL = ("DS_NATIONAL", "全国教育事业发展主要指标（年报）",
               "教育部汇总的全国主要教育统计指标。数值取自教育部发布的全国教育事业发展统计公报，每个数值的说明注明出处年份。")
DS_LOCAL = ("DS_LOCAL", "地方教育事业统计年报（示例）",
            "各省级教育行政部门及北京、上海所辖区（示例）逐级填报、审核的年度指标。本数据集中的全部数值均为演示用示例数据"
            "（illustrative），不是真实统计数字。")
DS_BEIJING_Q = ("DS_BJ_KG_Q", "北京市区级学前教育学位季报（示例）",
                "北京市各区按季度填报新增普惠性学位，由市教委审核。全部数值为演示用示例数据（illustrative）。")

# Plan items (by title in the demo plans) that each indicator measures.
LINKS = {
    "GER_PRE": ["推进学前教育普及普惠安全优质发展", "进一步夯实基础教育基点"],
    "PUHUI_SHARE": ["推进学前教育普及普惠安全优质发展"],
    "KG_CHILDREN": ["推进学前教育普及普惠安全优质发展"],
    "RET_9Y": ["推进县域义务教育优质均衡发展", "进一步夯实基础教育基点"],
    "PRI_STR": ["推进县域义务教育优质均衡发展"],
    "GER_HS": ["扩大普通高中优质资源供给", "进一步夯实基础教育基点"],
    "STR_HS": ["扩大普通高中优质资源供给"],
    "GER_HE": ["强化高等教育龙头作用", "优化高校学科专业结构与布局"],
    "TEACHERS": ["以教育家精神为引领强化高素质教师队伍建设"],
    "STR_PRI": ["以教育家精神为引领强化高素质教师队伍建设", "推进县域义务教育优质均衡发展"],
    "KG_NEW_PLACES": ["扩大普惠性学前教育资源", "新增普惠性学位"],
}

# Illustrative per-unit targets (北京, 上海) for the rates.
UNIT_TARGETS = {
    "110000": {"GER_PRE": [(2027, "96"), (2030, "97"), (2035, "98")], "GER_HS": [(2027, "99"), (2035, "99.5")]},
    "310000": {"GER_PRE": [(2027, "97"), (2030, "98"), (2035, "98.5")], "GER_HS": [(2027, "99"), (2035, "99.5")]},
}


def _users():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.in_bulk([
        "ministry_planner", "ministry_reporter", "ministry_reviewer", "beijing_planner", "beijing_reporter",
        "beijing_reviewer", "shanghai_reporter", "shanghai_reviewer"], field_name="username")


def _items(titles: list[str]):
    from luoshi.plans.models import PlanItem

    return list(PlanItem.objects.filter(title__in=titles))


def define(actor) -> dict[str, int]:
    """The definitions (idempotent: what exists is left as it is)."""
    from luoshi.indicators import services
    from luoshi.indicators.models import CategorySet, DataSet, Indicator, Target, ValidationRule
    from luoshi.orgs.models import OrgUnit

    users = _users()
    planner = users.get("ministry_planner") or actor
    bj_planner = users.get("beijing_planner") or actor
    moe = OrgUnit.objects.get(code="MOE")
    beijing = OrgUnit.objects.get(code="110000")

    urban_rural = CategorySet.objects.filter(code="URBAN_RURAL").first() or services.create_category_set(
        planner, code="URBAN_RURAL", name="城乡", owner_unit=moe,
        categories=[("URBAN", "城区"), ("TOWN", "镇区"), ("RURAL", "乡村")])

    def indicator(spec, owner, by=planner, periodicity="yearly", source="", **extra):
        code, name, uom, vtype, decimals, direction, types, agg, lo, hi, definition = spec
        found = Indicator.objects.filter(code=code).first()
        if found:
            return found
        return services.create_indicator(
            by, code=code, name=name, owner_unit=owner, unit_of_measure=uom, value_type=vtype, decimals=decimals,
            direction=direction, reporting_unit_types=types, aggregation=agg, min_value=lo, max_value=hi,
            definition=definition, periodicity=periodicity, source=source,
            plan_items=_items(LINKS.get(code, [])), **extra)

    made = {}
    for spec in NATIONAL_INDICATORS:
        code = spec[0]
        values = NATIONAL.get(code) or NATIONAL_EXTRA.get(code, {})
        first = min(values) if values else None
        source = NATIONAL_SOURCE
        if code in TARGETS and any(real for _y, _v, real in TARGETS[code]):
            source += f"2025年目标见{PLAN_14}；其余年份目标为示例（illustrative）。"
        elif code in TARGETS:
            source += "目标值为示例（illustrative）。"
        made[code] = indicator(spec, moe, source=source, baseline_value=float(values[first]) if first else None,
                               baseline_year=first)
    code, name, expression, definition = DERIVED_HS
    made[code] = indicator((code, name, "学生数:1", "number", 2, "lower", ["ministry"], "none", 0, 60, definition), moe,
                           source=NATIONAL_SOURCE, formula=expression)
    for spec in LOCAL_INDICATORS:
        made[spec[0]] = indicator(spec, moe, source="地方教育事业统计（示例指标体系）", required=True)
    made[KG_CHILDREN[0]] = indicator(KG_CHILDREN, moe, source="地方教育事业统计（示例指标体系）", category_set=urban_rural)
    code, name, expression, definition = DERIVED_PRI
    made[code] = indicator((code, name, "学生数:1", "number", 2, "lower", ["province", "county"], "none", 0, 60, definition),
                           moe, source="地方教育事业统计（示例指标体系）", formula=expression)
    made[KG_PLACES[0]] = indicator(KG_PLACES, beijing, by=bj_planner, periodicity="quarterly",
                                   source="北京市区级学位季报（示例）", category_set=urban_rural)

    for code, expression, severity, message in RULES:
        if not ValidationRule.objects.filter(code=code).exists():
            services.create_rule(planner, code=code, expression=expression, owner_unit=moe, severity=severity, message=message)

    def dataset(spec, owner, by, periodicity, codes, types):
        code, name, description = spec
        return DataSet.objects.filter(code=code).first() or services.create_dataset(
            by, code=code, name=name, owner_unit=owner, periodicity=periodicity, description=description,
            indicators=[made[c] for c in codes], reporting_unit_types=types)

    dataset(DS_NATIONAL, moe, planner, "yearly",
            ["GER_PRE", "RET_9Y", "GER_HS", "GER_HE", "PUHUI_SHARE", "TEACHERS", "STR_PRI", "HS_ENROL", "HS_TEACHERS", "STR_HS"],
            ["ministry"])
    dataset(DS_LOCAL, moe, planner, "yearly",
            ["GER_PRE", "RET_9Y", "GER_HS", "PRI_STUDENTS", "PRI_TEACHERS", "PRI_STR", "KG_CHILDREN"], ["province", "county"])
    dataset(DS_BEIJING_Q, beijing, bj_planner, "quarterly", ["KG_NEW_PLACES"], ["county"])

    for code, targets in TARGETS.items():
        for year, value, _real in targets:
            if not Target.objects.filter(indicator=made[code], unit=moe, year=year).exists():
                services.set_target(planner, indicator=made[code], unit=moe, year=year, value=float(value))
    for unit_code, per_indicator in UNIT_TARGETS.items():
        unit = OrgUnit.objects.get(code=unit_code)
        for code, targets in per_indicator.items():
            for year, value in targets:
                if not Target.objects.filter(indicator=made[code], unit=unit, year=year).exists():
                    services.set_target(planner, indicator=made[code], unit=unit, year=year, value=float(value))
    return {"indicators": Indicator.objects.count(), "datasets": DataSet.objects.count()}


# Illustrative local figures --------------------------------------------------------------------

def _noise(*parts: str) -> float:
    """A stable pseudo-random number in [0, 1) for the given key (the demo is the same every time)."""
    digest = hashlib.sha256("|".join(parts).encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32


def _local_values(unit, year: int) -> dict[str, object]:
    """Plausible illustrative values for a province or district (stable for a unit and year)."""
    code = unit.code
    size = 120_000 + int(_noise(code, "size") * 880_000) if unit.type == "county" else 1_500_000 + int(_noise(code, "size") * 7_000_000)
    students = int(size * (1 + 0.01 * (year - 2024)))
    ratio = 14 + _noise(code, "ratio") * 4  # 14–18 pupils per teacher
    teachers = int(students / ratio)
    kg = int(students * (0.36 - 0.02 * (year - 2024)))
    urban = _noise(code, "urban") * 0.5 + (0.4 if unit.type == "county" else 0.3)
    town = (1 - urban) * 0.55
    values = {
        "PRI_STUDENTS": str(students), "PRI_TEACHERS": str(teachers),
        ("KG_CHILDREN", "URBAN"): str(int(kg * urban)), ("KG_CHILDREN", "TOWN"): str(int(kg * town)),
        ("KG_CHILDREN", "RURAL"): str(kg - int(kg * urban) - int(kg * town)),
    }
    if unit.type == "province":
        step = 0.3 * (year - 2024)
        values["GER_PRE"] = f"{min(99.5, 88 + _noise(code, 'pre') * 10 + step):.1f}"
        values["RET_9Y"] = f"{min(99.8, 94 + _noise(code, 'ret') * 5 + step / 3):.1f}"
        values["GER_HS"] = f"{min(99.5, 89 + _noise(code, 'hs') * 9 + step / 2):.1f}"
    return values


def _entries(values: dict, comment: str, comments: dict | None = None):
    from luoshi.indicators.services import Entry

    comments = comments or {}
    out = []
    for key, value in values.items():
        code, category = key if isinstance(key, tuple) else (key, None)
        out.append(Entry(code, value, comments.get(key, comment), category))
    return out


def load(actor) -> dict[str, int]:
    """Definitions, the real national series, and the illustrative local collection."""
    from luoshi.indicators import services
    from luoshi.indicators.models import Approval, DataSet, DataValue
    from luoshi.orgs.models import OrgUnit

    summary = define(actor)
    national = DataSet.objects.get(code=DS_NATIONAL[0])
    if Approval.objects.filter(dataset=national).exists():
        return summary | {"values": DataValue.objects.count()}
    users = _users()
    units = {u.code: u for u in OrgUnit.objects.filter(type__in=["ministry", "province", "county"])}
    moe = units["MOE"]

    # The national series (real): entered by the ministry's reporter, approved by its reviewer.
    figures = dict(NATIONAL) | NATIONAL_EXTRA
    for year in sorted({y for series in figures.values() for y in series}):
        values = {code: str(series[year]) for code, series in figures.items() if year in series}
        comment = f"来源：{BULLETIN[year]}"
        result = services.save_values(users["ministry_reporter"], dataset=national, unit=moe, period=str(year),
                                      entries=_entries(values, comment))
        assert result.ok, result.errors
        services.submit(users["ministry_reporter"], dataset=national, unit=moe, period=str(year))
        services.approve(users["ministry_reviewer"], dataset=national, unit=moe, period=str(year))

    _load_local(users, units)
    _load_beijing_quarters(users, units)
    return summary | {"values": DataValue.objects.count()}


def _reporter_for(users, unit):
    if unit.code.startswith("11") and unit.type in ("province", "county"):
        return users["beijing_reporter"]
    if unit.code.startswith("31") and unit.type in ("province", "county"):
        return users["shanghai_reporter"]
    return users["ministry_reporter"]


def _reviewer_for(users, unit):
    """Districts are approved by their municipality's reviewer, provinces by the ministry's."""
    if unit.type == "county":
        return users["beijing_reviewer"] if unit.code.startswith("11") else users["shanghai_reviewer"]
    return users["ministry_reviewer"]


# Province codes whose 2025 data is still missing, being entered, or was returned (illustrative).
MISSING_2025 = {"150000", "540000", "630000", "650000", "XPCC"}
DRAFT_2025 = {"220000", "450000", "520000"}
RETURNED_2024 = {"460000"}
# 北京's districts in 2024: these are not approved yet, so 北京 cannot be approved (the chain waits).
BEIJING_PENDING_2024 = {"110116": "submitted", "110117": "submitted", "110118": "missing", "110119": "missing"}


RECHECK = 8  # the first units entered in a peer group had few peers to be compared with


def _enter_all(users, ds, plan: list[tuple[object, str, dict, dict]]) -> None:
    """Enter every unit's values of a period, then enter again those of the first units of each
    peer group (same parent and type): they were checked against few peers, now against all. A
    value still found unusual gets the reporter's explanation; follow-up marks of values that are no
    longer unusual are cleared by the reviewer."""
    from luoshi.indicators import services
    from luoshi.indicators.models import DataValue

    seen: dict[tuple, int] = defaultdict(int)
    recheck = []
    for entry in plan:
        unit, period, values, comments = entry
        result = services.save_values(_reporter_for(users, unit), dataset=ds, unit=unit, period=period,
                                      entries=_entries(values, ILLUSTRATIVE, comments))
        assert result.ok, (unit.code, result.errors)
        group = (unit.parent_id, unit.type, period)
        if seen[group] < RECHECK:
            recheck.append(entry)
        seen[group] += 1
    for unit, period, values, comments in recheck:
        services.save_values(_reporter_for(users, unit), dataset=ds, unit=unit, period=period,
                             entries=_entries(values, ILLUSTRATIVE, comments))
    units = {u.pk: (u, values) for u, _p, values, _c in plan}
    periods = {p for _u, p, *_rest in plan}
    unexplained = DataValue.objects.filter(unit_id__in=units, period__in=periods, comment=ILLUSTRATIVE).exclude(
        warnings=[]).select_related("indicator", "category")
    by_unit: dict[tuple, dict] = defaultdict(dict)
    for v in unexplained:
        key = (v.indicator.code, v.category.code) if v.category_id else v.indicator.code
        by_unit[(v.unit_id, v.period)][key] = units[v.unit_id][1][key]
    for (unit_id, period), values in by_unit.items():
        unit = units[unit_id][0]
        services.save_values(_reporter_for(users, unit), dataset=ds, unit=unit, period=period,
                             entries=_entries(values, "已与原始台账核对无误。" + ILLUSTRATIVE))
    for value in DataValue.objects.filter(unit_id__in=units, period__in=periods, follow_up=True, warnings=[]).select_related("unit"):
        services.set_follow_up(_reviewer_for(users, value.unit), value, False)


def _load_local(users, units) -> None:
    from luoshi.indicators import services
    from luoshi.indicators.models import DataSet, DataValue

    ds = DataSet.objects.get(code=DS_LOCAL[0])
    provinces = sorted((u for u in units.values() if u.type == "province"), key=lambda u: u.path)
    districts = sorted((u for u in units.values() if u.type == "county"), key=lambda u: u.path)

    def submit(unit, year):
        services.submit(_reporter_for(users, unit), dataset=ds, unit=unit, period=str(year))

    def approve(unit, year):
        services.approve(_reviewer_for(users, unit), dataset=ds, unit=unit, period=str(year))

    # 2024: nearly complete. Districts are approved before their municipality.
    entering = [d for d in districts if BEIJING_PENDING_2024.get(d.code) != "missing"] + provinces
    _enter_all(users, ds, [(u, "2024", _local_values(u, 2024), {}) for u in entering])
    for d in districts:
        state = BEIJING_PENDING_2024.get(d.code, "approved")
        if state == "missing":
            continue
        submit(d, 2024)
        if state == "approved":
            approve(d, 2024)
    for p in provinces:
        submit(p, 2024)
        if p.code in RETURNED_2024:
            services.return_data(users["ministry_reviewer"], dataset=ds, unit=p, period="2024",
                                 reason="在园幼儿数城乡合计与上年差异较大，请核实乡村部分后重新上报。（示例）")
        elif p.code != "110000":  # 北京 waits for its last districts
            approve(p, 2024)

    # The 2024 warnings were looked into when the data was approved: their follow-up marks are cleared.
    for v in DataValue.objects.filter(indicator__datasets=ds, period="2024", follow_up=True,
                                      state="approved").select_related("unit"):
        services.set_follow_up(_reviewer_for(users, v.unit), v, False)

    # 2025: in progress. Most provinces submitted, some still entering, some not started; two with warnings.
    plan = []
    for p in provinces:
        if p.code in MISSING_2025:
            continue
        values = _local_values(p, 2025)
        comments = {}
        if p.code == "620000":  # 甘肃: far more children in rural kindergartens than its peers → outlier warning
            values[("KG_CHILDREN", "RURAL")] = str(int(values[("KG_CHILDREN", "RURAL")]) * 9)
            comments[("KG_CHILDREN", "RURAL")] = "乡村幼儿园在园人数含新并入的村级教学点，已与统计部门核对。（示例）"
        if p.code == "530000":  # 云南: pupils per teacher above the rule's 19 → rule warning, explained
            values["PRI_TEACHERS"] = str(int(int(values["PRI_STUDENTS"]) / 21))
            comments["PRI_TEACHERS"] = "部分教师借调至新建学校，数据按编制内在岗教师统计。（示例）"
            comments["PRI_STUDENTS"] = comments["PRI_TEACHERS"]
        plan.append((p, "2025", values, comments))
    plan += [(d, "2025", _local_values(d, 2025), {}) for d in districts[:6]]  # a few districts have started 2025
    _enter_all(users, ds, plan)
    for p, _period, _values, _comments in plan:
        if p.type == "province" and p.code not in DRAFT_2025:
            submit(p, 2025)
    # 甘肃's rural figure stays marked for a closer look.
    for v in DataValue.objects.filter(unit__code="620000", period="2025", indicator__code="KG_CHILDREN").exclude(warnings=[]):
        if not v.follow_up:
            services.set_follow_up(users["ministry_reviewer"], v, True)


def _load_beijing_quarters(users, units) -> None:
    """北京's quarterly district data set: the quarters of this year already over (illustrative)."""
    from django.utils import timezone

    from luoshi.indicators import services
    from luoshi.indicators.models import DataSet
    from luoshi.plans import rules

    ds = DataSet.objects.get(code=DS_BEIJING_Q[0])
    today = timezone.localdate()
    quarters = [p.key for p in rules.periods_for_year("quarterly", today.year) if p.end < today]
    districts = sorted((u for u in units.values() if u.type == "county" and u.code.startswith("11")), key=lambda u: u.path)
    for qi, quarter in enumerate(quarters):
        last = qi == len(quarters) - 1
        plan = []
        for di, d in enumerate(districts):
            if last and di % 4 == 3:
                continue  # the latest quarter is not complete yet
            base = 200 + int(_noise(d.code, quarter) * 600)
            plan.append((d, quarter, {("KG_NEW_PLACES", "URBAN"): str(base), ("KG_NEW_PLACES", "TOWN"): str(base // 3),
                                      ("KG_NEW_PLACES", "RURAL"): str(base // 5)}, {}))
        _enter_all(users, ds, plan)
        for di, (d, *_rest) in enumerate(plan):
            if last and di % 3 == 2:
                continue  # entered, not submitted yet
            services.submit(users["beijing_reporter"], dataset=ds, unit=d, period=quarter)
            if not last:
                services.approve(users["beijing_reviewer"], dataset=ds, unit=d, period=quarter)
        if not last:
            services.approve(users["beijing_reviewer"], dataset=ds, unit=units["110000"], period=quarter)
