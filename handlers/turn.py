"""One turn of a conversation: what flows through it (an Inbound message in, Replies out), what a
handler reads (the answer) and writes (replies, next step)."""
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from sqlalchemy.orm import Session

from handlers.budget import CHANNELS, SMS, Channel
from locales.i18n import DEFAULT_LANGUAGE, translate
from storage import conversations
from storage.models import Member


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

    def choice_rows(self) -> list[dict]:
        """The choices as the outbox keeps them, each with the question it belongs to."""
        return [{"value": c.value, "label": c.label, "question": self.question}
                for c in self.choices]


@dataclass
class Turn:
    session: Session
    member: Member
    inbound: Inbound
    answer: str = ""
    flow: str | None = None
    step: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    chosen: bool = False
    replies: list[Reply] = field(default_factory=list)
    region: str = "KE"

    @property
    def channel(self) -> Channel:
        """What the member's channel can show (the terminal gets the SMS budget)."""
        return CHANNELS.get(self.inbound.channel, SMS)

    @property
    def lang(self) -> str:
        return self.member.language or DEFAULT_LANGUAGE

    def _(self, msgid: str, /, **values) -> str:
        """Translates into the member's language."""
        return translate(self.lang, msgid, **values)

    def say(self, text: str, *, final: bool = False) -> None:
        """Adds a message; a `final` one is sent even though the member has just opted out."""
        self.replies.append(Reply(text, final=final))

    def ask(self, flow: str, step: str, text: str, choices: list[Choice] = (), *,
            free_text: bool = True, preface: str | None = None, repeat: str | None = None,
            literal: bool = False, menu: bool = False, leaves: bool | str = False,
            idle_hours: float | None = None) -> None:
        """Asks a question and waits for its answer in `flow`.`step`.

        With `free_text=False` only one of the choices is an answer; anything else is
        answered by the engine with the range of numbers and the question again. A `menu` (a
        choice among actions: MENU, ME, LANG) is left instead by a message that is a command or
        plainly no answer, which is then handled as a message of its own.
        `preface` goes before the question in the same message (why it is asked again);
        `repeat` is a shorter question to ask again with (default: `text`). A `literal`
        answer may start with a keyword ("Bei ya samaki" as a meeting title); otherwise such an
        answer is taken for a command sent by mistake and the question is asked again. A question
        that `leaves` (a survey's) is left by any command that is not one of its choices, or
        with `leaves="alone"` by a command sent alone (words after it make it an answer: "Need
        more ice" answers an open question); it stays open `idle_hours` instead of the usual
        idle time (members answer surveys late).
        """
        question = secrets.token_hex(3)
        self.flow, self.step = flow, step
        self.data.update(
            _q=question,
            _text=repeat or text,
            _choices=[[c.value, c.label] for c in choices],
            _free=free_text,
            _literal=literal,
            _menu=menu,
            _leaves=leaves,
            _idle_hours=idle_hours,
        )
        conversations.save(self.session, self.member.id, flow, step, self.data)
        shown = f"{preface}\n{text}" if preface else text
        self.replies.append(Reply(shown, tuple(choices), question))

    def end(self) -> None:
        """Closes the conversation: the next message is read as a new command."""
        stored = self.flow is not None  # read by the engine or written by `ask`: else none is
        self.flow = self.step = None
        self.data = {}
        if stored:
            conversations.clear(self.session, self.member.id)


Handler = Callable[[Turn], None]


@dataclass(frozen=True)
class Invitation:
    """Something a member can answer YES or NO to (handlers.answers): `answer(turn, yes)`
    records the answer and replies."""

    code: str
    created_at: datetime
    answer: Callable[[Turn, bool], None]
