"""The Twilio and Telegram doubles, exercised through the real twilio and PTB SDKs."""
import asyncio
import contextlib
import datetime as dtm
import re
import socket
import threading
import time

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.ext import Application, CommandHandler, MessageHandler, filters
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from tests.doubles.server import serve
from tests.doubles.telegram import (BOT_USERNAME, TelegramDouble, callback_update, command_update,
                                    group_message_update, message_update)
from tests.doubles.twilio import TwilioDouble, segments

SID = "AC" + "a1" * 16
TOKEN = "double-auth-token"
SENDER = "+15005550006"
AMINA = "+254722000001"
PUBLIC_URL = "https://bot.example.org"
KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="yes:7"),
                                  InlineKeyboardButton("No", callback_data="no:7")]])


@pytest.fixture(scope="module")
def twilio_server():
    """One Twilio double for the module."""
    with TwilioDouble(account_sid=SID, auth_token=TOKEN).running() as twilio:
        yield twilio


@pytest.fixture
def twilio(twilio_server):
    """The Twilio double, fresh for each test."""
    twilio_server.reset()
    return twilio_server


@pytest.fixture(scope="module")
def tg_server():
    """One Telegram double for the module."""
    with TelegramDouble().running() as tg:
        yield tg


@pytest.fixture
def tg(tg_server):
    """The Telegram double, fresh for each test."""
    tg_server.reset()
    return tg_server


@contextlib.asynccontextmanager
async def ptb(tg, updater: bool = False):
    """A real PTB Application pointed at the double, initialized (getMe) and shut down."""
    builder = Application.builder().token(tg.token).base_url(tg.base_url)
    app = (builder if updater else builder.updater(None)).build()
    await app.initialize()
    try:
        yield app
    finally:
        await app.shutdown()


def bot_api(tg, method: str, **data) -> httpx.Response:
    """Call a Bot API method of the double directly, form-encoded."""
    return httpx.post(f"{tg.base_url}{tg.token}/{method}", data=data, trust_env=False, timeout=10)


# PTB 22 warns on every RetryAfter (even when building it) unless PTB_TIMEDELTA is set.
ignore_retry_after_warning = pytest.mark.filterwarnings("ignore:.*attribute `retry_after`")


def seconds(exc: RetryAfter) -> float:
    """retry_after in seconds: an int, or a timedelta when PTB_TIMEDELTA is set."""
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else value


# serve()

def test_serve_starts_answers_and_frees_the_port():
    async def hello(request):
        return JSONResponse({"hello": "world"})

    with serve(Starlette(routes=[Route("/", hello)])) as url:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
        assert httpx.get(url, trust_env=False).json() == {"hello": "world"}
    port = int(url.rsplit(":", 1)[1])
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass


def test_serve_reports_a_failing_lifespan():
    @contextlib.asynccontextmanager
    async def broken(app):
        raise RuntimeError("boom")
        yield

    with pytest.raises(RuntimeError, match="failed to start"), serve(Starlette(lifespan=broken)):
        pass


# Twilio, sync client

def test_sync_client_sends_and_the_double_records(twilio):
    message = twilio.client().messages.create(
        to=AMINA, from_=SENDER, body="Karibu!", status_callback=f"{PUBLIC_URL}/webhooks/sms/status"
    )
    assert re.fullmatch(r"SM[0-9a-f]{32}", message.sid)
    assert (message.status, message.to, message.from_) == ("queued", AMINA, SENDER)
    assert message.body == "Karibu!"
    assert message.error_code is None and message.account_sid == SID and message.num_segments == "1"
    [sent] = twilio.sent
    assert (sent.sid, sent.to, sent.from_, sent.body) == (message.sid, AMINA, SENDER, "Karibu!")
    assert sent.status_callback == f"{PUBLIC_URL}/webhooks/sms/status"


def test_base_url_on_the_api_domain_is_the_only_change_needed(twilio):
    client = Client(SID, TOKEN)
    client.api.base_url = twilio.url
    client.messages.create(to=AMINA, from_=SENDER, body="one")
    client.api.account.messages.create(to=AMINA, from_=SENDER, body="two")
    assert [sms.body for sms in twilio.sent] == ["one", "two"]


def test_messaging_service_messages_are_accepted(twilio):
    service = "MG" + "0" * 32
    message = twilio.client().messages.create(to=AMINA, messaging_service_sid=service, body="Hi")
    assert (message.status, message.from_) == ("accepted", None)
    assert message.messaging_service_sid == service
    assert twilio.sent[0].messaging_service_sid == service


def test_segments_follow_gsm7_and_ucs2():
    gsm7 = [segments("a" * 160), segments("a" * 161), segments("€" * 81), segments("ñ" * 306)]
    ucs2 = [segments("ő" * 70), segments("ő" * 71), segments("🐟" * 35), segments("🐟" * 36)]
    assert (gsm7, ucs2) == ([1, 2, 2, 2], [1, 2, 1, 2])


@pytest.mark.parametrize(("body", "parts"), [
    ("a" * 158 + "€", 1),  # 160 septets: one SMS
    ("a" * 159 + "€", 2),
    ("a" * 151 + "€" + "a" * 153, 2),  # 306 septets, the € on septets 152-153 of the first part
    ("a" * 152 + "€" + "a" * 152, 3),  # on 153-154: ESC may not end a part, so a third one
    ("a" * 153 + "€" + "a" * 151, 2),
    ("^" * 153, 3),
    ("ő" * 70, 1),  # 70 UTF-16 units: one SMS
    ("🐟" * 35 + "a", 2),
    ("a" * 65 + "🐟" + "a" * 67, 2),  # 134 units, the emoji on units 66-67 of the first part
    ("a" * 66 + "🐟" + "a" * 66, 3),  # on 67-68: a surrogate pair may not be split
    ("a" * 67 + "🐟" + "a" * 65, 2),
    ("🐟" * 67, 3),
])
def test_segments_never_split_an_escape_or_a_surrogate_pair(body, parts):
    assert segments(body) == parts


def test_segments_agree_with_the_bots_own_count():
    """handlers.budget counts what the double (written apart) counts, on texts of every mix."""
    from random import Random

    from handlers.budget import count_segments

    rng = Random(7)
    for alphabet in ("ab", "a€", "a^{", "aã", "a🐟", "ã🐟€"):
        for length in range(60, 330, 7):
            body = "".join(rng.choice(alphabet) for _ in range(length))
            assert count_segments(body) == segments(body), body


def test_scripted_500_raises_and_is_not_recorded(twilio):
    client = twilio.client()
    twilio.fail_next(1, status=500)
    with pytest.raises(TwilioRestException) as failure:
        client.messages.create(to=AMINA, from_=SENDER, body="lost")
    assert (failure.value.status, failure.value.code) == (500, 20500)
    assert twilio.sent == []
    client.messages.create(to=AMINA, from_=SENDER, body="retried")
    assert [sms.body for sms in twilio.sent] == ["retried"]


@pytest.mark.parametrize("code", [21610, 21211, 21614])
def test_rejected_recipients_raise_the_twilio_code(twilio, code):
    twilio.reject(AMINA, code=code)
    with pytest.raises(TwilioRestException) as failure:
        twilio.client().messages.create(to=AMINA, from_=SENDER, body="x")
    assert (failure.value.status, failure.value.code) == (400, code)
    assert twilio.sent == []


def test_invalid_numbers_and_missing_fields_fail_like_twilio(twilio):
    client = twilio.client()
    cases = [({"to": "0722000001", "body": "x"}, 21211), ({"to": AMINA, "body": ""}, 21602)]
    for kwargs, code in cases:
        with pytest.raises(TwilioRestException) as failure:
            client.messages.create(from_=SENDER, **kwargs)
        assert failure.value.code == code


def test_wrong_credentials_get_401(twilio):
    client = Client(SID, "wrong-token")
    client.api.base_url = twilio.url
    with pytest.raises(TwilioRestException) as failure:
        client.messages.create(to=AMINA, from_=SENDER, body="x")
    assert (failure.value.status, failure.value.code) == (401, 20003)


def test_rate_limit_answers_429(twilio):
    twilio.limit_per_second(3)
    client, refused = twilio.client(), 0
    started = time.monotonic()
    for i in range(8):
        try:
            client.messages.create(to=AMINA, from_=SENDER, body=f"n{i}")
        except TwilioRestException as failure:
            assert (failure.status, failure.code) == (429, 20429)
            refused += 1
    assert refused == twilio.rejected_429 == 8 - len(twilio.sent)
    if time.monotonic() - started < 1.0:
        assert len(twilio.sent) == 3


def test_delay_records_on_arrival_and_answers_late(twilio):
    twilio.delay = 0.6
    client = Client(SID, TOKEN, http_client=TwilioHttpClient(timeout=0.2))
    client.api.base_url = twilio.url
    with pytest.raises(Exception, match="(?i)timed? ?out"):
        client.messages.create(to=AMINA, from_=SENDER, body="sent, but the answer is lost")
    assert [sms.body for sms in twilio.sent] == ["sent, but the answer is lost"]


def test_wait_sent_sees_messages_from_other_threads(twilio):
    client = twilio.client()
    workers = [
        threading.Thread(target=client.messages.create,
                         kwargs={"to": AMINA, "from_": SENDER, "body": f"t{i}"})
        for i in range(8)
    ]
    for worker in workers:
        worker.start()
    assert len(twilio.wait_sent(8, timeout=5)) == 8
    for worker in workers:
        worker.join()
    assert len({sms.sid for sms in twilio.sent}) == 8


# Twilio, async client

# twilio 9.13 still passes aiohttp's deprecated BasicAuth / auth= on every request.
@pytest.mark.filterwarnings("ignore:BasicAuth is deprecated",
                            "ignore:The 'auth' parameter is deprecated")
def test_async_client_sends_and_reports_errors(twilio):
    async def main():
        http_client = AsyncTwilioHttpClient()  # aiohttp: must be built inside a running loop
        try:
            client = twilio.client(http_client=http_client)
            message = await client.messages.create_async(to=AMINA, from_=SENDER, body="async")
            twilio.reject(AMINA, code=21610)
            with pytest.raises(TwilioRestException) as failure:
                await client.messages.create_async(to=AMINA, from_=SENDER, body="x")
            return message, failure.value
        finally:
            await http_client.close()  # Client has no close(); the session leaks otherwise

    message, failure = asyncio.run(main())
    assert twilio.sent[0].sid == message.sid and failure.code == 21610


# Twilio calling the app

def signed_app(auth_token: str, public_url: str):
    """A stand-in for the clusterbot webhooks: checks signatures as the contract says."""
    received = []

    async def webhook(request: Request) -> Response:
        form = dict(await request.form())
        url = public_url + request.url.path
        signature = request.headers.get("X-Twilio-Signature", "")
        if not RequestValidator(auth_token).validate(url, form, signature):
            return Response(status_code=403)
        received.append((request.url.path, form))
        return Response("<Response/>", media_type="application/xml")

    paths = ("/webhooks/sms", "/webhooks/sms/status")
    routes = [Route(path, webhook, methods=["POST"]) for path in paths]
    return Starlette(routes=routes), received


def test_inbound_and_status_callbacks_are_signed_for_the_public_url(twilio):
    app, received = signed_app(TOKEN, PUBLIC_URL)
    params = twilio.inbound_params(AMINA, "SELL tilapia 50kg")
    assert params["MessageSid"].startswith("SM") and params["AccountSid"] == SID
    assert (params["NumMedia"], params["NumSegments"]) == ("0", "1")
    assert params["SmsStatus"] == "received"
    with serve(app) as app_url:
        assert twilio.post_inbound(app_url, PUBLIC_URL, params).status_code == 200
        assert twilio.post_inbound(app_url, "https://elsewhere.example", params).status_code == 403
        sms = twilio.client().messages.create(to=AMINA, from_=SENDER, body="ok")
        status = twilio.post_status(app_url, PUBLIC_URL, sms.sid, "undelivered", error_code=30003)
        assert status.status_code == 200
    (path, inbound), (status_path, status) = received
    assert (path, inbound["Body"], inbound["From"]) == ("/webhooks/sms", "SELL tilapia 50kg", AMINA)
    assert status_path == "/webhooks/sms/status"
    assert (status["MessageSid"], status["MessageStatus"]) == (sms.sid, "undelivered")
    assert status["ErrorCode"] == "30003"
    assert (status["To"], status["From"], status["AccountSid"]) == (AMINA, SENDER, SID)


# Telegram through PTB

def test_ptb_initializes_and_sends_with_a_keyboard(tg):
    async def main():
        async with ptb(tg) as app:
            first = await app.bot.send_message(42, "Karibu!", reply_markup=KEYBOARD)
            second = await app.bot.send_message(42, "Tena")
            other = await app.bot.send_message(77, "Hello")
            return app.bot.username, first, second, other

    username, first, second, other = asyncio.run(main())
    assert username == BOT_USERNAME
    assert [first.message_id, second.message_id, other.message_id] == [1, 2, 1]
    assert first.reply_markup == KEYBOARD
    assert first.chat.type == "private" and first.from_user.is_bot
    assert [call[0] for call in tg.calls][:1] == ["getMe"]
    sent = tg.sent[0]
    assert (sent.chat_id, sent.text, sent.message_id) == (42, "Karibu!", 1)
    assert sent.reply_markup == {"inline_keyboard": [[{"text": "Yes", "callback_data": "yes:7"},
                                                      {"text": "No", "callback_data": "no:7"}]]}


@ignore_retry_after_warning
def test_scripted_failures_raise_ptb_errors(tg):
    async def main():
        async with ptb(tg) as app:
            tg.retry_after(3)
            with pytest.raises(RetryAfter) as flood:
                await app.bot.send_message(42, "x")
            tg.block(43)
            with pytest.raises(Forbidden, match="blocked"):
                await app.bot.send_message(43, "x")
            tg.fail_next(1, status=500)
            with pytest.raises(NetworkError):
                await app.bot.send_message(42, "x")
            await app.bot.send_message(42, "finally")
            return flood.value

    flood = asyncio.run(main())
    assert seconds(flood) == 3
    assert [m.text for m in tg.sent] == ["finally"] and tg.rejected_429 == 1


def test_wrong_token_and_unknown_method(tg):
    wrong = httpx.post(f"{tg.base_url}999:WRONG/getMe", trust_env=False)
    unknown = bot_api(tg, "noSuchMethod")
    assert (wrong.status_code, wrong.json()["description"]) == (401, "Unauthorized")
    assert (unknown.status_code, unknown.json()["error_code"]) == (404, 404)

    async def main():
        app = Application.builder().token("999:WRONG").base_url(tg.base_url).updater(None).build()
        try:
            with pytest.raises(InvalidToken):
                await app.initialize()
        finally:
            await app.bot.request.shutdown()  # a failed initialize leaves the client open

    asyncio.run(main())


def test_webhook_calls_are_recorded(tg):
    async def main():
        async with ptb(tg) as app:
            await app.bot.set_webhook(
                f"{PUBLIC_URL}/webhooks/telegram", secret_token="s3cret_tok-en",
                allowed_updates=["message", "callback_query"],
            )
            info = await app.bot.get_webhook_info()
            recorded = dict(tg.webhook)
            await app.bot.delete_webhook()
            return info, recorded

    info, recorded = asyncio.run(main())
    assert recorded["url"] == info.url == f"{PUBLIC_URL}/webhooks/telegram"
    assert recorded["secret_token"] == "s3cret_tok-en"
    assert recorded["allowed_updates"] == ["message", "callback_query"]
    assert tg.webhook is None


def test_callback_answers_and_edits_are_recorded(tg):
    async def main():
        async with ptb(tg) as app:
            sent = await app.bot.send_message(42, "Choose", reply_markup=KEYBOARD)
            await app.bot.answer_callback_query("cb-1", text="Noted")
            edited = await app.bot.edit_message_text("Chosen: Yes", chat_id=42,
                                                     message_id=sent.message_id)
            await app.bot.edit_message_reply_markup(chat_id=42, message_id=sent.message_id)
            return edited

    edited = asyncio.run(main())
    assert edited.text == "Chosen: Yes" and edited.reply_markup is None
    assert tg.callback_answers == [{"callback_query_id": "cb-1", "text": "Noted"}]
    assert [(e["method"], e["message_id"]) for e in tg.edits] == [
        ("editMessageText", 1), ("editMessageReplyMarkup", 1)]


def test_json_bodies_are_accepted_too(tg):
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    answer = httpx.post(f"{tg.base_url}{tg.token}/sendMessage", trust_env=False,
                        json={"chat_id": 42, "text": "json", "reply_markup": markup})
    assert answer.json()["result"]["reply_markup"] == markup
    assert tg.sent[0].reply_markup == markup and tg.sent[0].chat_id == 42


@ignore_retry_after_warning
def test_flood_limits(tg):
    async def send_all(chat_ids):
        outcomes = []
        async with ptb(tg) as app:
            for chat_id in chat_ids:
                try:
                    await app.bot.send_message(chat_id, "x")
                    outcomes.append("ok")
                except RetryAfter as flood:
                    outcomes.append(seconds(flood))
        return outcomes

    started = time.monotonic()
    tg.enforce_limits(per_chat_per_second=1, overall_per_second=4)
    per_second = asyncio.run(send_all([42, 42, 1, 2, 3, 4]))
    fast = time.monotonic() - started < 0.9
    tg.enforce_limits(per_chat_per_second=10, per_group_per_minute=2)
    per_group = asyncio.run(send_all([-100, -100, -100, -200]))
    assert per_group == ["ok", "ok", 1, "ok"]
    if fast:  # the 2nd message to chat 42 in a second, then the 5th message in a second
        assert per_second == ["ok", 1, "ok", "ok", "ok", 1]
    outcomes = per_second + per_group
    assert tg.rejected_429 == outcomes.count(1) and len(tg.sent) == outcomes.count("ok")


def test_polling_receives_queued_updates(tg):
    received = []

    async def on_text(update, context):
        received.append(update)

    async def main():
        async with ptb(tg, updater=True) as app:
            app.add_handler(MessageHandler(filters.TEXT, on_text))
            await app.start()
            await app.updater.start_polling(poll_interval=0, timeout=1)
            tg.queue_update(message_update(1, 42, "SELL tilapia"))
            tg.queue_update(message_update(2, 42, "HELP"))
            for _ in range(200):
                if len(received) == 2:
                    break
                await asyncio.sleep(0.01)
            await app.updater.stop()  # one more getUpdates confirms what was fetched
            await app.stop()

    asyncio.run(main())
    assert [u.message.text for u in received] == ["SELL tilapia", "HELP"]
    assert tg.pending_updates == []
    assert [name for name, _ in tg.calls][:3] == ["getMe", "deleteWebhook", "getUpdates"]


def test_get_updates_long_polls_and_returns_early(tg):
    later = threading.Timer(0.2, tg.queue_update, [message_update(5, 42, "late")])
    later.start()
    started = time.monotonic()
    answer = bot_api(tg, "getUpdates", timeout="5")
    assert 0.15 < time.monotonic() - started < 3
    assert [u["update_id"] for u in answer.json()["result"]] == [5]
    confirm = bot_api(tg, "getUpdates", offset="6")
    assert confirm.json()["result"] == [] and tg.pending_updates == []


def test_get_updates_conflicts_with_a_webhook(tg):
    bot_api(tg, "setWebhook", url=f"{PUBLIC_URL}/x")
    answer = bot_api(tg, "getUpdates")
    assert answer.status_code == 409


def test_update_builders_parse_in_ptb(tg):
    async def start(update, context):
        pass

    async def main():
        async with ptb(tg) as app:
            updates = [Update.de_json(data, app.bot) for data in (
                message_update(1, 42, "Habari", username="amina"),
                command_update(2, 42, "/start ref42"),
                callback_update(3, 42, "yes:7", message_id=9),
                group_message_update(4, 42, -1001, "PRICE tilapia", mention=True),
                group_message_update(5, 42, -1001, "/price tilapia", mention=True),
            )]
            start_handler = CommandHandler("start", start)
            return updates, start_handler.check_update(updates[1])

    (text, command, callback, mention, group_command), matched = asyncio.run(main())
    assert text.message.text == "Habari" and text.effective_user.username == "amina"
    assert text.effective_user.first_name == "Tomás" and text.effective_chat.type == "private"
    assert matched and command.message.text == "/start ref42"
    assert callback.callback_query.data == "yes:7"
    assert callback.callback_query.message.message_id == 9
    assert mention.effective_chat.type == "group" and mention.effective_chat.id == -1001
    assert list(mention.message.parse_entities(["mention"]).values()) == [f"@{BOT_USERNAME}"]
    commands = group_command.message.parse_entities(["bot_command"])
    assert list(commands.values()) == [f"/price@{BOT_USERNAME}"]


def test_post_update_sends_the_secret_header(tg):
    seen = []

    async def webhook(request: Request) -> JSONResponse:
        seen.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json()))
        return JSONResponse({})

    app = Starlette(routes=[Route("/webhooks/telegram", webhook, methods=["POST"])])
    with serve(app) as app_url:
        tg.post_update(app_url, message_update(1, 42, "hi"), secret="s3cret")
        tg.post_update(app_url, message_update(2, 42, "hi"), secret=None)
    assert [(secret, update["update_id"]) for secret, update in seen] == [("s3cret", 1), (None, 2)]
