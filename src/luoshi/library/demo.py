"""Demo content of the library: solutions promoted nationally and adopted by units in other
provinces, and the policy documents behind the demo plans.

Runs after the pilots demo: the solutions made from its promoted reviews are recommended by their
owners and promoted nationally. Three more solutions, written for the demo, make the library worth
searching; every solution's text, figure and adoption here is illustrative.

The registry holds the documents the demo plans stand on. Facts we could confirm are kept as they
are (the plan outline for building a leading education power, 教育强国建设规划纲要（2024—2035年）,
issued by 中共中央、国务院 and published by Xinhua on 19 January 2025; its 文号 is not public, so
it is left empty); the summaries are our own words, never sentences of the published texts.
Documents invented for the demo carry "（示例）" in the title and ``is_illustrative``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

ILLUSTRATIVE = "（示例）"

# title, owner, source units, tags, problem, approach, results, conditions, cost, (label, value)
SOLUTIONS = [
    ("集团化办学带动薄弱校提升" + ILLUSTRATIVE, "110000", ["110101", "S110101001"], ["集团化办学", "义务教育优质均衡"],
     "区内学校之间办学水平差距较大，薄弱校难以吸引和留住骨干教师。",
     "以优质校为龙头组建教育集团，统一课程规划、共享教研与师资，骨干教师在成员校间交流任教，集团内实行捆绑考核。",
     "两年内成员校学生学业达标率提升，家长满意度上升，择校压力有所缓解。",
     "需要区级统筹编制与岗位、稳定的交流补贴经费，以及成员校之间的地理可达性。", Decimal("180"),
     ("成员校学业达标率（%）", Decimal("92.5"))),
    ("课后服务“一校一案”提质" + ILLUSTRATIVE, "310000", ["310101", "S310101001"], ["课后服务", "双减"],
     "课后服务内容单一，以看管和作业辅导为主，学生参与意愿不高。",
     "每校根据自身资源制定课后服务方案，引入高校、场馆和社会机构的课程，建立学生选课与评价反馈机制。",
     "课后服务参与率明显提高，学生对课程的满意度上升。",
     "需要稳定的第三方课程遴选与监管机制，以及弹性离校的家校沟通安排。", Decimal("95"),
     ("课后服务参与率（%）", Decimal("93.0"))),
    ("数字素养进课堂的教师研修" + ILLUSTRATIVE, "110000", ["110108", "S110108001"], ["教育数字化", "教师发展"],
     "教师使用数字工具多停留在课件展示，数据支持教学改进的能力不足。",
     "以学科教研组为单位开展“课例+数据”研修，每学期完成一次基于学习数据的教学改进课，并纳入校本研修学分。",
     "参与教师中能独立开展数据分析改进教学的比例显著提高。",
     "需要学校具备基本的学习平台与数据权限管理，以及区级教研员的持续指导。", Decimal("60"),
     ("能用数据改进教学的教师比例（%）", Decimal("68.0"))),
]

# adopting unit, status, progress, value: who took each solution up (illustrative)
ADOPTERS = [
    [("330200", "underway", "已在两个城区组建试点教育集团。", Decimal("88.0")),
     ("510000", "planned", "正在制定省级推广方案。", None)],
    [("440300", "done", "全市公办中小学完成一校一案。", Decimal("95.5")),
     ("210200", "underway", "首批学校引入场馆课程。", Decimal("86.0")),
     ("330000", "underway", "列入省级课后服务提质行动。", None)],
    [("370200", "underway", "在三所学校开展课例研修。", Decimal("61.0"))],
]
# adopters of solutions that come from the pilots demo (by position, illustrative)
PILOT_ADOPTERS = [("330000", "underway", "选取两个县开展推广。", None), ("440300", "planned", "纳入下学年计划。", None)]

GANGYAO = "教育强国建设规划纲要（2024—2035年）"


def _policies(units, plan_items, beijing_items, year):
    """(title, doc_number, issuer, unit, date, status, summary, illustrative, links)"""
    return [
        (GANGYAO, "", "中共中央、国务院", units["MOE"], date(2025, 1, 19), "issued",
         "面向2035年建成教育强国的总体部署：明确建设教育强国的目标、重点任务与保障措施，是各级教育规划和年度工作的依据。"
         "（摘要为本平台自拟；发布日期为新华社播发日期。）", False, plan_items),
        ("关于落实2024年全国教育工作会议部署的通知" + ILLUSTRATIVE, "教办〔2024〕示例1号", "教育部办公厅", units["MOE"],
         date(2024, 2, 1), "issued", "将2024年全国教育工作会议确定的七项重点任务分解到司局和地方，明确牵头单位、时间节点和报送要求。"
         "（示例文件，用于演示政策与任务的关联。）", True, plan_items),
        (f"北京市{year}年教育工作要点" + ILLUSTRATIVE, f"京教发〔{year}〕示例1号", "北京市教育委员会", units["110000"],
         date(year, 2, 15), "issued", "北京市年度教育重点工作的示例文件，对应演示中的北京市年度计划。", True, beijing_items),
        ("北京市中小学课后服务管理办法（2022年版）" + ILLUSTRATIVE, "京教基〔2022〕示例3号", "北京市教育委员会", units["110000"],
         date(2022, 8, 20), "issued", "规定课后服务的时间、内容、人员与经费保障（示例）。", True, []),
        ("北京市中小学课后服务管理办法（2025年修订）" + ILLUSTRATIVE, "京教基〔2025〕示例7号", "北京市教育委员会", units["110000"],
         date(2025, 8, 25), "issued", "在2022年版基础上增加课程遴选、第三方机构监管和弹性离校要求（示例）。", True, []),
        ("北京市数字校园建设指南（征求意见稿）" + ILLUSTRATIVE, "", "北京市教育委员会", units["110000"],
         None, "drafting", "征求意见中的数字校园建设指南（示例），尚未印发，仅在北京市范围内可见。", True, []),
    ]


def load(admin) -> dict[str, int]:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from luoshi.library import services
    from luoshi.library.models import Adoption, PolicyDocument, Solution
    from luoshi.orgs.models import OrgUnit
    from luoshi.plans.models import Plan, PlanItem

    users = get_user_model().objects.in_bulk(["ministry_planner", "beijing_planner", "shanghai_planner"], field_name="username")
    ministry = users.get("ministry_planner") or admin
    owners = {"110000": users.get("beijing_planner") or admin, "310000": users.get("shanghai_planner") or admin}
    units = {u.code: u for u in OrgUnit.objects.all()}

    # Solutions written for the demo, recommended by their owners and promoted by the ministry.
    made = []
    for (title, owner, sources, tags, problem, approach, results, conditions, cost, (label, value)), adopters in zip(SOLUTIONS, ADOPTERS):
        solution = Solution.objects.filter(title=title).first()
        if solution is None:
            solution = services.create_solution(
                owners[owner], unit=units[owner], title=title, problem=problem, approach=approach, results=results,
                conditions=conditions, cost=cost, result_label=label, result_value=value,
                source_units=[units[c] for c in sources], tags=tags,
                summary=f"{problem}{approach}")
        made.append((solution, owners[owner], adopters))
    # Solutions the pilots demo promoted from its reviews (the first ones), adopted in other provinces.
    for solution in Solution.objects.filter(source_review__isnull=False).select_related("unit").order_by("pk")[:2]:
        made.append((solution, admin, PILOT_ADOPTERS))

    adoptions = 0
    for solution, owner_actor, adopters in made:
        solution.refresh_from_db()
        if solution.status == Solution.Status.DRAFT:
            services.set_solution_status(owner_actor if owner_actor != admin else ministry, solution, "recommend")
        solution.refresh_from_db()
        if solution.status == Solution.Status.RECOMMENDED:
            services.set_solution_status(ministry, solution, "promote")
        for code, status, progress, value in adopters:
            unit = units.get(code)
            if unit is None or Adoption.objects.filter(solution=solution, unit=unit).exists():
                continue
            if solution.source_units.filter(path__startswith=unit.path).exists():
                continue  # a source's own province does not "adopt" it
            services.adopt(admin, solution, unit, status=status, progress=progress, result_value=value,
                           started_on=date(2025, 9, 1))
            adoptions += 1

    # The registry: the documents behind the demo plans.
    year = timezone.localdate().year
    national = Plan.objects.filter(title="2024年全国教育工作部署").first()
    plan_items = list(PlanItem.objects.filter(plan=national, parent=None).order_by("position")[:4]) if national else []
    beijing = Plan.objects.filter(title=f"北京市{year}年教育工作要点（示例）").first()
    beijing_items = list(PlanItem.objects.filter(plan=beijing, parent=None).order_by("position")) if beijing else []
    docs = {}
    for title, number, issuer, unit, day, status, summary, illustrative, items in _policies(units, plan_items, beijing_items, year):
        doc = PolicyDocument.objects.filter(title=title).first()
        if doc is None:
            actor = ministry if unit.code == "MOE" else owners["110000"]
            doc = services.create_policy(actor, unit=unit, title=title, doc_number=number, issuer=issuer, issued_on=day,
                                         status=status, summary=summary, is_illustrative=illustrative, plan_items=items)
        docs[title] = doc
    old = docs["北京市中小学课后服务管理办法（2022年版）" + ILLUSTRATIVE]
    new = docs["北京市中小学课后服务管理办法（2025年修订）" + ILLUSTRATIVE]
    if not new.revises.exists():
        services.update_policy(owners["110000"], new, {"revises": [old]})
    after_school = Solution.objects.filter(title=SOLUTIONS[1][0]).first()
    gangyao = docs[GANGYAO]
    if after_school is not None and not new.solutions.exists():
        new.refresh_from_db()
        services.update_policy(admin, new, {"solutions": [after_school]})
    if not gangyao.solutions.exists():
        gangyao.refresh_from_db()
        services.update_policy(ministry, gangyao, {"solutions": [s for s, _a, _d in made]})
    return {"solutions": Solution.objects.count(), "adoptions": adoptions, "policies": PolicyDocument.objects.count()}
