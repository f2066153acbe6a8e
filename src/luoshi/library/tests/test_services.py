"""Solutions, adoption and the policy registry through their services (and the API's shapes)."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from luoshi.audit.models import AuditRecord
from luoshi.core import authz
from luoshi.core.services import EditConflict
from luoshi.library import queries, services
from luoshi.library.models import Adoption, Attachment, PolicyDocument, Solution
from luoshi.library.tests import factories


# From a pilot's review ------------------------------------------------------------------------

def test_a_promoted_review_becomes_a_draft_solution_once(world):
    from luoshi.pilots import services as pilot_services
    from luoshi.pilots.tests.conftest import make_review

    review = make_review(world, world.unit("S110101001"))
    pilot_services.decide_review(world.ministry_reviewer, review, "promote")
    solution = Solution.objects.get(source_review=review)
    assert solution.status == "draft" and solution.unit.code == "MOE"
    assert "教师时间不足" in solution.problem and "具备千兆校园网" in solution.conditions
    assert str(solution.cost) == "45.50"
    assert "S110101001" in {u.code for u in solution.source_units.all()}
    assert solution.result_label and solution.evidence  # the figures against the baseline
    record = AuditRecord.objects.get(object_id=str(solution.pk), content_type__model="solution", action="create")
    assert record.verb == "from_review" and record.actor_id == world.ministry_reviewer.pk
    again = services.create_solution_from_review(world.ministry_reviewer, review)
    assert again.pk == solution.pk and Solution.objects.filter(source_review=review).count() == 1


def test_a_review_not_promoted_does_not_become_a_solution(world):
    from luoshi.pilots.tests.conftest import make_review

    review = make_review(world, world.unit("S110101001"))
    with pytest.raises(ValidationError, match="promote"):
        services.create_solution_from_review(world.admin, review)


def test_outsiders_cannot_turn_a_review_into_a_solution(world):
    from luoshi.pilots.tests.conftest import make_review

    review = make_review(world, world.unit("S110101001"))
    with pytest.raises(Http404):
        services.create_solution_from_review(world.shanghai_planner, review)


# Status ---------------------------------------------------------------------------------------

def test_promotion_needs_the_ministry(world):
    sol = factories.solution(world, world.unit("110101"), status="recommended")
    with pytest.raises(PermissionDenied, match="ministry"):
        services.set_solution_status(world.beijing_planner, sol, "promote")
    services.set_solution_status(world.ministry_planner, sol, "promote")
    sol.refresh_from_db()
    assert sol.status == "national" and sol.promoted_at is not None


def test_illegal_transitions_are_refused_with_a_clear_message_and_change_nothing(world):
    sol = factories.solution(world, world.unit("110101"))
    before = AuditRecord.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.set_solution_status(world.admin, sol, "promote")
    assert "Cannot promote nationally" in exc.value.messages[0] and "Recommended" in exc.value.messages[0]
    assert Solution.objects.get(pk=sol.pk).status == "draft" and AuditRecord.objects.count() == before
    with pytest.raises(ValidationError, match="Unknown action"):
        services.set_solution_status(world.admin, sol, "publish")


def test_a_stale_edit_is_refused(world):
    sol = factories.solution(world, world.unit("110101"))
    services.update_solution(world.admin, sol, {"title": "第一次修改"}, expected_version=sol.version)
    with pytest.raises(EditConflict):
        services.update_solution(world.admin, sol, {"title": "第二次修改"}, expected_version=sol.version)


def test_only_drafts_without_adoptions_are_deleted(world):
    sol = factories.solution(world, world.unit("110101"), status="recommended")
    with pytest.raises(ValidationError, match="draft"):
        services.delete_solution(world.admin, sol)


# Sharing --------------------------------------------------------------------------------------

def test_a_national_solution_is_readable_by_every_signed_in_user(world, login):
    sol = factories.solution(world, world.unit("110101"))
    for username in ("shanghai_reporter", "nobody"):
        assert not authz.can(world.user(username), "view", sol)
        assert login(username).get(f"/library/solutions/{sol.pk}/").status_code == 404
    services.set_solution_status(world.admin, sol, "recommend")
    services.set_solution_status(world.admin, sol, "promote")
    sol.refresh_from_db()
    for username in ("shanghai_reporter", "nobody"):
        user = world.user(username)
        assert authz.can(user, "view", sol) and not authz.can(user, "change", sol)
        assert login(username).get(f"/library/solutions/{sol.pk}/").status_code == 200
        assert login(username).get(f"/library/solutions/{sol.pk}/edit/").status_code in (403, 404)
    assert login(None).get(f"/library/solutions/{sol.pk}/").status_code == 302


def test_an_issued_policy_is_readable_by_every_signed_in_user(world):
    draft = factories.policy(world, world.unit("110101"))
    issued = factories.policy(world, world.unit("110101"), status="issued")
    assert not authz.can(world.nobody, "view", draft)
    assert authz.can(world.nobody, "view", issued) and authz.can(world.shanghai_planner, "view", issued)
    assert not authz.can(world.shanghai_planner, "change", issued)


# Adoption -------------------------------------------------------------------------------------

def test_another_province_adopts_a_national_solution_and_adoptions_are_scoped(world):
    sol = factories.solution(world, world.unit("110101"), status="national", result_label="参与率（%）", result_value="90")
    adoption = services.adopt(world.shanghai_reporter, sol, world.unit("310101"), status="underway", result_value="85.5")
    assert adoption.unit.code == "310101"
    with pytest.raises(ValidationError, match="already adopted"):
        services.adopt(world.shanghai_reporter, sol, world.unit("310101"))
    # The adopter and the solution's owners read it; others see only the count by province.
    assert adoption in queries.adoptions_in_scope(world.shanghai_reporter, sol)
    assert adoption in queries.adoptions_in_scope(world.beijing_reporter, sol)
    assert adoption not in queries.adoptions_in_scope(world.nobody, sol)
    spread = queries.spread_by_province(sol)
    assert [(r["province"].code, r["units"], r["underway"]) for r in spread] == [("310000", 1, 1)]
    rows = queries.comparison(world.shanghai_reporter, sol)
    assert str(rows[0]["diff"]) == "-4.50"
    # 北京's reporter cannot record an adoption for a 上海 unit.
    with pytest.raises(Http404):
        services.adopt(world.beijing_reporter, sol, world.unit("310104"))


def test_drafts_and_other_provinces_recommended_solutions_cannot_be_adopted(world):
    draft = factories.solution(world, world.unit("110101"))
    with pytest.raises(ValidationError, match="draft"):
        services.adopt(world.admin, draft, world.unit("110102"))
    recommended = factories.solution(world, world.unit("110101"), status="recommended")
    with pytest.raises(Http404):
        services.adopt(world.shanghai_reporter, recommended, world.unit("310101"))
    with pytest.raises(ValidationError, match="cannot see"):
        services.adopt(world.admin, recommended, world.unit("310101"))
    assert not Adoption.objects.filter(solution__in=[draft, recommended]).exists()


def test_a_bad_result_value_names_the_field(world):
    sol = factories.solution(world, world.unit("110101"), status="national")
    with pytest.raises(ValidationError) as exc:
        services.adopt(world.shanghai_reporter, sol, world.unit("310101"), result_value="八成")
    assert "result_value" in exc.value.message_dict


# Attachments ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "content", "message"), [
    ("病毒.exe", b"MZ", "only"),
    ("假的.pdf", b"not a pdf", "does not look like"),
    ("图片.png", b"%PDF-1.4", "does not look like"),
])
def test_bad_files_are_refused_and_nothing_is_kept(world, name, content, message):
    sol = factories.solution(world, world.unit("110101"))
    with pytest.raises(ValidationError, match=message):
        services.add_attachment(world.admin, sol, SimpleUploadedFile(name, content))
    assert not Attachment.objects.filter(solution=sol).exists()


def test_large_files_are_refused(world, settings):
    settings.MAX_UPLOAD_BYTES = 10
    sol = factories.solution(world, world.unit("110101"))
    with pytest.raises(ValidationError, match="larger than"):
        services.add_attachment(world.admin, sol, SimpleUploadedFile("材料.pdf", b"%PDF-1.4 more than ten bytes"))


# Policy registry ------------------------------------------------------------------------------

def test_issuing_a_revision_marks_the_old_document_revised_and_a_repeal_repealed(world):
    unit = world.unit("110000")
    old = factories.policy(world, unit, status="issued")
    other = factories.policy(world, unit, status="issued")
    new = factories.policy(world, unit, revises=[old], repeals=[other])
    assert PolicyDocument.objects.get(pk=old.pk).status == "issued"  # still drafting: nothing changes yet
    services.set_policy_status(world.beijing_planner, new, "issue")
    assert PolicyDocument.objects.get(pk=old.pk).status == "revised"
    assert PolicyDocument.objects.get(pk=other.pk).status == "repealed"
    with pytest.raises(ValidationError, match="Cannot issue"):
        services.set_policy_status(world.beijing_planner, new, "issue")


def test_a_document_cannot_revise_itself(world):
    doc = factories.policy(world, world.unit("110000"))
    with pytest.raises(ValidationError):
        services.update_policy(world.admin, doc, {"revises": [doc]})


def test_only_drafting_documents_are_deleted(world):
    doc = factories.policy(world, world.unit("110000"), status="issued")
    with pytest.raises(ValidationError, match="repeal"):
        services.delete_policy(world.admin, doc)


def test_a_text_taken_in_through_intake_lands_in_the_registry(world):
    from luoshi.plans import services as plan_services

    parsed = {"title": "关于推进县域普通高中振兴的通知", "doc_number": "京教基〔2024〕9号", "date": "2024年3月5日",
              "clean_text": "一、总体要求\n推进县域普通高中振兴。", "items": [
                  {"marker": "一、", "title": "总体要求", "text": "推进县域普通高中振兴。", "children": []}]}
    plan = plan_services.create_plan_from_outline(world.beijing_planner, title="县域高中振兴计划", issuer=world.unit("110000"),
                                                  parsed=parsed, filename="通知.docx", start_year=2024, end_year=2025)
    doc = PolicyDocument.objects.get(source_document=plan.source)
    assert (doc.title, doc.doc_number, str(doc.issued_on), doc.status) == (
        "关于推进县域普通高中振兴的通知", "京教基〔2024〕9号", "2024-03-05", "issued")
    assert "推进县域普通高中振兴" in doc.full_text
    assert set(doc.plan_items.all()) == set(plan.items.filter(parent=None))
    found = queries.policies(world.shanghai_planner, queries.PolicyFilters(q="高中振兴"))
    assert doc.pk in [d.pk for d in found]


def test_the_migration_registers_existing_source_documents(world):
    from luoshi.plans import services as plan_services

    source = plan_services.save_source_document(world.admin, world.unit("110000"), {
        "title": "旧的来源文件", "doc_number": "京教〔2023〕2号", "date": "2023-06-01", "clean_text": "加强中小学图书馆建设。"})
    assert not PolicyDocument.objects.filter(source_document=source).exists()
    migration = importlib.import_module("luoshi.library.migrations.0003_registry_from_source_documents")
    migration.forward(apps, None)
    migration.forward(apps, None)  # running again adds nothing
    doc = PolicyDocument.objects.get(source_document=source)
    assert doc.status == "issued" and str(doc.issued_on) == "2023-06-01" and doc.full_text == "加强中小学图书馆建设。"
    assert doc.pk in [d.pk for d in queries.policies(world.admin, queries.PolicyFilters(q="图书馆"))]


# API shapes -----------------------------------------------------------------------------------

def test_the_solution_api_searches_and_carries_status_units_and_adoptions(world, api):
    sol = factories.solution(world, world.unit("110101"), status="national", title=f"家校协同育人机制{factories.tag()}")
    services.adopt(world.admin, sol, world.unit("310101"))
    body = api("shanghai_reporter").get("/api/v1/solutions", {"q": "家校协同"}).json()
    assert set(body) == {"items", "count"} and body["count"] >= 1
    row = next(r for r in body["items"] if r["id"] == sol.pk)
    assert row["status"] == "national" and row["source_units"] == ["110101"] and row["adoption_count"] == 1
    traditional = api("shanghai_reporter").get("/api/v1/solutions", {"q": "家校協同"}).json()
    assert sol.pk in [r["id"] for r in traditional["items"]]
    by_region = api("admin").get("/api/v1/solutions", {"region": "110000", "q": "家校协同"}).json()
    assert sol.pk in [r["id"] for r in by_region["items"]]
    assert api("admin").get("/api/v1/solutions", {"region": "310000", "q": "家校协同"}).json()["count"] == 0


def test_the_policy_api_lists_and_searches(world, api):
    doc = factories.policy(world, world.unit("110101"), status="issued", full_text="推动研学实践教育基地建设。")
    body = api("shanghai_reporter").get("/api/v1/policies", {"q": "研学实践"}).json()
    assert set(body) == {"items", "count"} and doc.pk in [r["id"] for r in body["items"]]
    detail = api("shanghai_reporter").get(f"/api/v1/policies/{doc.pk}").json()
    assert detail["full_text"].startswith("推动研学") and detail["doc_number"] == doc.doc_number


@pytest.mark.parametrize("searched", [False, True])
def test_a_listed_solution_carries_what_the_solution_alone_does(world, api, searched):
    """List rows are read as plain values (``queries.solution_items``), one solution as an object:
    both answers must agree, links, codes and the adoption count included."""
    from decimal import Decimal

    word = "跨省研学" + factories.tag()
    item = factories.plan_item(world, world.unit("110101"))
    sol = services.create_solution(world.admin, unit=world.unit("110101"), title=f"{word}联盟方案", problem="研学资源分散",
                                   approach="组建研学联盟", source_units=[world.unit("S110101001"), world.unit("110101")],
                                   plan_items=[item], tags=["研学", "联盟"], cost=Decimal("45.50"), result_label="参与率（%）",
                                   result_value=Decimal("87.25"))
    services.set_solution_status(world.admin, sol, "recommend")
    services.set_solution_status(world.admin, sol, "promote")
    services.adopt(world.admin, sol, world.unit("310101"))
    body = api("admin").get("/api/v1/solutions", {"q": word} if searched else {}).json()
    row = next(r for r in body["items"] if r["id"] == sol.pk)
    alone = api("admin").get(f"/api/v1/solutions/{sol.pk}").json()
    assert row == alone
    assert row["source_units"] == ["110101", "S110101001"] and row["tags"] == ["研学", "联盟"]
    assert row["plan_items"] == [item.pk] and row["adoption_count"] == 1 and row["region"] == "110000"
    assert row["unit"] == "110101" and Decimal(row["cost"]) == Decimal("45.50")


@pytest.mark.parametrize("searched", [False, True])
def test_a_listed_policy_carries_what_the_document_alone_does(world, api, searched):
    word = "校园餐" + factories.tag()
    unit = world.unit("110101")
    item = factories.plan_item(world, unit)
    sols = [factories.solution(world, unit) for _ in range(2)]
    old, older = (factories.policy(world, unit, status="issued") for _ in range(2))
    doc = factories.policy(world, unit, status="issued", full_text=f"加强{word}管理。", plan_items=[item], solutions=sols,
                           revises=[old], repeals=[older])
    body = api("admin").get("/api/v1/policies", {"q": word} if searched else {"limit": 100}).json()
    row = next(r for r in body["items"] if r["id"] == doc.pk)
    alone = api("admin").get(f"/api/v1/policies/{doc.pk}").json()
    assert alone.pop("full_text") == f"加强{word}管理。"
    assert row == alone
    assert row["solutions"] == sorted(s.pk for s in sols) and row["plan_items"] == [item.pk]
    assert row["revises"] == [old.pk] and row["repeals"] == [older.pk] and row["unit"] == "110101"


def test_bad_api_input_names_the_field(world, api):
    sol = factories.solution(world, world.unit("110101"), status="national")
    response = api("shanghai_reporter").post(f"/api/v1/solutions/{sol.pk}/status", data={"action": "promote"},
                                             content_type="application/json")
    assert response.status_code == 403
    response = api("admin").post(f"/api/v1/solutions/{sol.pk}/status", data={"action": "recommend"},
                                 content_type="application/json")
    assert response.status_code == 422 and "Cannot recommend" in response.json()["errors"]["__all__"][0]
