"""The conversation engine: stores an Inbound, ties it to a member, routes it, queues the replies."""
import logging
import re
import unicodedata
import uuid
from datetime import timedelta

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.phones import to_e164
from bot.settings import Settings
from handlers import routes
from handlers.quantities import whole_number
from handlers.turn import Choice, Inbound, Turn
from locales import language
from locales.i18n import N_, command_word, fold, keyword_of, keyword_word, translate
from storage import clusters, conversations, members, messages, outbox
from storage.db import log_failure, single_statements, unit_of_work
from storage.models import InboundMessage, Member

log = logging.getLogger(__name__)

# Carrier rules: these words alone opt out / back in, whatever the member's language.
STOP_WORDS = {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout"}
START_WORDS = {"start", "unstop"}
MAX_TEXT = 1600  # ten SMS; anything longer is cut before it reaches a handler
RETRY_AFTER = (1, 2, 5, 15, 30)  # seconds before each new try of a handling the database failed
# What the bot answers in a group chat for everyone to read: nothing personal is in these.
ANSWERED_IN_GROUPS = {"help", "price"}
NOT_UNDERSTOOD = "?"  # what `_route` returns for a message it answered with the hint


def clean(text: str) -> str:
    """Drops control characters, collapses whitespace and bounds the length."""
    text = "".join(" " if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c for c in text)
    return re.sub(r"\s+", " ", text[: MAX_TEXT * 2]).strip()[:MAX_TEXT]


class Engine:
    def __init__(self, factory: sessionmaker[Session], settings: Settings):
        self.factory = factory
        self.storing = single_statements(factory)
        self.settings = settings
        self.idle = timedelta(minutes=settings.conversation_timeout_minutes)

    def receive(self, inbound: Inbound) -> int | None:
        """Stores the message (committed) and returns its id; None when it is a duplicate."""
        fields = dict(vars(inbound))  # shallow: asdict copies deeply, for nothing
        extra = {key: fields.pop(key) for key in Inbound.EXTRA}
        fields["provider_id"] = fields["provider_id"] or uuid.uuid4().hex
        fields["text"] = fields["text"].replace("\x00", "")  # PostgreSQL text cannot hold NUL
        with unit_of_work(self.storing) as session:
            return messages.store_inbound(session, extra=extra, **fields)

    def handle(self, inbound: Inbound) -> bool:
        """Receives and processes a message at once (terminal, tests); False for a duplicate."""
        inbound_id = self.receive(inbound)
        if inbound_id is not None:
            self.process(inbound_id, inbound.channel, inbound.address)
        return inbound_id is not None

    def unhandled(self, lease: float) -> list:
        """(id, channel, address) of accepted messages due to be handled (see
        `messages.unhandled_inbound`)."""
        with self.factory() as session:
            return messages.unhandled_inbound(session, lease)

    def process(self, inbound_id: int, channel: str, address: str) -> None:
        """Handles one stored message, from `channel` and `address` (as its row says: whoever
        took its id knows them); its state change and its replies commit together.

        When that fails on the database (it may come back) the message is tried again later, a
        few times; on anything else (a bug) or after the last try, the member is told."""
        try:
            with unit_of_work(self.factory) as session:
                self._process(session, inbound_id, channel, address)
        except Exception as error:
            log_failure(log, f"inbound message {inbound_id}", error)
            self._after_failure(inbound_id, retry=isinstance(error, SQLAlchemyError))

    def _after_failure(self, inbound_id: int, retry: bool) -> None:
        try:
            with unit_of_work(self.factory) as session:
                again = messages.record_failure(session, inbound_id, RETRY_AFTER if retry else ())
            if not again:
                self._apologise(inbound_id)
        except SQLAlchemyError as error:  # the database is away: the message waits for it
            log_failure(log, f"inbound message {inbound_id}: recording the failure", error)

    def _process(self, session: Session, inbound_id: int, channel: str, address: str) -> None:
        phone, telegram_id = identity(channel, address, self.settings.default_country)
        if phone is None and telegram_id is None:  # a sender name (SAFARICOM), not a number
            messages.take(session, inbound_id, None, status="ignored")
            return
        # The member first: their lock orders the handling of their messages, and the message
        # is marked as theirs when it is taken.
        member, conversation = members.for_handling(session, phone=phone, telegram_id=telegram_id)
        if member is None:
            member = members.get_or_create(session, phone=phone, telegram_id=telegram_id, lock=True)
        taken = messages.take(session, inbound_id, member.id)
        if taken is None:  # another worker has handled it
            return
        inbound = Inbound(channel=channel, address=address, text=clean(taken.text or ""),
                          provider_id=taken.provider_id, choice=taken.choice,
                          received_at=taken.received_at, **taken.extra)
        note_channel(member, inbound)
        conversation = conversations.still_open(session, conversation, self.idle)
        self._update_language(session, member, inbound.text, answering=conversation is not None)
        turn = Turn(session=session, member=member, inbound=inbound,
                    region=self.settings.default_country)
        if conversation:
            turn.flow, turn.step, turn.data = conversation.flow, conversation.step, dict(conversation.data)
        keyword = self._route(turn)
        queue_replies(session, turn, public=keyword in ANSWERED_IN_GROUPS)
        if keyword == NOT_UNDERSTOOD:
            messages.mark_not_understood(session, inbound_id)

    def _update_language(self, session: Session, member: Member, text: str, answering: bool) -> None:
        """Guesses a new member's language from their first messages; the word they register
        with (JIUNGE, INSCRIRE) sets it again. After that only LANG or registration change it."""
        if member.language_chosen or not text or answering:
            return
        first, _, rest = text.partition(" ")
        registering = keyword_of(first) == "join" and not member.registered
        if member.language is not None and not registering:
            return
        guess = language.detect(f"{command_word(first)} {rest}".strip(),
                                cluster_languages=clusters.languages_for(session, member),
                                phone=member.phone)
        if guess.language:
            member.language = guess.language

    def _route(self, turn: Turn) -> str | None:
        """Carrier words, then HELP, MENU and LANG, then the open question (unless the message
        leaves a menu), then keywords; returns the keyword the message was handled as (None for
        an answer, NOT_UNDERSTOOD for a message answered with the hint)."""
        text, member = turn.inbound.text, turn.member
        whole = fold(text)
        if turn.inbound.has_media and not member.opted_out:
            turn.say(turn._("I can only read text messages. Please write your message."))
            if not text:
                return None
        if whole in STOP_WORDS:
            routes.stop(turn)
            return "stop"
        if member.opted_out:
            if whole in START_WORDS or keyword_of(whole) == "yes":
                routes.start(turn)
            return None  # nothing more is sent to an opted-out member
        keyword = keyword_of(text.split(" ", 1)[0]) if text else None
        if turn.inbound.choice is not None and keyword is None:
            keyword = keyword_of(turn.inbound.choice)
        if turn.flow and leaves_menu(turn, keyword):
            turn.end()  # no trap: a command or a sentence sent to a menu is a message of its own
        if keyword in routes.BEFORE_CONVERSATION or (keyword in routes.KEYWORDS and not turn.flow):
            routes.KEYWORDS[keyword](turn)
            return keyword
        if turn.flow:
            self._continue(turn)
        elif turn.inbound.choice is not None and keyword is None:
            turn.say(turn._("That question has expired. Send {menu} to start again.",
                            menu=keyword_word("menu", turn.lang)))
        else:
            routes.hint(turn)
            return NOT_UNDERSTOOD
        return None

    def _continue(self, turn: Turn) -> None:
        """Gives the open question its answer, or asks it again when the answer is not one."""
        inbound, data = turn.inbound, turn.data
        choices = open_choices(data)
        if inbound.choice is not None:
            if inbound.question != data.get("_q"):
                return reask(turn, turn._("That button belongs to an earlier question."))
            turn.answer = pressed(inbound.choice, choices)
            turn.chosen = any(turn.answer == c.value for c in choices)  # not a forged button
        else:
            turn.answer, turn.chosen = match_choice(inbound.text, choices)
        if not turn.answer:
            return reask(turn, turn._("Your message was empty."))
        if not turn.chosen and not data.get("_free", True):
            return reask(turn, turn._("Please answer with a number from 1 to {count}.",
                                      count=len(choices)))
        looks_like_command = keyword_of(turn.answer.split(" ", 1)[0]) not in (None, "yes", "no")
        if not turn.chosen and looks_like_command and not data.get("_literal"):
            return reask(turn, turn._("That looks like a command. Send {menu} to leave this "
                                      "question, or answer it:", menu=keyword_word("menu", turn.lang)))
        routes.FLOWS[turn.flow][turn.step](turn)

    def _apologise(self, inbound_id: int) -> None:
        """Marks a message whose handling failed and tells the member, in their language, in a
        fresh transaction. The failed handling rolled back the message's member_id (and a new
        member), so the member is found by address; a newcomer's language is guessed."""
        with unit_of_work(self.factory) as session:
            message = session.get(InboundMessage, inbound_id)
            phone, telegram_id = identity(message.channel, message.address,
                                          self.settings.default_country)
            member = members.find(session, phone=phone, telegram_id=telegram_id)
            member_id = member.id if member else message.member_id
            messages.mark_inbound(message, "failed", member_id)
            lang = member.language if member and member.language else language.detect(
                clean(message.text or ""), phone=phone).language
            text = translate(lang, N_("Sorry, something went wrong. Please try again."))
            outbox.queue(session, channel=message.channel, address=message.address,
                         member_id=member_id, text=text)


def identity(channel: str, address: str, region: str) -> tuple[str | None, int | None]:
    """(phone, telegram id) of the sender: SMS is a phone, Telegram a user id, and the
    terminal either (`tg:12345` for a Telegram user, else a phone); (None, None) when an SMS
    comes from something that is not a phone number, which no one can answer."""
    if channel == "telegram":
        return None, int(address)
    if channel == "console" and address.startswith("tg:"):
        return None, int(address[3:])
    return to_e164(address, region), None


def note_channel(member: Member, inbound: Inbound) -> None:
    """What a message tells of the member's Telegram: their username, and that the private
    chat is open again (they write to us)."""
    if inbound.telegram_username:
        member.telegram_username = inbound.telegram_username
    if inbound.channel == "telegram" and inbound.reply_to in (None, inbound.address):
        member.telegram_blocked = False


def leaves_menu(turn: Turn, keyword: str | None) -> bool:
    """Whether a typed message leaves the open menu (`Turn.ask(menu=True)`) rather than answer
    it: not one of its choices, and a command, or plainly not an answer (more than two words,
    or no number and no choice's label in it). A question that `leaves` is left by a command
    only (YES and NO can be answers), and with `leaves="alone"` by a command sent alone."""
    text, data = turn.inbound.text, turn.data
    open_to_leave = data.get("_menu") or data.get("_leaves")
    if not open_to_leave or turn.inbound.choice is not None or not text:
        return False
    choices = open_choices(data)
    if match_choice(text, choices)[1]:
        return False
    if leaves := data.get("_leaves"):
        alone = leaves != "alone" or len(text.split()) == 1
        return alone and keyword in routes.KEYWORDS and keyword not in ("yes", "no")
    folded = fold(text)
    if keyword is not None or len(folded.split()) > 2:
        return True
    labelled = any(re.search(rf"(?<!\w){re.escape(fold(c.label))}(?!\w)", folded) for c in choices)
    return not labelled and not any(c.isdigit() for c in text)


def open_choices(data: dict) -> list[Choice]:
    """The choices of the open question, as `Turn.ask` saved them."""
    return [Choice(value, label) for value, label in data.get("_choices", [])]


def match_choice(text: str, choices: list[Choice]) -> tuple[str, bool]:
    """The value of the choice `text` names (by number, value or label), else the text itself."""
    if 1 <= (number := whole_number(text) or 0) <= len(choices):
        return choices[number - 1].value, True
    folded, keyword = fold(text), keyword_of(text)
    for choice in choices:
        if folded in (fold(choice.value), fold(choice.label)) or keyword == choice.value:
            return choice.value, True
    return text, False


def pressed(value: str, choices: list[Choice]) -> str:
    """The value of a pressed button: sent as is, or as `#n` when it was too long for Telegram."""
    number = whole_number(value[1:]) if value.startswith("#") else None
    if 1 <= (number or 0) <= len(choices):
        return choices[number - 1].value
    return value


def reask(turn: Turn, why: str) -> None:
    """Says why the answer was not taken and repeats the open question (one message)."""
    data = turn.data
    choices = open_choices(data)
    turn.ask(turn.flow, turn.step, data.get("_text", ""), choices,
             free_text=data.get("_free", True), preface=why, literal=data.get("_literal", False),
             menu=data.get("_menu", False), leaves=data.get("_leaves", False),
             idle_hours=data.get("_idle_hours"))


def queue_replies(session: Session, turn: Turn, public: bool) -> None:
    """Queues the replies where the message came from; from a group (a Telegram group chat)
    only `public` ones: the rest go to the member alone, and the group is told so."""
    inbound, member = turn.inbound, turn.member
    to, queued = inbound.reply_to or inbound.address, []
    if to != inbound.address and not public and turn.replies:
        queued.append({"channel": inbound.channel, "address": to, "member_id": member.id,
                       "text": answered_privately(turn), "choices": [], "kind": "reply"})
        to = inbound.address
    for reply in turn.replies:
        queued.append({"channel": inbound.channel, "address": to, "member_id": member.id,
                       "text": reply.text, "choices": reply.choice_rows(),
                       "kind": "final" if reply.final else "reply"})
    outbox.queue_all(session, queued)


def answered_privately(turn: Turn) -> str:
    """What a group is told when a member's answer is personal (a profile, a contact)."""
    if turn.inbound.telegram_username:
        return turn._("@{user}, I have answered you in a private chat. If nothing came, open a "
                      "chat with me, press Start and send it again.",
                      user=turn.inbound.telegram_username)
    return turn._("I have answered you in a private chat. If nothing came, open a chat with me, "
                  "press Start and send it again.")
