"""Character-level noise: emoji, invisible characters, pinyin, decorations.

Each ``remove_*`` function takes the text and a list to which it appends one
:class:`Removal` per removed piece, and returns the text without that noise.
They only ever delete characters; nothing is inserted or moved, so every
character of the real text survives in order.
"""

from __future__ import annotations

import re
from functools import cache

import regex

from .charsets import ranges_class
from .model import Flag, Removal

HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U000323af"

# --- whitespace and control characters ------------------------------------

_NEWLINES = re.compile(r"\r\n?|[\u2028\u2029\x0b\x0c\x85]")
_SPACES = re.compile(r"[\u00a0\u1680\u2000-\u200a\u202f\u205f]")  # every space separator but U+3000
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]+")
# Invisible formatting characters (zero-width space, word joiner, BOM, soft
# hyphen, bidirectional controls, Hangul fillers). ZWJ belongs to emoji.
_INVISIBLE = re.compile(
    "[\u200b\u200c\u200e\u200f\u2060-\u2064\ufeff\u00ad\u202a-\u202e"
    "\u2066-\u2069\u180e\u034f\u115f\u1160\u3164\uffa0]+"
)


def normalise_breaks(text: str) -> str:
    """Unify line breaks and exotic spaces (not reported: no text is lost)."""
    return _SPACES.sub(" ", _NEWLINES.sub("\n", text))


def remove_controls(text: str, removed: list[Removal]) -> str:
    return _sub_report(_CONTROL, text, removed, "control")


def remove_invisible(text: str, removed: list[Removal]) -> str:
    return _sub_report(_INVISIBLE, text, removed, "invisible")


def _sub_report(pattern: re.Pattern[str], text: str,
                removed: list[Removal], kind: str) -> str:
    def drop(match: re.Match[str]) -> str:
        removed.append(Removal(kind, match.group()))
        return ""

    return pattern.sub(drop, text)


# --- emoji ------------------------------------------------------------------

_LEFTOVER = "[\u200d\ufe0e\ufe0f\u20e3\U0001f3fb-\U0001f3ff\U000e0000-\U000e007f\U0001f9b0-\U0001f9b3]"
_MODS = "[\ufe0e\ufe0f\U0001f3fb-\U0001f3ff\u20e3]"
# In the BMP, Extended_Pictographic characters are read from the Unicode
# tables; the supplementary symbol planes U+1F000..U+1FFFF (emoji, mahjong,
# playing cards, enclosed supplements, pictographs) are taken whole: nothing
# there belongs in policy text, and one range keeps the class fast to test.
_BMP_PICTOGRAPHS = (0x00A9, 0x3300)
_SUPPLEMENTARY_SYMBOLS = "\U0001f000-\U0001ffff"
_TEXT_SYMBOLS = frozenset("\u00a9\u00ae\u2122")  # ©, ®, ™: ordinary text in footers


@cache
def _emoji_pattern() -> re.Pattern[str]:
    """Emoji sequences, as a plain ``re`` pattern (faster than ``regex``).

    The BMP pictographs are read from the ``regex`` package's Unicode tables
    (``\\p{Extended_Pictographic}``) once per process.
    """
    is_pictograph = regex.compile(r"\p{Extended_Pictographic}").match
    points = [
        chr(point)
        for point in range(*_BMP_PICTOGRAPHS)
        if is_pictograph(chr(point)) and chr(point) not in _TEXT_SYMBOLS
    ]
    pict = "[" + ranges_class(points) + _SUPPLEMENTARY_SYMBOLS + "]"
    return re.compile(
        "|".join((
            "[0-9#*]\ufe0f?\u20e3",  # keycap: the digit belongs to the emoji
            "\U0001f3f4[\U000e0020-\U000e007e]+\U000e007f?",  # tag sequence
            "[\U0001f1e6-\U0001f1ff]+",  # regional indicators (flags)
            f"{pict}{_MODS}*(?:\u200d(?:{pict}{_MODS}*)?)*",  # ZWJ sequences
            f"{_LEFTOVER}+",  # joiners, selectors, modifiers, tags left alone
        ))
    )


def remove_emoji(text: str, removed: list[Removal]) -> str:
    """Remove emoji sequences whole (modifiers, joiners, keycaps, flags, tags).

    Stray gender signs (♀ ♂) left when joiners were stripped are
    pictographs themselves and go too.
    """
    return _sub_report(_emoji_pattern(), text, removed, "emoji")


# --- pinyin annotations ----------------------------------------------------

_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿĀÁǍÀĒÉĚÈĪÍǏÌŌÓǑÒŪÚǓÙǕǗǙǛ"
_INITIAL = "(?:[zcsZCS]h|[bpmfdtnlgkhjqxrzcsywBPMFDTNLGKHJQXRZCSYW])?"
_VOWEL = "[aeiouüvAEIOUÜ]"
_TONE_VOWEL = f"(?:[{_TONED}]|[aeiouüAEIOUÜ][\u0300\u0301\u0304\u030c])"
_FINAL_TAIL = "(?:ng|n|r)?"
_SYLLABLE = (
    f"(?:{_INITIAL}{_VOWEL}{{0,2}}{_TONE_VOWEL}{_VOWEL}{{0,2}}{_FINAL_TAIL}"
    f"|{_INITIAL}{_VOWEL}{{1,3}}{_FINAL_TAIL}[1-5])"
)
_PINYIN = re.compile(f"[ \u3000]?[(（] ?{_SYLLABLE}(?:[ '’-]?{_SYLLABLE}){{0,3}} ?[)）]")
_HAN_CHAR = re.compile(f"[{HAN}]")
# A pinyin annotation cut off by the end of the copy: "實現(x".
_PINYIN_CUT = re.compile(f"(?<=[{HAN}])[(（][a-z{_TONED}]{{1,6}}\\s*\\Z")


def remove_pinyin(text: str, removed: list[Removal]) -> str:
    """Remove pinyin after characters, ``工(gōng)作(zuò)``.

    A bracket only counts when it follows a Han character and holds one to
    four pinyin syllables with a tone (mark or number), so ``(2024-2035年)``,
    ``（一）`` or ``(试行)`` are never touched.
    """
    def drop(match: re.Match[str]) -> str:
        if not _HAN_CHAR.match(text[match.start() - 1 : match.start()]):
            return match.group()
        removed.append(Removal("pinyin", match.group()))
        return ""

    text = _PINYIN.sub(drop, text)
    return _sub_report(_PINYIN_CUT, text, removed, "pinyin")


# --- decorations -------------------------------------------------------------

_CHECKBOXES = "\u25a1\u2610\u2611\u2612"
_DECORATION = re.compile(
    "[\u2500-\u25a0\u25a2-\u260f\u2613-\u27bf\u2b00-\u2bff"
    "\u10e6\u0bd0\ua9c1\ua9c2\u0f3a-\u0f3d\u0e51\u22b0\u22b1\u22c6\u02da"
    "\u203f\u029a\u025e\u0ccb\u2042\u204e\u2051\u2055\u3013]+"
)
_BULLETS = frozenset("●■◆◇○◎▲△▶►▪◉★☆")
_NUMERALS = frozenset("〇○零一二三四五六七八九十")


def remove_decorations(text: str, removed: list[Removal]) -> str:
    """Remove decorative symbols (``★ღ``, ``✿``, box drawing) injected in text.

    Kept: a single bullet symbol that starts a line, check boxes (□ ☐ ☑ ☒),
    and ``○`` written for 〇 inside a Chinese date (二○二四年).
    """

    def drop(match: re.Match[str]) -> str:
        piece = match.group()
        start, end = match.span()
        at_line_start = start == 0 or text[start - 1] == "\n"
        following = text[end : end + 1]
        if at_line_start and len(piece) == 1 and piece in _BULLETS and following.strip():
            return piece
        if piece == "○" and (
            text[start - 1 : start] in _NUMERALS or following in _NUMERALS
        ):
            return piece
        removed.append(Removal("decoration", piece))
        return ""

    return _DECORATION.sub(drop, text)


# --- injected random characters ---------------------------------------------

# Scripts and symbols that never belong in Chinese policy text right after a
# punctuation mark: bopomofo, Hangul jamo, half-width katakana, braille, stray
# Latin-1 symbols; and combining marks hanging on a non-Latin character.
# (Between Han characters such symbols are more likely mojibake, which is
# flagged, not removed.)
_PUNCT_BEFORE = "，。；：！？、,;:!?）)」』”"
_JUNK = re.compile(
    f"[{_PUNCT_BEFORE}]"
    "([\u3100-\u312f\u31a0-\u31bf\u3130-\u318f\uff66-\uff9f\u2800-\u28ff"
    "\u00a4\u00a6\u00a8\u00ac\u00af\u00b4\u00b8]+)"
)
_COMBINING = re.compile("[\u0300-\u036f]+")
_LATIN_BASE = re.compile("[A-Za-z\u00c0-\u024f]")
_TOKEN_AFTER_PUNCT = re.compile(
    f"[{_PUNCT_BEFORE}]([A-Za-z0-9\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]{{1,12}})(?=[{HAN}])"
)
_KNOWN_TOKENS = frozenset(
    "app pdf ppt doc docx xls xlsx wps excel word html www com cn mp3 mp4 h5 "
    "wifi vr ar ai pc ipad iphone ok mooc ph qq".split()
)
_FULLWIDTH = str.maketrans(
    {**{0xFF10 + i: 0x30 + i for i in range(10)},
     **{0xFF21 + i: 0x41 + i for i in range(26)},
     **{0xFF41 + i: 0x61 + i for i in range(26)}}
)
# Below this many random-looking tokens in one document we only flag them.
RANDOM_TOKEN_MIN = 3


def looks_random(token: str) -> bool:
    """True for tokens such as ``qX7`` or ``k`` (but not ``2024``, ``AI``, ``5G``)."""
    plain = token.translate(_FULLWIDTH)
    if plain.isdigit() or plain.lower() in _KNOWN_TOKENS:
        return False
    letters = [c for c in plain if c.isalpha()]
    if not letters:
        return False
    if all(c.isupper() for c in letters):
        return False
    if re.fullmatch(r"[A-Z][a-z]{2,}", plain):
        return False
    return True


def remove_injected(text: str, removed: list[Removal], flags: list[Flag]) -> str:
    """Remove characters injected after punctuation by anti-copy scripts."""
    def drop_junk(match: re.Match[str]) -> str:
        removed.append(Removal("injected_chars", match.group(1)))
        return match.group()[: match.start(1) - match.start()]

    text = _JUNK.sub(drop_junk, text)

    def drop_marks(match: re.Match[str]) -> str:
        before = text[match.start() - 1 : match.start()]
        if not before or before.isspace() or _LATIN_BASE.match(before):
            return match.group()
        removed.append(Removal("injected_chars", match.group()))
        return ""

    text = _COMBINING.sub(drop_marks, text)
    candidates = [m for m in _TOKEN_AFTER_PUNCT.finditer(text) if looks_random(m.group(1))]
    if not candidates:
        return text
    if len(candidates) < RANDOM_TOKEN_MIN:
        for match in candidates:
            context = text[max(0, match.start(1) - 8) : match.end() + 8]
            flags.append(Flag(
                "suspicious_chars", context,
                f"'{match.group(1)}' after punctuation looks injected; kept "
                f"because it occurs fewer than {RANDOM_TOKEN_MIN} times",
            ))
        return text
    pieces: list[str] = []
    last = 0
    for match in candidates:
        pieces.append(text[last : match.start(1)])
        removed.append(Removal("injected_chars", match.group(1)))
        last = match.end()
    pieces.append(text[last:])
    return "".join(pieces)
