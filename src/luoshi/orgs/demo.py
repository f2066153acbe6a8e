"""Demo organisation: the real structure from the domain notes.

Sources: province, city and district codes are GB/T 2260 administrative division codes
(民政部 2023 list); university codes are the ministry's 学校标识码 from its list of higher
education institutions (教育部, 2024). Ministry department codes (``MOE-*``) and school
codes (``S*``) are illustrative: real units have other internal identifiers.
"""

from __future__ import annotations

MINISTRY = ("MOE", "中华人民共和国教育部", "教育部", "ministry")

DEPARTMENTS = [
    ("MOE-BGT", "办公厅"), ("MOE-ZCFGS", "政策法规司"), ("MOE-FZGHS", "发展规划司"),
    ("MOE-ZHGGS", "综合改革司"), ("MOE-JCJ", "教材局"), ("MOE-JCJYS", "基础教育司"),
    ("MOE-JSGZS", "教师工作司"), ("MOE-ZCS", "职业教育与成人教育司"), ("MOE-GJS", "高等教育司"),
    ("MOE-DDJ", "教育督导局"), ("MOE-SZS", "思想政治工作司"), ("MOE-KJS", "科学技术与信息化司"),
    ("MOE-TWYS", "体育卫生与艺术教育司"), ("MOE-GJHZS", "国际合作与交流司"),
]

PROVINCES = [
    ("110000", "北京市"), ("120000", "天津市"), ("130000", "河北省"), ("140000", "山西省"),
    ("150000", "内蒙古自治区"), ("210000", "辽宁省"), ("220000", "吉林省"), ("230000", "黑龙江省"),
    ("310000", "上海市"), ("320000", "江苏省"), ("330000", "浙江省"), ("340000", "安徽省"),
    ("350000", "福建省"), ("360000", "江西省"), ("370000", "山东省"), ("410000", "河南省"),
    ("420000", "湖北省"), ("430000", "湖南省"), ("440000", "广东省"), ("450000", "广西壮族自治区"),
    ("460000", "海南省"), ("500000", "重庆市"), ("510000", "四川省"), ("520000", "贵州省"),
    ("530000", "云南省"), ("540000", "西藏自治区"), ("610000", "陕西省"), ("620000", "甘肃省"),
    ("630000", "青海省"), ("640000", "宁夏回族自治区"), ("650000", "新疆维吾尔自治区"),
]
# Education department names: municipalities have 教育委员会, provinces and regions 教育厅.
MUNICIPALITIES = {"110000", "120000", "310000", "500000"}
XPCC = ("XPCC", "新疆生产建设兵团教育局", "兵团教育局")

# 计划单列市 (sub-provincial cities with separate planning status) under their provinces.
PLAN_CITIES = [
    ("210200", "大连市", "210000"), ("370200", "青岛市", "370000"), ("330200", "宁波市", "330000"),
    ("350200", "厦门市", "350000"), ("440300", "深圳市", "440000"),
]

BEIJING_DISTRICTS = [
    ("110101", "东城区"), ("110102", "西城区"), ("110105", "朝阳区"), ("110106", "丰台区"),
    ("110107", "石景山区"), ("110108", "海淀区"), ("110109", "门头沟区"), ("110111", "房山区"),
    ("110112", "通州区"), ("110113", "顺义区"), ("110114", "昌平区"), ("110115", "大兴区"),
    ("110116", "怀柔区"), ("110117", "平谷区"), ("110118", "密云区"), ("110119", "延庆区"),
]
SHANGHAI_DISTRICTS = [
    ("310101", "黄浦区"), ("310104", "徐汇区"), ("310105", "长宁区"), ("310106", "静安区"),
    ("310107", "普陀区"), ("310109", "虹口区"), ("310110", "杨浦区"), ("310112", "闵行区"),
    ("310113", "宝山区"), ("310114", "嘉定区"), ("310115", "浦东新区"), ("310116", "金山区"),
    ("310117", "松江区"), ("310118", "青浦区"), ("310120", "奉贤区"), ("310151", "崇明区"),
]
# Real schools in those districts; their codes here are illustrative.
SCHOOLS = [
    ("S110101001", "北京市第二中学", "110101"), ("S110102001", "北京市第四中学", "110102"),
    ("S110102002", "北京师范大学附属实验中学", "110102"), ("S110105001", "北京市第八十中学", "110105"),
    ("S110108001", "中国人民大学附属中学", "110108"), ("S110108002", "清华大学附属中学", "110108"),
    ("S110108003", "北京大学附属中学", "110108"), ("S310101001", "上海市格致中学", "310101"),
    ("S310104001", "上海市上海中学", "310104"), ("S310110001", "复旦大学附属中学", "310110"),
    ("S310115001", "华东师范大学第二附属中学", "310115"), ("S310106001", "上海市市西中学", "310106"),
]

UNIVERSITIES = [
    ("4111010001", "北京大学"), ("4111010003", "清华大学"), ("4111010002", "中国人民大学"),
    ("4111010027", "北京师范大学"), ("4131010246", "复旦大学"), ("4131010248", "上海交通大学"),
    ("4131010247", "同济大学"), ("4131010269", "华东师范大学"), ("4132010284", "南京大学"),
    ("4133010335", "浙江大学"), ("4142010486", "武汉大学"), ("4144010558", "中山大学"),
]

CENTRAL_WEST = ["140000", "340000", "360000", "410000", "420000", "430000", "150000", "450000",
                "500000", "510000", "520000", "530000", "540000", "610000", "620000", "630000",
                "640000", "650000", "XPCC"]

GROUPS = [
    ("BSGX", "部属高校", "教育部直属高等学校。", [code for code, _n in UNIVERSITIES]),
    ("JHDLS", "计划单列市", "大连、青岛、宁波、厦门、深圳五个计划单列市。", [code for code, _n, _p in PLAN_CITIES]),
    ("ZXB", "中西部", "中部六省与西部十二省（区、市）及新疆生产建设兵团。", CENTRAL_WEST),
]

DEMO_PASSWORD = "luoshi-demo"
# username, display name, unit code, role (None for the superuser)
USERS = [
    ("admin", "系统管理员", None, None),
    ("ministry_planner", "部规划员", "MOE", "planner"),
    ("ministry_reviewer", "部审核员", "MOE", "reviewer"),
    ("ministry_reporter", "部填报员", "MOE", "reporter"),
    ("beijing_reporter", "北京填报员", "110000", "reporter"),
    ("beijing_reviewer", "北京审核员", "110000", "reviewer"),
    ("beijing_planner", "北京规划员", "110000", "planner"),
    ("shanghai_reporter", "上海填报员", "310000", "reporter"),
    ("shanghai_reviewer", "上海审核员", "310000", "reviewer"),
    ("shanghai_planner", "上海规划员", "310000", "planner"),
    ("auditor", "审计员", "MOE", "auditor"),
]


def unit_rows() -> list[tuple[str, str, str, str | None, str]]:
    """(code, name, type, parent code, short name) in parent-first order."""
    code, name, short, type_ = MINISTRY
    rows: list[tuple[str, str, str, str | None, str]] = [(code, name, type_, None, short)]
    rows += [(c, n, "department", code, "") for c, n in DEPARTMENTS]
    for pcode, pname in PROVINCES:
        suffix = "教育委员会" if pcode in MUNICIPALITIES else "教育厅"
        rows.append((pcode, f"{pname}{suffix}", "province", code, pname))
    rows.append((XPCC[0], XPCC[1], "province", code, XPCC[2]))
    rows += [(c, f"{n}教育局", "city", p, n) for c, n, p in PLAN_CITIES]
    rows += [(c, f"北京市{n}教育委员会", "county", "110000", n) for c, n in BEIJING_DISTRICTS]
    rows += [(c, f"上海市{n}教育局", "county", "310000", n) for c, n in SHANGHAI_DISTRICTS]
    rows += [(c, n, "school", p, "") for c, n, p in SCHOOLS]
    rows += [(c, n, "university", code, "") for c, n in UNIVERSITIES]
    return rows


def load(actor) -> dict[str, int]:
    """Create or bring up to date the demo units, groups, users and memberships (idempotent)."""
    from django.contrib.auth import get_user_model

    from luoshi.accounts import services as account_services
    from luoshi.orgs import services
    from luoshi.orgs.models import Membership, OrgGroup, OrgUnit

    units = {u.code: u for u in OrgUnit.objects.all()}
    created = 0
    for code, name, type_, parent_code, short in unit_rows():
        parent = units.get(parent_code) if parent_code else None
        unit = units.get(code)
        if unit is None:
            units[code] = services.create_unit(actor, code=code, name=name, type=type_, parent=parent, short_name=short)
            created += 1
        elif (unit.name, unit.type, unit.parent_id, unit.short_name) != (name, type_, getattr(parent, "pk", None), short):
            services.update_unit(actor, unit, {"name": name, "type": type_, "parent": parent, "short_name": short})
    for code, name, description, members in GROUPS:
        member_units = [units[c] for c in members]
        group = OrgGroup.objects.filter(code=code).first()
        if group is None:
            services.create_group(actor, code=code, name=name, owner=units["MOE"], description=description, members=member_units)
        else:
            services.update_group(actor, group, {"name": name, "description": description, "members": member_units})
    User = get_user_model()
    for username, display, unit_code, role in USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = account_services.create_user(actor, username=username, password=DEMO_PASSWORD,
                                                display_name=display, is_superuser=role is None)
        if role and not Membership.objects.filter(user=user, unit=units[unit_code], role=role).exists():
            services.add_membership(actor, user=user, unit=units[unit_code], role=role, covers_below=True)
    return {"units": len(units), "created": created}
