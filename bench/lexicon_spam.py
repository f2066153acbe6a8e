"""The former spam detector (a hand-kept lexicon), kept only as the baseline of the
spam evaluation in ``bench/bench_spam.py``. Luoshi itself no longer uses it.

Spam and advertising detection, line by line and sentence by sentence.

Method (see docs/intake.md): every line is scored on its simplified form.

* lexicon terms from ``data/spam_lexicon.tsv`` add their weight (3 for terms
  that real policy text never uses, 1-2 for cues); each term counts at most
  twice, so repeating a word does not make a sentence about it spam;
* structure adds evidence: mobile numbers, 400/800 numbers, landlines, web
  addresses, QQ/WeChat ids, exclamation marks in a short line, a line that is
  nothing but a phone number;
* context subtracts: prohibition wording (严禁, 打击, 防范 ... the way real
  policy text talks about gambling and pornography) and contact wording
  (联系人, 电话, 传真) that official notices use for their own numbers.

A line (or, in a long line, a sentence) is spam when its score reaches
``SPAM_SCORE`` and its density is high enough: long sentences need proportionally
more evidence. Short exclamatory slogans next to an ad line are ads too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from luoshi.intake.charsets import simplified_key


@dataclass(frozen=True, slots=True)
class Term:
    category: str
    weight: int
    term: str


class lexicon:  # noqa: N801 - the former module's interface, kept for the code below
    @staticmethod
    @cache
    def spam_terms() -> dict[str, Term]:
        terms: dict[str, Term] = {}
        path = Path(__file__).resolve().parent / "data" / "spam_lexicon.tsv"
        for line in path.read_text("utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                category, weight, term = line.strip().split("\t")
                terms[term.lower()] = Term(category, int(weight), term.lower())
        return terms

    @staticmethod
    @cache
    def spam_pattern() -> re.Pattern[str]:
        words = sorted(lexicon.spam_terms(), key=len, reverse=True)
        return re.compile("|".join(re.escape(w) for w in words))

SPAM_SCORE = 3
# Characters of text that one point of evidence can "cover" in a long sentence.
CHARS_PER_POINT = 40

_MOBILE = re.compile(r"(?<!\d)1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}(?!\d)")
_HOTLINE = re.compile(r"(?<!\d)[48]00[\s-]?\d{3}[\s-]?\d{4}(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)0\d{2,3}[\s-]?\d{7,8}(?!\d)")
_URL = re.compile(r"https?://|www\.|\.(?:com|net|cc|vip|top|xyz|me|tv)\b", re.IGNORECASE)
_IM_ID = re.compile(r"(?:qq|微信|vx|v信|薇信|威信)\s*[:：号]?\s*[A-Za-z0-9_-]{5,}", re.IGNORECASE)
_CONTACT = re.compile(r"联系人|联系电话|联系方式|电话|传真|邮箱|邮编|地址|举报")
_EXCLAIM = re.compile(r"[!！]")
_PHONE_ONLY = re.compile(r"^[\s:：()（）+\-\d]*$")
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])")
_EDU_WORDS = re.compile(r"教育|学校|学生|教师|课程|规划|会议|改革|高校|思政|人才|育人")


@dataclass(frozen=True, slots=True)
class SpamVerdict:
    score: float
    category: str
    reasons: tuple[str, ...]

    @property
    def is_spam(self) -> bool:
        return self.score >= SPAM_SCORE


def score(text: str) -> SpamVerdict:
    """Score one line or sentence."""
    return score_key(simplified_key(text).lower())


def score_key(key: str) -> SpamVerdict:
    """Score the simplified, lower-cased form of a line or sentence."""
    points: dict[str, float] = {"gambling": 0.0, "porn": 0.0, "ad": 0.0, "seo": 0.0}
    context = 0.0
    reasons: list[str] = []
    seen: dict[str, int] = {}
    for match in lexicon.spam_pattern().finditer(key):
        term = lexicon.spam_terms()[match.group().lower()]
        seen[term.term] = seen.get(term.term, 0) + 1
        if seen[term.term] > 2:
            continue
        if term.category == "context":
            context += term.weight
        else:
            points[term.category] += term.weight
    terms = [t for t in seen if lexicon.spam_terms()[t].category != "context"]
    if terms:
        reasons.append("terms: " + ", ".join(terms[:6]))
    structure = _structure_points(key, reasons)
    points["ad"] += structure
    if _CONTACT.search(key) and points["gambling"] + points["porn"] == 0:
        context -= 2
    category = max(points, key=lambda c: points[c])
    total = sum(points.values()) + context
    # Long sentences need proportionally more evidence.
    needed = max(SPAM_SCORE, len(key) / CHARS_PER_POINT)
    if total >= SPAM_SCORE and total < needed:
        total = SPAM_SCORE - 0.5
    return SpamVerdict(total, category, tuple(reasons))


def _structure_points(key: str, reasons: list[str]) -> float:
    points = 0.0
    if _MOBILE.search(key):
        points += 2
        reasons.append("mobile number")
    if _HOTLINE.search(key):
        points += 2
        reasons.append("400/800 number")
    if _LANDLINE.search(key):
        points += 1
        reasons.append("phone number")
    if _URL.search(key):
        points += 1
        reasons.append("web address")
    if _IM_ID.search(key):
        points += 2
        reasons.append("QQ/WeChat id")
    if (_MOBILE.search(key) or _HOTLINE.search(key)) and _PHONE_ONLY.match(key):
        points += 2
        reasons.append("line is only a phone number")
    if len(key) <= 40 and len(_EXCLAIM.findall(key)) >= 2:
        points += 1
        reasons.append("exclamatory slogan")
    return points


_DIGIT_RUN = re.compile(r"\d{7}")
_WEB_CUES = re.compile(r"http|www\.|\.com|\.net|\.cc|\.vip|\.top|\.xyz|qq|vx|v信|微信|薇信|威信")


def has_evidence(key: str) -> bool:
    """Anything that can make a line spam; lines without it are not scored.

    Three cheap scans: the lexicon (a plain alternation of literals, which the
    regular-expression engine scans by first character), runs of seven digits
    (phone numbers) and web/messenger cues.
    """
    return bool(
        _lexicon_terms().search(key) or _DIGIT_RUN.search(key) or _WEB_CUES.search(key)
    )


@cache
def _lexicon_terms() -> re.Pattern[str]:
    terms = [t for t, term in lexicon.spam_terms().items() if term.category != "context"]
    return re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)))


def spam_sentences(key: str) -> list[tuple[int, int, SpamVerdict]]:
    """Spans of a line (given by its key) that are spam: the whole line, or sentences."""
    verdict = score_key(key)
    if verdict.is_spam and len(key) <= 80:
        return [(0, len(key), verdict)]
    if len(key) <= 80:
        return []
    spans: list[tuple[int, int, SpamVerdict]] = []
    start = 0
    for piece in _SENTENCE_END.split(key):
        end = start + len(piece)
        if piece.strip() and has_evidence(piece):
            sentence_verdict = score_key(piece)
            if sentence_verdict.is_spam:
                spans.append((start, end, sentence_verdict))
        start = end
    return spans


def is_slogan(key: str) -> bool:
    """A short exclamatory line without education wording (ad slogans)."""
    return (
        len(key) <= 40
        and bool(_EXCLAIM.search(key))
        and not _EDU_WORDS.search(key)
    )


_SENTENCE_MARK = re.compile(r"[。！？]")
_BODY_SEPARATORS = re.compile(r"[,，|｜/\s]+")
_MARGIN_SEPARATORS = re.compile(r"[,，、|｜/\s]+")


def keyword_stuffing(key: str, in_margin: bool) -> bool:
    """SEO keyword lists: many short tokens, repeated, sharing a suffix, or spammy."""
    if not 11 <= len(key) <= 300 or _SENTENCE_MARK.search(key):
        return False
    # In the body, 、-separated lists are ordinary Chinese enumerations.
    separators = _MARGIN_SEPARATORS if in_margin else _BODY_SEPARATORS
    tokens = [t for t in separators.split(key) if t]
    if len(tokens) < 6 or sum(map(len, tokens)) / len(tokens) > 8:
        return False
    repeated = 1 - len(set(tokens)) / len(tokens)
    suffixes: dict[str, int] = {}
    for token in tokens:
        if len(token) >= 3:
            suffixes[token[-2:]] = suffixes.get(token[-2:], 0) + 1
    shared = max(suffixes.values(), default=0)
    return (
        repeated >= 0.3
        or (shared >= 4 and shared * 2 >= len(tokens))
        or score_key(key).score >= 2
    )


def judge_document(lines: list[str], body: list[bool], progress=None, simplified=None) -> dict:
    """The former method as a line judge with the interface of ``luoshi.intake.spam.judge_document``
    (lexicon score per line or sentence, SEO keyword lists, slogans next to ads)."""
    from luoshi.intake.boilerplate import key_of
    from luoshi.intake.spam import Judgement

    body_lines = [i for i, is_body in enumerate(body) if is_body]
    first = body_lines[0] if body_lines else len(lines)
    last = body_lines[-1] if body_lines else -1
    out: dict[int, Judgement] = {}
    keys = [key_of(line) for line in lines]
    for index, (line, key) in enumerate(zip(lines, keys)):
        if not line:
            continue
        spans = spam_sentences(key) if has_evidence(key) else []
        if spans:
            whole = len(spans) == 1 and spans[0][:2] == (0, len(line))
            out[index] = Judgement("remove", spans[0][2].category, 1.0, ("lexicon",),
                                   () if whole else tuple((s, e) for s, e, _ in spans))
        elif keyword_stuffing(key, index < first or index > last):
            out[index] = Judgement("remove", "seo", 1.0, ("lexicon keyword list",))
    changed = True
    while changed:
        changed = False
        for index, line in enumerate(lines):
            if not line or index in out or not is_slogan(keys[index]):
                continue
            if any(out.get(n) for n in (index - 1, index + 1)):
                out[index] = Judgement("remove", "ad", 1.0, ("lexicon slogan",))
                changed = True
    return out
