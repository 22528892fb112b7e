"""Channels: how a Reply is shown on each (what a channel can draw is data, not branches)."""
import unicodedata
from dataclasses import dataclass

from bot.segments import MAX_REPLY_SEGMENTS, count_segments, is_gsm7


@dataclass(frozen=True)
class Channel:
    name: str
    buttons: bool  # choices drawn as buttons; else numbered in the text
    max_segments: int | None  # SMS budget per reply; None = no limit


SMS = Channel("sms", buttons=False, max_segments=MAX_REPLY_SEGMENTS)
TELEGRAM = Channel("telegram", buttons=True, max_segments=None)
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


def fits_budget(channel: Channel, text: str, labels: list[str]) -> bool:
    body, _ = render(channel, text, labels)
    return channel.max_segments is None or count_segments(body) <= channel.max_segments
