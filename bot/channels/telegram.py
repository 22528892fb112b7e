"""Telegram through python-telegram-bot: the webhook secret, updates as Inbounds, sending."""
import hmac
import json
import warnings
from datetime import timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType, MessageEntityType
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application

from bot.channels.errors import RateLimited, Rejected, Transient
from bot.settings import Settings
from handlers.turn import Inbound

WEBHOOK_PATH = "/webhooks/telegram"
CALLBACK_LIMIT = 64  # bytes Telegram allows in callback_data
MAX_UPDATE = 1_000_000  # bytes; an update is a few kB (a message is at most 4,096 characters)
GROUPS = (ChatType.GROUP, ChatType.SUPERGROUP)


def configured(settings: Settings) -> bool:
    return bool(settings.telegram_token)


def secret_ok(settings: Settings, header: str | None) -> bool:
    """True when the webhook carries our secret token (compared in constant time)."""
    if not settings.telegram_secret or header is None:
        return False
    return hmac.compare_digest(header.encode(), settings.telegram_secret.encode())


def read_update(body: bytes, bot) -> Update | None:
    """The Update a webhook's body holds; None when it holds none."""
    try:
        data = json.loads(body)
        return Update.de_json(data, bot) if isinstance(data, dict) else None
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def build_application(settings: Settings, polling: bool = False) -> Application:
    """A PTB Application pointed at the configured Bot API; without an updater for webhooks."""
    builder = Application.builder().token(settings.telegram_token).base_url(settings.telegram_api_url)
    if not polling:
        builder = builder.updater(None)
    return builder.build()


def callback_data(question: str | None, index: int, value: str) -> str:
    """What a button sends back: the question it belongs to and the choice's value (or number,
    when the value would not fit Telegram's 64 bytes)."""
    data = f"{question or ''}|{value}"
    return data if len(data.encode()) <= CALLBACK_LIMIT else f"{question or ''}#{index}"


def read_callback_data(data: str) -> tuple[str | None, str]:
    """(question, value or `#index`) from a button's callback data."""
    if "|" in data:
        question, value = data.split("|", 1)
    else:
        question, _, index = data.partition("#")
        value = f"#{index}"
    return question or None, value


def keyboard(choices: list[dict]) -> InlineKeyboardMarkup | None:
    """One button per row: labels in our languages are long for side-by-side buttons."""
    if not choices:
        return None
    return InlineKeyboardMarkup([
        [InlineKeyboardButton(c["label"], callback_data=callback_data(c.get("question"), i, c["value"]))]
        for i, c in enumerate(choices, 1)])


def inbound(update: Update, bot_username: str | None) -> Inbound | None:
    """An Inbound from a Telegram update; None for updates the bot leaves alone
    (edits, channel posts, and group messages that are neither a command nor a mention)."""
    provider_id = str(update.update_id)
    if update.callback_query:
        query = update.callback_query
        question, value = read_callback_data(query.data or "")
        chat = query.message.chat.id if query.message else query.from_user.id
        return Inbound(channel="telegram", address=str(query.from_user.id), choice=value,
                       question=question, provider_id=provider_id, reply_to=str(chat),
                       telegram_username=query.from_user.username)
    message = update.message
    if message is None or message.from_user is None:
        return None
    text = message.text or message.caption or ""
    if message.chat.type in GROUPS:
        if not addressed_to_bot(message, bot_username):
            return None
        text = text.replace(f"@{bot_username}", "").strip() if bot_username else text
    has_media = bool(message.photo or message.document or message.voice or message.audio
                     or message.video or message.sticker or message.location or message.contact)
    return Inbound(channel="telegram", address=str(message.from_user.id), text=text,
                   provider_id=provider_id, reply_to=str(message.chat.id), has_media=has_media,
                   telegram_username=message.from_user.username)


def addressed_to_bot(message, bot_username: str | None) -> bool:
    """In a group: a /command, a @mention of the bot, or a reply to one of its messages."""
    entities = message.parse_entities([MessageEntityType.BOT_COMMAND, MessageEntityType.MENTION])
    for entity, text in entities.items():
        if entity.type == MessageEntityType.BOT_COMMAND and entity.offset == 0:
            return True
        if entity.type == MessageEntityType.MENTION and bot_username and text[1:] == bot_username:
            return True
    reply = message.reply_to_message
    return bool(reply and reply.from_user and reply.from_user.is_bot
                and reply.from_user.username == bot_username)


class TelegramSender:
    """Sends messages with the PTB Bot, reporting failures as SendErrors."""

    def __init__(self, application: Application):
        self.bot = application.bot

    async def send(self, chat_id: str, text: str, choices: list[dict]) -> str:
        """Sends one message with its choices as buttons; returns Telegram's message id."""
        try:
            message = await self.bot.send_message(chat_id=int(chat_id), text=text,
                                                  reply_markup=keyboard(choices))
        except RetryAfter as error:
            raise RateLimited(f"telegram 429: {error.message}", retry_seconds(error)) from error
        except Forbidden as error:  # blocked by the user, or removed from the group
            raise Rejected(f"telegram 403: {error.message}", "telegram_blocked") from error
        except BadRequest as error:  # chat not found, text too long...: retrying will not help
            raise Rejected(f"telegram 400: {error.message}") from error
        except (NetworkError, TelegramError) as error:
            raise Transient(f"telegram: {error.message}") from error
        return str(message.message_id)

    async def answer_callback(self, callback_query_id: str) -> None:
        """Stops the button's spinner; a lost answer only leaves it spinning a while."""
        try:
            await self.bot.answer_callback_query(callback_query_id)
        except TelegramError:
            pass


def retry_seconds(error: RetryAfter) -> float:
    """retry_after as seconds (PTB 22 gives an int with a warning, or a timedelta when asked)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
