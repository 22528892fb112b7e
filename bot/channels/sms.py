"""SMS through Twilio: checking webhook signatures, reading inbound forms, sending messages."""
import asyncio
import logging
import re
from urllib.parse import parse_qsl

import aiohttp
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from bot.channels.errors import RateLimited, Rejected, Transient
from bot.phones import to_e164
from bot.settings import Settings
from handlers.budget import SMS, render
from handlers.quantities import whole_number
from handlers.turn import Inbound

log = logging.getLogger(__name__)

INBOUND_PATH = "/webhooks/sms"
STATUS_PATH = "/webhooks/sms/status"
# Twilio error codes that say something lasting about the recipient.
EFFECTS = {21610: "opted_out", 21211: "sms_unreachable", 21614: "sms_unreachable"}
RATE_LIMIT_CODES = {20429, 21611, 30001}  # too many requests, queue full, queue overflow
RATE_LIMIT_PAUSE = 5.0  # seconds; Twilio sends no Retry-After with these
FORM = "application/x-www-form-urlencoded"  # what Twilio posts, and all that it signs
SID = re.compile(r"[A-Za-z0-9]{1,64}")  # Twilio's are 34 characters; the column holds 64
MAX_ADDRESS = 64  # characters the address column holds
MAX_FORM = 1_000_000  # bytes; Twilio's forms are a few kB (a Body is at most 1,600 characters)


def configured(settings: Settings) -> bool:
    return bool(settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_from)


def signature_ok(settings: Settings, path: str, form: dict, signature: str | None) -> bool:
    """True when `X-Twilio-Signature` signs this form for our public URL + path.

    The public URL, not the one the request arrived on: behind a proxy they differ."""
    if not settings.twilio_auth_token or not signature:
        return False
    url = settings.public_url.rstrip("/") + path
    return RequestValidator(settings.twilio_auth_token).validate(url, form, signature)


def form_encoded(content_type: str | None) -> bool:
    """True for a form-encoded body, the only kind whose signature `signature_ok` checks."""
    return (content_type or "").split(";")[0].strip().lower() == FORM


def read_form(body: bytes) -> dict | None:
    """The fields of a form-encoded body; None when it is not text."""
    try:
        return dict(parse_qsl(body.decode(), keep_blank_values=True))
    except UnicodeDecodeError:
        return None


def well_formed(form: dict) -> bool:
    """True when MessageSid is shaped like Twilio's and From fits the address column."""
    sid, sender = form.get("MessageSid", ""), form.get("From", "")
    return bool(SID.fullmatch(sid)) and len(sender) <= MAX_ADDRESS


def inbound(form: dict, region: str) -> Inbound:
    """An Inbound from Twilio's inbound-message form."""
    sender = form.get("From", "")
    return Inbound(channel="sms", address=to_e164(sender, region) or sender,
                   text=form.get("Body", ""), provider_id=form.get("MessageSid"),
                   has_media=bool(whole_number(form.get("NumMedia", ""))))


class SmsSender:
    """Sends SMS with the twilio SDK's async client, reporting failures as SendErrors."""

    def __init__(self, settings: Settings):
        self.client = Client(settings.twilio_account_sid, settings.twilio_auth_token,
                             http_client=AsyncTwilioHttpClient(timeout=30))
        self.client.api.base_url = settings.twilio_api_url.rstrip("/")
        sender = settings.twilio_from
        self.sender = {"messaging_service_sid": sender} if sender.startswith("MG") else {"from_": sender}
        self.status_callback = settings.public_url.rstrip("/") + STATUS_PATH

    async def send(self, to: str, text: str, labels: list[str]) -> str:
        """Sends one SMS (choices numbered in the text); returns Twilio's message sid."""
        body, _ = render(SMS, text, labels)
        try:
            message = await self.client.messages.create_async(
                to=to, body=body, status_callback=self.status_callback, **self.sender)
        except TwilioRestException as error:
            raise classify(error) from error
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as error:
            raise Transient(f"network: {error!r}") from error
        return message.sid

    async def close(self) -> None:
        await self.client.http_client.close()


def classify(error: TwilioRestException):
    """The SendError a Twilio API error stands for."""
    reason = f"twilio {error.status} {error.code}: {error.msg}"
    if error.status == 429 or error.code in RATE_LIMIT_CODES:
        return RateLimited(reason, RATE_LIMIT_PAUSE)
    if error.status >= 500:
        return Transient(reason)
    return Rejected(reason, EFFECTS.get(error.code))


def status_effect(error_code: str | None) -> str | None:
    """What a status callback's ErrorCode tells about the recipient, if anything lasting."""
    return EFFECTS.get(whole_number(error_code or ""))
