"""Demo pilots: two programmes of the ministry, with applications, pilots in 北京 and 上海
districts and schools, progress entries and reviews (复盘) with every outcome.

Everything here is invented and labelled illustrative (示例): programme texts, figures, costs
and review contents are not real results of the named units. The programme titles follow the
kinds of pilot the ministry runs (教育数字化试点, 县域普通高中振兴试点); the indicators are
hand-entered (the evaluation system will supply them later).

Dates are relative to a fixed timeline around 2026: the digital-education programme's pilots ran
from May 2025 and were reviewed in autumn 2026 (two promoted, which creates solutions in the
library when it is installed); some continue. The county high-school programme's call is open now.
Run again, it changes nothing.
"""

from __future__ import annotations

from datetime import date, timedelta

DIGITAL = "教育数字化试点（示例）"
COUNTY = "县域普通高中振兴试点（示例）"
MARK = "【示例数据 illustrative】"

DIGITAL_INDICATORS = [
    {"name": "数字化教学课时占比", "unit": "%", "direction": "up", "code": ""},
    {"name": "教师数字素养达标率", "unit": "%", "direction": "up", "code": ""},
    {"name": "学生平均作业时长", "unit": "分钟/天", "direction": "down", "code": ""},
]
COUNTY_INDICATORS = [
    {"name": "县域普通高中本科上线率", "unit": "%", "direction": "up", "code": ""},
    {"name": "县中优秀生源外流率", "unit": "%", "direction": "down", "code": ""},
    {"name": "县中专任教师硕士以上学历占比", "unit": "%", "direction": "up", "code": ""},
]

# unit code, applicant user, pilot title, baseline, figures after, outcome (None: still running, no review),
# review kind, participants
DIGITAL_PILOTS = [
    ("110101", "beijing_reporter", "东城区：区域智慧作业与精准教研（示例）",
     {"数字化教学课时占比": "14", "教师数字素养达标率": "58", "学生平均作业时长": "95"},
     {"数字化教学课时占比": "36", "教师数字素养达标率": "87", "学生平均作业时长": "68"}, "promote", "final", ["S110101001"]),
    ("S110102001", "beijing_reporter", "北京市第四中学：人工智能助教进课堂（示例）",
     {"数字化教学课时占比": "20", "教师数字素养达标率": "70", "学生平均作业时长": "80"},
     {"数字化教学课时占比": "41", "教师数字素养达标率": "93", "学生平均作业时长": "62"}, "promote", "final", []),
    ("S110108001", "beijing_reporter", "中国人民大学附属中学：数字画像支持个性化学习（示例）",
     {"数字化教学课时占比": "25", "教师数字素养达标率": "75", "学生平均作业时长": "85"},
     {"数字化教学课时占比": "33", "教师数字素养达标率": "81", "学生平均作业时长": "84"}, "continue", "final", []),
    ("310104", "shanghai_reporter", "徐汇区：数字基座与课堂数据贯通（示例）",
     {"数字化教学课时占比": "18", "教师数字素养达标率": "62", "学生平均作业时长": "90"},
     {"数字化教学课时占比": "24", "教师数字素养达标率": "66", "学生平均作业时长": "92"}, "adjust", "final", ["S310104001"]),
    ("S310101001", "shanghai_reporter", "上海市格致中学：虚拟仿真实验室（示例）",
     {"数字化教学课时占比": "16", "教师数字素养达标率": "65", "学生平均作业时长": "88"},
     {"数字化教学课时占比": "17", "教师数字素养达标率": "66", "学生平均作业时长": "90"}, "close", "final", []),
    ("310115", "shanghai_reporter", "浦东新区：城乡学校同步课堂（示例）",
     {"数字化教学课时占比": "12", "教师数字素养达标率": "55", "学生平均作业时长": "100"},
     {"数字化教学课时占比": "21", "教师数字素养达标率": "68", "学生平均作业时长": "91"}, "continue", "midterm", ["S310115001"]),
]
DECLINED = ("S310106001", "shanghai_reporter", "该校方案与已立项的区域试点内容重叠，建议并入所在区的试点（示例）。")

REVIEW_TEXT = {
    "promote": {
        "aims_vs_results": "原定三项目标全部达成：数字化教学课时占比、教师数字素养达标率显著提升，学生作业时长下降。",
        "what_worked": "以教研组为单位集体备课，先在两个年级试用再全校推开；平台数据每周反馈给教师，用于调整作业量。",
        "essential_problems": "本质问题是教学评价仍以纸笔测验为主，教师缺少用数据改进教学的动力。",
        "core_problems": "核心问题是教师时间被事务性工作挤占；通过统一数据填报入口，减少重复报表。",
        "lessons": "先培训后推开，先小范围验证再扩大；技术选型服从教学需求。",
        "reuse_conditions": "具备千兆校园网和统一身份认证；区级教研部门能牵头组织；每校至少两名骨干教师。",
        "cost_notes": "设备与平台约占六成，教师培训约占三成，其余为运维。",
    },
    "continue": {
        "aims_vs_results": "目标部分达成：课时占比提高，但学业负担指标变化不明显。",
        "what_worked": "跨学科项目式学习受到学生欢迎。",
        "essential_problems": "数据应用停留在展示层面，未进入日常教学决策。",
        "core_problems": "试点周期偏短，效果尚未充分显现。",
        "lessons": "需要延长观察周期，补充过程性数据。",
        "reuse_conditions": "暂不具备推广条件，需继续积累证据。",
        "cost_notes": "主要为平台授权费用。",
    },
    "adjust": {
        "aims_vs_results": "目标完成度不足一半：平台建设按期完成，课堂应用率偏低。",
        "what_worked": "区级数据基座建设顺利，数据标准统一。",
        "essential_problems": "重建设、轻应用，教师培训与平台上线脱节。",
        "core_problems": "缺少面向课堂的轻量工具，教师使用门槛高。",
        "lessons": "应先明确课堂场景，再建设平台。",
        "reuse_conditions": "调整后再评估。",
        "cost_notes": "基座建设投入较大。",
    },
    "close": {
        "aims_vs_results": "主要目标未达成，指标基本无变化。",
        "what_worked": "个别学科的虚拟实验资源使用效果较好。",
        "essential_problems": "试点内容与学校课程安排冲突，实验课时难以保证。",
        "core_problems": "设备维护依赖外部厂商，响应慢。",
        "lessons": "试点设计应与课程计划同步论证。",
        "reuse_conditions": "不建议推广。",
        "cost_notes": "设备采购为主。",
    },
}
DECISION_REASON = {
    "promote": "",
    "continue": "效果初步显现但证据不足，同意继续试点一年，下次复盘补充过程性数据（示例）。",
    "adjust": "同意调整：聚焦课堂轻量工具，缩小试点范围至两所学校后继续（示例）。",
    "close": "指标未见改善，试点结束；可用的虚拟实验资源移交区级资源库（示例）。",
}
COSTS = {"promote": "120", "continue": "60", "adjust": "300", "close": "85"}

COUNTY_APPLICATIONS = [
    ("110118", "beijing_reporter", "submitted"),
    ("110119", "beijing_reporter", "shortlisted"),
    ("310151", "shanghai_reporter", "draft"),
]


def _entries(pilot_start: date, baseline: dict, after: dict, count: int) -> list[tuple[date, dict]]:
    """Evenly spaced progress dates with figures moving from the baseline towards ``after``."""
    out = []
    for step in range(1, count + 1):
        when = pilot_start + timedelta(days=90 * step)
        figures = {}
        for name, base in baseline.items():
            b, a = float(base), float(after[name])
            figures[name] = f"{b + (a - b) * step / (count + 1):.1f}"
        out.append((when, figures))
    return out


def load(actor) -> dict[str, int]:
    """Create the demo programmes, applications, pilots, progress and reviews (idempotent)."""
    from django.contrib.auth import get_user_model
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from luoshi.orgs.models import OrgUnit
    from luoshi.pilots import services
    from luoshi.pilots.models import Application, Pilot, Programme
    from luoshi.plans.models import PlanItem

    if Programme.objects.filter(title=DIGITAL).exists():
        return {}
    users = get_user_model().objects.in_bulk(
        ["ministry_planner", "ministry_reviewer", "beijing_reporter", "beijing_reviewer", "shanghai_reporter"],
        field_name="username")
    planner, reviewer = users["ministry_planner"], users["ministry_reviewer"]
    units = {u.code: u for u in OrgUnit.objects.all()}
    today = timezone.localdate()
    digital_items = list(PlanItem.objects.filter(title__in=["开展人工智能赋能教育行动", "升级国家智慧教育公共服务平台"]))
    county_items = list(PlanItem.objects.filter(title="扩大普通高中优质资源供给"))

    # 1. The digital-education programme: its call ran in spring 2025, pilots from May 2025.
    digital = services.create_programme(
        planner, owner=units["MOE"], title=DIGITAL, plan_items=digital_items,
        aims=f"{MARK}以数字化转型推动课堂教学方式变革，形成可复制的区域和学校数字化教学模式。",
        indicators=DIGITAL_INDICATORS, eligible_types=["county", "school"],
        eligible_regions=[units["110000"], units["310000"]],
        call_opens=today - timedelta(days=1), call_closes=today + timedelta(days=1),
        starts_on=date(2025, 5, 1), ends_on=date(2026, 10, 31), places=8,
        call_text=(f"{MARK}面向北京市、上海市的区教育行政部门和中小学校征集教育数字化试点。申报单位须明确试点目标、"
                   "实施路径、资源保障和基线数据，试点周期18个月，结束时开展复盘。"))
    services.set_programme_status(planner, digital, "publish")
    pilots = []
    for code, username, title, baseline, after, outcome, kind, participants in DIGITAL_PILOTS:
        applicant = users[username]
        application = services.save_application(applicant, digital, units[code], {
            "aims": f"{MARK}{title.split('：')[1].removesuffix('（示例）')}：18个月内数字化教学课时占比提高15个百分点以上。",
            "approach": "组建试点工作专班；分年级分学科推进；每季度开展一次数据分析与教研改进（示例）。",
            "resources": "区级专项经费与校本研修时间保障（示例）。", "baseline": baseline,
            "contact_name": "试点联络员（示例）", "contact_info": "010-0000-0000"})
        services.submit_application(applicant, application)
        services.decide_application(reviewer, application, "shortlist")
        services.decide_application(reviewer, application, "approve", "方案可行，基线清楚（示例）。", pilot_data={
            "title": title, "participants": [units[p] for p in participants],
            "milestones": [{"due": "2025-09-30", "title": "完成环境建设与教师培训", "done": True},
                           {"due": "2026-01-31", "title": "中期检查", "done": True},
                           {"due": "2026-10-31", "title": "完成复盘", "done": outcome is not None and kind == "final"}]})
        pilots.append((Pilot.objects.get(application=application), applicant, baseline, after, outcome, kind))
    declined = services.save_application(users[DECLINED[1]], digital, units[DECLINED[0]], {
        "aims": f"{MARK}建设学科数字资源库。", "approach": "示例做法。",
        "baseline": {"数字化教学课时占比": "15", "教师数字素养达标率": "60", "学生平均作业时长": "90"}})
    services.submit_application(users[DECLINED[1]], declined)
    services.decide_application(reviewer, declined, "decline", DECLINED[2])
    services.set_programme_status(planner, digital, "close_call")
    services.update_programme(planner, digital, {"call_opens": date(2025, 3, 1), "call_closes": date(2025, 4, 15)})

    entries = 0
    for pilot, applicant, baseline, after, outcome, kind in pilots:
        steps = _entries(date(2025, 5, 1), baseline, after, 5)
        for number, (when, figures) in enumerate(steps):
            escalate = number == 1 and pilot.unit.code in ("110101", "310115")
            entry = services.add_entry(applicant, pilot, {
                "entry_date": when, "period": f"{when.year}-Q{(when.month - 1) // 3 + 1}",
                "done": f"{MARK}第{number + 1}阶段：完成教师研修{2 + number}次，新增数字化课例{5 * (number + 1)}节。",
                "problems": "部分教室网络带宽不足，高峰时段卡顿（示例）。" if escalate else "",
                "figures": figures}, escalate=escalate)
            entries += 1
            if number == 0:
                services.add_evidence(applicant, entry, ContentFile(
                    f"{MARK}\n{pilot.title}\n第一阶段工作记录（示例文件）。\n".encode(), name="阶段记录（示例）.txt"))
            if escalate and pilot.unit.code == "110101":
                services.answer_escalation(users["beijing_reviewer"], entry,
                                           "市里已将该区纳入校园网扩容计划，年内完成（示例）。")
        text = REVIEW_TEXT[outcome]
        review = services.save_review(applicant, pilot, {**text, "cost": COSTS[outcome], "results": after}, kind=kind)
        services.submit_review(applicant, review)
        services.decide_review(reviewer, review, outcome, DECISION_REASON[outcome])

    # 2. The county high-school programme: its call is open now.
    county = services.create_programme(
        planner, owner=units["MOE"], title=COUNTY, plan_items=county_items,
        aims=f"{MARK}提升县域普通高中办学水平，稳定县中生源和师资。", indicators=COUNTY_INDICATORS,
        eligible_types=["county"], call_opens=today - timedelta(days=18), call_closes=today + timedelta(days=28),
        starts_on=date(today.year + 1, 3, 1), ends_on=date(today.year + 2, 8, 31), places=6,
        call_text=(f"{MARK}面向县（区）教育行政部门征集县域普通高中振兴试点，重点支持生源稳定、师资补充和"
                   "办学条件改善的综合改革方案。"))
    services.set_programme_status(planner, county, "publish")
    for code, username, state in COUNTY_APPLICATIONS:
        applicant = users[username]
        application = services.save_application(applicant, county, units[code], {
            "aims": f"{MARK}三年内本科上线率提高10个百分点，优秀生源外流率降低一半。",
            "approach": "与市区优质高中结对帮扶；实施县中教师专项招聘；改善寄宿条件（示例）。",
            "baseline": {"县域普通高中本科上线率": "48", "县中优秀生源外流率": "22", "县中专任教师硕士以上学历占比": "12"},
            "contact_name": "县教委联络员（示例）"})
        if state in ("submitted", "shortlisted"):
            services.submit_application(applicant, application)
        if state == "shortlisted":
            services.decide_application(reviewer, application, "shortlist", "进入答辩环节（示例）。")
    return {"pilot_programmes": Programme.objects.count(), "pilots": Pilot.objects.count(),
            "pilot_applications": Application.objects.count(), "pilot_entries": entries}
