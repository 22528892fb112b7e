"""The terminal channel: a member's conversation with the real engine and database."""
import time

from sqlalchemy.orm import Session, sessionmaker

from bot.channels import sms, telegram
from bot.engine import Engine
from bot.settings import Settings
from handlers.budget import CHANNELS, render
from handlers.quantities import whole_number
from handlers.turn import Inbound
from storage import console as shown_outbox
from storage import outbox
from storage.db import unit_of_work
from storage.forget import scrub_sent_to_deleted

CHANNEL = "console"
# A dispatcher with no channel ends a message within milliseconds: how long to wait for it.
DISPATCHER_PAUSE, DISPATCHER_TRIES = 0.05, 20


def nothing_leaves(settings: Settings) -> bool:
    """No channel is configured: a message to a phone can only be shown on this machine."""
    return not (sms.configured(settings) or telegram.configured(settings))


def session_start(factory: sessionmaker[Session]) -> int:
    """Where a terminal or simulator session starts in the outbox (see `Console` others_after)."""
    with unit_of_work(factory) as session:
        return shown_outbox.last_id(session)


class Console:
    """Sends what the user types as `address`, and returns the replies drawn as `style` would.

    In Telegram style an address of digits is a Telegram user id (`tg:` is added); a `+`
    number is a phone either way. With `others_after` (an outbox id; use it only when no
    channel is configured), what the bot queued since for phones (other members: a match, an
    invitation, a broadcast; or this member's own phone) is shown too, marked `[to PHONE]`,
    and recorded as shown rather than left undeliverable: two members can be tried on one
    machine.
    """

    def __init__(self, engine: Engine, factory: sessionmaker[Session], address: str,
                 style: str = "sms", others_after: int | None = None):
        self.engine, self.factory = engine, factory
        self.others_after = others_after
        self.style = CHANNELS[style]
        is_telegram_id = (style == "telegram"
                          and whole_number(address.removeprefix("tg:"), digits=18) is not None)
        self.address = f"tg:{address.removeprefix('tg:')}" if is_telegram_id else address
        self.buttons: list[dict] = []  # the choices of the last reply that had any

    def send(self, text: str) -> list[str]:
        """One message in; the replies out, each as the channel would show it."""
        self.engine.handle(Inbound(channel=CHANNEL, address=self.address, text=text))
        return self.replies()

    def press(self, number: int) -> list[str]:
        """Presses button `number` (from 1) of the last question, as a Telegram user would."""
        if not 1 <= number <= len(self.buttons):
            raise IndexError(f"there is no button {number}")
        button = self.buttons[number - 1]
        self.engine.handle(Inbound(channel=CHANNEL, address=self.address, choice=button["value"],
                                   question=button.get("question")))
        return self.replies()

    def replies(self) -> list[str]:
        """Takes the queued replies for this address off the outbox, drawn as text; then what
        went to phones, each marked `[to PHONE]` (with `others_after`)."""
        return ([drawn(text, buttons) for text, buttons in self.take_replies()]
                + [f"[to {to}] " + drawn(text, buttons) for to, text, buttons in self.take_others()])

    def send_for_web(self, text: str) -> dict[str, list[dict]]:
        """Like `send`, with the buttons kept apart for a page to draw: {"replies": [{text,
        buttons}], "others": [{to, text, buttons}]}."""
        self.engine.handle(Inbound(channel=CHANNEL, address=self.address, text=text))
        replies = [{"text": text, "buttons": buttons} for text, buttons in self.take_replies()]
        return {"replies": replies, "others": [{"to": to, "text": text, "buttons": buttons}
                                               for to, text, buttons in self.take_others()]}

    def take_replies(self) -> list[tuple[str, list[str]]]:
        """(text, button labels) of each queued reply, marked delivered."""
        with unit_of_work(self.factory) as session:
            shown, taken = [], outbox.queued_for(session, CHANNEL, self.address)
            for message in taken:
                shown.append(render(self.style, message.text, [c["label"] for c in message.choices]))
                self.buttons = message.choices or self.buttons
                message.status = "delivered"
            session.flush()
            scrub_sent_to_deleted(session, [message.id for message in taken])
            return shown

    def take_others(self) -> list[tuple[str, str, list[str]]]:
        """(address, text, button labels) of each message for a phone queued since
        `others_after`, drawn for its channel and marked shown; [] without `others_after`."""
        if self.others_after is None:
            return []
        shown = []
        for _ in range(DISPATCHER_TRIES):
            with unit_of_work(self.factory) as session:
                taken = shown_outbox.take_for_phones(session, self.others_after)
                for message in taken:
                    to = message.address if message.channel == "sms" else f"tg:{message.address}"
                    shown.append((to, *render(CHANNELS[message.channel], message.text,
                                              [c["label"] for c in message.choices])))
                scrub_sent_to_deleted(session, [message.id for message in taken])
                busy = shown_outbox.held_by_dispatcher(session, self.others_after)
            if not busy:
                return shown
            time.sleep(DISPATCHER_PAUSE)
        return shown


def drawn(text: str, buttons: list[str]) -> str:
    """A reply as the terminal shows it: buttons as `[label]` on a line of their own."""
    return text + ("\n" + "  ".join(f"[{b}]" for b in buttons) if buttons else "")
