"""Counts SMS segments: GSM-7 (160/153, extension characters count double) or UCS-2 (70/67)."""
import math

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = set("^{}\\[~]|€\f")
MAX_REPLY_SEGMENTS = 2


def is_gsm7(text: str) -> bool:
    return all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)


def units(text: str) -> tuple[int, str]:
    """The length in encoding units and the encoding SMS would use for `text`."""
    if is_gsm7(text):
        return sum(2 if c in GSM7_EXTENSION else 1 for c in text), "gsm7"
    # UCS-2 counts UTF-16 code units: an emoji outside the BMP takes two.
    return len(text.encode("utf-16-le")) // 2, "ucs2"


def count_segments(text: str) -> int:
    """How many SMS segments `text` takes (0 for an empty text)."""
    length, encoding = units(text)
    single, multi = (160, 153) if encoding == "gsm7" else (70, 67)
    if length <= single:
        return 1 if length else 0
    return math.ceil(length / multi)


def fits(text: str, segments: int = MAX_REPLY_SEGMENTS) -> bool:
    return count_segments(text) <= segments
