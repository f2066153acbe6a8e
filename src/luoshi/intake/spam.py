"""Spam and advertising: decided from evidence, line by line within the whole document.

No word list decides (see docs/intake.md, "Spam detection"). A line's evidence, in log-odds:

* **the model** (:mod:`~luoshi.intake.spammodel`): a character n-gram Naive Bayes model of the
  line's normalised spelling (:mod:`~luoshi.intake.normalise`: NFKC, look-alike characters,
  traditional → simplified, separators between characters dropped; digits and brand-like Latin
  runs reduced to their shape), trained on official lines against generated gambling, adult,
  advertising and SEO lines with random brands;
* **structure**: a line that is nothing but a phone number, a mobile or 400/800 number, a web
  address, a messenger id, exclamation marks in a short line; the issuing office's own contact
  line (a label such as 联系电话 with a landline number) counts *against*;
* **the document**: the line's script breaks from the document's (a simplified paragraph in a
  traditional-script document, or the reverse); the line lies after the document's last real
  sentence or before its first (the margins: where sites put their ads); the line is a list of
  short keywords separated by 、 , | / or spaces with no verb and no sentence mark, or one whose
  tokens repeat or share a suffix; the line is a short exclamatory slogan next to a removed ad.

The sum decides: at least ``REMOVE_AT`` removes the line (kind ``spam``), at least ``FLAG_AT``
keeps it and flags it (``spam_suspect``) for the reader. Every decision keeps its category,
its reasons and a confidence (the logistic of half the sum). Paragraphs of running text are also
read sentence by sentence (model and structure, a higher bar), so an ad sentence glued to a
paragraph is cut out and the paragraph kept. For speed, a quick reading on character pairs
skips the full model where it finds clearly official text (``QUICK_GATE``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from . import spammodel
from .charsets import script_patterns
from .normalise import match_key, match_key_of_simplified, shape

REMOVE_AT = 6.0
# The model's word on very short lines is weak (a handful of n-grams): damped below this length.
SHORT_LINE = 12
FLAG_AT = 2.0
SENTENCE_REMOVE_AT = 10.0
# Up to this length the whole line's reading gates the sentence-by-sentence one; longer
# paragraphs are always read by sentence too (one ad sentence barely moves a long mean).
WHOLE_LINE_MAX = 200
MEMO_MAX = 200
SENTENCE_LINE_MIN = 60
SENTENCE_GATE = -5.0
# A line (or sentence) whose quick reading on character pairs is below this is clearly official
# text: the full reading (which could only move it from very negative to somewhat negative, see
# docs/intake.md) is skipped. Lines with structural evidence are always read in full.
QUICK_GATE = -8.0      # a paragraph or chunk below this reads as official text throughout
_SCRIPT_MIN = 20          # script-marked characters a document needs before its script counts
_SCRIPT_SHARE = 0.8

# Evidence weights (log-odds).
W_SCRIPT = 6.0
W_MARGIN = 2.0
W_KEYWORDS = 3.0
W_STUFFING = 4.0
W_SLOGAN = 5.0
W_NEIGHBOUR = 3.0
W_MESSENGER = 3.0
W_NUMBER = 3.0
W_PHONE_ONLY = 6.0
W_CONTACT = -6.0

_MOBILE = re.compile(r"(?<!\d)1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}(?!\d)")
_HOTLINE = re.compile(r"(?<!\d)[48]00[\s-]?\d{3}[\s-]?\d{4}(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)0\d{2,3}[\s-]?\d{7,8}(?!\d)")
_PHONE_ONLY = re.compile(r"^[\s:：()（）+\-\d]*$")
_OFFICE_CONTACT = re.compile(r"联系人|联系电话|传真|邮箱|邮编|地址|举报|咨询电话|办公室|处|科|司|厅|局")
_IM_ID = re.compile(r"(?:qq|微信|vx|v信|薇信|威信|wx|v)(?:群|号|群号)?\s*[:：]?\s*[a-z0-9_-]{5,}")
_URL_ONLY = re.compile(r"^(?:https?://|www\.)\S+$", re.IGNORECASE)
_EXCLAIM = re.compile(r"[!！]")
_SENTENCE_MARK = re.compile(r"[。；？]")
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])")
_SENTENCE_PIECE = re.compile(r"[^。！？!?；;]+[。！？!?；;]*|[。！？!?；;]+")
_SENTENCE = re.compile(r"[^。！？!?；;]+[。！？!?；;]+")  # some text and its sentence mark
_LIST_SEPARATORS = re.compile(r"[,，、|｜/／丨\s]+")
# Vertical bars between words: the match key drops them between Han characters (they also hide
# spaced-out words), so a bar-joined keyword list is judged on a copy with the bars as commas.
_BARS = re.compile(r"\s*[|｜丨¦]\s*")
# Verbs and function words of running text: a keyword list has none of them.
_VERBS = re.compile(
    r"加强|推进|完善|建立|健全|落实|提高|提升|开展|推动|深化|实施|坚持|促进|支持|鼓励|保障|规范|"
    r"优化|强化|构建|培养|发展|做好|组织|引导|扩大|加快|确保|实现|形成|是|要|应|将|把|对|的|和|与|及|等"
)


@dataclass(frozen=True, slots=True)
class Judgement:
    """What happens to a line: ``remove`` (whole, or the ``spans`` given) or ``flag``."""

    action: str
    category: str
    confidence: float
    reasons: tuple[str, ...]
    spans: tuple[tuple[int, int], ...] = ()
    # Spam on the line's own evidence (model, structure, script), without its neighbours, its
    # place in the document or its list shape: such a line is spam even where a chrome rule
    # (page meta, share bar) would take it.
    strong: bool = True

    @property
    def reason(self) -> str:
        return f"{self.category}; confidence {self.confidence:.2f}; " + "; ".join(self.reasons)


def confidence(total: float) -> float:
    """The logistic of half the evidence: 0.73 at the flagging bar, 0.95 at the removal bar."""
    return 1.0 / (1.0 + math.exp(-max(min(total / 2, 30.0), -30.0)))


# --- structure --------------------------------------------------------------------------------


def structure(key: str) -> tuple[float, list[str]]:
    """Evidence from the shape of a line (its :func:`match_key`)."""
    # The numbers: at most one of these (the first to apply).
    points, reasons = 0.0, []
    mobile, hotline = _MOBILE.search(key), _HOTLINE.search(key)
    if (mobile or hotline) and _PHONE_ONLY.match(key):
        points, reasons = W_PHONE_ONLY, ["line is only a phone number"]
    elif _OFFICE_CONTACT.search(key):
        if _LANDLINE.search(key) and not mobile and not hotline:
            points, reasons = W_CONTACT, ["office contact line"]
    elif mobile or hotline:
        points, reasons = W_NUMBER, ["mobile or hotline number"]
    if _IM_ID.search(key):
        points += W_MESSENGER
        reasons.append("messenger contact")
    if len(key) <= 40 and len(_EXCLAIM.findall(key)) >= 2:
        points += 1.0
        reasons.append("exclamatory slogan")
    return points, reasons


def keyword_list(key: str) -> tuple[float, str | None]:
    """A list of short keywords (no verb, no sentence mark); more if tokens repeat or share a suffix."""
    if not 8 <= len(key) <= 400 or _SENTENCE_MARK.search(key):
        return 0.0, None
    tokens = [t for t in _LIST_SEPARATORS.split(key) if t]
    if len(tokens) < 4 or sum(map(len, tokens)) / len(tokens) > 8:
        return 0.0, None
    repeats = len(tokens) - len(set(tokens))
    suffixes: dict[str, int] = {}
    prefixes: dict[str, int] = {}
    for token in tokens:
        if len(token) >= 3:
            suffixes[token[-2:]] = suffixes.get(token[-2:], 0) + 1
            prefixes[token[:2]] = prefixes.get(token[:2], 0) + 1
    shared = max(max(suffixes.values(), default=0), max(prefixes.values(), default=0))
    if len(tokens) >= 5 and (10 * repeats >= 3 * len(tokens) or (shared >= 4 and shared * 2 >= len(tokens))):
        return W_STUFFING, "repeated keywords"
    verbless = sum(1 for t in tokens if not _VERBS.search(t))
    if verbless >= 0.6 * len(tokens):
        return W_KEYWORDS, "keyword list without verbs"
    return 0.0, None


# --- the document -----------------------------------------------------------------------------


def _scripts(text: str) -> tuple[int, int]:
    trad, simp = script_patterns()
    return len(trad.findall(text)), len(simp.findall(text))


def document_script(lines: list[str]) -> str | None:
    """``traditional`` or ``simplified`` when the document is clearly one (else None)."""
    sample = "\n".join(lines)[:400_000]
    trad, simp = _scripts(sample)
    if trad + simp < _SCRIPT_MIN:
        return None
    if trad >= _SCRIPT_SHARE * (trad + simp):
        return "traditional"
    if simp >= _SCRIPT_SHARE * (trad + simp):
        return "simplified"
    return None


def _script_break(line: str, script: str | None) -> bool:
    if script is None:
        return False
    trad, simp = _scripts(line)
    if script == "traditional":
        return simp >= 2 and trad == 0
    return trad >= 3 and simp == 0


def judge_document(lines: list[str], body: list[bool],
                   progress: Callable[[str, float], None] | None = None,
                   simplified: list[str] | None = None) -> dict[int, Judgement]:
    """Judgements for the lines of a document that are spam or suspect (others are absent).
    ``progress("lines", fraction)`` is called now and then (fraction from 0.4 to 0.6);
    ``simplified`` may give the lines already in simplified script (saves a conversion)."""
    model = spammodel.current()
    memo: dict[str, tuple[float, str, list[str], Judgement | None]] = {}
    logits: list[float | None] = [None] * len(lines)
    keys: dict[int, str] = {}                          # the lines read, by index
    whole: dict[int, tuple[float, list[str]]] = {}
    sentences: dict[int, Judgement] = {}
    step = max(1, len(lines) // 20)
    for index, line in enumerate(lines):
        if progress and index % step == 0:
            progress("lines", 0.4 + 0.2 * index / len(lines))
        if not line or _URL_ONLY.match(line):
            continue  # a bare address is the boilerplate rules' business
        known = memo.get(line)
        if known is None:
            key = match_key_of_simplified(simplified[index]) if simplified else match_key(line)
            points, reasons = structure(key)
            if _BARS.search(line):
                list_points, list_reason = keyword_list(match_key(_BARS.sub("、", line)))
            else:
                list_points, list_reason = keyword_list(key)
            if list_reason:
                points += list_points
                reasons.append(list_reason)
            cut = None
            shaped = shape(key)
            damp = min(1.0, len(key) / SHORT_LINE)
            if len(line) > WHOLE_LINE_MAX:
                pairs = model.pair_profile(shaped)
                logit = model.stretch(pairs, 0, len(pairs[0]) - 1)
                if logit >= QUICK_GATE or points > 0:
                    logit = model.logit_key(key)
                cut = _judge_sentences(model, line, key, (shaped, pairs))
            else:
                logit = model.quick(shaped) * damp
                if logit >= QUICK_GATE or points > 0:
                    logit = model_logit(model, key)
                if len(line) > SENTENCE_LINE_MIN and logit >= SENTENCE_GATE:
                    cut = _judge_sentences(model, line, key)
            if logit >= FLAG_AT:
                reasons.insert(0, "reads like advertising")
            known = (logit + points, key, reasons, cut)
            if len(line) <= MEMO_MAX:
                memo[line] = known
        logits[index], keys[index] = known[0], known[1]
        whole[index] = (known[0], list(known[2]))
        if known[3] is not None:
            sentences[index] = known[3]
    # The document's own text: body lines that the evidence so far does not call spam.
    real_body = [i for i, is_body in enumerate(body) if is_body and (logits[i] is None or logits[i] < FLAG_AT)]
    first_real = real_body[0] if real_body else len(lines)
    last_real = real_body[-1] if real_body else -1
    # The document's script: of its lines that read as its own text.
    script = document_script([line for line, logit in zip(lines, logits) if logit is None or logit < FLAG_AT])
    judgements: dict[int, Judgement] = {}
    for index, line in enumerate(lines):
        logit = logits[index]
        if logit is None:
            continue
        total, reasons = whole[index]
        if _script_break(line, script):
            total += W_SCRIPT
            reasons.append(f"script differs from the {script} document")
        if (index < first_real or index > last_real) and total > 0:
            total += W_MARGIN
            reasons.append("after the last sentence of the document" if index > last_real
                           else "before the first sentence of the document")
        whole[index] = (total, reasons)
        removes = _removes(model, keys[index], total)
        if not removes and index in sentences:
            # An ad sentence glued to a paragraph: cut it out, keep the paragraph.
            judgements[index] = sentences[index]
            continue
        if total >= FLAG_AT:
            judgements[index] = _judgement(model, line, total, reasons, removes)
    _slogans(lines, keys, whole, judgements, model)
    return judgements


def model_logit(model: spammodel.Model, key: str) -> float:
    """The model's log-odds for a line (given by its :func:`match_key`), damped when short."""
    return model.logit_key(key) * min(1.0, len(key) / SHORT_LINE)


def _removes(model: spammodel.Model, key: str, total: float) -> bool:
    """Whether a line with this evidence is removed whole: at ``REMOVE_AT``, unless it holds a
    sentence that reads as official text on its own (the model's word below 0). Such a line is
    part of the document's text: it is flagged for the reader instead (a short closing sentence
    with a stray token after it, ``妥否，请批示。k3d``), and an ad sentence glued to it is cut out."""
    return total >= REMOVE_AT and not any(model_logit(model, sentence) < 0 for sentence in _SENTENCE.findall(key))


def _judgement(model: spammodel.Model, line: str, total: float, reasons: list[str], removes: bool) -> Judgement:
    return Judgement("remove" if removes else "flag", model.category(line), confidence(total), tuple(reasons),
                     strong=total - _document_points(reasons) >= REMOVE_AT)


# What the document adds: a line that needs it to be removed yields to the chrome rules.
_DOCUMENT_REASONS = {"keyword list without verbs": W_KEYWORDS, "repeated keywords": W_STUFFING,
                     "after the last sentence of the document": W_MARGIN,
                     "before the first sentence of the document": W_MARGIN,
                     "next to an advertisement": W_NEIGHBOUR, "slogan next to an advertisement": W_SLOGAN}


def _document_points(reasons: list[str]) -> float:
    return sum(_DOCUMENT_REASONS.get(reason, 0.0) for reason in reasons)


def _slogans(lines: list[str], keys: dict[int, str], whole: dict[int, tuple[float, list[str]]],
             judgements: dict[int, Judgement], model: spammodel.Model) -> None:
    """Ads come in blocks: a line next to a removed ad that already shows some evidence, or a
    short exclamatory slogan, is part of it. A line is boosted from its own evidence in every pass
    (once, however many passes the block needs to grow)."""
    changed = True
    while changed:
        changed = False
        for index, line in enumerate(lines):
            current = judgements.get(index)
            if index not in keys or (current and current.action == "remove"):
                continue
            total, reasons = whole[index]
            slogan = len(keys[index]) <= 40 and bool(_EXCLAIM.search(keys[index]))
            if not (slogan or total > 0):
                continue
            if not any(judgements.get(n) and judgements[n].action == "remove" for n in _neighbours(lines, index)):
                continue
            total += W_SLOGAN if slogan else W_NEIGHBOUR
            reasons = reasons + ["slogan next to an advertisement" if slogan else "next to an advertisement"]
            if total >= FLAG_AT:
                judgements[index] = _judgement(model, line, total, reasons, _removes(model, keys[index], total))
                changed = changed or judgements[index].action == "remove"


def _neighbours(lines: list[str], index: int) -> list[int]:
    found = []
    for step in (-1, 1):
        other = index + step
        while 0 <= other < len(lines) and not lines[other]:
            other += step
        if 0 <= other < len(lines):
            found.append(other)
    return found


def _judge_sentences(model: spammodel.Model, line: str, key: str,
                     profile: tuple[str, tuple[list[float], list[int]]] | None = None) -> Judgement | None:
    """A long line: the sentences that are spam, on the model and structure alone.

    With the paragraph's shaped key and its :meth:`~luoshi.intake.spammodel.Model.pair_profile`
    (``profile``) each sentence is first read quickly from prefix sums; only a sentence that is not
    clearly official text is read in full. When normalisation changed the number of sentence marks
    (rare), every sentence is read in full, keyed on its own."""
    pieces = [(m.start(), m.end()) for m in _SENTENCE_PIECE.finditer(line)]
    key_pieces: list[tuple[int, int] | None] = [(m.start(), m.end()) for m in _SENTENCE_PIECE.finditer(key)]
    if len(key_pieces) != len(pieces):
        key_pieces = [None] * len(pieces)
    quick = None  # the sentences' places in the shaped key, when they match the line's
    if profile is not None:
        shaped, pairs = profile
        quick = [(m.start(), m.end()) for m in _SENTENCE_PIECE.finditer(shaped)]
        if len(quick) != len(pieces):
            quick = None
    spans: list[tuple[int, int]] = []
    totals: list[float] = []
    for index, (begin, finish) in enumerate(pieces):
        piece = line[begin:finish]
        if not piece.strip():
            continue
        if quick is not None and model.stretch(pairs, quick[index][0] + 1, quick[index][1]) < QUICK_GATE:
            continue  # clearly official text
        span = key_pieces[index]
        piece_key = key[span[0]:span[1]] if span else match_key(piece)
        points, _ = structure(piece_key)
        total = model_logit(model, piece_key) + points
        if total >= SENTENCE_REMOVE_AT:
            spans.append((begin, finish))
            totals.append(total)
    if not spans:
        return None
    text = "".join(line[s:e] for s, e in spans)
    return Judgement("remove", model.category(text), confidence(max(totals)), ("advertising sentence in a paragraph",),
                     tuple(spans))


def looks_like_spam(text: str) -> bool:
    """Whether a short value (a source name) reads as spam: never used as metadata then."""
    key = match_key(text)
    points, _ = structure(key)
    return model_logit(spammodel.current(), key) + points >= REMOVE_AT
