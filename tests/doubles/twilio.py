"""A double of the Twilio REST API (Messages resource) served over HTTP for the real twilio SDK."""
import asyncio
import base64
import hmac
import random
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime
from urllib.parse import parse_qsl

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from .server import serve

API = "2010-04-01"
MESSAGES_PATH = f"/{API}/Accounts/{{account_sid}}/Messages.json"
E164 = re.compile(r"^(whatsapp:)?\+[1-9]\d{6,14}$")

ERROR_MESSAGES = {
    20003: "Authenticate",
    20404: "The requested resource was not found",
    20429: "Too Many Requests",
    20500: "Internal Server Error",
    20503: "Service Unavailable",
    21211: "Invalid 'To' Phone Number",
    21602: "Message body is required.",
    21603: "A 'From' phone number is required.",
    21604: "A 'To' phone number is required.",
    21610: "Attempt to send to unsubscribed recipient",
    21614: "'To' number is not a valid mobile number",
}

GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€\f")
GSM7_ALL = GSM7 | GSM7_EXTENDED


def new_sid(prefix: str = "SM") -> str:
    """A Twilio-style SID: two letters and 32 hex digits."""
    return f"{prefix}{random.getrandbits(128):032x}"


def segments(body: str) -> int:
    """SMS segments for `body`, as a carrier splits it: GSM-7 septets (an extended character is
    ESC and itself) into 160, or parts of 153; else UTF-16 code units into 70, or parts of 67. A
    part never ends on an ESC or on the high half of a surrogate pair: that unit opens the next."""
    if set(body) <= GSM7_ALL:
        units = [u for c in body for u in (("ESC", c) if c in GSM7_EXTENDED else (c,))]
        single, multi, opens_pair = 160, 153, lambda unit: unit == "ESC"
    else:
        encoded = body.encode("utf-16-be")
        units = [int.from_bytes(encoded[i:i + 2], "big") for i in range(0, len(encoded), 2)]
        single, multi, opens_pair = 70, 67, lambda unit: 0xD800 <= unit <= 0xDBFF
    if len(units) <= single:
        return 1
    parts, start = 0, 0
    while start < len(units):
        end = min(start + multi, len(units))
        if end < len(units) and opens_pair(units[end - 1]):
            end -= 1
        parts, start = parts + 1, end
    return parts


def twilio_error(status: int, code: int, message: str | None = None) -> JSONResponse:
    """A JSON error body shaped like Twilio's."""
    body = {
        "code": code,
        "message": message or ERROR_MESSAGES.get(code, "Error"),
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return JSONResponse(body, status_code=status)


@dataclass(frozen=True)
class SentSms:
    """A message the double accepted."""

    sid: str
    to: str
    from_: str  # the From number, or the Messaging Service SID when no From was given
    body: str
    status_callback: str | None
    at: datetime
    messaging_service_sid: str | None = None
    num_segments: int = 1
    params: dict = field(default_factory=dict, compare=False)


class TwilioDouble:
    """The Messages resource of the Twilio REST API, with scripted failures and a rate limit."""

    def __init__(self, account_sid: str = "AC" + "0" * 32, auth_token: str = "test-auth-token"):
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.request_validator = RequestValidator(auth_token)
        self.url: str | None = None
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self.reset()
        self.app = Starlette(
            routes=[Route(MESSAGES_PATH, self._create_message, methods=["POST"])],
            exception_handlers={404: self._not_found, 405: self._not_found},
        )

    def reset(self) -> None:
        """Forget sent messages and every scripted behaviour."""
        with self._lock:
            self._sent: list[SentSms] = []
            self._failures: deque[tuple[int, int | None]] = deque()
            self._rejected: dict[str, tuple[int, int]] = {}
            self._per_second: int | None = None
            self._accepted_at: deque[float] = deque()
            self.rejected_429 = 0
            self.requests = 0
        self.delay = 0.0

    @contextmanager
    def running(self) -> Iterator["TwilioDouble"]:
        """Serve the double on a free port; `self.url` is its base URL meanwhile."""
        with serve(self.app) as url:
            self.url = url
            try:
                yield self
            finally:
                self.url = None

    # Scripting

    def fail_next(self, n: int = 1, status: int = 500, code: int | None = None) -> None:
        """Answer the next `n` requests with HTTP `status` and a Twilio error body."""
        with self._lock:
            self._failures.extend([(status, code)] * n)

    def reject(self, to: str, code: int = 21610, status: int = 400) -> None:
        """Fail every message to `to` with Twilio error `code` (21610, 21211, 21614…)."""
        with self._lock:
            self._rejected[to] = (status, code)

    def limit_per_second(self, n: int | None) -> None:
        """Answer 429 (code 20429) to a message beyond `n` accepted in any 1-second window."""
        with self._lock:
            self._per_second = n
            self._accepted_at.clear()

    # Observations

    @property
    def sent(self) -> list[SentSms]:
        """A snapshot of the accepted messages, oldest first."""
        with self._lock:
            return list(self._sent)

    def wait_sent(self, count: int, timeout: float = 5.0) -> list[SentSms]:
        """Block until at least `count` messages were accepted; return them."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._sent) >= count, timeout):
                raise TimeoutError(f"{len(self._sent)} SMS sent, expected {count}")
            return list(self._sent)

    def find(self, sid: str) -> SentSms | None:
        """The accepted message with that SID, if any."""
        return next((sms for sms in self.sent if sms.sid == sid), None)

    def client(self, http_client=None) -> Client:
        """A real twilio Client pointed at this double (give an AsyncTwilioHttpClient for async)."""
        client = Client(self.account_sid, self.auth_token, http_client=http_client)
        client.api.base_url = self.url
        return client

    # HTTP

    async def _create_message(self, request: Request) -> JSONResponse:
        """POST …/Messages.json: authenticate, apply the script, record and answer 201."""
        if not self._authorized(request):
            response = twilio_error(401, 20003)
        elif request.path_params["account_sid"] != self.account_sid:
            response = twilio_error(404, 20404)
        else:
            form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
            response = self._decide(form)
        if self.delay:
            # The decision (and the record) is made on arrival; only the answer is late.
            await asyncio.sleep(self.delay)
        return response

    async def _not_found(self, request: Request, exc: Exception) -> JSONResponse:
        """Twilio answers unknown resources with a JSON 404."""
        return twilio_error(404, 20404)

    def _authorized(self, request: Request) -> bool:
        """Check HTTP Basic auth against account_sid:auth_token."""
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        try:
            given = base64.b64decode(encoded).decode()
        except ValueError:
            return False
        expected = f"{self.account_sid}:{self.auth_token}"
        return scheme.lower() == "basic" and hmac.compare_digest(given, expected)

    def _decide(self, form: dict) -> JSONResponse:
        """Fail as scripted, validate, rate-limit, or accept and record the message."""
        with self._lock:
            self.requests += 1
            status, code = self._failure(form)
            if status:
                self.rejected_429 += status == 429
                return twilio_error(status, code)
            sms = self._record(form)
        return JSONResponse(self._message_json(sms), status_code=201)

    def _failure(self, form: dict) -> tuple[int, int]:
        """The (HTTP status, Twilio code) this request fails with, or (0, 0). Holds the lock."""
        if self._failures:
            status, code = self._failures.popleft()
            return status, code or 20000 + status
        to = form.get("To", "")
        if not to:
            return 400, 21604
        if not (form.get("From") or form.get("MessagingServiceSid")):
            return 400, 21603
        if not (form.get("Body") or form.get("MediaUrl") or form.get("ContentSid")):
            return 400, 21602
        if to in self._rejected:
            return self._rejected[to]
        if not E164.match(to):
            return 400, 21211
        if self._per_second is not None:
            now = time.monotonic()
            while self._accepted_at and now - self._accepted_at[0] >= 1.0:
                self._accepted_at.popleft()
            if len(self._accepted_at) >= self._per_second:
                return 429, 20429
            self._accepted_at.append(now)
        return 0, 0

    def _record(self, form: dict) -> SentSms:
        """Store an accepted message. Holds the lock."""
        body = form.get("Body", "")
        service = form.get("MessagingServiceSid") or None
        sms = SentSms(
            sid=new_sid(),
            to=form["To"],
            from_=form.get("From") or service,
            body=body,
            status_callback=form.get("StatusCallback") or None,
            at=datetime.now(timezone.utc),
            messaging_service_sid=service,
            num_segments=segments(body),
            params=form,
        )
        self._sent.append(sms)
        self._changed.notify_all()
        return sms

    def _message_json(self, sms: SentSms) -> dict:
        """The Message resource as Twilio answers a create."""
        uri = f"/{API}/Accounts/{self.account_sid}/Messages/{sms.sid}"
        from_number = sms.params.get("From") or None
        created = format_datetime(sms.at, usegmt=True)
        return {
            "account_sid": self.account_sid,
            "api_version": API,
            "body": sms.body,
            "date_created": created,
            "date_sent": None,
            "date_updated": created,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": from_number,
            "messaging_service_sid": sms.messaging_service_sid,
            "num_media": "0",
            "num_segments": str(sms.num_segments),
            "price": None,
            "price_unit": "USD",
            "sid": sms.sid,
            # With only a Messaging Service, Twilio picks the sender later: "accepted".
            "status": "queued" if from_number else "accepted",
            "subresource_uris": {"media": f"{uri}/Media.json"},
            "to": sms.to,
            "uri": f"{uri}.json",
        }

    # Calls from Twilio to the app

    def sign(self, url: str, params: dict) -> str:
        """The X-Twilio-Signature Twilio would send for a POST of `params` to `url`."""
        return self.request_validator.compute_signature(url, params)

    def inbound_params(self, from_: str, body: str, sid: str | None = None,
                       to: str = "+254700000000") -> dict:
        """The form Twilio posts for an inbound SMS."""
        sid = sid or new_sid()
        return {
            "ToCountry": "", "ToState": "", "ToCity": "", "ToZip": "",
            "FromCountry": "", "FromState": "", "FromCity": "", "FromZip": "",
            "SmsMessageSid": sid, "SmsSid": sid, "MessageSid": sid,
            "AccountSid": self.account_sid,
            "From": from_, "To": to, "Body": body,
            "NumMedia": "0", "NumSegments": str(segments(body)),
            "SmsStatus": "received", "ApiVersion": API,
        }

    def post_inbound(self, app_url: str, public_url: str, params: dict) -> httpx.Response:
        """POST an inbound SMS to the app, signed for its public URL."""
        return self._post_signed(app_url, public_url, "/webhooks/sms", params)

    def post_status(self, app_url: str, public_url: str, sid: str, status: str,
                    error_code: int | str | None = None) -> httpx.Response:
        """POST a status callback for message `sid` to the app, signed for its public URL."""
        sms = self.find(sid)
        params = {
            "MessageSid": sid, "SmsSid": sid,
            "MessageStatus": status, "SmsStatus": status,
            "AccountSid": self.account_sid, "ApiVersion": API,
            "To": sms.to if sms else "", "From": (sms.from_ or "") if sms else "",
        }
        if error_code is not None:
            params["ErrorCode"] = str(error_code)
        return self._post_signed(app_url, public_url, "/webhooks/sms/status", params)

    def _post_signed(self, app_url: str, public_url: str, path: str,
                     params: dict) -> httpx.Response:
        """POST a form to app_url + path with the signature computed for public_url + path."""
        headers = {
            "X-Twilio-Signature": self.sign(public_url.rstrip("/") + path, params),
            "I-Twilio-Idempotency-Token": str(uuid.uuid4()),
            "User-Agent": "TwilioProxy/1.1",
        }
        return httpx.post(app_url.rstrip("/") + path, data=params, headers=headers,
                          timeout=10, trust_env=False)
