"""Counts SMS segments as GSM 03.38 splits a text: GSM-7 (160 septets, or 153 per part of a
longer text; an extension character takes two, an escape and itself) or UCS-2 (70 UTF-16 units,
or 67 per part; an emoji outside the BMP takes two, a surrogate pair). Neither pair is ever cut
between two parts: a part whose last room would take half of one ends one unit short."""
GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = set("^{}\\[~]|€\f")
MAX_REPLY_SEGMENTS = 2


def is_gsm7(text: str) -> bool:
    return all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)


def char_units(text: str) -> tuple[list[int], str]:
    """The units each character takes (1 or 2, a pair that cannot be split) and the encoding."""
    if is_gsm7(text):
        return [2 if c in GSM7_EXTENSION else 1 for c in text], "gsm7"
    return [len(c.encode("utf-16-le")) // 2 for c in text], "ucs2"


def count_segments(text: str) -> int:
    """How many SMS segments `text` takes (0 for an empty text)."""
    sizes, encoding = char_units(text)
    single, multi = (160, 153) if encoding == "gsm7" else (70, 67)
    if sum(sizes) <= single:
        return 1 if sizes else 0
    segments, room = 1, multi
    for size in sizes:
        if size > room:  # a pair that does not fit whole starts the next part
            segments, room = segments + 1, multi
        room -= size
    return segments


def fits(text: str, segments: int = MAX_REPLY_SEGMENTS) -> bool:
    return count_segments(text) <= segments
