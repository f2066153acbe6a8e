"""Real noisy copies of policy texts (``shared/samples/policy``, outside the
repository): the parser must clean them without losing the body text.

The samples are read at test time only; no sentence of theirs is copied here.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
import regex

from luoshi.intake import parse_document

from .conftest import han, is_subsequence

SAMPLES = Path(os.environ.get(
    "LUOSHI_POLICY_SAMPLES", Path(__file__).resolve().parents[4].parent / "shared" / "samples" / "policy"))
FILES = sorted(SAMPLES.glob("*.txt")) if SAMPLES.is_dir() else []
PICTOGRAPH = regex.compile(r"[\p{Extended_Pictographic}\u200d\ufe0f\u20e3]")
TONE_MARK = re.compile("[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ]")

# What each sample must yield, by file-name fragment: top-level markers (with
# the markers of the first item's children), metadata, removals and flags.
EXPECTED: dict[str, dict[str, Any]] = {
    "hkxy": {"markers": ["一、"], "children": ["(一)"], "date": "2017-01-20", "removed": {"page_meta"}},
    "twwiki": {"markers": ["一、"], "children": ["(一)"]},
    "nynu": {"markers": ["一、"], "children": ["1.", "2."]},
    "fjsen": {"markers": ["第一,", "第二,"], "date": "2026-01-19", "source": "新华网",
              "removed": {"boilerplate", "page_meta"}},
    "lmhko": {"markers": ["一是", "二是"]},
    "reabo": {"flags": {"mojibake"}, "removed": {"pinyin", "page_meta"}, "date": "2025-01-10",
              "source": "教育部"},
    "apm_lm": {"flags": {"spam", "spun_text"}, "removed": {"spam", "page_meta"}, "date": "2025-04-22"},
    "zhongli": {"removed": {"comments"}},
    "zzrbnews": {"removed": {"boilerplate"}},
    "todayonhistory": {"removed": {"boilerplate", "page_meta"}, "date": "2026-01-27"},
    "junxin128": {"removed": {"pinyin", "boilerplate"}},
    "xiaolanting": {"removed": {"pinyin"}},
}

# Without the samples these tests skip, and under LUOSHI_STRICT_TESTS=1 they fail (marker ``samples``).
pytestmark = [pytest.mark.samples, pytest.mark.skipif(not FILES, reason=f"no policy samples at {SAMPLES} (set LUOSHI_POLICY_SAMPLES)")]


def _expectations(path: Path) -> dict[str, Any]:
    return next((value for key, value in EXPECTED.items() if key in path.name), {})


def _longest_paragraph(text: str) -> str:
    """The longest line of running text (a sentence ending in 。), URL line skipped."""
    lines = [line for line in text.split("\n")[1:] if "。" in line]
    return max(lines, key=lambda line: len(han(line)))


@pytest.mark.parametrize("path", FILES, ids=[path.stem for path in FILES])
def test_it_cleans_a_real_sample(path: Path) -> None:
    original = path.read_text("utf-8")
    document = parse_document(path.read_bytes(), filename=path.name)
    text = document.clean_text

    assert not PICTOGRAPH.search(text)
    assert not re.search(rf"\({TONE_MARK.pattern}|[a-z]{TONE_MARK.pattern}", text)
    assert is_subsequence(han(text), han(original))  # nothing inserted or reordered
    body = han(_longest_paragraph(original))
    assert body[:-2] in han(text)  # the main paragraph survives whole (bar a cut tail)
    assert len(han(text)) >= 0.6 * len(han(original))
    assert "\n" not in (document.title or "")

    expected = _expectations(path)
    markers = [item.marker for item in document.items]
    if "markers" in expected:
        assert markers == expected["markers"]
    if "children" in expected:
        assert [child.marker for child in document.items[0].children] == expected["children"]
    for field in ("date", "source"):
        if field in expected:
            assert getattr(document, field) == expected[field]
    removed = {entry.kind for entry in document.removed}
    assert set(expected.get("removed", set())) <= removed
    flags = {flag.kind for flag in document.flags}
    assert set(expected.get("flags", set())) <= flags


def test_it_has_expectations_for_the_samples_it_knows() -> None:
    names = " ".join(path.name for path in FILES)
    assert sum(1 for key in EXPECTED if key in names) >= len(EXPECTED) // 2
