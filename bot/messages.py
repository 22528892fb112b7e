"""What flows through the engine: an Inbound message in, Replies out."""
from dataclasses import dataclass, field
from datetime import datetime, timezone


@dataclass(frozen=True)
class Inbound:
    """A message from a member on any channel.

    `address` is where replies go: an E.164 number on SMS, a chat id on Telegram,
    the `--as` value in the terminal. `choice` is the value of a pressed button and
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


@dataclass(frozen=True)
class Choice:
    """One option of a question: `value` is what the handler receives, `label` what is shown."""

    value: str
    label: str


@dataclass(frozen=True)
class Reply:
    text: str
    choices: tuple[Choice, ...] = ()
    question: str | None = None
