"""The audit trail: append-only, tied together per request, readable by auditors in their scope."""

from __future__ import annotations

import datetime
import re
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from luoshi.audit import queries
from luoshi.audit.models import AuditRecord, AuditTrailIsAppendOnly
from luoshi.core.context import batch
from luoshi.core.testing.skips import requires_postgres
from luoshi.orgs import services
from luoshi.orgs.models import OrgUnit

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(world) -> AuditRecord:
    unit = services.create_unit(world.admin, code="AUD1", name="审计单位", type="school", parent=world.unit("110101"))
    return AuditRecord.objects.get(object_id=str(unit.pk), action="create", content_type__model="orgunit")


# Append-only -------------------------------------------------------------------------------

def test_it_refuses_to_update_a_record_through_the_model(record):
    record.verb = "tampered"
    with pytest.raises(AuditTrailIsAppendOnly):
        record.save()
    assert AuditRecord.objects.get(pk=record.pk).verb == ""


def test_it_refuses_to_delete_a_record_through_the_model(record):
    with pytest.raises(AuditTrailIsAppendOnly):
        record.delete()
    assert AuditRecord.objects.filter(pk=record.pk).exists()


@pytest.mark.parametrize("operation", ["update", "delete", "bulk_update"])
def test_it_refuses_to_change_records_through_querysets(record, operation):
    qs = AuditRecord.objects.filter(pk=record.pk)
    with pytest.raises(AuditTrailIsAppendOnly), transaction.atomic():
        if operation == "update":
            qs.update(verb="tampered")
        elif operation == "delete":
            qs.delete()
        else:
            record.verb = "tampered"
            AuditRecord.objects.bulk_update([record], ["verb"])
    assert AuditRecord.objects.get(pk=record.pk).verb == ""


def test_it_refuses_to_delete_a_user_whose_actions_are_recorded(world, record):
    user = world.admin
    with pytest.raises(ProtectedError), transaction.atomic():
        user.delete()
    assert AuditRecord.objects.get(pk=record.pk).actor == user


@requires_postgres()
@pytest.mark.parametrize("sql", [
    "UPDATE audit_auditrecord SET verb = 'tampered' WHERE id = %s",
    "DELETE FROM audit_auditrecord WHERE id = %s",
])
def test_it_refuses_raw_sql_changes_in_postgresql(record, sql):
    with pytest.raises(DatabaseError, match="audit records cannot be changed or deleted"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [record.pk])
    assert AuditRecord.objects.get(pk=record.pk).verb == ""


# What is recorded -------------------------------------------------------------------------

def test_it_shows_before_and_after_on_the_history_tab(world, login):
    client = login("beijing_admin")
    unit = world.unit("110101")
    response = client.post("/units/110101/edit/", {"code": "110101", "name": "东城区教育委员会（新）", "short_name": "东城",
                                                   "type": "county", "is_active": "on", "version": unit.version})
    assert response.status_code == 302
    html = client.get("/units/110101/", {"tab": "history"}).content.decode()
    row = re.search(r'<td class="mono">name</td><td class="before">(.*?)</td><td class="after">(.*?)</td>', html)
    assert row and row.groups() == ("北京市东城区教育委员会", "东城区教育委员会（新）")
    assert "beijing_admin" in html


def test_it_ties_one_requests_records_together_with_the_request_id(world, api):
    response = api("beijing_admin").patch("/api/v1/org-units/S110101001", {"name": "北京二中", "parent_code": "110108",
                                                                                 "version": world.unit("S110101001").version},
                                          content_type="application/json")
    assert response.status_code == 200
    request_id = uuid.UUID(response["X-Request-ID"])
    records = AuditRecord.objects.filter(batch_id=request_id)
    assert sorted(r.verb for r in records) == ["", "move"]
    assert {(r.actor_username, r.source, r.object_id) for r in records} == {
        ("beijing_admin", "api", str(world.unit("S110101001").pk))}


def test_it_gives_every_row_of_an_upload_the_request_id(world, login):
    upload = SimpleUploadedFile("units.csv", "code,name,type,parent_code\nB1,一,school,110101\nB2,二,school,B1\n".encode())
    response = login("beijing_admin").post("/units/import/", {"file": upload})
    assert response.status_code == 200
    records = AuditRecord.objects.filter(batch_id=response["X-Request-ID"])
    assert sorted(r.object_repr for r in records) == ["一", "二"]
    assert {(r.source, r.verb, r.actor_username) for r in records} == {("web", "import", "beijing_admin")}


def test_it_gives_separate_requests_separate_ids(login):
    client = login("beijing_reporter")
    first, second = client.get("/units/"), client.get("/units/")
    assert first["X-Request-ID"] != second["X-Request-ID"]


def test_it_records_writes_outside_a_request_in_a_batch_of_their_own(world):
    with batch("cli") as opened:
        services.create_unit(world.admin, code="CLI1", name="命令行单位", type="other", parent=world.unit("110101"))
        services.create_unit(world.admin, code="CLI2", name="命令行单位二", type="other", parent=world.unit("110101"))
    assert AuditRecord.objects.filter(batch_id=opened.batch_id, source="cli").count() == 2


# Searching ----------------------------------------------------------------------------------

@pytest.fixture
def trail(world):
    """Records by several actors and actions: the batch of each step."""
    steps = {}
    with batch("web") as steps["create"]:
        unit = services.create_unit(world.beijing_admin, code="SRCH", name="检索学校", type="school", parent=world.unit("110108"))
    with batch("web") as steps["update"]:
        services.update_unit(world.beijing_admin, unit, {"short_name": "检索"})
    with batch("web") as steps["membership"]:
        # Someone the admin already sees (people from outside their scope are invited, not added).
        membership = services.add_membership(world.beijing_admin, user=world.beijing_reporter, unit=unit, role="viewer")
    with batch("web") as steps["delete"]:
        services.remove_membership(world.beijing_admin, membership)
    with batch("web") as steps["shanghai"]:
        services.create_unit(world.shanghai_admin, code="SRCH2", name="检索学校二", type="school", parent=world.unit("310101"))
    return steps


def _listed(client, **params) -> set[str]:
    response = client.get("/audit/", params)
    assert response.status_code == 200
    ids = {int(pk) for pk in re.findall(r'href="/audit/(\d+)/"', response.content.decode())}
    return {str(r.batch_id) for r in AuditRecord.objects.filter(pk__in=ids)}


def test_it_filters_the_trail_by_actor_action_kind_batch_and_date(trail, login):
    client = login("auditor")
    b = {name: str(opened.batch_id) for name, opened in trail.items()}
    assert _listed(client, actor="shanghai_admin") >= {b["shanghai"]}
    assert not _listed(client, actor="shanghai_admin") & {b["create"], b["update"]}
    assert _listed(client, actor="beijing_admin", action="delete") == {b["delete"]}
    assert _listed(client, model="orgs.membership", q="检索学校") == {b["membership"], b["delete"]}
    assert _listed(client, batch=b["update"]) == {b["update"]}
    today = timezone.localdate()
    assert _listed(client, since=today.isoformat(), q="检索学校") == set(b.values())
    assert _listed(client, until=(today - datetime.timedelta(days=1)).isoformat(), q="检索学校") == set()
    assert _listed(client, since=(today + datetime.timedelta(days=1)).isoformat()) == set()


def test_it_shows_nothing_for_a_mistyped_filter(trail, login):
    response = login("auditor").get("/audit/", {"since": "2024-02-30"})
    html = response.content.decode()
    assert response.status_code == 200 and "No records match." in html and 'class="errorlist"' in html


def test_it_limits_an_auditor_to_records_in_their_scope(trail, world):
    beijing = {r.batch_id for r in queries.search(world.beijing_auditor, q="检索学校")}
    ministry = {r.batch_id for r in queries.search(world.auditor, q="检索学校")}
    assert trail["shanghai"].batch_id in ministry and trail["shanghai"].batch_id not in beijing
    assert trail["create"].batch_id in beijing


@pytest.mark.parametrize("username", ["nobody", "beijing_reporter", "ministry_planner", "ministry_reviewer"])
def test_it_keeps_the_audit_pages_from_non_auditors(record, login, username):
    client = login(username)
    assert client.get("/audit/").status_code == 403
    assert client.get(f"/audit/{record.pk}/").status_code == 403
    assert 'href="/audit/"' not in client.get("/").content.decode()


def test_it_links_the_audit_trail_for_auditors(login):
    assert 'href="/audit/"' in login("beijing_auditor").get("/").content.decode()


def test_it_shows_a_record_with_its_changes(world, login):
    unit = OrgUnit.objects.get(code="110108")
    with batch("web"):
        services.update_unit(world.admin, unit, {"short_name": "海淀（测）"})
    record = AuditRecord.objects.filter(object_id=str(unit.pk), action="update").latest("id")
    html = login("beijing_auditor").get(f"/audit/{record.pk}/").content.decode()
    assert '<td class="before">海淀区</td><td class="after">海淀（测）</td>' in html
    assert str(record.batch_id) in html
