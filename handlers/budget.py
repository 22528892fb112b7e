"""The SMS budget of a reply, and how a reply is shown on each channel (what a channel can draw
is data on the Turn, not branches).

SMS segments are counted as GSM 03.38 splits a text: GSM-7 (160 septets, or 153 per part of a
longer text; an extension character takes two, an escape and itself) or UCS-2 (70 UTF-16 units,
or 67 per part; an emoji outside the BMP takes two, a surrogate pair). Neither pair is ever cut
between two parts: a part whose last room would take half of one ends one unit short."""
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = set("^{}\\[~]|€\f")
GSM7 = frozenset(GSM7_BASIC | GSM7_EXTENSION)
MAX_REPLY_SEGMENTS = 2


def is_gsm7(text: str) -> bool:
    return GSM7.issuperset(text)


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


@dataclass(frozen=True)
class Channel:
    name: str
    buttons: bool  # choices drawn as buttons; else numbered in the text
    max_segments: int | None  # SMS budget per reply; None = no limit
    max_chars: int | None = None  # what one message may hold


SMS = Channel("sms", buttons=False, max_segments=MAX_REPLY_SEGMENTS)
# Telegram refuses a message over 4096 characters; 4000 leaves room for the choices' labels.
TELEGRAM = Channel("telegram", buttons=True, max_segments=None, max_chars=4000)
CHANNELS = {c.name: c for c in (SMS, TELEGRAM)}


def numbered(text: str, labels: list[str]) -> str:
    """`Question\\n1) A 2) B`: choices as text, where the number or the word both answer."""
    if not labels:
        return text
    return f"{text}\n" + " ".join(f"{i}) {label}" for i, label in enumerate(labels, 1))


def render(channel: Channel, text: str, labels: list[str]) -> tuple[str, list[str]]:
    """(text to send, button labels) for the channel."""
    if channel.buttons:
        return text, labels
    body = numbered(text, labels)
    if channel.max_segments and not is_gsm7(body):
        plain = to_gsm7(body)  # one accent halves an SMS: plain letters when that saves one
        if count_segments(plain) < count_segments(body):
            body = plain
    return body, []


def to_gsm7(text: str) -> str:
    """Replaces characters SMS cannot send in GSM-7 by their plain letter (`ã` -> `a`)."""
    out = []
    for c in text:
        if is_gsm7(c):
            out.append(c)
            continue
        base = "".join(b for b in unicodedata.normalize("NFKD", c) if not unicodedata.combining(b))
        out.append(base if base and is_gsm7(base) else {"’": "'", "‘": "'", "“": '"', "”": '"',
                                                        "…": "...", "–": "-", "—": "-"}.get(c, "?"))
    return "".join(out)


def fits_budget(channel: Channel, text: str, labels: list[str] = ()) -> bool:
    body, _ = render(channel, text, list(labels))
    if channel.max_chars is not None and len(body) > channel.max_chars:
        return False
    return channel.max_segments is None or count_segments(body) <= channel.max_segments


def most_that_fit(make: Callable[[list[str], int], str], items: list[str], *, least: int = 0,
                  channel: Channel = SMS) -> str:
    """`make(shown, hidden)` with as many of the items shown as fit the channel's budget (two
    SMS), the `hidden` others to be counted by `make`; `make(items[:least], ...)` when even that
    many do not fit. `make`'s text must grow with the items shown (found by bisection)."""
    def text(shown: int) -> str:
        return make(items[:shown], len(items) - shown)

    low, high = least, len(items)  # text(low) is the answer unless a longer one fits
    while low < high:
        middle = (low + high + 1) // 2
        if fits_budget(channel, text(middle)):
            low = middle
        else:
            high = middle - 1
    return text(low)
