"""``luoshi policy import``: a draft plan from a policy document's outline, from the command line."""

from __future__ import annotations

import io
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from luoshi.audit.models import AuditRecord
from luoshi.plans.models import Plan, PlanItem, SourceDocument

from .conftest import FIXTURES

REPORT = FIXTURES / "city_conference_noisy.txt"
TASKS = ["坚持立德树人根本任务", "推动高等教育内涵发展", "夯实基础教育基点", "提升职业教育适应性",
         "加快教育数字化转型", "扩大教育对外交流合作", "建设高素质专业化教师队伍"]

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("policy", "import", *args, stdout=out)
    return out.getvalue()


def counts() -> tuple[int, int, int, int]:
    return Plan.objects.count(), PlanItem.objects.count(), SourceDocument.objects.count(), AuditRecord.objects.count()


def test_it_creates_a_draft_plan_whose_items_are_the_outline(world) -> None:
    out = run(str(REPORT), "--plan-title", "2024年全市教育重点任务")

    plan = Plan.objects.select_related("source", "issuer").latest("pk")
    assert out.startswith(f"plan {plan.pk}: 7 items, /plans/{plan.pk}/")
    assert plan.title == "2024年全市教育重点任务" and plan.status == Plan.Status.DRAFT
    assert plan.issuer.code == "MOE"  # the default issuer
    # The seven tasks, written inline in one paragraph, are one sibling group of key tasks.
    items = list(plan.items.order_by("position"))
    assert len(items) == 7 and {item.parent_id for item in items} == {None}
    assert [item.kind for item in items] == ["key_task"] * 7
    assert all(item.title.startswith(task) for item, task in zip(items, TASKS, strict=True))
    assert all(item.lead_unit_id == plan.issuer_id for item in items)


def test_it_keeps_the_source_document_with_its_clean_text_and_removal_report(world) -> None:
    run(str(REPORT), "--plan-title", "重点任务")
    source = Plan.objects.latest("pk").source
    assert source.filename == "city_conference_noisy.txt" and source.unit.code == "MOE"
    assert source.title == "2024年全市教育工作会议召开 部署全年七项重点任务" and source.doc_date == "2024-02-20"
    assert "👍" not in source.clean_text and "澳门" not in source.clean_text and "(luò)" not in source.clean_text
    assert "确保各项任务落到实处。" in source.clean_text
    kinds = {entry["kind"] for entry in source.removed}
    assert {"emoji", "pinyin", "decoration", "boilerplate", "page_meta", "spam"} <= kinds
    assert any(entry["kind"] == "spam" and entry["text"] == "澳门真人视讯百家乐开户送88元 客服热线13800138000"
               and entry["confidence"] > 0.9 for entry in source.removed)
    assert [flag["kind"] for flag in source.flags] == ["spam"]


def test_it_writes_audit_records_in_one_cli_batch_by_the_first_superuser(world) -> None:
    before = AuditRecord.objects.count()
    run(str(REPORT), "--plan-title", "重点任务")
    plan = Plan.objects.latest("pk")
    records = list(AuditRecord.objects.order_by("pk")[before:])
    labels = [(r.content_type.model, r.action) for r in records]
    assert labels.count(("sourcedocument", "create")) == 1
    assert labels.count(("plan", "create")) == 1
    assert labels.count(("planitem", "create")) == 7
    assert {r.source for r in records} == {"cli"} and len({r.batch_id for r in records}) == 1
    assert {r.actor_id for r in records} == {world.user("admin").pk}
    assert str(plan.pk) in {r.object_id for r in records if r.content_type.model == "plan"}


def test_it_takes_the_issuer_the_actor_and_the_horizon(world) -> None:
    out = run(str(REPORT), "--plan-title", "北京市重点任务", "--issuer", "110000", "--as", "beijing_planner",
              "--start-year", "2024", "--end-year", "2026")
    plan = Plan.objects.latest("pk")
    assert f"/plans/{plan.pk}/" in out
    assert (plan.issuer.code, plan.start_year, plan.end_year) == ("110000", 2024, 2026)
    assert AuditRecord.objects.filter(object_id=str(plan.pk), content_type__model="plan").get().actor_username == "beijing_planner"


def test_it_converts_a_traditional_copy_on_request(world) -> None:
    run(str(FIXTURES / "traditional_mixed.txt"), "--plan-title", "教師隊伍", "--to", "simplified")
    source = Plan.objects.latest("pk").source
    assert source.title == "关于进一步加强中小学教师队伍建设的实施意见" and "制定" in source.clean_text


@pytest.mark.parametrize(("args", "message"), [
    (["--as", "beijing_reporter"], "may not create plans"),       # a reporter has no planner role
    (["--as", "beijing_planner"], "may not create plans"),        # MOE is outside 北京's scope
    (["--issuer", "NOPE"], "no active unit with code 'NOPE'"),
    (["--as", "ghost"], "no active user 'ghost'"),
    (["--start-year", "2026", "--end-year", "2024"], "end year is before the start year"),
])
def test_it_refuses_what_it_cannot_do_and_creates_nothing(world, args: list[str], message: str) -> None:
    before = counts()
    with pytest.raises(CommandError) as caught:
        run(str(REPORT), "--plan-title", "重点任务", *args)
    assert caught.value.returncode == 1 and message in str(caught.value)
    assert counts() == before


@pytest.mark.parametrize(("name", "code", "message"), [
    ("spam_only.txt", 3, "refused: 97% of the text is spam or advertising"),
    ("missing.txt", 2, "no such file"),
])
def test_it_exits_2_for_unreadable_and_3_for_spam_and_creates_nothing(world, name: str, code: int, message: str) -> None:
    before = counts()
    with pytest.raises(CommandError) as caught:
        run(str(FIXTURES / name), "--plan-title", "重点任务")
    assert caught.value.returncode == code and message in str(caught.value)
    assert counts() == before


def test_it_works_and_exits_with_the_documented_codes_from_the_console_script(
    run_luoshi: Callable[..., subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    assert run_luoshi("migrate", "-v", "0").returncode == 0
    result = run_luoshi("policy", "import", str(REPORT), "--plan-title", "x")
    assert result.returncode == 1 and "no superuser exists" in result.stderr
    env = {"DJANGO_SUPERUSER_PASSWORD": "luoshi-demo"}
    assert run_luoshi("createsuperuser", "--noinput", "--username", "root", "--email", "root@example.org", env=env).returncode == 0
    result = run_luoshi("policy", "import", str(REPORT), "--plan-title", "x")
    assert result.returncode == 1 and "no active unit with code 'MOE'; pass --issuer CODE" in result.stderr
    units = tmp_path / "units.csv"
    units.write_text("code,name,type,parent_code\nMOE,中华人民共和国教育部,ministry,\n", "utf-8")
    assert run_luoshi("orgunits", "import", str(units)).returncode == 0

    binary = tmp_path / "scan.pdf"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    result = run_luoshi("policy", "import", str(binary), "--plan-title", "x")
    assert result.returncode == 2 and result.stdout == "" and "scan.pdf" in result.stderr
    assert result.stderr.strip().count("\n") == 0
    result = run_luoshi("policy", "import", str(FIXTURES / "spam_only.txt"), "--plan-title", "x")
    assert result.returncode == 3 and "refused" in result.stderr

    result = run_luoshi("policy", "import", str(REPORT), "--plan-title", "2024年全市教育重点任务")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("plan 1: 7 items, /plans/1/")


def test_parse_is_unchanged_beside_import() -> None:
    out = io.StringIO()
    call_command("policy", "parse", str(REPORT), stdout=out)
    assert "  一要 坚持立德树人根本任务，健全全员全程全方位育人体系" in out.getvalue()
