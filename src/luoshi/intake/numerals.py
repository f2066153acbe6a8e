"""Chinese and enclosed numerals used in dates and enumeration markers."""

from __future__ import annotations

CN_DIGITS = {"〇": 0, "○": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4,
             "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_FULLWIDTH = str.maketrans({0xFF10 + i: 0x30 + i for i in range(10)})


def cn_number(text: str) -> int | None:
    """一 .. 九十九 as an int; None when not a well-formed numeral."""
    if not text or any(c not in CN_DIGITS and c != "十" for c in text):
        return None
    if "十" not in text:
        if len(text) != 1:
            return None
        return CN_DIGITS[text] or None
    tens_text, _, units_text = text.partition("十")
    if "十" in units_text or len(tens_text) > 1 or len(units_text) > 1:
        return None
    if tens_text == "一" or CN_DIGITS.get(tens_text, 1) == 0 or CN_DIGITS.get(units_text, 1) == 0:
        return None
    tens = CN_DIGITS[tens_text] if tens_text else 1
    units = CN_DIGITS[units_text] if units_text else 0
    return tens * 10 + units


def arabic_number(text: str) -> int:
    return int(text.translate(_FULLWIDTH))


def enclosed_number(char: str) -> int | None:
    """① .. ㊿, ⑴ .. ⒇, ⒈ .. ⒛ as an int."""
    point = ord(char)
    for first, last, base in ((0x2460, 0x2473, 1), (0x3251, 0x325F, 21),
                              (0x32B1, 0x32BF, 36), (0x2474, 0x2487, 1), (0x2488, 0x249B, 1)):
        if first <= point <= last:
            return point - first + base
    return None
