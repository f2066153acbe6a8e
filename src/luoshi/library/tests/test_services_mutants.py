"""library/services.py: the cases its mutation run showed nobody checked (issue 13): every
refusal word for word, the tags, numbers and dates as read, what each write records."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from luoshi.audit.models import AuditRecord
from luoshi.library import services
from luoshi.library.models import Adoption, Attachment, PolicyDocument, Solution
from luoshi.library.tests import factories


def _records(obj, **filters):
    return list(AuditRecord.objects.filter(content_type__model=obj._meta.model_name, object_id=str(obj.pk),
                                           **filters).order_by("id"))


# Solutions ------------------------------------------------------------------------------------

def test_tags_are_split_on_any_separator_trimmed_cut_to_forty_and_kept_once(world):
    long = "长" * 41
    sol = factories.solution(world, world.unit("110101"), tags=f" 课后服务，家校 共育;;课后服务、 {long}；减负\t托管 ")
    assert sorted(sol.tags.values_list("name", flat=True)) == sorted(["课后服务", "家校", "共育", "长" * 40, "减负", "托管"])
    again = factories.solution(world, world.unit("110101"), tags=[*sol.tags.all(), " 新标签 ", ""])
    assert sorted(again.tags.values_list("name", flat=True)) == sorted([*sol.tags.values_list("name", flat=True), "新标签"])


def test_at_most_twelve_tags(world):
    twelve = [f"标签{n}" for n in range(12)]
    sol = factories.solution(world, world.unit("110101"), tags=twelve)
    assert sol.tags.count() == 12
    with pytest.raises(ValidationError) as refusal:
        services.update_solution(world.admin, sol, {"tags": [*twelve, "第十三个"]})
    assert refusal.value.message_dict == {"tags": ["At most 12 tags."]}
    assert Solution.objects.get(pk=sol.pk).tags.count() == 12


def test_unknown_fields_are_named_in_order(world):
    with pytest.raises(ValidationError) as refusal:
        services.create_solution(world.admin, unit=world.unit("110101"), title="方案", problem="问题", approach="做法",
                                 zeta=1, alpha=2)
    assert refusal.value.messages == ["Unknown fields: alpha, zeta"]
    sol = factories.solution(world, world.unit("110101"), status="national")
    with pytest.raises(ValidationError) as refusal:
        services.adopt(world.shanghai_reporter, sol, world.unit("310101"), zeta=1, alpha=2)
    assert refusal.value.messages == ["Unknown fields: alpha, zeta"]
    with pytest.raises(ValidationError) as refusal:
        services.create_policy(world.admin, unit=world.unit("110000"), title="文件", zeta=1, alpha=2)
    assert refusal.value.messages == ["Unknown fields: alpha, zeta"]


def test_a_solution_is_found_by_the_province_and_level_of_its_deepest_source_unit(world):
    beijing, dongcheng, school = world.unit("110000"), world.unit("110101"), world.unit("S110101001")
    sol = factories.solution(world, dongcheng)
    assert (sol.region_id, sol.level) == (beijing.pk, "county")
    services.update_solution(world.admin, sol, {"source_units": [beijing, school]})
    sol.refresh_from_db()
    assert (sol.region_id, sol.level) == (beijing.pk, "school")
    services.update_solution(world.admin, sol, {"source_units": [beijing]})
    sol.refresh_from_db()
    assert (sol.region_id, sol.level) == (beijing.pk, "province")
    services.update_solution(world.admin, sol, {"source_units": []})  # then its own unit
    sol.refresh_from_db()
    assert (sol.region_id, sol.level) == (beijing.pk, "county")
    national = factories.solution(world, world.unit("MOE-JCJYS"))
    assert (national.region_id, national.level) == (None, "department")


def test_an_edit_is_indexed_for_search_and_recorded_only_when_something_changed(world):
    sol = factories.solution(world, world.unit("110101"))
    services.update_solution(world.admin, sol, {"title": "劳动教育实践基地建设", "summary": "基地共建共享", "tags": "研学"})
    sol.refresh_from_db()
    assert "劳动" in sol.search_title and "基地" in sol.search_body and "研学" in sol.search_body
    records = len(_records(sol))
    services.update_solution(world.admin, sol, {"title": sol.title, "tags": "研学"}, expected_version=sol.version)
    assert len(_records(sol)) == records and Solution.objects.get(pk=sol.pk).version == sol.version


def test_source_units_and_plan_items_must_be_visible_to_the_editor(world):
    from django.http import Http404

    sol = factories.solution(world, world.unit("110101"))
    with pytest.raises(Http404):
        services.update_solution(world.beijing_planner, sol, {"source_units": [world.unit("310101")]})
    with pytest.raises(Http404):
        services.create_solution(world.beijing_planner, unit=world.unit("110000"), title="方案", problem="问题",
                                 approach="做法", source_units=[world.unit("310101")])
    item = factories.plan_item(world, world.unit("310101"))
    with pytest.raises(Http404):
        services.update_solution(world.beijing_planner, sol, {"plan_items": [item]})
    mine = factories.plan_item(world, world.unit("110101"))
    services.update_solution(world.beijing_planner, sol, {"plan_items": [mine]})
    assert list(Solution.objects.get(pk=sol.pk).plan_items.all()) == [mine]


def test_status_refusals_are_worded_in_full(world):
    sol = factories.solution(world, world.unit("110101"), status="recommended")
    with pytest.raises(PermissionDenied) as refusal:
        services.set_solution_status(world.beijing_planner, sol, "promote")
    assert str(refusal.value) == "Only the ministry's planners may promote a solution nationally."
    services.set_solution_status(world.ministry_planner, sol, "promote")
    with pytest.raises(PermissionDenied) as refusal:
        services.set_solution_status(world.beijing_planner, sol, "withdraw")
    assert str(refusal.value) == "Only the ministry's planners may withdraw a solution promoted nationally."
    services.adopt(world.shanghai_reporter, sol, world.unit("310101"))
    with pytest.raises(ValidationError) as refusal:
        services.set_solution_status(world.ministry_planner, sol, "withdraw")
    assert refusal.value.messages == ["Units have adopted this solution; it cannot go back to draft."]
    assert Solution.objects.get(pk=sol.pk).status == "national"


def test_a_recommended_solution_is_withdrawn_by_its_province_and_promotion_is_dated(world):
    sol = factories.solution(world, world.unit("110101"), status="recommended")
    assert Solution.objects.get(pk=sol.pk).promoted_at is None
    services.set_solution_status(world.beijing_planner, sol, "withdraw")
    sol.refresh_from_db()
    assert sol.status == "draft" and sol.promoted_at is None
    assert [r.verb for r in _records(sol, action="update")][-1] == "withdraw"
    national = factories.solution(world, world.unit("110101"), status="national")
    services.set_solution_status(world.ministry_planner, national, "withdraw")
    assert Solution.objects.get(pk=national.pk).status == "draft"


def test_deletion_refusals_are_worded_in_full_and_a_deleted_draft_takes_its_files(world):
    recommended = factories.solution(world, world.unit("110101"), status="recommended")
    with pytest.raises(ValidationError) as refusal:
        services.delete_solution(world.admin, recommended)
    assert refusal.value.messages == ["Only a draft solution can be deleted; withdraw it first."]
    national = factories.solution(world, world.unit("110101"), status="national")
    services.adopt(world.shanghai_reporter, national, world.unit("310101"))
    Solution.objects.filter(pk=national.pk).update(status="draft")  # left so by an earlier version
    with pytest.raises(ValidationError) as refusal:
        services.delete_solution(world.admin, national)
    assert refusal.value.messages == ["Units have adopted this solution; it cannot be deleted."]
    draft = factories.solution(world, world.unit("110101"))
    attachment = services.add_attachment(world.admin, draft, SimpleUploadedFile("说明.txt", "课后服务".encode()))
    storage, name = attachment.file.storage, attachment.file.name
    assert storage.exists(name)
    services.delete_solution(world.admin, draft)
    assert not storage.exists(name) and not Solution.objects.filter(pk=draft.pk).exists()


def test_attachments_are_recorded_with_their_name_and_size(world):
    sol = factories.solution(world, world.unit("110101"))
    attachment = services.add_attachment(world.beijing_planner, sol, SimpleUploadedFile("说明.txt", b"plain text"))
    assert (attachment.name, attachment.size, attachment.content_type, attachment.uploaded_by) == (
        "说明.txt", 10, "text/plain", world.beijing_planner)
    [created] = _records(attachment)
    assert (created.action, created.before, created.after, created.actor) == (
        "create", None, {"solution": sol.pk, "name": "说明.txt", "size": 10}, world.beijing_planner)
    storage, name, pk = attachment.file.storage, attachment.file.name, attachment.pk
    services.remove_attachment(world.beijing_planner, attachment)
    removed = AuditRecord.objects.filter(content_type__model="attachment", object_id=str(pk)).order_by("id").last()
    assert (removed.action, removed.before, removed.after) == ("delete", {"solution": sol.pk, "name": "说明.txt", "size": 10}, None)
    assert not storage.exists(name) and not Attachment.objects.filter(pk=pk).exists()


# Adoption -------------------------------------------------------------------------------------

def test_adoption_refusals_are_worded_in_full(world):
    draft = factories.solution(world, world.unit("110101"))
    with pytest.raises(ValidationError) as refusal:
        services.adopt(world.admin, draft, world.unit("110102"))
    assert refusal.value.messages == ["A draft solution cannot be adopted yet."]
    recommended = factories.solution(world, world.unit("110101"), status="recommended")
    shanghai = world.unit("310101")
    with pytest.raises(ValidationError) as refusal:
        services.adopt(world.admin, recommended, shanghai)
    assert refusal.value.message_dict == {"unit": [f"{shanghai} cannot see this solution."]}
    services.adopt(world.admin, recommended, world.unit("S110101001"))
    with pytest.raises(ValidationError) as refusal:
        services.adopt(world.admin, recommended, world.unit("S110101001"))
    assert refusal.value.message_dict == {"unit": [f"{world.unit('S110101001')} has already adopted this solution."]}
    with pytest.raises(ValidationError) as refusal:
        services.adopt(world.admin, factories.solution(world, world.unit("110101"), status="national"), shanghai,
                       result_value="八成")
    assert refusal.value.message_dict == {"result_value": ["Enter a number."]}


def test_a_recommended_solution_reaches_the_units_above_and_below_its_owner_and_sources_only(world):
    sol = factories.solution(world, world.unit("110101"), status="recommended")
    services.update_solution(world.admin, sol, {"source_units": [world.unit("S110102001")]})
    for code in ("110000", "110101", "S110101001", "110102", "S110102001"):  # above and below owner and source
        services.adopt(world.admin, sol, world.unit(code))
    for code in ("110105", "310000", "MOE-JCJYS"):
        with pytest.raises(ValidationError):
            services.adopt(world.admin, sol, world.unit(code))
    national = factories.solution(world, world.unit("110101"), status="national")
    services.adopt(world.admin, national, world.unit("310000"))


def test_an_adoption_reads_its_value_as_a_number_or_none(world):
    sol = factories.solution(world, world.unit("110101"), status="national")
    adoption = services.adopt(world.shanghai_reporter, sol, world.unit("310101"), result_value="85.5", progress="已推开")
    assert Adoption.objects.get(pk=adoption.pk).result_value == Decimal("85.50")
    services.update_adoption(world.shanghai_reporter, adoption, {"result_value": "", "progress": "暂停", "unit": "ignored"})
    adoption.refresh_from_db()
    assert (adoption.result_value, adoption.progress, adoption.unit.code) == (None, "暂停", "310101")
    services.update_adoption(world.shanghai_reporter, adoption, {"result_value": 90})
    assert Adoption.objects.get(pk=adoption.pk).result_value == Decimal("90")
    with pytest.raises(ValidationError) as refusal:
        services.update_adoption(world.shanghai_reporter, adoption, {"result_value": "九十"})
    assert refusal.value.message_dict == {"result_value": ["Enter a number."]}
    services.update_adoption(world.shanghai_reporter, adoption, {"result_value": None})
    assert Adoption.objects.get(pk=adoption.pk).result_value is None


# Policy registry ------------------------------------------------------------------------------

def test_policy_refusals_are_worded_in_full(world):
    unit = world.unit("110000")
    with pytest.raises(ValidationError) as refusal:
        services.create_policy(world.admin, unit=unit, title="文件", status="revised")
    assert refusal.value.message_dict == {"status": ["A new document is drafting or issued."]}
    doc = factories.policy(world, unit)
    for name in ("revises", "repeals"):
        with pytest.raises(ValidationError) as refusal:
            services.update_policy(world.admin, doc, {name: [doc]})
        assert refusal.value.message_dict == {name: ["A document cannot revise or repeal itself."]}
    issued = factories.policy(world, unit, status="issued")
    with pytest.raises(ValidationError) as refusal:
        services.delete_policy(world.admin, issued)
    assert refusal.value.messages == ["Only a document still being drafted can be deleted; repeal an issued one."]
    services.delete_policy(world.admin, doc)
    assert not PolicyDocument.objects.filter(pk=doc.pk).exists()


def test_a_document_issued_at_once_supersedes_those_it_revises_and_repeals_and_skips_drafts(world):
    unit = world.unit("110000")
    drafting, old, other = factories.policy(world, unit), factories.policy(world, unit, status="issued"), \
        factories.policy(world, unit, status="issued")
    new = factories.policy(world, unit, status="drafting")
    gone = factories.policy(world, unit, status="issued")  # issued the same day after ``old``: read before it
    services.set_policy_status(world.admin, gone, "repeal")
    issued_now = services.create_policy(world.admin, unit=unit, title="新办法", status="issued",
                                        revises=[drafting, old, gone], repeals=[other], solutions=[], plan_items=[])
    assert issued_now.status == "issued"
    assert [PolicyDocument.objects.get(pk=d.pk).status for d in (drafting, old, other, new, gone)] == [
        "drafting", "revised", "repealed", "drafting", "repealed"]
    assert [r.verb for r in _records(old, action="update")] == ["issue", "revise"]


def test_linking_an_issued_document_to_what_it_repeals_later_supersedes_it(world):
    unit = world.unit("110000")
    issued, old = factories.policy(world, unit, status="issued"), factories.policy(world, unit, status="issued")
    services.update_policy(world.admin, issued, {"repeals": [old]})
    assert PolicyDocument.objects.get(pk=old.pk).status == "repealed"
    drafting, older = factories.policy(world, unit), factories.policy(world, unit, status="issued")
    services.update_policy(world.admin, drafting, {"revises": [older]})
    assert PolicyDocument.objects.get(pk=older.pk).status == "issued"


def test_a_documents_text_is_indexed_again_when_it_changes(world):
    doc = factories.policy(world, world.unit("110000"))
    services.update_policy(world.admin, doc, {"issuer": "北京市人民政府", "summary": "义务教育优质均衡"})
    doc.refresh_from_db()
    assert "人民政府" in doc.search_title and "均衡" in doc.search_body


def test_issuing_dates_a_document_without_a_date_only(world):
    from django.utils import timezone

    undated = factories.policy(world, world.unit("110000"))
    services.set_policy_status(world.admin, undated, "issue")
    assert PolicyDocument.objects.get(pk=undated.pk).issued_on == timezone.localdate()
    dated = factories.policy(world, world.unit("110000"), issued_on=date(2024, 1, 11))
    services.set_policy_status(world.admin, dated, "issue")
    assert PolicyDocument.objects.get(pk=dated.pk).issued_on == date(2024, 1, 11)


@pytest.mark.parametrize(("text", "expected"), [
    ("京教〔2024〕9号 2024年1月11日印发", date(2024, 1, 11)),
    ("2024 年 3 月 5 日", date(2024, 3, 5)),
    ("发布于2023-06-01。", date(2023, 6, 1)),
    ("2023-6-1", date(2023, 6, 1)),
    ("2024年2月30日", None),
    ("2024-13-01", None),
    ("没有日期", None),
    ("", None),
    (None, None),
])
def test_a_date_is_read_in_chinese_or_iso_form(text, expected):
    assert services.parse_date(text) == expected


def test_a_source_documents_fields_are_cut_to_the_registrys_and_only_web_addresses_kept():
    source = SimpleNamespace(title="题" * 600, filename="通知.docx", doc_number="号" * 120, doc_date="2024年1月11日",
                             clean_text="全文", source="https://www.moe.gov.cn/a.html")
    assert services.policy_fields_from_source(source) == {
        "title": "题" * 500, "doc_number": "号" * 100, "issued_on": date(2024, 1, 11), "full_text": "全文",
        "source_url": "https://www.moe.gov.cn/a.html", "issuer": ""}
    for address, kept in (("http://example.org/x", "http://example.org/x"), ("通知.docx", ""), ("ftp://x/y", "")):
        source.source = address
        assert services.policy_fields_from_source(source)["source_url"] == kept
    source.title = ""
    assert services.policy_fields_from_source(source)["title"] == "通知.docx"
    source.filename = ""
    assert services.policy_fields_from_source(source)["title"] == "Untitled document"
