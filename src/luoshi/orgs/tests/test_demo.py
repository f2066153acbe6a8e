"""The demo organisation: the real structure, loaded the same way however often it runs."""

from __future__ import annotations

import sqlite3

import pytest

from luoshi.orgs import demo
from luoshi.orgs.models import Membership, OrgGroup, OrgUnit

PROVINCES = {
    "11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区", "21": "辽宁省",
    "22": "吉林省", "23": "黑龙江省", "31": "上海市", "32": "江苏省", "33": "浙江省", "34": "安徽省",
    "35": "福建省", "36": "江西省", "37": "山东省", "41": "河南省", "42": "湖北省", "43": "湖南省",
    "44": "广东省", "45": "广西壮族自治区", "46": "海南省", "50": "重庆市", "51": "四川省", "52": "贵州省",
    "53": "云南省", "54": "西藏自治区", "61": "陕西省", "62": "甘肃省", "63": "青海省", "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区",
}
TABLES = {"units": "orgs_orgunit", "users": "auth_user", "memberships": "orgs_membership",
          "groups": "orgs_orggroup", "audit records": "audit_auditrecord"}


def counts(db_file) -> dict[str, int]:
    with sqlite3.connect(db_file) as db:
        return {name: db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for name, table in TABLES.items()}


@pytest.mark.timeout(1500)  # two full demo loads in subprocesses, each allowed 600 s
def test_it_loads_the_same_demo_twice_without_changing_anything(run_luoshi, tmp_path):
    first = run_luoshi("demo", "--no-serve", timeout=600)  # a shared CI machine can be slow
    assert first.returncode == 0, first.stderr
    assert "Demo data ready" in first.stdout and "luoshi-demo" in first.stdout
    after_first = counts(tmp_path / "luoshi.sqlite3")
    assert after_first["units"] == len(demo.unit_rows()) and after_first["audit records"] > after_first["units"]
    second = run_luoshi("demo", "--no-serve", timeout=600)
    assert second.returncode == 0, second.stderr
    assert counts(tmp_path / "luoshi.sqlite3") == after_first


pytestmark_db = pytest.mark.django_db


@pytestmark_db
def test_it_has_all_31_provinces_with_their_gb2260_codes(world):
    provinces = {u.code: u for u in OrgUnit.objects.filter(type="province").exclude(code="XPCC")}
    assert {code[:2] for code in provinces} == set(PROVINCES) and len(provinces) == 31
    for code, unit in provinces.items():
        assert code == code[:2] + "0000"
        assert unit.short_name == PROVINCES[code[:2]]
        assert unit.name.startswith(PROVINCES[code[:2]]) and unit.name.endswith(("教育厅", "教育委员会"))
        assert unit.parent.code == "MOE"
    assert provinces["110000"].name == "北京市教育委员会" and provinces["440000"].name == "广东省教育厅"


@pytestmark_db
def test_it_has_the_corps_education_bureau_beside_the_provinces(world):
    xpcc = OrgUnit.objects.get(name="新疆生产建设兵团教育局")
    assert xpcc.parent.code == "MOE" and xpcc.type == "province"


@pytestmark_db
def test_it_has_the_five_cities_with_separate_planning_status(world):
    cities = {u.short_name: u.parent.short_name for u in OrgUnit.objects.filter(groups__code="JHDLS")}
    assert cities == {"大连市": "辽宁省", "青岛市": "山东省", "宁波市": "浙江省", "厦门市": "福建省", "深圳市": "广东省"}
    assert OrgGroup.objects.get(code="JHDLS").name == "计划单列市"


@pytestmark_db
def test_it_has_the_districts_of_beijing_and_shanghai(world):
    for province, count, sample in [("110000", 16, ("110108", "海淀区")), ("310000", 16, ("310115", "浦东新区"))]:
        districts = OrgUnit.objects.filter(parent__code=province, type="county")
        assert districts.count() == count
        assert all(d.code[:2] == province[:2] for d in districts)
        assert districts.get(code=sample[0]).short_name == sample[1]
    assert OrgUnit.objects.get(code="S110108001").parent.code == "110108"


@pytestmark_db
def test_it_has_the_ministry_departments_and_universities(world):
    moe = OrgUnit.objects.get(code="MOE")
    assert moe.parent is None and moe.name == "中华人民共和国教育部"
    assert OrgUnit.objects.filter(parent=moe, type="department").count() == len(demo.DEPARTMENTS)
    assert set(OrgGroup.objects.get(code="BSGX").members.values_list("name", flat=True)) >= {"北京大学", "清华大学", "复旦大学"}


@pytestmark_db
def test_it_gives_every_demo_user_their_role(world):
    for username, _display, unit_code, role in demo.USERS:
        user = world.user(username)
        if role is None:
            assert user.is_superuser
        else:
            assert Membership.objects.filter(user=user, unit__code=unit_code, role=role, covers_below=True).exists()
        assert user.check_password(demo.DEMO_PASSWORD)
