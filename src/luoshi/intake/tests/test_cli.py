"""The ``policy parse`` command: output shapes and exit codes."""

from __future__ import annotations

import io
import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from .conftest import FIXTURES

KEYS = ["title", "date", "source", "doc_number", "issuer", "clean_text", "removed", "flags", "items"]


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("policy", "parse", *args, stdout=out)
    return out.getvalue()


def test_it_prints_one_json_object_with_the_documented_shape() -> None:
    data = json.loads(run(str(FIXTURES / "plan_nested.txt"), "--json"))
    assert list(data) == KEYS
    assert data["title"] == "关于推进县域义务教育优质均衡发展的实施意见"
    assert data["doc_number"] == "某教发〔2024〕7号" and data["source"] is None
    item = data["items"][0]
    assert list(item) == ["marker", "title", "text", "children"] and item["marker"] == "一、"
    assert list(item["children"][0]) == ["marker", "title", "text", "children"]


def test_it_lists_removals_and_flags_as_objects() -> None:
    data = json.loads(run(str(FIXTURES / "spam_mixed.txt"), "--json"))
    assert all(list(entry) == ["kind", "text"] for entry in data["removed"] if entry["kind"] != "spam")
    # A spam removal keeps its reason and a confidence.
    assert all(list(entry) == ["kind", "text", "reason", "confidence"] for entry in data["removed"]
               if entry["kind"] == "spam")
    assert all(list(flag) == ["kind", "text", "reason"] for flag in data["flags"])
    assert {entry["kind"] for entry in data["removed"]} == {"spam"}


def test_it_converts_to_simplified_on_request() -> None:
    data = json.loads(run(str(FIXTURES / "traditional_mixed.txt"), "--json", "--to", "simplified"))
    assert data["title"] == "关于进一步加强中小学教师队伍建设的实施意见"
    assert "制定" in data["clean_text"]


def test_it_prints_a_readable_outline() -> None:
    text = run(str(FIXTURES / "conference_report.txt"))
    assert "Title:      2024年全省教育工作会议在省城召开" in text
    assert "  ¶ 会议部署了2024年七项重点任务\n    一要 着力构建立德树人新格局" in text


@pytest.mark.parametrize(
    ("name", "code", "message"),
    [("spam_only.txt", 3, "refused"), ("missing.txt", 2, "no such file")],
)
def test_it_raises_command_errors_with_exit_codes(name: str, code: int, message: str) -> None:
    with pytest.raises(CommandError) as caught:
        run(str(FIXTURES / name), "--json")
    assert caught.value.returncode == code and message in str(caught.value)


def test_it_exits_2_on_unreadable_input_and_3_on_spam(
    run_luoshi: Callable[..., subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    binary = tmp_path / "image.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    result = run_luoshi("policy", "parse", str(binary), "--json")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip().count("\n") == 0 and "image.png: binary file" in result.stderr

    result = run_luoshi("policy", "parse", str(FIXTURES / "spam_only.txt"), "--json")
    assert result.returncode == 3 and "refused" in result.stderr

    big = tmp_path / "big.txt"
    with big.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    result = run_luoshi("policy", "parse", str(big))
    assert result.returncode == 2 and "limit is 20 MiB" in result.stderr

    result = run_luoshi("policy", "parse", str(FIXTURES / "regulation.txt"), "--json")
    assert result.returncode == 0 and json.loads(result.stdout)["items"][0]["marker"] == "第一章"
