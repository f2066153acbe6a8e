"""The indicator pages through the test client: what each user sees, the grid's save, check and
submit, approval order on the page, import with a dry run, templates and the plan-item panel.

Definitions are the demo's (``indicators.demo.define``); pages are asserted in English.
"""

from __future__ import annotations

import csv
import io

import pytest

from luoshi.indicators import demo, services
from luoshi.indicators.models import Approval, DataSet, DataValue, Indicator

PERIOD = "2024"


@pytest.fixture
def defined(world):
    demo.define(world.user("admin"))
    return DataSet.objects.get(code="DS_LOCAL")


def grid_post(values: dict[str, str], comments: dict[str, str] | None = None, action: str = "save") -> dict:
    """Form data of the grid: ``values`` keyed by indicator code or ``CODE-CATEGORY``."""
    data = {"action": action}
    for key, value in values.items():
        data[f"v_{cell_key(key)}"] = value
    for key, comment in (comments or {}).items():
        data[f"c_{cell_key(key)}"] = comment
    return data


def cell_key(key: str) -> str:
    from luoshi.indicators.models import Category

    code, _, category = key.partition("-")
    ind = Indicator.objects.get(code=code)
    if not category:
        return str(ind.pk)
    cat = Category.objects.get(category_set=ind.category_set, code=category)
    return f"{ind.pk}-{cat.pk}"


GOOD = {"GER_HS": "93.5", "GER_PRE": "91.2", "RET_9Y": "96.4", "KG_CHILDREN-URBAN": "300000", "KG_CHILDREN-TOWN": "80000",
        "KG_CHILDREN-RURAL": "20000", "PRI_STUDENTS": "1000000", "PRI_TEACHERS": "62500"}


def entry_url(unit: str = "110000", period: str = PERIOD) -> str:
    return f"/indicators/datasets/DS_LOCAL/{unit}/{period}/"


def test_the_lists_and_the_indicator_page_render_for_a_province(defined, login):
    client = login("beijing_reporter")
    page = client.get("/indicators/")
    assert page.status_code == 200
    assert "学前教育毛入园率" in page.content.decode()
    detail = client.get("/indicators/GER_PRE/")
    body = detail.content.decode()
    assert detail.status_code == 200 and "88.1%" in body and "2021" in body  # the baseline
    assert "98.0" in body  # 北京's own (illustrative) 2035 target is in its sight
    assert client.get("/indicators/STR_HS/").content.decode().count("HS_ENROL / HS_TEACHERS") >= 1
    assert client.get("/indicators/datasets/").status_code == 200
    status = client.get("/indicators/datasets/DS_LOCAL/").content.decode()
    assert "status-row-110000" in status and "status-row-110101" in status
    assert "status-row-310000" not in status  # 上海 is out of 北京's scope
    assert client.get("/indicators/NO_SUCH/").status_code == 404


def test_out_of_scope_grids_are_404(defined, login):
    client = login("beijing_reporter")
    assert client.get(entry_url("310000")).status_code == 404
    assert client.get(entry_url("110000", "2024-Q1")).status_code == 404  # not a period of a yearly data set
    assert client.get(entry_url("MOE-JCJYS")).status_code == 404  # a department does not report this data set


def test_saving_keeps_values_and_the_check_writes_nothing(defined, login):
    client = login("beijing_reporter")
    checked = client.post(entry_url() + "check/", grid_post(GOOD | {"PRI_TEACHERS": "40000"}))
    assert checked.status_code == 200
    answer = checked.json()
    assert answer["warnings"] >= 2 and answer["errors"] == 0  # the ratio rule, on both of its indicators
    assert answer["totals"][str(Indicator.objects.get(code="KG_CHILDREN").pk)] == "400000"
    assert not DataValue.objects.filter(unit__code="110000", period=PERIOD).exists()
    assert not Approval.objects.filter(unit__code="110000", period=PERIOD).exists()

    bad = client.post(entry_url() + "check/", grid_post(GOOD | {"GER_PRE": "abc"})).json()
    assert bad["errors"] == 1 and str(Indicator.objects.get(code="GER_PRE").pk) in bad["cells"]

    saved = client.post(entry_url(), grid_post(GOOD))
    assert saved.status_code == 302
    assert DataValue.objects.filter(unit__code="110000", period=PERIOD).count() == 8
    assert Approval.objects.get(unit__code="110000", period=PERIOD).state == "draft"
    page = client.get(entry_url()).content.decode()
    assert 'data-state="draft"' in page and 'value="1000000"' in page


def test_an_error_saves_nothing_and_is_shown_beside_the_cell(defined, login):
    client = login("beijing_reporter")
    response = client.post(entry_url(), grid_post(GOOD | {"PRI_TEACHERS": "2000000"}))  # more teachers than pupils
    assert response.status_code == 200
    assert not DataValue.objects.filter(unit__code="110000", period=PERIOD).exists()
    body = response.content.decode()
    assert "eg-error" in body and 'value="2000000"' in body  # what was typed is shown again


def test_submit_needs_comments_on_warnings_then_locks(defined, login):
    client = login("beijing_reporter")
    values = GOOD | {"PRI_TEACHERS": "40000"}
    client.post(entry_url(), grid_post(values, action="submit"))
    assert Approval.objects.get(unit__code="110000", period=PERIOD).state == "draft"  # saved, not submitted
    comments = {"PRI_STUDENTS": "新校开办，已核实。", "PRI_TEACHERS": "新校开办，已核实。"}
    client.post(entry_url(), grid_post(values, comments, action="submit"))
    assert Approval.objects.get(unit__code="110000", period=PERIOD).state == "submitted"
    page = client.get(entry_url()).content.decode()
    assert "data-cell=" not in page  # locked: no inputs
    assert client.post(entry_url(), grid_post(values, comments)).status_code == 403


def test_a_province_waits_for_its_districts(defined, login, world):
    reporter = world.user("beijing_reporter")
    services.save_values(reporter, dataset=defined, unit=world.unit("110000"), period=PERIOD,
                         entries=[services.Entry(c, v, "", None) for c, v in GOOD.items() if "-" not in c])
    services.submit(reporter, dataset=defined, unit=world.unit("110000"), period=PERIOD)
    client = login("ministry_reviewer")
    queue = client.get("/indicators/reviews/").content.decode()
    assert "北京" in queue and PERIOD in queue
    page = client.get(entry_url()).content.decode()
    assert 'data-testid="missing-below"' in page and "东城区" in page
    response = client.post(entry_url() + "approve/", {"next": entry_url()}, follow=True)
    assert "东城区" in response.content.decode()
    assert Approval.objects.get(unit__code="110000", period=PERIOD).state == "submitted"
    # 北京's reviewer may not approve 北京's own data: that is for the ministry.
    assert login("beijing_reviewer").post(entry_url() + "approve/").status_code == 302
    assert Approval.objects.get(unit__code="110000", period=PERIOD).state == "submitted"


def test_returning_needs_a_reason(defined, login, world):
    reporter = world.user("beijing_reporter")
    services.save_values(reporter, dataset=defined, unit=world.unit("110000"), period=PERIOD,
                         entries=[services.Entry(c, v, "", None) for c, v in GOOD.items() if "-" not in c])
    services.submit(reporter, dataset=defined, unit=world.unit("110000"), period=PERIOD)
    client = login("ministry_reviewer")
    assert client.post(entry_url() + "return/", {"reason": ""}).status_code == 200
    assert Approval.objects.get(unit__code="110000", period=PERIOD).state == "submitted"
    client.post(entry_url() + "return/", {"reason": "请核实毛入园率。"})
    approval = Approval.objects.get(unit__code="110000", period=PERIOD)
    assert approval.state == "returned" and approval.reason == "请核实毛入园率。"
    assert "请核实毛入园率。" in login("beijing_reporter").get(entry_url()).content.decode()


def test_import_checks_first_then_imports_on_confirmation(defined, login):
    client = login("beijing_reporter")
    rows = "indicator,org_unit,period,value,category,comment\nGER_PRE,110000,2024,91.5,,\nGER_PRE,310000,2024,92,,\n"
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = client.post("/indicators/datasets/DS_LOCAL/import/", {"file": SimpleUploadedFile("v.csv", rows.encode())})
    body = bad.content.decode()
    assert 'data-testid="import-errors"' in body and ">3<" in body  # row 3: 上海 is out of scope
    assert not DataValue.objects.exists()
    good = rows.splitlines()[:2]
    checked = client.post("/indicators/datasets/DS_LOCAL/import/",
                          {"file": SimpleUploadedFile("v.csv", ("\n".join(good) + "\n").encode())})
    body = checked.content.decode()
    assert 'data-testid="confirm-import"' in body and not DataValue.objects.exists()  # a dry run
    token = checked.context["token"]
    done = client.post("/indicators/datasets/DS_LOCAL/import/", {"confirm": "1", "token": token})
    assert done.status_code == 302
    assert DataValue.objects.get(indicator__code="GER_PRE", unit__code="110000", period="2024").value == 91.5
    assert client.post("/indicators/datasets/DS_LOCAL/import/", {"confirm": "1", "token": token}).status_code == 302
    assert DataValue.objects.count() == 1


def test_the_template_lists_every_value_to_report(defined, login, world):
    client = login("beijing_reporter")
    response = client.get("/indicators/datasets/DS_LOCAL/template/",
                          {"unit": world.unit("110101").pk, "period": "2024", "format": "csv"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["indicator", "org_unit", "period", "value", "category", "comment"]
    keys = {(r[0], r[4]) for r in rows[1:]}
    # A district reports the counts (KG_CHILDREN per category), not the provincial rates.
    assert ("KG_CHILDREN", "RURAL") in keys and ("PRI_STUDENTS", "") in keys and not any(k[0] == "GER_PRE" for k in keys)
    assert client.get("/indicators/datasets/DS_LOCAL/template/",
                      {"unit": world.unit("310000").pk, "format": "csv"}).status_code == 404


def test_the_quality_list_and_follow_up_mark(defined, login, world):
    reporter = world.user("beijing_reporter")
    services.save_values(reporter, dataset=defined, unit=world.unit("110000"), period=PERIOD,
                         entries=[services.Entry("PRI_STUDENTS", "1000000", "核实", None),
                                  services.Entry("PRI_TEACHERS", "40000", "核实", None)])
    value = DataValue.objects.get(indicator__code="PRI_STUDENTS", unit__code="110000")
    reviewer = login("beijing_reviewer")
    page = reviewer.get("/indicators/quality/").content.decode()
    assert "R_PRI_RATIO" in page and f"follow-up-{value.pk}" in page
    reviewer.post(f"/indicators/values/{value.pk}/follow-up/", {"follow_up": "0"})
    assert DataValue.objects.get(pk=value.pk).follow_up is False
    assert login("shanghai_reviewer").post(f"/indicators/values/{value.pk}/follow-up/", {"follow_up": "1"}).status_code == 404


def test_a_plan_item_shows_its_indicators(defined, login, world):
    from luoshi.plans.tests.conftest import build_small_plan

    small = build_small_plan(world)
    indicator = Indicator.objects.get(code="GER_PRE")
    services.set_indicator_items(world.user("ministry_planner"), indicator, [small.beijing])
    services.save_values(world.user("beijing_reporter"), dataset=defined, unit=world.unit("110000"), period="2024",
                         entries=[services.Entry("GER_PRE", "91.2", "", None)])
    page = login("beijing_reporter").get(f"/plans/{small.plan.pk}/items/{small.beijing.pk}/").content.decode()
    assert 'data-testid="item-indicators"' in page and "91.2%" in page and "2027" in page  # 北京's next target
    assert "GER_PRE" in login("beijing_reporter").get("/indicators/GER_PRE/").content.decode()


def test_a_unit_that_only_approves_has_no_grid(defined, login):
    page = login("ministry_reporter").get(entry_url("MOE")).content.decode()
    assert 'data-testid="approver-only"' in page and "data-cell=" not in page


def test_the_xlsx_template_opens(defined, login, world):
    from openpyxl import load_workbook

    response = login("beijing_reporter").get("/indicators/datasets/DS_LOCAL/template/",
                                             {"unit": world.unit("110000").pk, "period": "2024", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("indicator", "org_unit", "period", "value")
    assert ("GER_PRE", "110000", "2024") in {r[:3] for r in rows[1:]}


def test_redirects_stay_on_the_site(defined, login, world):
    services.save_values(world.user("beijing_reporter"), dataset=defined, unit=world.unit("110000"), period=PERIOD,
                         entries=[services.Entry("PRI_STUDENTS", "1000000", "核实", None),
                                  services.Entry("PRI_TEACHERS", "40000", "核实", None)])
    value = DataValue.objects.get(indicator__code="PRI_STUDENTS", unit__code="110000")
    client = login("beijing_reviewer")
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example/"):
        response = client.post(f"/indicators/values/{value.pk}/follow-up/", {"follow_up": "0", "next": target})
        assert response["Location"] == "/indicators/quality/", target


def test_approve_then_unapprove_with_a_reason(defined, login, world):
    district = world.unit("310101")
    reporter = world.user("shanghai_reporter")
    services.save_values(reporter, dataset=defined, unit=district, period=PERIOD,
                         entries=[services.Entry("PRI_STUDENTS", "200000", "", None),
                                  services.Entry("PRI_TEACHERS", "14000", "", None)])
    services.submit(reporter, dataset=defined, unit=district, period=PERIOD)
    client = login("shanghai_reviewer")
    url = entry_url("310101")
    assert 'data-testid="approve"' in client.get(url).content.decode()
    client.post(url + "approve/", {"next": url})
    assert Approval.objects.get(unit=district, period=PERIOD).state == "approved"
    assert 'data-testid="unapprove"' in client.get(url).content.decode()
    assert client.post(url + "unapprove/", {"reason": ""}).status_code == 200  # a reason is required
    client.post(url + "unapprove/", {"reason": "教师数口径有误，需重新核对。"})
    approval = Approval.objects.get(unit=district, period=PERIOD)
    assert approval.state == "submitted" and approval.reason == "教师数口径有误，需重新核对。"
