"""library/services.py: cases the sweep of its last 458 mutants (issue 13, session 23) showed no test
checked: who the deletion records name, and a source document registered by itself."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from luoshi.audit.models import AuditRecord
from luoshi.library import services
from luoshi.library.models import Adoption, Attachment, PolicyDocument, Solution
from luoshi.library.tests import factories


def records_of(model: str, pk: int) -> list[tuple]:
    return [(r.action, r.actor_id, r.before, r.after)
            for r in AuditRecord.objects.filter(content_type__model=model, object_id=str(pk)).order_by("id")]


def test_each_deletion_and_an_adoptions_edit_is_recorded_with_who_made_it_and_what_was_there(world):
    planner = world.beijing_planner  # a planner may delete drafts and adoptions in the units below theirs
    sol = factories.solution(world, world.unit("110101"), status="recommended")
    adoption = services.adopt(planner, sol, world.unit("S110101001"), progress="起步")
    pk = adoption.pk
    services.update_adoption(planner, adoption, {"progress": "推进中"})
    services.delete_adoption(planner, Adoption.objects.get(pk=pk))
    assert not Adoption.objects.filter(pk=pk).exists()
    (_, _, _, created), (action, actor, before, after), (gone, by, last, nothing) = records_of("adoption", pk)
    assert (action, actor, before["progress"], after["progress"]) == ("update", planner.pk, "起步", "推进中")
    assert (gone, by, last, nothing) == ("delete", planner.pk, after, None)

    draft = factories.solution(world, world.unit("110101"))
    attachment = services.add_attachment(planner, draft, SimpleUploadedFile("说明.txt", b"plain text"))
    pk = attachment.pk
    services.remove_attachment(planner, Attachment.objects.get(pk=pk))
    assert not Attachment.objects.filter(pk=pk).exists()
    assert records_of("attachment", pk)[-1] == ("delete", planner.pk, {"solution": draft.pk, "name": "说明.txt", "size": 10},
                                                None)

    pk = draft.pk
    services.delete_solution(planner, Solution.objects.get(pk=pk))
    (action, actor, before, after) = records_of("solution", pk)[-1]
    assert (action, actor, before["title"], after) == ("delete", planner.pk, draft.title, None)

    doc = factories.policy(world, world.unit("110000"))
    pk = doc.pk
    services.delete_policy(planner, PolicyDocument.objects.get(pk=pk))
    (action, actor, before, after) = records_of("policydocument", pk)[-1]
    assert (action, actor, before["title"], after) == ("delete", planner.pk, doc.title, None)


def test_a_source_document_is_registered_once_as_issued_with_its_fields_and_a_valid_web_address_only(world):
    from luoshi.plans import services as plan_services

    unit, planner = world.unit("110000"), world.beijing_planner
    factories.policy(world, unit)  # a document of the registry without a source document: never taken for one
    source = plan_services.save_source_document(planner, unit, {
        "title": "关于加强课后服务的通知", "doc_number": "京教〔2024〕3号", "date": "2024年3月1日",
        "source": "https://jw.beijing.gov.cn/a.html", "clean_text": "加强课后服务。"})
    doc = services.register_source_document(planner, source)  # no plan drafted from it
    doc = PolicyDocument.objects.get(pk=doc.pk)
    assert (doc.source_document_id, doc.unit, doc.title, doc.doc_number, str(doc.issued_on), doc.status,
            doc.source_url, doc.full_text) == (
        source.pk, unit, "关于加强课后服务的通知", "京教〔2024〕3号", "2024-03-01", "issued",
        "https://jw.beijing.gov.cn/a.html", "加强课后服务。")
    assert list(doc.plan_items.all()) == []
    assert services.register_source_document(planner, source).pk == doc.pk  # registered once
    assert PolicyDocument.objects.filter(source_document=source).count() == 1

    broken = plan_services.save_source_document(planner, unit, {
        "title": "关于课后服务收费的通知", "source": "https://jw.beijing gov.cn/b.html", "clean_text": "规范收费。"})
    doc = services.register_source_document(planner, broken)
    assert (PolicyDocument.objects.get(pk=doc.pk).source_url, doc.title) == ("", "关于课后服务收费的通知")


def test_a_solutions_search_body_holds_the_words_of_each_of_its_texts_and_tags_and_nothing_else(world):
    from luoshi.library import search
    from luoshi.library.models import Tag

    texts = {"summary": "家校共育", "problem": "课后服务单一", "approach": "组建研学联盟", "results": "参与率提高",
             "evidence": "问卷调查", "conditions": "场地充足", "result_label": "参与率"}
    tag = Tag.objects.get_or_create(name="劳动教育")[0]
    sol = services.create_solution(world.admin, unit=world.unit("110101"), title="课后服务提质", tags=["研学", tag],
                                   **{k: v for k, v in texts.items() if k not in ("problem", "approach")},
                                   problem=texts["problem"], approach=texts["approach"])
    sol = Solution.objects.get(pk=sol.pk)
    assert sorted(sol.tags.values_list("name", flat=True)) == ["劳动教育", "研学"]  # a Tag is taken by its name
    words = set()
    for text in [*texts.values(), "研学", "劳动教育"]:
        words |= set(search.segment(text).split())
    assert set(sol.search_body.split()) == words
    assert set(sol.search_title.split()) == set(search.segment("课后服务提质").split())


def test_among_the_deepest_source_units_the_last_by_code_gives_the_region_and_level(world):
    from luoshi.orgs import services as org_services

    beijing, shanghai = world.unit("110000"), world.unit("310000")
    dongcheng, huangpu = world.unit("110101"), world.unit("310101")
    sol = factories.solution(world, dongcheng)
    services.update_solution(world.admin, sol, {"source_units": [shanghai, dongcheng]})  # deeper, though first by code
    sol.refresh_from_db()
    assert (sol.region_id, sol.level) == (beijing.pk, "county")
    newer = org_services.create_unit(world.admin, code="100001", name="新区", type="county", parent=beijing)
    services.update_solution(world.admin, sol, {"source_units": [dongcheng, huangpu, newer]})  # all three as deep
    sol.refresh_from_db()
    assert (sol.region_id, sol.level) == (shanghai.pk, "county")  # 310101, neither the oldest nor the newest


def test_a_new_solution_and_its_edit_are_recorded_with_who_wrote_them(world):
    from luoshi.audit import services as audit

    planner = world.beijing_planner
    sol = services.create_solution(planner, unit=world.unit("110101"), title="课后服务提质", problem="内容单一",
                                   approach="引入社会资源", source_units=[world.unit("S110101001")])
    services.update_solution(planner, sol, {"title": "课后服务提质增效"})
    sol = Solution.objects.get(pk=sol.pk)
    (action, actor, before, created), (changed, by, old, new) = records_of("solution", sol.pk)
    assert (action, actor, before, created["title"], created["source_units"]) == (
        "create", planner.pk, None, "课后服务提质", [world.unit("S110101001").pk])
    assert (changed, by, old["title"], new) == ("update", planner.pk, "课后服务提质", audit.snapshot(sol))
    assert sol.source_review is None


def test_the_api_answers_a_written_or_changed_solution_with_its_region_and_level(world, api):
    """The answer is the solution the service returns: its search columns are kept in step with
    what was written to the database."""
    client = api("beijing_planner")
    body = client.post("/api/v1/solutions", {"title": "课后服务提质", "unit": "110101", "problem": "内容单一",
                                             "approach": "引入社会资源", "source_units": ["S110101001"]},
                       content_type="application/json").json()
    assert (body["region"], body["level"]) == ("110000", "school")
    body = client.patch(f"/api/v1/solutions/{body['id']}", {"source_units": [], "version": body["version"]},
                        content_type="application/json").json()
    assert (body["region"], body["level"], body["source_units"]) == ("110000", "county", [])
