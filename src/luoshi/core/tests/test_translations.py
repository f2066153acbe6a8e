"""The Chinese catalogue is complete and current, and the UI speaks Chinese unless asked otherwise.

* Every message of ``locale/zh_Hans/LC_MESSAGES/django.po`` is translated, none is fuzzy, and
  each translation keeps the placeholders (``%(name)s``, ``{name}``, ``{{ name }}``) and HTML
  tags of its English source. The compiled ``.mo`` matches the ``.po``.
* The catalogue is up to date with the code: ``makemessages`` run on a copy of the source tree
  finds no message the committed catalogue lacks (needs GNU gettext's ``xgettext``).
* Without an ``Accept-Language`` header a page is in Chinese (the default language); a browser
  asking for English, or the language switch, gets English. Titles read "首页 · 落实".
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import polib
import pytest
from django.core.management import call_command
from django.test import Client, override_settings

PACKAGE = Path(__file__).resolve().parents[2]  # src/luoshi
LOCALE = PACKAGE / "locale"
ZH_PO = LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po"
EN_PO = LOCALE / "en" / "LC_MESSAGES" / "django.po"
MAKEMESSAGES_IGNORE = ["tests/*", "*/tests/*"]  # as the Makefile's `messages` target
GETTEXT_MISSING = "needs GNU gettext (xgettext, msguniq) to extract messages: apt-get install gettext"

PLACEHOLDER = re.compile(
    r"%\([A-Za-z_]\w*\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]"  # %(name)s
    r"|%[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]"  # %s, %d
    r"|\{\{\s*[\w.|:\"']+\s*\}\}"  # {{ name }}
    r"|\{[A-Za-z_]\w*(?:![rsa])?(?::[^{}]*)?\}"  # {name}
)
TAG = re.compile(r"</?[A-Za-z][\w-]*(?:\s[^<>]*)?/?>")


def key(entry: polib.POEntry) -> tuple[str | None, str, str]:
    return entry.msgctxt, entry.msgid, entry.msgid_plural


def catalogue() -> polib.POFile:
    return polib.pofile(str(ZH_PO))


def placeholders(text: str, python_format: bool) -> Counter:
    found = PLACEHOLDER.findall(text.replace("%%", "") if python_format else text)
    if not python_format:  # `%` outside format strings is literal text ("100%", "Progress (%)")
        found = [p for p in found if not p.startswith("%")]
    return Counter(found)


# (a) The catalogue itself -------------------------------------------------------------------

def test_the_chinese_catalogue_is_complete_and_not_fuzzy():
    po = catalogue()
    assert len(po) > 100, "the catalogue looks empty: run `make messages`"
    assert po.metadata.get("Plural-Forms", "").startswith("nplurals=1;"), po.metadata
    assert not po.metadata_is_fuzzy, "the header is marked fuzzy"
    untranslated = [e.msgid for e in po if not (e.msgstr_plural.get(0) if e.msgid_plural else e.msgstr)]
    fuzzy = [e.msgid for e in po if "fuzzy" in e.flags]
    obsolete = [e.msgid for e in po.obsolete_entries()]
    assert not untranslated, f"{len(untranslated)} untranslated: {untranslated[:20]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy: {fuzzy[:20]}"
    assert not obsolete, f"obsolete entries (run makemessages --no-obsolete): {obsolete[:20]}"
    assert all(set(e.msgstr_plural) == {0} for e in po if e.msgid_plural), "Chinese has a single plural form"


def test_every_translation_keeps_the_placeholders_and_tags_of_its_source():
    problems = []
    for entry in catalogue():
        python_format = "python-format" in entry.flags
        sources = [entry.msgid] + ([entry.msgid_plural] if entry.msgid_plural else [])
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        # A plural source may leave the count out of its singular ("this one"), so compare
        # against the plural form when there is one.
        expected = placeholders(sources[-1], python_format)
        expected_tags = Counter(TAG.findall(sources[-1]))
        for text in filter(None, translations):  # an empty one is the completeness test's business
            if placeholders(text, python_format) != expected:
                problems.append(f"{entry.msgid!r}: placeholders {dict(expected)} → {text!r}")
            if Counter(TAG.findall(text)) != expected_tags:
                problems.append(f"{entry.msgid!r}: HTML tags {dict(expected_tags)} → {text!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="needs GNU gettext's msgfmt: apt-get install gettext")
def test_gnu_msgfmt_accepts_the_catalogues(tmp_path):
    for po in (ZH_PO, EN_PO):
        result = subprocess.run(["msgfmt", "--check", "-o", str(tmp_path / "out.mo"), str(po)],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr


def test_the_english_catalogue_exists_with_the_same_messages():
    english = polib.pofile(str(EN_PO))
    assert {key(e) for e in english} == {key(e) for e in catalogue()}, "run `make messages`"


def test_the_compiled_catalogue_matches_the_po():
    mo_path = ZH_PO.with_suffix(".mo")
    assert mo_path.exists(), f"{mo_path} is missing: run `make assets` (or `make messages`)"
    compiled = {key(e): (e.msgstr, e.msgstr_plural) for e in polib.mofile(str(mo_path)) if e.msgid}
    current = {key(e): (e.msgstr, {int(k): v for k, v in e.msgstr_plural.items()}) for e in catalogue() if e.translated()}
    assert compiled == current, f"{mo_path.name} is older than {ZH_PO.name}: run `make assets` (or `make messages`)"


# (b) The catalogue is current -----------------------------------------------------------------

@pytest.mark.skipif(shutil.which("xgettext") is None or shutil.which("msguniq") is None, reason=GETTEXT_MISSING)
def test_the_catalogue_has_every_message_of_the_code(tmp_path, monkeypatch):
    tree = tmp_path / "luoshi"
    shutil.copytree(PACKAGE, tree, ignore=shutil.ignore_patterns("tests", "locale", "vendor", "__pycache__", "*.mo"))
    (tree / "locale").mkdir()
    monkeypatch.chdir(tree)
    with override_settings(LOCALE_PATHS=[tree / "locale"]):
        call_command("makemessages", locale=["zh_Hans"], ignore_patterns=MAKEMESSAGES_IGNORE, no_obsolete=True,
                     verbosity=0)
    extracted = {key(e) for e in polib.pofile(str(tree / "locale/zh_Hans/LC_MESSAGES/django.po"))}
    assert len(extracted) > 100, "extraction found next to nothing: the check itself is broken"
    missing = sorted(extracted - {key(e) for e in catalogue()}, key=lambda k: k[1])
    assert not missing, (f"{len(missing)} message(s) of the code are not in {ZH_PO.relative_to(PACKAGE.parent)}: "
                         f"run `make messages` and translate them: {[m[1] for m in missing[:20]]}")


# (c) Pages --------------------------------------------------------------------------------------

def title(response) -> str:
    match = re.search(r"<title>(.*?)</title>", response.content.decode(), re.S)
    assert match, "the page has no <title>"
    return " ".join(match.group(1).split())


@pytest.mark.django_db
def test_a_page_is_in_chinese_by_default(world):
    page = Client().get("/accounts/login/")  # no Accept-Language, no cookie
    html = page.content.decode()
    assert page.status_code == 200
    assert '<html lang="zh-hans">' in html
    assert title(page) == "登录 · 落实"
    assert "登录落实平台" in html and "用户名" in html and "密码" in html
    assert "Log in" not in html and "Username" not in html


@pytest.mark.django_db
def test_a_browser_asking_for_english_gets_english(world, settings):
    by_header = Client(HTTP_ACCEPT_LANGUAGE="en").get("/accounts/login/")
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    by_cookie = client.get("/accounts/login/")
    for page in (by_header, by_cookie):
        html = page.content.decode()
        assert '<html lang="en">' in html
        assert title(page) == "Log in · Luoshi"
        assert "Log in to Luoshi" in html and "登录" not in html


@pytest.mark.django_db
def test_the_language_switch_changes_the_language(world):
    client = Client()
    client.force_login(world.user("beijing_reporter"))
    assert title(client.get("/")) == "首页 · 落实"
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    home = client.get("/")
    assert title(home) == "Home · Luoshi" and "My work" in home.content.decode()
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert title(client.get("/")) == "首页 · 落实"


@pytest.mark.django_db
def test_model_names_and_choices_are_translated_in_forms_and_pages(world):
    planner = Client()
    planner.force_login(world.user("ministry_planner"))
    form = planner.get("/plans/new/").content.decode()
    assert "填报周期" in form and "按季度" in form and "按半年" in form  # field label, model choices
    assert "Quarterly" not in form and "Reporting period" not in form
    reporter = Client()
    reporter.force_login(world.user("beijing_reporter"))
    home = reporter.get("/").content.decode()
    assert "我的任务" in home and "我的单位" in home and "填报员" in home  # the role's label
    unit = reporter.get("/units/110000/").content.decode()
    assert "省级" in unit  # UnitType.PROVINCE



@pytest.mark.django_db
def test_the_audit_trail_names_fields_kinds_and_sources_in_chinese(world):
    from luoshi.audit.models import AuditRecord
    from luoshi.core.context import batch
    from luoshi.orgs import services
    from luoshi.orgs.models import OrgUnit

    unit = OrgUnit.objects.get(code="110108")
    with batch("web"):
        services.update_unit(world.admin, unit, {"short_name": "海淀（译）"})
    record = AuditRecord.objects.filter(object_id=str(unit.pk), action="update").latest("id")
    auditor = Client()
    auditor.force_login(world.user("beijing_auditor"))
    detail = auditor.get(f"/audit/{record.pk}/").content.decode()
    assert "<td>简称</td>" in detail and "网页" in detail and "更新" in detail
    listing = auditor.get("/audit/", {"batch": str(record.batch_id)}).content.decode()
    assert "<td>单位</td>" in listing and "&lt;class" not in listing

def test_every_page_template_sets_a_title():
    """base.html appends " · 落实" to the page's ``title`` block, so every page must fill it."""
    extends_base = re.compile(r"{%\s*extends\s+[\"']base\.html[\"']\s*%}")
    title_block = re.compile(r"{%\s*block\s+title\s*%}(.*?){%\s*endblock", re.S)
    pages = [p for p in PACKAGE.glob("*/templates/**/*.html") if extends_base.search(p.read_text(encoding="utf-8"))]
    assert pages
    untitled = [str(p.relative_to(PACKAGE)) for p in pages
                if not (m := title_block.search(p.read_text(encoding="utf-8"))) or not m.group(1).strip()]
    assert not untitled, f"pages without a {{% block title %}}: {untitled}"


def test_the_default_language_is_a_setting_the_command_line_follows(run_luoshi):
    say_home = ("shell", "--no-imports", "-c", "from django.utils.translation import gettext; print(gettext('Home'))")
    assert run_luoshi(*say_home, env={"LUOSHI_LANGUAGE": "zh-hans"}).stdout.splitlines()[-1] == "首页"
    assert run_luoshi(*say_home, env={"LUOSHI_LANGUAGE": "en"}).stdout.splitlines()[-1] == "Home"
    refused = run_luoshi("check", env={"LUOSHI_LANGUAGE": "fr"})
    assert refused.returncode != 0 and "LUOSHI_LANGUAGE" in refused.stderr
