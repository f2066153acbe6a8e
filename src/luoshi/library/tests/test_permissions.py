"""Permission battery for solutions, their files and adoptions, and the policy registry (see
``luoshi.core.testing.battery``).

Objects live in the district 110101 东城区 (310101 黄浦区 for the out-of-scope counterpart):

* a solution is a draft owned by the district, with the district as its source unit;
* an attachment is a PDF on such a solution;
* an adoption is the district's school adopting a solution the district recommended;
* a policy document is a draft (drafting) registered by the district.

北京's planner writes solutions and policies; 北京's reporter reads them (wrong role for writes) and
records adoptions, where 北京's reviewer is the wrong role. The 上海 user of the same role is out of
scope: drafts are not shared. (What is shared — solutions promoted nationally, issued policies —
is tested in ``test_services.py``.)
"""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from luoshi.core import authz
from luoshi.core.testing.battery import Action, Http, ModelSpec, generate
from luoshi.library import queries, services
from luoshi.library.models import Adoption, Attachment, PolicyDocument, Solution
from luoshi.library.queries import PolicyFilters, SolutionFilters
from luoshi.library.tests import factories
from luoshi.orgs.models import OrgUnit

NEW_TITLE = "测试标题已修改"
FILE_NAME = "案例材料.pdf"


def _html(response) -> str:
    return response.content.decode()


def _links_to(path):
    return lambda c, r: f'href="{path(c)}"' in _html(r)


def _api_lists(c, r) -> bool:
    return any(row["id"] == c.pk for row in r.json()["items"])


def _xlsx_has(text):
    def shows(c, r) -> bool:
        ws = load_workbook(io.BytesIO(r.content), read_only=True).worksheets[0]
        return any(text(c) in str(cell) for row in ws.iter_rows(values_only=True) for cell in row if cell)
    return shows


def _unit(world, district):
    return OrgUnit.objects.get(pk=district.pk)


def _school(district) -> OrgUnit:
    return OrgUnit.objects.filter(parent=district, type="school").order_by("code").first()


def _upload():
    return SimpleUploadedFile(FILE_NAME, b"%PDF-1.4 case study", content_type="application/pdf")


# Solutions ------------------------------------------------------------------------------------

def make_solution(world, district) -> Solution:
    return factories.solution(world, district, title=f"测试方案{factories.tag()}")


def make_recommended(world, district) -> Solution:
    return factories.solution(world, district, status="recommended", title=f"测试方案{factories.tag()}")


def make_with_file(world, district) -> Solution:
    solution = make_solution(world, district)
    services.add_attachment(world.admin, solution, _upload())
    return solution


def _page(c) -> str:
    return f"/library/solutions/{c.pk}/"


def _new_title(c) -> str:
    return f"新方案{c.new_code}"


def _new_solution_exists(c) -> bool:
    return Solution.objects.filter(title=_new_title(c), unit=c.obj).exists()


def _solution_form(c) -> dict:
    s = c.obj
    return {"title": NEW_TITLE, "problem": s.problem, "approach": s.approach, "tags": "课后服务",
            "source_units": [u.pk for u in s.source_units.all()], "version": s.version}


def _status_is(status):
    return lambda c: c.refresh().status == status


def _file_of(c) -> Attachment:
    if not hasattr(c, "attachment"):
        c.attachment = Attachment.objects.get(solution_id=c.pk)
    return c.attachment


SOLUTION = ModelSpec(
    model=Solution,
    make=make_solution,
    in_scope="beijing_planner",
    wrong_role="beijing_reporter",
    out_of_scope="shanghai_planner",
    actions=(
        Action(
            "list", listing=True,
            ui=Http("get", lambda c: "/library/solutions/", data=lambda c: {"q": c.obj.title}, shows=_links_to(_page)),
            api=Http("get", lambda c: "/api/v1/solutions", data=lambda c: {"q": c.obj.title}, shows=_api_lists),
            service=lambda user, c: queries.solutions(user, SolutionFilters(q=c.obj.title)),
        ),
        Action(
            "export", listing=True,
            ui=Http("get", lambda c: "/library/solutions/export.xlsx", data=lambda c: {"q": c.obj.title},
                    shows=_xlsx_has(lambda c: c.obj.title)),
        ),
        Action(
            "detail",
            ui=Http("get", _page),
            api=Http("get", lambda c: f"/api/v1/solutions/{c.pk}"),
            service=lambda user, c: authz.get_or_404(user, Solution, pk=c.pk),
        ),
        Action("similar", api=Http("get", lambda c: f"/api/v1/solutions/{c.pk}/similar"),
               service=lambda user, c: queries.similar(user, authz.get_or_404(user, Solution, pk=c.pk))),
        Action(
            "add", permission="add", target=_unit, audit="create", effect=_new_solution_exists,
            ui=Http("post", lambda c: "/library/solutions/new/", ok=302,
                    data=lambda c: {"title": _new_title(c), "unit": c.obj.pk, "problem": "问题", "approach": "做法", "tags": ""}),
            api=Http("post", lambda c: "/api/v1/solutions", ok=201, json=True,
                     data=lambda c: {"title": _new_title(c), "unit": c.obj.code, "problem": "问题", "approach": "做法"}),
            service=lambda user, c: services.create_solution(user, unit=c.obj, title=_new_title(c), problem="问题", approach="做法"),
            expect={("ui", "out_of_scope"): 200},
        ),
        Action(
            "change", permission="change", audit="update", effect=lambda c: c.refresh().title == NEW_TITLE,
            ui=Http("post", lambda c: f"/library/solutions/{c.pk}/edit/", ok=302, data=_solution_form),
            api=Http("patch", lambda c: f"/api/v1/solutions/{c.pk}", json=True,
                     data=lambda c: {"title": NEW_TITLE, "version": c.obj.version}),
            service=lambda user, c: services.update_solution(user, c.obj, {"title": NEW_TITLE}),
        ),
        Action(
            "add_file", permission="change", audit="create", audit_model=Attachment,
            effect=lambda c: Attachment.objects.filter(solution_id=c.pk, name=FILE_NAME).exists(),
            ui=Http("post", lambda c: f"/library/solutions/{c.pk}/files/", ok=302, data=lambda c: {"file": _upload()}),
            service=lambda user, c: services.add_attachment(user, c.obj, _upload()),
        ),
        Action(
            "remove_file", permission="change", target=make_with_file, audit="delete", audit_model=Attachment,
            effect=lambda c: not Attachment.objects.filter(solution_id=c.pk).exists(), prepare=_file_of,
            ui=Http("post", lambda c: f"/library/files/{_file_of(c).pk}/delete/", ok=302),
            service=lambda user, c: services.remove_attachment(user, _file_of(c)),
        ),
        Action(
            "recommend", permission="publish", audit="update", verb="recommend", effect=_status_is("recommended"),
            ui=Http("post", lambda c: f"/library/solutions/{c.pk}/status/", ok=302, data=lambda c: {"action": "recommend"}),
            api=Http("post", lambda c: f"/api/v1/solutions/{c.pk}/status", json=True, data=lambda c: {"action": "recommend"}),
            service=lambda user, c: services.set_solution_status(user, c.obj, "recommend"),
        ),
        Action(
            # Only a publishing grant at the top of the tree promotes nationally (the ministry's planner).
            "promote", permission="publish", target=make_recommended, audit="update", verb="promote",
            effect=_status_is("national"), in_scope="ministry_planner",
            # Promoting nationally is the ministry's: anchored at the root unit.
            shapes_na={"above": "anchored at the root unit (the ministry), which has no unit above it",
                       "above_not_covering": "anchored at the root unit (the ministry), which has no unit above it"},
            ui=Http("post", lambda c: f"/library/solutions/{c.pk}/status/", ok=302, data=lambda c: {"action": "promote"}),
            api=Http("post", lambda c: f"/api/v1/solutions/{c.pk}/status", json=True, data=lambda c: {"action": "promote"}),
            service=lambda user, c: services.set_solution_status(user, c.obj, "promote"),
        ),
        Action(
            "delete", permission="delete", audit="delete", effect=lambda c: c.refresh() is None,
            ui=Http("post", lambda c: f"/library/solutions/{c.pk}/delete/", ok=302),
            api=Http("delete", lambda c: f"/api/v1/solutions/{c.pk}", ok=204),
            service=lambda user, c: services.delete_solution(user, c.obj),
        ),
    ),
)


# Attachments ----------------------------------------------------------------------------------

def make_attachment(world, district) -> Attachment:
    return services.add_attachment(world.admin, make_solution(world, district), _upload())


ATTACHMENT = ModelSpec(
    model=Attachment,
    make=make_attachment,
    in_scope="beijing_reporter",
    out_of_scope="shanghai_reporter",
    actions=(
        Action("download", ui=Http("get", lambda c: f"/library/files/{c.pk}/"),
               service=lambda user, c: authz.get_or_404(user, Attachment, pk=c.pk)),
        Action("listed", listing=True, service=lambda user, c: queries.attachments(user, c.obj.solution)),
    ),
)


# Adoptions ------------------------------------------------------------------------------------

def make_adoption(world, district) -> Adoption:
    solution = make_recommended(world, district)
    return services.adopt(world.admin, solution, _school(district), status="underway", progress="已启动")


def _adoption_target(world, district) -> OrgUnit:
    return _school(district)


def _prepare_solution(c) -> Solution:
    if not hasattr(c, "solution"):
        district = c.obj.parent
        c.solution = make_recommended(c.world, district)
    return c.solution


def _adopted(c) -> bool:
    return hasattr(c, "solution") and Adoption.objects.filter(solution=c.solution, unit=c.obj).exists()


def _adoption_form(c) -> dict:
    a = c.obj
    return {"status": a.status, "progress": NEW_TITLE, "results": "", "adapted": "", "version": a.version}


ADOPTION = ModelSpec(
    model=Adoption,
    make=make_adoption,
    in_scope="beijing_reporter",
    wrong_role="beijing_reviewer",
    out_of_scope="shanghai_reporter",
    actions=(
        Action(
            "list", listing=True,
            api=Http("get", lambda c: f"/api/v1/solutions/{c.obj.solution_id}/adoptions", shows=_api_lists,
                     out_of_scope_status=404),
            service=lambda user, c: queries.adoptions_in_scope(user, c.obj.solution),
        ),
        Action(
            # "My adoptions" is a work list of the adoptions one may update: for a role that may
            # not, it is empty rather than forbidden.
            "my_adoptions", permission="change", listing=True,
            ui=Http("get", lambda c: "/library/adoptions/", shows=_links_to(lambda c: f"/library/adoptions/{c.pk}/")),
            service=lambda user, c: queries.my_adoptions(user),
            expect={("ui", "wrong_role"): 200},
        ),
        Action("detail", api=Http("get", lambda c: f"/api/v1/adoptions/{c.pk}"),
               service=lambda user, c: authz.get_or_404(user, Adoption, pk=c.pk)),
        Action(
            "add", permission="add", target=_adoption_target, audit="create", effect=_adopted, prepare=_prepare_solution,
            ui=Http("post", lambda c: f"/library/solutions/{_prepare_solution(c).pk}/adopt/", ok=302,
                    data=lambda c: {"unit": c.obj.pk, "status": "planned"}),
            api=Http("post", lambda c: f"/api/v1/solutions/{_prepare_solution(c).pk}/adoptions", ok=201, json=True,
                     data=lambda c: {"unit": c.obj.code}),
            service=lambda user, c: services.adopt(user, _prepare_solution(c), c.obj),
        ),
        Action(
            "change", permission="change", audit="update", effect=lambda c: c.refresh().progress == NEW_TITLE,
            ui=Http("post", lambda c: f"/library/adoptions/{c.pk}/", ok=302, data=_adoption_form),
            api=Http("patch", lambda c: f"/api/v1/adoptions/{c.pk}", json=True,
                     data=lambda c: {"progress": NEW_TITLE, "version": c.obj.version}),
            service=lambda user, c: services.update_adoption(user, c.obj, {"progress": NEW_TITLE}),
        ),
        Action(
            "delete", permission="delete", audit="delete", effect=lambda c: c.refresh() is None,
            in_scope="beijing_planner", wrong_role="beijing_reporter", out_of_scope="shanghai_planner",
            api=Http("delete", lambda c: f"/api/v1/adoptions/{c.pk}", ok=204),
            service=lambda user, c: services.delete_adoption(user, c.obj),
        ),
    ),
)


# Policy documents -----------------------------------------------------------------------------

def make_policy(world, district) -> PolicyDocument:
    return factories.policy(world, district, title=f"测试文件{factories.tag()}")


def _policy_page(c) -> str:
    return f"/library/policies/{c.pk}/"


def _new_policy_exists(c) -> bool:
    return PolicyDocument.objects.filter(title=_new_title(c), unit=c.obj).exists()


POLICY_DOC = ModelSpec(
    model=PolicyDocument,
    make=make_policy,
    in_scope="beijing_planner",
    wrong_role="beijing_reporter",
    out_of_scope="shanghai_planner",
    actions=(
        Action(
            "list", listing=True,
            ui=Http("get", lambda c: "/library/policies/", data=lambda c: {"q": c.obj.title}, shows=_links_to(_policy_page)),
            api=Http("get", lambda c: "/api/v1/policies", data=lambda c: {"q": c.obj.title}, shows=_api_lists),
            service=lambda user, c: queries.policies(user, PolicyFilters(q=c.obj.title)),
        ),
        Action(
            "export", listing=True,
            ui=Http("get", lambda c: "/library/policies/export.xlsx", data=lambda c: {"q": c.obj.title},
                    shows=_xlsx_has(lambda c: c.obj.title)),
        ),
        Action(
            "detail",
            ui=Http("get", _policy_page),
            api=Http("get", lambda c: f"/api/v1/policies/{c.pk}"),
            service=lambda user, c: authz.get_or_404(user, PolicyDocument, pk=c.pk),
        ),
        Action(
            "add", permission="add", target=_unit, audit="create", effect=_new_policy_exists,
            ui=Http("post", lambda c: "/library/policies/new/", ok=302,
                    data=lambda c: {"title": _new_title(c), "unit": c.obj.pk, "status": "drafting"}),
            api=Http("post", lambda c: "/api/v1/policies", ok=201, json=True,
                     data=lambda c: {"title": _new_title(c), "unit": c.obj.code}),
            service=lambda user, c: services.create_policy(user, unit=c.obj, title=_new_title(c)),
            expect={("ui", "out_of_scope"): 200},
        ),
        Action(
            "change", permission="change", audit="update", effect=lambda c: c.refresh().title == NEW_TITLE,
            ui=Http("post", lambda c: f"/library/policies/{c.pk}/edit/", ok=302,
                    data=lambda c: {"title": NEW_TITLE, "version": c.obj.version}),
            api=Http("patch", lambda c: f"/api/v1/policies/{c.pk}", json=True,
                     data=lambda c: {"title": NEW_TITLE, "version": c.obj.version}),
            service=lambda user, c: services.update_policy(user, c.obj, {"title": NEW_TITLE}),
        ),
        Action(
            "issue", permission="publish", audit="update", verb="issue", effect=_status_is("issued"),
            ui=Http("post", lambda c: f"/library/policies/{c.pk}/status/", ok=302, data=lambda c: {"action": "issue"}),
            api=Http("post", lambda c: f"/api/v1/policies/{c.pk}/status", json=True, data=lambda c: {"action": "issue"}),
            service=lambda user, c: services.set_policy_status(user, c.obj, "issue"),
        ),
        Action(
            "delete", permission="delete", audit="delete", effect=lambda c: c.refresh() is None,
            ui=Http("post", lambda c: f"/library/policies/{c.pk}/delete/", ok=302),
            api=Http("delete", lambda c: f"/api/v1/policies/{c.pk}", ok=204),
            service=lambda user, c: services.delete_policy(user, c.obj),
        ),
    ),
)

SPECS = [SOLUTION, ATTACHMENT, ADOPTION, POLICY_DOC]
test_permissions = generate(SPECS)
