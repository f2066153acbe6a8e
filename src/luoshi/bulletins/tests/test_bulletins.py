"""Bulletins: the PDF's text (CJK, checked with pypdf), its sections, scoping (a bulletin on 北京
holds nothing of 上海), the background worker with its progress, the command, bad input."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from pypdf import PdfReader

from luoshi.analytics.tests.figures import SHANGHAI_NAMES, build_figures
from luoshi.bulletins import build, services, svg
from luoshi.bulletins.models import Bulletin
from luoshi.core.context import batch


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def client_for(world, username: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(world.user(username))
    return client


@pytest.mark.django_db
def test_the_national_bulletin_has_every_section_in_chinese(world):
    figures = build_figures(world)
    text = pdf_text(build.write(world.user("ministry_reviewer"), world.unit("MOE"), "2024"))
    assert "通报" in text and "中华人民共和国教育部" in text
    assert figures.small.plan.title in text                  # plan progress
    assert "逾期" in text                                     # overdue items by unit
    assert "在校生数" in text and "2050" in text.replace(",", "")  # indicator attainment (national ENROL)
    assert "北京各区评价" in text and "东城区" in text          # the districts' ranking


@pytest.mark.django_db
def test_a_bulletin_on_beijing_holds_nothing_of_shanghai(world):
    build_figures(world)
    text = pdf_text(build.write(world.user("beijing_reviewer"), world.unit("110000"), "2024"))
    assert "北京市教育委员会" in text and "东城区" in text and "1350" in text.replace(",", "")
    assert not [name for name in SHANGHAI_NAMES if name in text]
    assert "700" not in text.replace(",", "") and "2050" not in text.replace(",", "")


@pytest.mark.django_db
def test_only_those_covering_the_branch_may_ask_for_a_bulletin(world):
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    with batch("cli"):
        with pytest.raises(Http404):
            services.request_bulletin(world.user("beijing_reviewer"), world.unit("310000"), "2024", enqueue=False)
        with pytest.raises(Http404):  # 北京 sees the ministry's name, not its figures
            services.request_bulletin(world.user("beijing_reviewer"), world.unit("MOE"), "2024", enqueue=False)
        with pytest.raises(PermissionDenied):
            services.request_bulletin(world.user("beijing_reporter"), world.unit("110000"), "2024", enqueue=False)
        with pytest.raises(ValidationError) as bad:
            services.request_bulletin(world.user("beijing_reviewer"), world.unit("110000"), "2024-Q5", enqueue=False)
    assert "period" in bad.value.message_dict
    assert not Bulletin.objects.exists()


@pytest.mark.django_db
def test_a_requester_who_lost_the_branch_gets_a_failed_bulletin_not_its_figures(world):
    from luoshi.orgs.models import Membership

    reviewer = world.user("beijing_reviewer")
    with batch("cli"):
        bulletin = services.request_bulletin(reviewer, world.unit("110000"), "2024", enqueue=False)
    Membership.objects.filter(user=reviewer).delete()  # (as if an admin removed the role meanwhile)
    build.build(bulletin.pk)
    bulletin.refresh_from_db()
    assert bulletin.state == Bulletin.State.FAILED and bulletin.error and not bulletin.pdf


@pytest.mark.django_db(transaction=True)
def test_the_worker_writes_it_while_the_page_shows_progress(world):
    build_figures(world)
    client = client_for(world, "ministry_reviewer")
    response = client.post("/bulletins/new/", {"unit": "MOE", "period": "2024"})
    assert response.status_code == 302
    bulletin = Bulletin.objects.get()
    assert response.url == f"/bulletins/{bulletin.pk}/" and bulletin.task_id
    page = client.get(response.url)
    assert 'hx-trigger="every 1s"' in page.content.decode() and 'data-state="queued"' in page.content.decode()
    assert client.get(f"/bulletins/{bulletin.pk}/pdf/").status_code == 404  # not written yet
    services.set_progress(bulletin.pk, 40, "指标达成情况")
    partial = client.get(response.url, HTTP_HX_REQUEST="true").content.decode()
    assert '<progress class="bulletin-progress" max="100" value="40">' in partial and "指标达成情况" in partial
    assert "<html" not in partial

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    bulletin.refresh_from_db()
    assert bulletin.state == Bulletin.State.DONE and bulletin.progress == 100, bulletin.error
    partial = client.get(response.url, HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in partial and f"/bulletins/{bulletin.pk}/pdf/" in partial  # polling stops
    download = client.get(f"/bulletins/{bulletin.pk}/pdf/")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert "通报" in pdf_text(download.content)
    # 上海's users do not see the national bulletin.
    assert client_for(world, "shanghai_reviewer").get(f"/bulletins/{bulletin.pk}/pdf/").status_code == 404


@pytest.mark.django_db
def test_the_command_writes_the_pdf(world, tmp_path):
    build_figures(world)
    out = tmp_path / "通报.pdf"
    call_command("bulletin", unit="110000", period="2024", output=str(out), username="beijing_reviewer")
    assert "东城区" in pdf_text(out.read_bytes())
    assert Bulletin.objects.get().state == Bulletin.State.DONE
    with pytest.raises(CommandError, match="may not"):
        call_command("bulletin", unit="310000", period="2024", username="beijing_reviewer")
    with pytest.raises(CommandError, match="period"):
        call_command("bulletin", unit="110000", period="someday", username="beijing_reviewer")
    with pytest.raises(CommandError, match="no unit"):
        call_command("bulletin", unit="NOWHERE", period="2024")


def test_svg_charts_escape_their_labels():
    chart = {"kind": "hbar", "categories": ["<script>x</script>", "东城区"], "unit": "%", "max": 100,
             "series": [{"name": "进度", "data": [50.0, None], "colors": ["#1e7b3c", "#1e7b3c"]}]}
    drawn = svg.render(chart)
    assert "<script>" not in drawn and "&lt;script&gt;" in drawn and "东城区" in drawn
    for kind in ("stack", "hstack", "line", "pie", "bar"):
        assert svg.render({**chart, "kind": kind}).startswith("<svg")


def test_a_long_chart_is_cut_to_a_page_in_the_pdf():
    many = {"kind": "hstack", "categories": [f"单位{i}" for i in range(80)], "unit": "", "max": None,
            "series": [{"name": "已逾期", "data": list(range(80, 0, -1)), "color": "#b3261e"},
                       {"name": "存在风险", "data": [1] * 80, "color": "#d08700"}]}
    drawn = svg.render(many)
    assert "单位35" in drawn and "单位36" not in drawn
    height = float(drawn.split('height="')[1].split('"')[0])
    assert height < 700  # fits an A4 page beside its heading


@pytest.mark.django_db
def test_only_the_newest_pdfs_of_a_unit_and_period_are_kept(world, settings):
    settings.BULLETIN_KEEP_PDFS = 2
    reviewer = world.user("beijing_reviewer")
    with batch("cli"):
        made = [services.request_bulletin(reviewer, world.unit("110000"), "2024", enqueue=False) for _ in range(3)]
        other = services.request_bulletin(reviewer, world.unit("110000"), "2023", enqueue=False)
    services.finish(other.pk, b"%PDF-2023")
    for n, bulletin in enumerate(made):
        services.finish(bulletin.pk, f"%PDF-{n}".encode())
    rows = {b.pk: b for b in Bulletin.objects.all()}
    oldest, newer, newest = (rows[b.pk] for b in made)
    assert oldest.state == Bulletin.State.REPLACED and bytes(oldest.pdf) == b"" and oldest.size == 0
    assert (newer.state, bytes(newer.pdf)) == (Bulletin.State.DONE, b"%PDF-1")
    assert (newest.state, bytes(newest.pdf)) == (Bulletin.State.DONE, b"%PDF-2")
    assert bytes(rows[other.pk].pdf) == b"%PDF-2023"  # another period keeps its own
    client = client_for(world, "beijing_reviewer")
    assert client.get(f"/bulletins/{oldest.pk}/pdf/").status_code == 404
    assert client.get(f"/bulletins/{newest.pk}/pdf/").content == b"%PDF-2"
    page = client.get(f"/bulletins/{oldest.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert 'data-state="replaced"' in page and "已被更新的通报替代" in page and "hx-trigger" not in page
