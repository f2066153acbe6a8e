"""Cleaning: from a copied text to the real text, with every step reported.

Steps, in order (each one only deletes; see docs/intake.md):

1. line breaks and exotic spaces unified; control characters removed;
2. emoji sequences removed whole;
3. invisible formatting characters removed;
4. pinyin annotations removed;
5. decorative symbols removed;
6. characters injected after punctuation removed;
7. lines: spam and ads, site boilerplate, comment sections, page-meta lines
   (their dates and sources are kept as metadata hints), continuation notes;
8. blank lines dropped, lines trimmed;
9. flags: mojibake, broken dates, spun wording, script artefacts;
10. a document that is mostly spam is refused;
11. optionally, conversion to simplified script with OpenCC t2s.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from . import boilerplate, noise, quality, spam
from .boilerplate import LinePlan, MetaHint
from .charsets import to_simplified
from .errors import SpamDocumentError
from .model import Flag, Removal

ProgressCallback = Callable[[str, float], None]

# Share of the text (non-space characters) that may be spam before the whole
# document is refused.
SPAM_REFUSAL_SHARE = 0.5
# A document whose spam leaves fewer Han characters than this is refused too.
MIN_REAL_HAN = 10
_TRIM = " \t\u3000"
_MEMO_MAX_CHARS = 80
_ENOUGH_HAN = re.compile(
    f"(?:[^\u3400-\u9fff\uf900-\ufaff]*[\u3400-\u9fff\uf900-\ufaff]){{{MIN_REAL_HAN}}}"
)


@dataclass(slots=True)
class CleanResult:
    text: str
    removed: list[Removal] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    hints: list[MetaHint] = field(default_factory=list)


def clean(
    text: str,
    *,
    filename: str = "",
    to_simplified_script: bool = False,
    progress: ProgressCallback | None = None,
) -> CleanResult:
    """Clean ``text``; raise :class:`SpamDocumentError` when it is mostly spam."""
    report = progress or (lambda stage, fraction: None)
    removed: list[Removal] = []
    flags: list[Flag] = []
    text = noise.normalise_breaks(text)
    text = noise.remove_controls(text, removed)
    report("emoji", 0.1)
    text = noise.remove_emoji(text, removed)
    text = noise.remove_invisible(text, removed)
    report("pinyin", 0.25)
    text = noise.remove_pinyin(text, removed)
    text = noise.remove_decorations(text, removed)
    text = noise.remove_injected(text, removed, flags)
    report("lines", 0.4)
    lines = [line.strip(_TRIM) for line in text.split("\n")]
    plans, hints = plan_lines(lines, flags, report)
    kept, spam_chars = _apply_plans(lines, plans, removed)
    clean_text = "\n".join(kept)
    _refuse_spam(clean_text, spam_chars, filename)
    report("flags", 0.7)
    flags.extend(quality.mojibake_flags(clean_text))
    flags.extend(quality.date_flags(clean_text))
    flags.extend(quality.spun_text_flags(clean_text))
    flags.extend(quality.script_flags(clean_text))
    if to_simplified_script:
        clean_text = to_simplified(clean_text)
    report("cleaned", 0.8)
    return CleanResult(clean_text, removed, flags, hints)


def _refuse_spam(clean_text: str, spam_chars: int, filename: str) -> None:
    if not spam_chars:
        return
    real = sum(map(len, clean_text.split()))
    if spam_chars >= SPAM_REFUSAL_SHARE * (spam_chars + real) or not _ENOUGH_HAN.match(clean_text):
        share = spam_chars / max(1, spam_chars + real)
        raise SpamDocumentError(
            filename, f"refused: {share:.0%} of the text is spam or advertising"
        )


def plan_lines(lines: list[str], flags: list[Flag],
               progress: ProgressCallback | None = None) -> tuple[list[LinePlan], list[MetaHint]]:
    """Decide, for every line, whether it is dropped (and as what) or cut."""
    keys = boilerplate.keys_of(lines)
    body = [boilerplate.is_body(line) for line in lines]
    body_lines = [index for index, is_body in enumerate(body) if is_body]
    first_body = body_lines[0] if body_lines else len(lines)
    last_body = body_lines[-1] if body_lines else -1
    plans = [LinePlan() for _ in lines]
    hints: list[MetaHint] = []
    verdicts = spam.judge_document(lines, body, progress, keys)
    # Short lines repeat (table cells, page furniture): decide each one once.
    memo: dict[tuple[str, bool, bool], tuple[LinePlan, list[MetaHint]]] = {}
    for index, (line, key) in enumerate(zip(lines, keys)):
        if not line:
            continue
        verdict = verdicts.get(index)
        in_margin = index < first_body or index > last_body
        if verdict is not None and verdict.action == "remove" and not _chrome(key, in_margin, verdict.strong):
            _plan_spam(line, verdict, plans[index], flags)
            continue
        memo_key = (line, in_margin, body[index])
        known = memo.get(memo_key) if len(line) <= _MEMO_MAX_CHARS else None
        if known is None:
            line_hints: list[MetaHint] = []
            _plan_line(line, key, in_margin, body[index], plans[index], line_hints)
            known = (plans[index], line_hints)
            if len(line) <= _MEMO_MAX_CHARS:
                memo[memo_key] = known
        else:
            plans[index] = LinePlan(known[0].kind, list(known[0].cuts))
        hints.extend(known[1])
        if verdict is not None and verdict.action == "flag" and not plans[index].kind:
            # Uncertain: kept, and shown to the reader.
            flags.append(Flag("spam_suspect", line, verdict.reason))
    taken = {index for index, plan in enumerate(plans) if plan.kind}
    for index in boilerplate.comment_block(lines, keys, taken):
        plans[index] = LinePlan("comments")
    return plans, hints


def _chrome(key: str, in_margin: bool, strong: bool) -> bool:
    """Whether a chrome rule takes the whole line: site furniture (share bars, breadcrumbs …)
    always; a page-meta line unless the line is spam on its own evidence (an ad posing as
    the source line). (``is_page_meta`` is never true of running text.)"""
    if boilerplate.boilerplate_kind(key, in_margin) or boilerplate.is_comment_marker(key):
        return True
    return not strong and boilerplate.is_page_meta(key, in_margin)


def _plan_spam(line: str, verdict: spam.Judgement, plan: LinePlan, flags: list[Flag]) -> None:
    plan.reason, plan.confidence = verdict.reason, verdict.confidence
    if verdict.spans:
        for start, end in verdict.spans:
            flags.append(Flag("spam", line[start:end].strip(), verdict.reason))
        plan.cuts.extend((start, end, "spam") for start, end in verdict.spans)
    else:
        flags.append(Flag("spam", line, verdict.reason))
        plan.kind = "spam"


def _plan_line(line: str, key: str, in_margin: bool, body: bool, plan: LinePlan,
               hints: list[MetaHint]) -> None:
    # Running text is only checked for chrome when it shows a hint of it.
    kind = boilerplate.boilerplate_kind(key, in_margin) if (
        not body or boilerplate.has_chrome_hint(key)) else None
    if kind:
        plan.kind = kind
        return
    tail = boilerplate.meta_tail_start(key)
    if tail is not None and not boilerplate.head_is_meta(key[:tail]):
        plan.cuts.append((tail, len(line), "page_meta"))
        hints.extend(boilerplate.meta_hints(line[tail:]))
    elif not body and boilerplate.is_page_meta(key, in_margin):
        plan.kind = "page_meta"
        hints.extend(boilerplate.meta_hints(line))
        return
    plan.cuts.extend(boilerplate.continuation_spans(line))
    plan.cuts.extend(boilerplate.editor_tail_spans(line, key))


def _apply_plans(lines: list[str], plans: list[LinePlan],
                 removed: list[Removal]) -> tuple[list[str], int]:
    kept: list[str] = []
    spam_chars = 0
    for line, plan in zip(lines, plans):
        if not line:
            continue
        if plan.kind:
            if plan.kind == "spam":
                removed.append(Removal("spam", line, plan.reason, plan.confidence))
            else:
                removed.append(Removal(plan.kind, line))
            if plan.kind == "spam":
                spam_chars += sum(map(len, line.split()))
            continue
        if plan.cuts:
            line, cut_spam = _cut(line, plan, removed)
            spam_chars += cut_spam
            line = line.strip(_TRIM)
            if not line:
                continue
        kept.append(line)
    return kept, spam_chars


def _cut(line: str, plan: LinePlan, removed: list[Removal]) -> tuple[str, int]:
    pieces: list[str] = []
    last = 0
    spam_chars = 0
    for start, end, kind in sorted(plan.cuts):
        start = max(start, last)
        if start >= end:
            continue
        pieces.append(line[last:start])
        text = line[start:end].strip(_TRIM)
        if text:
            if kind == "spam":
                removed.append(Removal(kind, text, plan.reason, plan.confidence))
            else:
                removed.append(Removal(kind, text))
            if kind == "spam":
                spam_chars += sum(map(len, text.split()))
        last = end
    pieces.append(line[last:])
    return "".join(pieces), spam_chars
