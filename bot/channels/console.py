"""The terminal channel: a member's conversation with the real engine and database."""
from sqlalchemy.orm import Session, sessionmaker

from bot.channels import CHANNELS, render
from bot.engine import Engine
from bot.messages import Inbound
from handlers.quantities import whole_number
from storage import outbox
from storage.db import unit_of_work
from storage.forget import scrub_sent_to_deleted

CHANNEL = "console"


class Console:
    """Sends what the user types as `address`, and returns the replies drawn as `style` would.

    In Telegram style an address of digits is a Telegram user id (`tg:` is added); a `+`
    number is a phone either way.
    """

    def __init__(self, engine: Engine, factory: sessionmaker[Session], address: str, style: str = "sms"):
        self.engine, self.factory = engine, factory
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
        """Takes the queued replies for this address off the outbox, drawn as text."""
        return [text + ("\n" + "  ".join(f"[{b}]" for b in buttons) if buttons else "")
                for text, buttons in self.take_replies()]

    def send_for_web(self, text: str) -> list[dict]:
        """Like `send`, with the buttons kept apart for a page to draw."""
        self.engine.handle(Inbound(channel=CHANNEL, address=self.address, text=text))
        return [{"text": text, "buttons": buttons} for text, buttons in self.take_replies()]

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
