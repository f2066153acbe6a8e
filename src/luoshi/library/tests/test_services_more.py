"""library/services.py: cases its mutation sweep (issue 13, session 22) showed no test checked."""

from __future__ import annotations

from luoshi.library import services
from luoshi.library.models import Adoption
from luoshi.library.tests import factories


def test_a_unit_adopts_several_solutions_and_a_solution_is_adopted_by_several_units(world):
    first = factories.solution(world, world.unit("110101"), status="national")
    second = factories.solution(world, world.unit("110102"), status="national")
    huangpu, jingan = world.unit("310101"), world.unit("310106")
    services.adopt(world.admin, first, huangpu)
    services.adopt(world.admin, second, huangpu)  # another solution: not "already adopted"
    services.adopt(world.admin, first, jingan)  # another unit
    assert sorted(Adoption.objects.filter(unit=huangpu).values_list("solution_id", flat=True)) == sorted(
        [first.pk, second.pk])
    assert sorted(Adoption.objects.filter(solution=first).values_list("unit__code", flat=True)) == ["310101", "310106"]


def test_a_new_document_is_recorded_with_its_author_and_every_value_and_link(world):
    from luoshi.audit import services as audit
    from luoshi.audit.models import AuditRecord
    from luoshi.library.models import PolicyDocument

    district = world.unit("110101")
    item, sol = factories.plan_item(world, district), factories.solution(world, district)
    old = factories.policy(world, world.unit("110000"), status="issued")
    doc = services.create_policy(world.beijing_planner, unit=world.unit("110000"), title="课后服务管理办法",
                                 doc_number="京教〔2025〕1号", issuer="北京市教育委员会", full_text="全文。",
                                 plan_items=[item], solutions=[sol], revises=[old])
    doc = PolicyDocument.objects.get(pk=doc.pk)
    assert (doc.status, doc.doc_number, doc.issuer, doc.full_text) == ("drafting", "京教〔2025〕1号", "北京市教育委员会", "全文。")
    assert (list(doc.plan_items.all()), list(doc.solutions.all()), list(doc.revises.all())) == ([item], [sol], [old])
    records = list(AuditRecord.objects.filter(content_type__model="policydocument", object_id=str(doc.pk)))
    assert [(r.action, r.actor_id, r.before) for r in records] == [("create", world.beijing_planner.pk, None)]
    assert records[0].after == audit.snapshot(doc)
    assert records[0].after["revises"] == [old.pk] and records[0].after["plan_items"] == [item.pk]
    # a drafting document supersedes nothing
    assert PolicyDocument.objects.get(pk=old.pk).status == "issued"


def test_status_changes_and_edits_from_a_stale_copy_are_refused_and_change_nothing(world):
    import pytest

    from luoshi.core.services import EditConflict
    from luoshi.library.models import PolicyDocument, Solution

    sol = factories.solution(world, world.unit("110101"))
    stale = sol.version
    services.update_solution(world.admin, sol, {"title": "改过的标题"})
    with pytest.raises(EditConflict):
        services.set_solution_status(world.admin, sol, "recommend", expected_version=stale)
    assert Solution.objects.get(pk=sol.pk).status == "draft"
    current = Solution.objects.get(pk=sol.pk).version
    services.set_solution_status(world.admin, sol, "recommend", expected_version=current)
    assert Solution.objects.get(pk=sol.pk).status == "recommended"

    doc = factories.policy(world, world.unit("110000"))
    stale = doc.version
    services.update_policy(world.admin, doc, {"summary": "摘要"}, expected_version=stale)
    with pytest.raises(EditConflict):
        services.update_policy(world.admin, doc, {"summary": "另一个摘要"}, expected_version=stale)
    with pytest.raises(EditConflict):
        services.set_policy_status(world.admin, doc, "issue", expected_version=stale)
    doc = PolicyDocument.objects.get(pk=doc.pk)
    assert (doc.summary, doc.status) == ("摘要", "drafting")
    services.set_policy_status(world.admin, doc, "issue", expected_version=doc.version)
    assert PolicyDocument.objects.get(pk=doc.pk).status == "issued"

    national = factories.solution(world, world.unit("110102"), status="national")
    adoption = services.adopt(world.admin, national, world.unit("310101"), progress="试行")
    stale = adoption.version
    services.update_adoption(world.admin, adoption, {"progress": "推开"}, expected_version=stale)
    with pytest.raises(EditConflict):
        services.update_adoption(world.admin, adoption, {"progress": "暂停"}, expected_version=stale)
    assert Adoption.objects.get(pk=adoption.pk).progress == "推开"


def test_promotion_nationally_is_dated_now(world):
    from django.utils import timezone

    from luoshi.library.models import Solution

    sol = factories.solution(world, world.unit("110101"), status="recommended")
    before = timezone.now()
    services.set_solution_status(world.ministry_planner, sol, "promote")
    sol = Solution.objects.get(pk=sol.pk)
    assert sol.status == "national" and before <= sol.promoted_at <= timezone.now()


def test_an_edit_of_the_full_text_alone_is_saved_versioned_recorded_and_indexed(world):
    from luoshi.audit.models import AuditRecord
    from luoshi.library.models import PolicyDocument

    doc = factories.policy(world, world.unit("110000"))
    version = doc.version
    services.update_policy(world.admin, doc, {"full_text": "全面推进中小学课后服务提质增效。"})
    doc = PolicyDocument.objects.get(pk=doc.pk)
    assert doc.full_text == "全面推进中小学课后服务提质增效。"
    assert "提质 增效" in doc.search_body and doc.version == version + 1
    record = AuditRecord.objects.filter(content_type__model="policydocument", object_id=str(doc.pk)).order_by("id").last()
    assert (record.action, record.verb, record.actor_id) == ("update", "", world.admin.pk)
    assert (record.before["version"], record.after["version"]) == (version, version + 1)
    assert record.after == {**record.before, "version": version + 1}  # (the full text itself is not copied)


def test_repealing_a_document_issued_without_a_date_leaves_it_undated_and_records_the_repeal(world):
    from luoshi.audit.models import AuditRecord
    from luoshi.library.models import PolicyDocument

    doc = services.create_policy(world.admin, unit=world.unit("110000"), title="已施行的办法", status="issued")
    assert doc.issued_on is None
    services.set_policy_status(world.beijing_planner, doc, "repeal")
    doc = PolicyDocument.objects.get(pk=doc.pk)
    assert (doc.status, doc.issued_on) == ("repealed", None)
    record = AuditRecord.objects.filter(content_type__model="policydocument", object_id=str(doc.pk)).order_by("id").last()
    assert (record.action, record.verb, record.actor_id) == ("update", "repeal", world.beijing_planner.pk)
    assert (record.before["status"], record.after["status"]) == ("issued", "repealed")


def test_the_documents_superseded_record_who_issued_the_new_one(world):
    from luoshi.audit.models import AuditRecord
    from luoshi.library.models import PolicyDocument

    unit, planner = world.unit("110000"), world.beijing_planner

    def last_record(doc):
        return AuditRecord.objects.filter(content_type__model="policydocument", object_id=str(doc.pk)).order_by("id").last()

    old, older, oldest = (factories.policy(world, unit, status="issued") for _ in range(3))
    services.create_policy(planner, unit=unit, title="新办法", status="issued", revises=[old])  # issued at once
    drafting = factories.policy(world, unit, revises=[older])
    services.set_policy_status(planner, drafting, "issue")  # issued later
    issued = factories.policy(world, unit, status="issued")
    services.update_policy(planner, issued, {"repeals": [oldest]})  # linked once issued
    revised_later = factories.policy(world, unit, status="issued")
    services.update_policy(planner, factories.policy(world, unit, status="issued"), {"revises": [revised_later]})
    for doc, verb, status in ((old, "revise", "revised"), (older, "revise", "revised"), (oldest, "repeal", "repealed"),
                              (revised_later, "revise", "revised")):
        record = last_record(doc)
        assert (record.action, record.verb, record.actor_id) == ("update", verb, planner.pk)
        assert PolicyDocument.objects.get(pk=doc.pk).status == status


def test_a_document_edited_without_a_change_is_left_alone_and_a_change_records_before_and_after(world):
    from luoshi.audit.models import AuditRecord
    from luoshi.library.models import PolicyDocument

    doc = factories.policy(world, world.unit("110000"), summary="旧摘要")

    def records():
        return list(AuditRecord.objects.filter(content_type__model="policydocument", object_id=str(doc.pk)).order_by("id"))

    count, version = len(records()), doc.version
    services.update_policy(world.admin, doc, {"summary": "旧摘要", "full_text": doc.full_text, "title": doc.title})
    assert (len(records()), PolicyDocument.objects.get(pk=doc.pk).version) == (count, version)
    services.update_policy(world.beijing_planner, doc, {"summary": "新摘要"})
    last = records()[-1]
    assert (last.action, last.actor_id) == ("update", world.beijing_planner.pk)
    assert (last.before["summary"], last.after["summary"], last.after["version"]) == ("旧摘要", "新摘要", version + 1)
    # the summary and the full text at once: one new version, one record
    count = len(records())
    services.update_policy(world.admin, doc, {"summary": "第三版摘要", "full_text": "新的全文。"})
    doc = PolicyDocument.objects.get(pk=doc.pk)
    assert (doc.summary, doc.full_text, doc.version, len(records())) == ("第三版摘要", "新的全文。", version + 2, count + 1)


def test_an_attachment_is_stored_under_its_solution_by_its_checked_name(world):
    import os

    from django.core.files.uploadedfile import SimpleUploadedFile

    from luoshi.library.models import Attachment

    sol = factories.solution(world, world.unit("110101"))
    attachment = services.add_attachment(world.beijing_planner, sol, SimpleUploadedFile("材料/说明.txt", b"plain text"))
    stored = Attachment.objects.get(pk=attachment.pk)
    folder, base = os.path.split(stored.file.name)
    assert folder == f"solutions/{sol.pk}" and base.startswith("说明") and base.endswith(".txt")
    assert stored.name == "说明.txt" and stored.file.read() == b"plain text"
