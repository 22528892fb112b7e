"""What flows through the engine: an Inbound message in, Replies out."""
from dataclasses import dataclass, field
from datetime import datetime, timezone


@dataclass(frozen=True)
class Inbound:
    """A message from a member on any channel.

    `address` says who wrote: an E.164 number on SMS, a user id on Telegram, the `--as`
    value in the terminal. Replies go there too, unless `reply_to` names another chat (a
    Telegram group). `choice` is the value of a pressed button (or `#n`, its number) and
    `question` the token of the question that button belonged to.
    """

    channel: str
    address: str
    text: str = ""
    provider_id: str | None = None
    choice: str | None = None
    question: str | None = None
    received_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    telegram_username: str | None = None
    reply_to: str | None = None
    has_media: bool = False

    # What the inbound-messages table keeps in its JSON `extra` column.
    EXTRA = ("question", "telegram_username", "reply_to", "has_media")


@dataclass(frozen=True)
class Choice:
    """One option of a question: `value` is what the handler receives, `label` what is shown."""

    value: str
    label: str


@dataclass(frozen=True)
class Reply:
    """A message to the member; `final` ones still go out to a member who has just opted out."""

    text: str
    choices: tuple[Choice, ...] = ()
    question: str | None = None
    final: bool = False
