"""A double of the Telegram Bot API served over HTTP for the real python-telegram-bot."""
import asyncio
import contextlib
import json
import threading
import time
from collections import defaultdict, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http import HTTPStatus
from urllib.parse import parse_qsl

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .server import serve

BOT_USERNAME = "clusterbot_test_bot"
BOT_ID = 123
MAX_TEXT = 4096
INT_FIELDS = ("message_id", "offset", "limit", "timeout", "max_connections")
JSON_FIELDS = ("reply_markup", "allowed_updates", "entities", "link_preview_options")
ACCEPTED_METHODS = {  # answered with a canned result and only logged in `calls`
    "close": True, "logOut": True, "sendChatAction": True, "setMyCommands": True,
    "deleteMyCommands": True, "setChatMenuButton": True, "setMyDescription": True,
    "setMyShortDescription": True, "getMyCommands": [],
}


@dataclass(frozen=True)
class SentTelegram:
    """A message the double accepted through sendMessage."""

    chat_id: int | str
    text: str
    reply_markup: dict | None
    at: datetime
    message_id: int
    params: dict = field(default_factory=dict, compare=False)


def bot_user(bot_id: int = BOT_ID) -> dict:
    """The bot as a Telegram User (what getMe answers)."""
    return {
        "id": bot_id, "is_bot": True, "first_name": "ClusterBot Test", "username": BOT_USERNAME,
        "can_join_groups": True, "can_read_all_group_messages": False,
        "supports_inline_queries": False, "can_connect_to_business": False,
        "has_main_web_app": False,
    }


def error(status: int, description: str, retry_after: int | None = None) -> JSONResponse:
    """An error answer as the Bot API gives it."""
    body = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return JSONResponse(body, status_code=status)


def ok(result, description: str | None = None) -> JSONResponse:
    """A successful answer."""
    body = {"ok": True, "result": result}
    if description:
        body["description"] = description
    return JSONResponse(body)


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def chat_of(chat_id: int | str, chat_type: str | None = None, first_name: str = "Tomás",
            username: str | None = None) -> dict:
    """A Chat object: private for positive ids, a group for negative ones."""
    if chat_type is None:
        private = not isinstance(chat_id, int) or chat_id > 0
        chat_type = "private" if private else "supergroup" if chat_id < -10**12 else "group"
    if chat_type == "private":
        chat = {"id": chat_id, "type": "private", "first_name": first_name}
        return chat | ({"username": username} if username else {})
    return {"id": chat_id, "type": chat_type, "title": "Cluster group"}


class TelegramDouble:
    """The Bot API methods clusterbot uses, with scripted failures and Telegram's flood limits."""

    def __init__(self, token: str = "123:ABC"):
        self.token = token
        self.bot = bot_user(int(token.split(":")[0]))
        self.url: str | None = None
        self.base_url: str | None = None
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._update_arrived: asyncio.Event | None = None
        self._closing = False
        self.reset()
        self.app = Starlette(
            routes=[Route("/bot{token}/{method}", self._dispatch, methods=["GET", "POST"])],
            lifespan=self._lifespan,
        )

    def reset(self) -> None:
        """Forget everything recorded and every scripted behaviour."""
        with self._lock:
            self._sent: list[SentTelegram] = []
            self._messages: dict[tuple, dict] = {}
            self._next_message_id: defaultdict[int | str, int] = defaultdict(int)
            self._updates: deque[dict] = deque()
            self._failures: deque[int] = deque()
            self._retry_afters: deque[int] = deque()
            self._blocked: set = set()
            self._limits: tuple[int, int, int] | None = None
            self._sent_times: defaultdict[object, deque[float]] = defaultdict(deque)
            self.callback_answers: list[dict] = []
            self.edits: list[dict] = []
            self.calls: list[tuple[str, dict]] = []
            self.webhook: dict | None = None
            self.rejected_429 = 0
        self.delay = 0.0

    @contextlib.asynccontextmanager
    async def _lifespan(self, app):
        """Keep the server loop, so other threads can wake long-polling getUpdates."""
        self._loop, self._update_arrived = asyncio.get_running_loop(), asyncio.Event()
        yield
        self._loop = None

    @contextlib.contextmanager
    def running(self) -> Iterator["TelegramDouble"]:
        """Serve the double on a free port; `self.base_url` is what PTB's base_url takes."""
        self._closing = False
        with serve(self.app) as url:
            self.url, self.base_url = url, f"{url}/bot"
            try:
                yield self
            finally:
                self._closing = True  # long polls return now, so shutdown need not wait
                self._wake()
                self.url = self.base_url = None

    # Scripting

    def fail_next(self, n: int = 1, status: int = 500) -> None:
        """Answer the next `n` sendMessage calls with HTTP `status`."""
        with self._lock:
            self._failures.extend([status] * n)

    def retry_after(self, seconds: int, times: int = 1) -> None:
        """Answer the next `times` sendMessage calls with 429 and this retry_after."""
        with self._lock:
            self._retry_afters.extend([seconds] * times)

    def block(self, chat_id: int) -> None:
        """sendMessage to that chat answers 403: the user blocked the bot."""
        with self._lock:
            self._blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        """The user talks to the bot again."""
        with self._lock:
            self._blocked.discard(chat_id)

    def enforce_limits(self, per_chat_per_second: int = 1, overall_per_second: int = 30,
                       per_group_per_minute: int = 20) -> None:
        """Answer 429 (retry_after 1) to a sendMessage that breaks Telegram's flood limits."""
        with self._lock:
            self._limits = (per_chat_per_second, overall_per_second, per_group_per_minute)
            self._sent_times.clear()

    def queue_update(self, update: dict) -> None:
        """Make an update available to getUpdates."""
        with self._lock:
            self._updates.append(update)
        self._wake()

    # Observations

    @property
    def sent(self) -> list[SentTelegram]:
        """A snapshot of the accepted messages, oldest first."""
        with self._lock:
            return list(self._sent)

    def wait_sent(self, count: int, timeout: float = 5.0) -> list[SentTelegram]:
        """Block until at least `count` messages were accepted; return them."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._sent) >= count, timeout):
                raise TimeoutError(f"{len(self._sent)} Telegram messages sent, expected {count}")
            return list(self._sent)

    @property
    def pending_updates(self) -> list[dict]:
        """Queued updates not yet confirmed by an offset."""
        with self._lock:
            return list(self._updates)

    # HTTP

    async def _dispatch(self, request: Request) -> JSONResponse:
        """Route /bot{token}/{method} to the method's handler."""
        if request.path_params["token"] != self.token:
            return error(401, "Unauthorized")
        method = request.path_params["method"]
        try:
            params = await self._params(request)
        except ValueError:
            return error(400, "Bad Request: can't parse JSON parameters")
        with self._lock:
            self.calls.append((method, params))
        if method == "getUpdates":
            response = await self._get_updates(params)
        else:
            handler = getattr(self, f"_m_{method}", None)
            if handler is None and method not in ACCEPTED_METHODS:
                return error(404, "Not Found")
            with self._lock:
                response = handler(params) if handler else ok(ACCEPTED_METHODS[method])
        if self.delay:
            # The decision (and the record) is made on arrival; only the answer is late.
            await asyncio.sleep(self.delay)
        return response

    @staticmethod
    async def _params(request: Request) -> dict:
        """Query, form (PTB's way: non-strings JSON-encoded) or JSON body, normalised."""
        params = dict(request.query_params)
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("application/json"):
            params.update(json.loads(await request.body() or b"{}"))
        elif content_type.startswith("multipart/form-data"):
            params.update({k: v for k, v in (await request.form()).items() if isinstance(v, str)})
        else:
            params.update(parse_qsl((await request.body()).decode(), keep_blank_values=True))
        for key in INT_FIELDS:
            if isinstance(params.get(key), str) and params[key].lstrip("-").isdigit():
                params[key] = int(params[key])
        for key in JSON_FIELDS:
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        if isinstance(params.get("chat_id"), str) and params["chat_id"].lstrip("-").isdigit():
            params["chat_id"] = int(params["chat_id"])
        return params

    # Bot API methods; each runs holding the lock.

    def _m_getMe(self, params: dict) -> JSONResponse:
        """The bot itself."""
        return ok(self.bot)

    def _m_setWebhook(self, params: dict) -> JSONResponse:
        """Record the webhook."""
        self.webhook = {
            "url": params.get("url", ""),
            "secret_token": params.get("secret_token"),
            "allowed_updates": params.get("allowed_updates"),
            "max_connections": params.get("max_connections"),
        }
        if str(params.get("drop_pending_updates")).lower() == "true":
            self._updates.clear()
        return ok(True, "Webhook was set")

    def _m_deleteWebhook(self, params: dict) -> JSONResponse:
        """Forget the webhook (and pending updates when asked)."""
        self.webhook = None
        if str(params.get("drop_pending_updates")).lower() == "true":
            self._updates.clear()
        return ok(True, "Webhook was deleted")

    def _m_getWebhookInfo(self, params: dict) -> JSONResponse:
        """The recorded webhook."""
        info = {"url": "", "has_custom_certificate": False,
                "pending_update_count": len(self._updates)}
        if self.webhook:
            info["url"] = self.webhook["url"]
            for key in ("allowed_updates", "max_connections"):
                if self.webhook[key] is not None:
                    info[key] = self.webhook[key]
        return ok(info)

    def _m_sendMessage(self, params: dict) -> JSONResponse:
        """Fail as scripted or record the message and answer it as a Message."""
        chat_id, text = params.get("chat_id"), params.get("text", "")
        refusal = self._refusal(chat_id, text)
        if refusal is not None:
            self.rejected_429 += refusal.status_code == 429
            return refusal
        self._next_message_id[chat_id] += 1
        message = self._message(chat_id, self._next_message_id[chat_id], text,
                                params.get("reply_markup"))
        self._sent.append(SentTelegram(chat_id, text, params.get("reply_markup"),
                                       datetime.now(timezone.utc), message["message_id"], params))
        self._changed.notify_all()
        return ok(message)

    def _m_answerCallbackQuery(self, params: dict) -> JSONResponse:
        """Record the answer to a button press."""
        self.callback_answers.append(params)
        return ok(True)

    def _m_editMessageText(self, params: dict) -> JSONResponse:
        """Record the edit; answer the edited message."""
        return self._edit("editMessageText", params)

    def _m_editMessageReplyMarkup(self, params: dict) -> JSONResponse:
        """Record the edit; answer the edited message."""
        return self._edit("editMessageReplyMarkup", params)

    def _edit(self, method: str, params: dict) -> JSONResponse:
        """Apply an edit to a known (or, leniently, unknown) message."""
        self.edits.append({"method": method, **params})
        if "inline_message_id" in params:
            return ok(True)
        chat_id, message_id = params.get("chat_id"), params.get("message_id")
        old = self._messages.get((chat_id, message_id), {})
        text = params.get("text", old.get("text", ""))
        return ok(self._message(chat_id, message_id, text, params.get("reply_markup")))

    async def _get_updates(self, params: dict) -> JSONResponse:
        """Long-poll: answer pending updates at once, or wait up to `timeout` for one."""
        with self._lock:
            if self.webhook:
                return error(409, "Conflict: can't use getUpdates method while webhook is "
                                  "active; use deleteWebhook to delete the webhook first")
        offset, limit = params.get("offset", 0), params.get("limit", 100)
        deadline = time.monotonic() + params.get("timeout", 0)
        while True:
            self._update_arrived.clear()
            updates = self._confirm_and_take(offset, limit)
            remaining = deadline - time.monotonic()
            if updates or remaining <= 0 or self._closing:
                return ok(updates)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._update_arrived.wait(), remaining)

    def _confirm_and_take(self, offset: int, limit: int) -> list[dict]:
        """Drop updates confirmed by `offset`; return up to `limit` of the rest."""
        with self._lock:
            if offset < 0:  # -N: only the last N updates are kept
                while len(self._updates) > -offset:
                    self._updates.popleft()
            while self._updates and self._updates[0]["update_id"] < offset:
                self._updates.popleft()
            return list(self._updates)[:limit]

    # Helpers

    def _refusal(self, chat_id, text: str) -> JSONResponse | None:
        """The scripted or limit failure for this sendMessage, if any."""
        if self._failures:
            status = self._failures.popleft()
            return error(status, HTTPStatus(status).phrase)
        if self._retry_afters:
            seconds = self._retry_afters.popleft()
            return error(429, f"Too Many Requests: retry after {seconds}", retry_after=seconds)
        if chat_id is None or chat_id == "":
            return error(400, "Bad Request: chat_id is empty")
        if not text:
            return error(400, "Bad Request: message text is empty")
        if len(text) > MAX_TEXT:
            return error(400, "Bad Request: message is too long")
        if chat_id in self._blocked:
            return error(403, "Forbidden: bot was blocked by the user")
        if self._limits and not self._within_limits(chat_id):
            return error(429, "Too Many Requests: retry after 1", retry_after=1)
        return None

    def _within_limits(self, chat_id) -> bool:
        """Check Telegram's flood limits and, when within them, count this message."""
        per_chat, overall, per_group = self._limits
        now = time.monotonic()
        windows = [(self._sent_times["*"], 1.0, overall),
                   (self._sent_times[chat_id], 1.0, per_chat)]
        if isinstance(chat_id, int) and chat_id < 0:
            windows.append((self._sent_times[("group", chat_id)], 60.0, per_group))
        for times, span, limit in windows:
            while times and now - times[0] >= span:
                times.popleft()
        if any(len(times) >= limit for times, _, limit in windows):
            return False
        for times, _, _ in windows:
            times.append(now)
        return True

    def _message(self, chat_id, message_id: int, text: str, reply_markup: dict | None) -> dict:
        """A Message from the bot, remembered for later edits."""
        message = {"message_id": message_id, "from": self.bot, "chat": chat_of(chat_id),
                   "date": int(time.time()), "text": text}
        if reply_markup and "inline_keyboard" in reply_markup:
            message["reply_markup"] = reply_markup  # Telegram echoes only inline keyboards
        self._messages[(chat_id, message_id)] = message
        return message

    def _wake(self) -> None:
        """Wake long-polling getUpdates calls (from any thread)."""
        loop, event = self._loop, self._update_arrived
        if loop is not None and event is not None:
            with contextlib.suppress(RuntimeError):  # the loop may just have closed
                loop.call_soon_threadsafe(event.set)

    # Calls from Telegram to the app

    def post_update(self, app_url: str, update: dict, secret: str | None) -> httpx.Response:
        """POST an update to the app's webhook, with the secret header unless `secret` is None."""
        headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
        return httpx.post(app_url.rstrip("/") + "/webhooks/telegram", json=update,
                          headers=headers, timeout=10, trust_env=False)


# Update builders: dicts as the Bot API sends them.

def user(user_id: int, first_name: str = "Tomás", username: str | None = None,
         language_code: str | None = None) -> dict:
    """A Telegram User (a person)."""
    result = {"id": user_id, "is_bot": False, "first_name": first_name}
    if username:
        result["username"] = username
    if language_code:
        result["language_code"] = language_code
    return result


def message_update(update_id: int, user_id: int, text: str, chat_id: int | None = None,
                   chat_type: str = "private", username: str | None = None,
                   first_name: str = "Tomás", entities: list[dict] | None = None,
                   language_code: str | None = None) -> dict:
    """An update carrying a text message from a user."""
    chat_id = user_id if chat_id is None else chat_id
    message = {
        "message_id": update_id,
        "from": user(user_id, first_name, username, language_code),
        "chat": chat_of(chat_id, chat_type, first_name, username),
        "date": int(time.time()),
        "text": text,
    }
    if entities:
        message["entities"] = entities
    return {"update_id": update_id, "message": message}


def command_update(update_id: int, user_id: int, command: str, **kwargs) -> dict:
    """A message whose first word is a /command, with its bot_command entity."""
    text = command if command.startswith("/") else f"/{command}"
    entity = {"type": "bot_command", "offset": 0, "length": utf16_len(text.split()[0])}
    return message_update(update_id, user_id, text, entities=[entity], **kwargs)


def group_message_update(update_id: int, user_id: int, chat_id: int, text: str,
                         mention: bool = False, **kwargs) -> dict:
    """A message in a group (negative chat id), optionally mentioning the bot."""
    handle = f"@{BOT_USERNAME}"
    first, _, rest = text.partition(" ")
    if mention and handle not in text:
        # Commands address a bot as /cmd@bot; plain text names it in front.
        text = f"{first}{handle} {rest}".rstrip() if text.startswith("/") else f"{handle} {text}"
        first = text.partition(" ")[0]
    entities = []
    if text.startswith("/"):
        entities.append({"type": "bot_command", "offset": 0, "length": utf16_len(first)})
    if mention and not (text.startswith("/") and handle in first):
        start = text.index(handle)
        entities.append({"type": "mention", "offset": utf16_len(text[:start]),
                         "length": utf16_len(handle)})
    chat_type = "supergroup" if chat_id < -10**12 else "group"
    return message_update(update_id, user_id, text, chat_id=chat_id, chat_type=chat_type,
                          entities=entities or None, **kwargs)


def callback_update(update_id: int, user_id: int, data: str, message_id: int = 1,
                    chat_id: int | None = None, message_text: str = "Choose one:",
                    first_name: str = "Tomás") -> dict:
    """A button press (callback_query) on a message the bot sent."""
    chat_id = user_id if chat_id is None else chat_id
    message = {"message_id": message_id, "from": bot_user(), "chat": chat_of(chat_id),
               "date": int(time.time()), "text": message_text}
    query = {"id": f"{user_id}{update_id}", "from": user(user_id, first_name),
             "message": message, "chat_instance": str(-chat_id * 7919), "data": data}
    return {"update_id": update_id, "callback_query": query}
