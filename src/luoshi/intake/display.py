"""How the review page shows the pipeline's findings to a web user, in the user's language.

The pipeline (pure, shared with the command line and the API) words its flag and removal reasons
in English, for logs and JSON. The page translates them here, part by part, from the patterns
the pipeline uses; advice meant for the command line (``--to simplified``) becomes advice about
the page's own conversion button. A reason that matches no pattern is left out rather than shown
in English: the flag's translated label still says what it is.

Removed pictographs are shown by name and code point (``U+1F44D THUMBS UP SIGN``), so a reader
without a colour-emoji font sees what was removed instead of empty boxes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

CATEGORIES = {
    "gambling": gettext_lazy("gambling"),
    "adult": gettext_lazy("adult content"),
    "ad": gettext_lazy("advertising"),
    "seo": gettext_lazy("search-engine keyword stuffing"),
}
SPAM_EVIDENCE = {
    "reads like advertising": gettext_lazy("reads like advertising (text model)"),
    "line is only a phone number": gettext_lazy("the line is only a phone number"),
    "office contact line": gettext_lazy("an office's contact line"),
    "mobile or hotline number": gettext_lazy("mobile or hotline number"),
    "messenger contact": gettext_lazy("messenger contact"),
    "exclamatory slogan": gettext_lazy("exclamatory slogan"),
    "keyword list without verbs": gettext_lazy("a list of keywords without verbs"),
    "repeated keywords": gettext_lazy("repeated keywords"),
    "after the last sentence of the document": gettext_lazy("after the last sentence of the document"),
    "before the first sentence of the document": gettext_lazy("before the first sentence of the document"),
    "script differs from the traditional document": gettext_lazy("simplified script in a traditional-script document"),
    "script differs from the simplified document": gettext_lazy("traditional script in a simplified-script document"),
    "slogan next to an advertisement": gettext_lazy("slogan next to an advertisement"),
    "next to an advertisement": gettext_lazy("next to an advertisement"),
    "advertising sentence in a paragraph": gettext_lazy("advertising sentence inside a paragraph"),
}
_MOJIBAKE_WHY = {
    "UTF-8 text read as Latin-1": gettext_lazy("UTF-8 text read as Latin-1"),
    "run of rare characters typical of a wrong decoding": gettext_lazy("a run of rare characters typical of a wrong decoding"),
}
_LOST_DIGIT = "is impossible; the copy may have lost or doubled a digit"


def _date_problem(problem: str) -> str:
    if match := re.fullmatch(rf"(month|day) (\d+) {re.escape(_LOST_DIGIT)}", problem):
        if match.group(1) == "month":
            return _("month %(n)s is impossible; the copy may have lost or doubled a digit") % {"n": match.group(2)}
        return _("day %(n)s is impossible; the copy may have lost or doubled a digit") % {"n": match.group(2)}
    if match := re.fullmatch(r"(\d+-\d+-\d+) is not a calendar date", problem):
        return _("%(date)s is not a calendar date") % {"date": match.group(1)}
    if problem == "malformed Chinese-numeral date":
        return _("malformed date in Chinese numerals")
    if problem == "day/month order is ambiguous (DD/MM or MM/DD)":
        return _("the order of day and month is ambiguous")
    return ""


def _spam(reason: str) -> str:
    parts = [part.strip() for part in reason.split(";") if part.strip()]
    shown: list[str] = []
    for position, part in enumerate(parts):
        if position == 0 and part in CATEGORIES:
            shown.append(str(CATEGORIES[part]))
        elif match := re.fullmatch(r"confidence (\d\.\d+)", part):
            shown.append(_("confidence %(percent)s%%") % {"percent": round(float(match.group(1)) * 100)})
        elif part in SPAM_EVIDENCE:
            shown.append(str(SPAM_EVIDENCE[part]))
    return _("; ").join(shown)


def _mojibake(reason: str) -> str:
    if reason.startswith("replacement characters"):
        return _("replacement characters: part of the text was lost in a wrong decoding")
    match = re.fullmatch(r"(.+?); (?:it may read '(.*)'|the original cannot be recovered) \(kept as is\)", reason)
    if not match or match.group(1) not in _MOJIBAKE_WHY:
        return ""
    why = str(_MOJIBAKE_WHY[match.group(1)])
    if match.group(2) is not None:
        return _("%(why)s; it may read “%(text)s” (kept as it is)") % {"why": why, "text": match.group(2)}
    return _("%(why)s; the original cannot be recovered (kept as it is)") % {"why": why}


def _date(reason: str) -> str:
    if reason == "the page states different dates; date left empty":
        return _("the page states different dates; the date is left empty")
    if match := re.fullmatch(r"document date (.+); date left empty", reason):
        problem = _date_problem(match.group(1))
        return _("document date: %(problem)s; the date is left empty") % {"problem": problem} if problem else ""
    if match := re.fullmatch(r"'(.*)': (.+); not guessed", reason):
        problem = _date_problem(match.group(2))
        return _("“%(date)s”: %(problem)s; not guessed") % {"date": match.group(1), "problem": problem} if problem else ""
    return ""


def _spun(reason: str) -> str:
    match = re.match(r"machine-rewritten \('spun'\) wording, (\d+) substitutions such as (.+); this copy", reason)
    if not match:
        return ""
    return _("machine-rewritten wording: %(n)s substitutions such as %(examples)s; this copy does not carry the "
             "official text") % {"n": match.group(1), "examples": match.group(2)}


def _artefact(reason: str) -> str:
    match = re.match(r"conversion artefact \((\d+)x\)", reason)
    if not match:
        return ""
    return _("conversion artefact (%(n)s times): 製 stands for 制 here; “Convert to simplified script” repairs "
             "it") % {"n": match.group(1)}


def _mixed(reason: str) -> str:
    match = re.match(r"text mixes traditional \((\d+)\) and simplified \((\d+)\) characters", reason)
    if not match:
        return ""
    return _("the text mixes traditional (%(trad)s) and simplified (%(simp)s) characters; “Convert to simplified "
             "script” gives one script") % {"trad": match.group(1), "simp": match.group(2)}


def _suspicious(reason: str) -> str:
    match = re.fullmatch(r"'(.*)' after punctuation looks injected; kept because it occurs fewer than (\d+) times", reason)
    if not match:
        return ""
    return _("“%(token)s” after a punctuation mark looks injected; kept because it occurs fewer than %(n)s "
             "times") % {"token": match.group(1), "n": match.group(2)}


_BY_KIND: dict[str, Callable[[str], str]] = {
    "spam": _spam, "spam_suspect": _spam, "mojibake": _mojibake, "ambiguous_date": _date,
    "spun_text": _spun, "script_artifact": _artefact, "mixed_script": _mixed, "suspicious_chars": _suspicious,
}


def reason(kind: str, text: str) -> str:
    """The reason of a flag or removal in the user's language ("" when it cannot be translated)."""
    translate = _BY_KIND.get(kind)
    return translate(text) if translate and text else ""


# Pictographs and the marks that travel with them, named.
_SHOWN_BY_NAME = {"emoji", "decoration"}
_INVISIBLE = {"invisible", "control"}


def _name(char: str) -> str:
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X} {name}" if name else f"U+{ord(char):04X}"


def shown(kind: str, text: str) -> str:
    """How a removed piece is shown: invisible characters by code point, pictographs and
    decorative symbols by code point and name (legible without any emoji font)."""
    if kind in _INVISIBLE:
        return " ".join(f"U+{ord(c):04X}" for c in text)
    if kind in _SHOWN_BY_NAME:
        return "[" + " + ".join(_name(c) for c in text) + "]"
    return text


_ERRORS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"refused: (\d+)% of the text is spam or advertising"),
     lambda m: _("refused: %(percent)s%% of the text is spam or advertising") % {"percent": m.group(1)}),
    (re.compile(r"the document holds ([\d.]+) million characters of text; at most (\d+) million can be read: split it into parts"),
     lambda m: _("the document holds %(n)s million characters of text; at most %(max)s million can be read: split it "
                 "into parts") % {"n": m.group(1), "max": m.group(2)}),
    (re.compile(r"reading stopped after (-?\d+) seconds: the document is too large to read here; split it into parts"),
     lambda m: _("reading stopped after %(n)s seconds: the document is too large to read here; split it into "
                 "parts") % {"n": m.group(1)}),
    (re.compile(r"file is ([\d.]+) MiB; the limit is (\d+) MiB"),
     lambda m: _("the file is %(size)s MiB; the limit is %(max)s MiB") % {"size": m.group(1), "max": m.group(2)}),
    (re.compile(r"file is empty"), lambda m: _("the file is empty")),
    (re.compile(r"no text left after removing noise"), lambda m: _("no text is left after removing the noise")),
    (re.compile(r"cannot determine the text encoding.*"),
     lambda m: _("the text encoding cannot be determined; save the file as UTF-8")),
    (re.compile(r"binary file .*|a damaged ZIP archive|a ZIP archive that is not a \.docx document"),
     lambda m: _("this is not a text document that can be read (.txt, .html, .docx or .pdf)")),
    (re.compile(r"not a readable (?:\.docx file|PDF).*"), lambda m: _("the file is damaged or not what its name says")),
    (re.compile(r"the PDF has no text layer.*"), lambda m: _("the PDF has no text layer (a scan?); it needs OCR first")),
    (re.compile(r"the PDF is encrypted"), lambda m: _("the PDF is encrypted")),
    (re.compile(r"the text holds a lone surrogate \((U\+[0-9A-F]{4})\) at character (\d+), which is not a character; "
                r"copy the text again from its source"),
     lambda m: _("the text holds a lone surrogate (%(code)s) at character %(n)s, which is not a character; copy the "
                 "text again from its source") % {"code": m.group(1), "n": m.group(2)}),
    (re.compile(r"not read: (.+)"), lambda m: _("not read: %(reason)s") % {"reason": m.group(1)}),
)


def error(message: str, filename: str = "") -> str:
    """A reading error (``IntakeError``'s one line, which starts with the file name) for the page."""
    name = filename or "<input>"
    problem = message[len(name) + 2:] if message.startswith(name + ": ") else message
    for pattern, translate in _ERRORS:
        if match := pattern.fullmatch(problem):
            text = translate(match)
            return f"{filename}: {text}" if filename else text
    return message
