"""Demo plan: the work the 2024 national education work conference set (全国教育工作会议,
Beijing, 11 January 2024), as described in the domain notes.

The structure (main line, direction, driving force, seven key tasks, four implementation
requirements) follows the conference; the measures are short phrases of our own, and their
assignments, dates, cascades and progress reports are illustrative.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from decimal import Decimal

PLAN_TITLE = "2024年全国教育工作部署"
PLAN_DESCRIPTION = (
    "依据2024年全国教育工作会议（2024年1月11日，北京）确定的工作主线、主攻方向、根本动力和七项重点任务编制。"
    "各项举措的牵头单位、时间节点、分解与进展报告为演示用示例数据（illustrative）。"
)

# (title, kind, lead, co-owners, start, due, children)
KEY_TASKS = [
    ("着力构建落实立德树人根本任务新生态新格局", "MOE-SZS", ["MOE-JCJ"], [
        ("推进大中小学思政课一体化建设", "MOE-SZS", date(2024, 3, 1), date(2024, 12, 31), ["110000", "310000"]),
        ("修订完善学生综合素质评价办法", "MOE-JCJYS", date(2024, 1, 1), date(2024, 9, 30), []),
        ("实施学生体质健康促进行动", "MOE-TWYS", date(2024, 1, 1), date(2024, 12, 31), ["110000"]),
    ]),
    ("强化高等教育龙头作用", "MOE-GJS", ["MOE-KJS"], [
        ("优化高校学科专业结构与布局", "MOE-GJS", date(2024, 1, 1), date(2024, 12, 31), []),
        ("推进基础学科拔尖人才培养", "MOE-GJS", date(2024, 1, 1), date(2024, 10, 31), []),
    ]),
    ("进一步夯实基础教育基点", "MOE-JCJYS", [], [
        ("推进学前教育普及普惠安全优质发展", "MOE-JCJYS", date(2024, 1, 1), date(2024, 12, 31), ["110000", "310000"]),
        ("推进县域义务教育优质均衡发展", "MOE-JCJYS", date(2024, 1, 1), date(2024, 12, 31), ["110000", "310000"]),
        ("扩大普通高中优质资源供给", "MOE-JCJYS", date(2024, 3, 1), date(2024, 11, 30), []),
    ]),
    ("增强职业教育适应性和吸引力", "MOE-ZCS", [], [
        ("推进市域产教联合体建设", "MOE-ZCS", date(2024, 1, 1), date(2024, 12, 31), ["310000"]),
        ("深化职普融通试点", "MOE-ZCS", date(2024, 4, 1), date(2024, 12, 31), []),
    ]),
    ("不断开辟教育数字化新赛道", "MOE-KJS", ["MOE-JCJYS", "MOE-GJS"], [
        ("升级国家智慧教育公共服务平台", "MOE-KJS", date(2024, 1, 1), date(2024, 12, 31), []),
        ("开展人工智能赋能教育行动", "MOE-KJS", date(2024, 3, 1), date(2024, 12, 31), ["110000"]),
    ]),
    ("坚定推进高水平教育对外开放", "MOE-GJHZS", [], [
        ("拓展中外合作办学与人文交流", "MOE-GJHZS", date(2024, 1, 1), date(2024, 12, 31), []),
        ("推进留学教育提质增效", "MOE-GJHZS", date(2024, 1, 1), date(2024, 12, 31), ["310000"]),
    ]),
    ("以教育家精神为引领强化高素质教师队伍建设", "MOE-JSGZS", [], [
        ("实施教育家精神铸魂强师行动", "MOE-JSGZS", date(2024, 1, 1), date(2024, 12, 31), ["110000", "310000"]),
        ("推进教师减负与待遇保障落实", "MOE-JSGZS", date(2024, 1, 1), date(2024, 12, 31), []),
    ]),
]

REQUIREMENTS = [
    ("界定目标任务", "MOE-FZGHS"), ("设计评价体系", "MOE-DDJ"),
    ("制定制度政策", "MOE-ZCFGS"), ("总结形成解决方案", "MOE-ZHGGS"),
]

# Province cascades split further into these districts (assigned by the province).
DISTRICTS = {"110000": ["110101", "110108"], "310000": ["310101", "310115"]}

# Quarterly report script per leaf, by position among the leaves: (percent per quarter, final state of Q4)
# states: approved, returned, submitted, draft, missing. 2024 is over: most work was finished and
# approved on time, a few items ended the year short of their target (late), and two are still open.
ON_TIME = [([25, 50, 75, 100], "approved"), ([30, 55, 80, 100], "approved"), ([20, 50, 80, 100], "approved")]
LATE = ([20, 45, 70, 90], "approved")        # approved at 90 %: past due and not done
STILL_OPEN = [([25, 50, 70, 85], "returned"), ([15, 35, 50, None], "missing")]


def script_for(index: int, count: int):
    """The report script of the ``index``-th of ``count`` leaves: every ninth late, the last two open."""
    if index >= count - len(STILL_OPEN):
        return STILL_OPEN[count - 1 - index]
    if index % 9 == 4:
        return LATE
    return ON_TIME[index % len(ON_TIME)]


# When each step of a quarter's reporting happened, in days after the quarter's end (illustrative):
# units report in the first week, reviewers decide in the second, and everyone has read the
# notices by the day after.
REPORT_AFTER, REVIEW_AFTER, READ_AFTER = 6, 12, 13


@contextmanager
def happening_on(day: date, hour: int = 10):
    """Run the writes inside as if it were ``day`` at ``hour`` (local time), never later than now.

    The demo's history then carries the dates it represents: a 2024 report was submitted and
    approved in 2024 (its audit record, version history and notices say so), not on the day the
    demo was built. The writes still go through the services, with their checks and audit records;
    only the clock they read is moved (time-machine, while the demo loads).
    """
    import time_machine
    from django.utils import timezone

    moment = min(datetime.combine(day, time(hour), tzinfo=timezone.get_current_timezone()),
                 timezone.now() - timedelta(minutes=5))
    with time_machine.travel(moment, tick=True):
        yield


def _read_notices() -> None:
    """Everyone has opened the notices they had by then (the demo's past is not left unread)."""
    from django.contrib.auth import get_user_model

    from luoshi.plans import services

    for user in get_user_model().objects.filter(notifications__read_at=None).distinct().order_by("pk"):
        services.mark_notifications_read(user)


def _refresh_lights(plan) -> None:
    """The lights depend on the date: set them for today, as the daily supervision run does."""
    from luoshi.plans import rollup

    rollup.refresh_plan(plan.pk)


def load(admin) -> dict[str, int]:
    from django.contrib.auth import get_user_model

    from luoshi.orgs.models import OrgUnit
    from luoshi.plans import rules, services
    from luoshi.plans.models import Plan

    units = {u.code: u for u in OrgUnit.objects.all()}
    if Plan.objects.filter(title=PLAN_TITLE, issuer=units["MOE"]).exists():
        return {"plans": Plan.objects.count()}
    User = get_user_model()
    users = {u.username: u for u in User.objects.filter(username__in=[
        "ministry_planner", "ministry_reviewer", "ministry_reporter", "beijing_reporter", "beijing_reviewer",
        "beijing_planner", "shanghai_reporter", "shanghai_reviewer", "shanghai_planner"])}
    planner = users["ministry_planner"]
    with happening_on(date(2024, 1, 15), 9):   # drawn up after the conference of 11 January
        plan = services.create_plan(planner, title=PLAN_TITLE, issuer=units["MOE"], start_year=2024, end_year=2024,
                                    period=Plan.Period.QUARTERLY, description=PLAN_DESCRIPTION)
        leaves = _national_items(plan, units, planner)
    with happening_on(date(2024, 1, 19), 16):
        services.set_plan_status(planner, plan, Plan.Status.PUBLISHED)

    # Provinces break their parts down among districts once the plan is published.
    province_planners = {"110000": users.get("beijing_planner"), "310000": users.get("shanghai_planner")}
    resolved = []
    with happening_on(date(2024, 2, 5)):
        for leaf in leaves:
            if isinstance(leaf, tuple):
                _tag, province_item, district, start, due = leaf
                actor = province_planners[province_item.lead_unit.code] or planner
                resolved.append(services.add_item(
                    actor, plan, parent=province_item, kind="measure", lead_unit=units[district], start_date=start,
                    due_date=due, title=f"{units[district].short_name}落实：{province_item.title.split('：', 1)[-1]}"))
            else:
                resolved.append(leaf)

    reporters = {"110000": users["beijing_reporter"], "310000": users["shanghai_reporter"]}
    reviewers = {"110000": users["beijing_reviewer"], "310000": users.get("shanghai_reviewer") or users["ministry_reviewer"]}
    people = []       # (item, reporter, reviewer, script)
    for index, item in enumerate(resolved):
        province = next((p for p in reporters if item.lead_unit.path.startswith(units[p].path)), None)
        reporter = reporters.get(province) or users["ministry_reporter"]
        reviewer = reviewers.get(province) if item.assigned_by.code in reviewers else users["ministry_reviewer"]
        people.append((item, reporter, reviewer, script_for(index, len(resolved))))
    count = 0
    for period in rules.periods_for_year(Plan.Period.QUARTERLY, 2024):
        quarter = int(period.key[-1])
        decisions = []
        with happening_on(period.end + timedelta(days=REPORT_AFTER), 9):
            for item, reporter, reviewer, (percents, last_state) in people:
                percent = percents[quarter - 1]
                if percent is None:
                    continue
                status = "done" if percent == 100 else ("at_risk" if percent < 25 * quarter - 10 else "on_track")
                report = services.save_report(reporter, item, item.lead_unit, period.key, {
                    "status": status, "percent": Decimal(percent),
                    "achievements": f"{period.key}：按计划推进{item.title.split('：', 1)[-1]}，完成阶段目标（示例）。",
                    "problems": "经费与人员配备仍需加强（示例）。" if status == "at_risk" else "",
                    "next_steps": "下一季度继续推进并开展督导检查（示例）。",
                })
                count += 1
                final = quarter == 4 or percents[quarter] is None
                state = last_state if final else "approved"
                if state == "draft":
                    continue
                services.submit_report(reporter, report)
                decisions.append((report, reviewer, state))
        with happening_on(period.end + timedelta(days=REVIEW_AFTER), 14):
            for report, reviewer, state in decisions:
                if state == "approved":
                    services.approve_report(reviewer, report, "同意。")
                elif state == "returned":
                    services.return_report(reviewer, report, "请补充量化成效数据和佐证材料后重新提交。")
        with happening_on(period.end + timedelta(days=READ_AFTER)):
            _read_notices()
    _refresh_lights(plan)
    return {"plans": Plan.objects.count(), "reports": count}


def _national_items(plan, units, planner) -> list:
    """The plan's tree; returns its leaves, with ``("cascade", …)`` for the districts' parts."""
    from luoshi.plans import services

    year_start, year_end = date(2024, 1, 1), date(2024, 12, 31)

    def add(parent, title, kind, lead, co=(), start=year_start, due=year_end, actor=planner):
        return services.add_item(actor, plan, parent=parent, title=title, kind=kind, lead_unit=units[lead],
                                 co_owners=[units[c] for c in co], start_date=start, due_date=due)

    leaves = [
        add(None, "组织实施教育强国建设规划纲要", "main_line", "MOE-FZGHS", ["MOE-ZCFGS"]),
        add(None, "主攻方向：提高人才自主培养质量，支撑高水平科技自立自强", "direction", "MOE-GJS", ["MOE-KJS"]),
        add(None, "根本动力：深化教育综合改革", "direction", "MOE-ZHGGS"),
    ]
    tasks = add(None, "2024年七项重点任务", "goal", "MOE")
    for title, lead, co, measures in KEY_TASKS:
        task = add(tasks, title, "key_task", lead, co)
        for m_title, m_lead, start, due, provinces in measures:
            measure = add(task, m_title, "measure", m_lead, (), start, due)
            if not provinces:
                leaves.append(measure)
            for code in provinces:
                province_item = add(measure, f"{units[code].short_name}：{m_title}", "measure", code, (), start, due)
                for district in DISTRICTS[code]:
                    leaves.append(("cascade", province_item, district, start, due))
    reqs = add(None, "抓落实工作要求", "goal", "MOE")
    for title, lead in REQUIREMENTS:
        leaves.append(add(reqs, title, "requirement", lead))
    return leaves


# A current plan of 北京, so that a province's own screens show live work (all illustrative).
BEIJING_TASKS = [
    ("推进义务教育优质均衡发展", [("扩大集团化办学覆盖面", "110101"), ("推进学区制管理改革", "110102")]),
    ("扩大普惠性学前教育资源", [("新增普惠性学位", "110105"), ("提升幼儿园保教质量", "110108")]),
    ("促进学生身心健康", [("保障中小学生每天综合体育活动时间", "110106"), ("加强心理健康教育", "110112")]),
    ("推进教育数字化转型", [("建设数字校园示范校", "110108"), ("开展教师数字素养培训", "110114")]),
]
# Percent reached by the end of each quarter, by leaf position (illustrative).
BEIJING_PACE = [(30, 55, 85), (25, 50, 75), (25, 50, 90), (10, 20, 35), (35, 60, 95), (25, 50, 70), (30, 60, 88), (20, 45, 78)]


def load_current(admin) -> dict[str, int]:
    """``北京市<this year>年教育工作要点（示例）``: quarterly reports for the quarters already over."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from luoshi.orgs.models import OrgUnit
    from luoshi.plans import rules, services
    from luoshi.plans.models import Plan

    today = timezone.localdate()
    year = today.year
    title = f"北京市{year}年教育工作要点（示例）"
    units = {u.code: u for u in OrgUnit.objects.filter(code__startswith="110")}
    if Plan.objects.filter(title=title, issuer=units["110000"]).exists():
        return {}
    users = get_user_model().objects.in_bulk(["beijing_planner", "beijing_reporter", "beijing_reviewer"], field_name="username")
    planner, reporter, reviewer = users["beijing_planner"], users["beijing_reporter"], users["beijing_reviewer"]
    with happening_on(date(year, 1, 8), 9):
        plan = services.create_plan(planner, title=title, issuer=units["110000"], start_year=year, end_year=year,
                                    description="北京市年度教育工作要点的演示数据（illustrative），用于展示本年度任务的进展与红绿灯。")
        leaves = []
        for task_title, measures in BEIJING_TASKS:
            task = services.add_item(planner, plan, title=task_title, kind="key_task", lead_unit=units["110000"],
                                     start_date=date(year, 1, 1), due_date=date(year, 12, 31))
            for m_title, district in measures:
                leaves.append(services.add_item(planner, plan, parent=task, title=m_title, lead_unit=units[district],
                                                start_date=date(year, 1, 1), due_date=date(year, 12, 31)))
        services.set_plan_status(planner, plan, Plan.Status.PUBLISHED)
    ended = [p for p in rules.periods_for_year(Plan.Period.QUARTERLY, year) if p.end < today][:3]
    for quarter, period in enumerate(ended):
        reports = []
        with happening_on(period.end + timedelta(days=REPORT_AFTER), 9):
            for index, item in enumerate(leaves):
                percent = BEIJING_PACE[index % len(BEIJING_PACE)][quarter]
                report = services.save_report(reporter, item, item.lead_unit, period.key, {
                    "status": "on_track" if percent >= 25 * (quarter + 1) - 10 else "at_risk", "percent": Decimal(percent),
                    "achievements": f"{period.key}：{item.title}按计划推进（示例）。",
                    "next_steps": "继续推进，做好季度督导（示例）。",
                })
                reports.append(services.submit_report(reporter, report))
        with happening_on(period.end + timedelta(days=REVIEW_AFTER), 14):
            for report in reports:
                services.approve_report(reviewer, report, "同意。")
        if period is not ended[-1]:   # the latest quarter's notices are still waiting to be opened
            with happening_on(period.end + timedelta(days=READ_AFTER)):
                _read_notices()
    _refresh_lights(plan)
    return {"beijing_plan_items": len(leaves)}
