"""The ASGI application `clusterbot run` serves: webhooks, health, and the services behind them."""
import asyncio
import logging
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from telegram import Update
from twilio.twiml.messaging_response import MessagingResponse

from bot import simulator, web
from bot.bodies import read_body
from bot.channels import sms, telegram
from bot.dispatcher import Dispatcher
from bot.engine import Engine
from bot.scheduler import Scheduler
from bot.settings import Settings, get_settings
from handlers.turn import Inbound
from storage import members, outbox
from storage.db import engine_for, log_failure, session_factory, unit_of_work

log = logging.getLogger(__name__)
EMPTY_TWIML = str(MessagingResponse())
SWEEP_SECONDS = 2.0  # between looks for accepted messages that nobody is handling


class Services:
    """Everything a running bot holds: database, engine, channels, dispatcher, scheduler."""

    def __init__(self, settings: Settings, polling: bool):
        self.settings, self.polling = settings, polling
        self.factory = session_factory(settings.database_url)
        self.engine = Engine(self.factory, settings)
        self.telegram = telegram.build_application(settings, polling) if telegram.configured(settings) else None
        self.telegram_sender = telegram.TelegramSender(self.telegram) if self.telegram else None
        self.sms_sender: sms.SmsSender | None = None  # its HTTP session needs the running loop
        self.dispatcher = Dispatcher(self.factory, settings, {}, lease=settings.outbox_lease_seconds)
        self.scheduler = Scheduler(settings)
        self.bot_username: str | None = None
        self.tasks: set[asyncio.Task] = set()
        self.in_hand: set[int] = set()  # inbound messages this process has taken to handle
        self.sweeper: asyncio.Task | None = None
        self.member_locks: dict[tuple[str, str], list] = {}  # key -> [lock, tasks using it]
        # Handling is Python under one GIL, writing to a database that takes one writer at a time
        # (SQLite) or a few: more messages handled at once only slow the webhooks that store them.
        sqlite = settings.database_url.startswith("sqlite")
        self.handling = asyncio.Semaphore(1 if sqlite else 2)

    async def start(self) -> None:
        """Starts the channels, then the scheduler, then the dispatcher; `stop` goes backwards."""
        if self.telegram:
            await self._start_telegram()
        await self.scheduler.start()
        if sms.configured(self.settings):
            self.sms_sender = sms.SmsSender(self.settings)
            self.dispatcher.senders["sms"] = lambda m: self.sms_sender.send(
                m.address, m.text, [c["label"] for c in m.choices])
        if self.telegram_sender:
            self.dispatcher.senders["telegram"] = lambda m: self.telegram_sender.send(
                m.address, m.text, m.choices)
        sqlite = self.settings.database_url.startswith("sqlite")
        await self.dispatcher.start(release_claims=sqlite)  # SQLite: this is the only dispatcher
        self.sweeper = asyncio.create_task(self._sweep(), name="inbound-sweeper")

    async def stop(self) -> None:
        """Drains: finishes messages being handled and sent, then stops each service."""
        if self.telegram and self.polling:
            await self.telegram.updater.stop()
        if self.sweeper:
            self.sweeper.cancel()
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.dispatcher.stop()
        await self.scheduler.stop()
        if self.telegram:
            await self.telegram.stop()
            await self.telegram.shutdown()
        if self.sms_sender:
            await self.sms_sender.close()

    async def _start_telegram(self) -> None:
        app = self.telegram
        await app.initialize()
        self.bot_username = app.bot.username
        public = self.settings.public_url.rstrip("/")
        if self.polling:
            from telegram.ext import TypeHandler
            app.add_handler(TypeHandler(Update, self._polled_update))
            await app.bot.delete_webhook()
            await app.updater.start_polling(allowed_updates=["message", "callback_query"])
        elif public.startswith("https://"):  # Telegram only calls https webhooks
            await app.bot.set_webhook(public + telegram.WEBHOOK_PATH,
                                      secret_token=self.settings.telegram_secret,
                                      allowed_updates=["message", "callback_query"])
        await app.start()

    async def _polled_update(self, update: Update, _context) -> None:
        await self.accept_update(update)

    async def accept(self, inbound: Inbound) -> bool:
        """Stores the message (raises when the database cannot) and handles it in the background."""
        inbound_id = await run_in_threadpool(self.engine.receive, inbound)
        if inbound_id is not None:
            self._take(inbound_id, (inbound.channel, inbound.address))
        return inbound_id is not None

    def _take(self, inbound_id: int, key: tuple[str, str]) -> None:
        """Handles the message in the background, unless this process already has it."""
        if inbound_id not in self.in_hand:
            self.in_hand.add(inbound_id)
            self._background(self._handle(inbound_id, key))

    async def accept_update(self, update: Update) -> None:
        inbound = telegram.inbound(update, self.bot_username)
        if update.callback_query:
            self._background(self.telegram_sender.answer_callback(update.callback_query.id))
        if inbound is not None:
            await self.accept(inbound)

    async def _handle(self, inbound_id: int, key) -> None:
        # One member's messages are handled one at a time, in the order they came.
        entry = self.member_locks.setdefault(key, [asyncio.Lock(), 0])
        entry[1] += 1
        try:
            async with entry[0], self.handling:
                await asyncio.to_thread(self.engine.process, inbound_id, *key)
        finally:
            entry[1] -= 1
            if not entry[1]:
                del self.member_locks[key]
            self.in_hand.discard(inbound_id)
        # The replies go out on the message's channel; a notice to another member on the other
        # channel waits for that loop's next look (IDLE_POLL): an empty claim per message less.
        self.dispatcher.wake(key[0])

    async def _sweep(self) -> None:
        """Every few seconds, takes the accepted messages nobody is handling: those whose
        handling failed, once due again, and those of a process that stopped (or is far behind),
        once their lease is over. So no accepted message waits for a restart."""
        while True:
            try:
                due = await asyncio.to_thread(self.engine.unhandled,
                                              self.settings.inbound_lease_seconds)
            except SQLAlchemyError as error:
                log_failure(log, "looking for unhandled messages", error)
                due = []
            for row in due:
                self._take(row.id, (row.channel, row.address))
            await asyncio.sleep(SWEEP_SECONDS)

    def _background(self, coroutine) -> None:
        task = asyncio.ensure_future(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)


def create_app(settings: Settings | None = None, *, polling: bool = False) -> Starlette:
    settings = settings or get_settings()
    services = Services(settings, polling)

    async def healthz(request: Request) -> Response:
        def ping():
            with engine_for(settings.database_url).connect() as conn:
                conn.execute(text("SELECT 1"))
        try:
            await run_in_threadpool(ping)
        except SQLAlchemyError:
            return JSONResponse({"status": "database unavailable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    # A webhook answers 4xx to what would fail every time and 5xx only to what may succeed
    # later: Twilio and Telegram send a request again after a 5xx.
    async def twilio_form(request: Request, path: str) -> dict:
        """The form Twilio signed for `path`, with a MessageSid and From the database can hold."""
        if not sms.form_encoded(request.headers.get("content-type")):
            raise HTTPException(415, "form-encoded only")
        form = sms.read_form(await read_body(request, sms.MAX_FORM))
        if form is None:
            raise HTTPException(400, "not a form")
        if not sms.signature_ok(settings, path, form, request.headers.get("X-Twilio-Signature")):
            raise HTTPException(403, "forbidden")
        if not sms.well_formed(form):
            raise HTTPException(400, "not a Twilio message")
        return form

    def not_stored(error: SQLAlchemyError) -> Response:
        """400 for what the database will never hold (too long, a NUL, a broken constraint);
        503 for the rest: the database may come back."""
        if isinstance(error, (DataError, IntegrityError)):
            return Response("cannot be stored", status_code=400)
        return Response("try again", status_code=503)

    async def sms_inbound(request: Request) -> Response:
        form = await twilio_form(request, sms.INBOUND_PATH)
        try:
            await services.accept(sms.inbound(form, settings.default_country))
        except SQLAlchemyError as error:
            log_failure(log, f"storing inbound SMS {form['MessageSid']}", error)
            return not_stored(error)
        return Response(EMPTY_TWIML, media_type="application/xml")

    async def sms_status(request: Request) -> Response:
        form = await twilio_form(request, sms.STATUS_PATH)
        try:
            await run_in_threadpool(record_sms_status, services, form)
        except SQLAlchemyError as error:
            return not_stored(error)
        return Response(EMPTY_TWIML, media_type="application/xml")

    async def telegram_update(request: Request) -> Response:
        if services.telegram is None or not telegram.secret_ok(
                settings, request.headers.get("X-Telegram-Bot-Api-Secret-Token")):
            return Response("forbidden", status_code=403)
        update = telegram.read_update(await read_body(request, telegram.MAX_UPDATE),
                                      services.telegram.bot)
        if update is None:
            return Response("not an update", status_code=400)
        try:
            await services.accept_update(update)
        except SQLAlchemyError as error:
            log_failure(log, f"storing Telegram update {update.update_id}", error)
            return not_stored(error)
        return JSONResponse({})

    @asynccontextmanager
    async def lifespan(app):
        await services.start()
        app.state.services = services
        try:
            yield
        finally:
            await services.stop()
            engine_for(settings.database_url).dispose()

    return Starlette(routes=[
        Route("/healthz", healthz),
        Route(sms.INBOUND_PATH, sms_inbound, methods=["POST"]),
        Route(sms.STATUS_PATH, sms_status, methods=["POST"]),
        Route(telegram.WEBHOOK_PATH, telegram_update, methods=["POST"]),
        *simulator.routes(services),
        *web.routes(services),
    ], middleware=web.middleware(services), lifespan=lifespan)


def record_sms_status(services: Services, form: dict) -> None:
    """Moves an SMS's status forward; an error code may tell us the member opted out."""
    error_code = form.get("ErrorCode") or None
    with unit_of_work(services.factory) as session:
        message = outbox.advance_status(session, "sms", form.get("MessageSid", ""),
                                        form.get("MessageStatus", ""),
                                        f"twilio {error_code}" if error_code else None)
        effect = sms.status_effect(error_code)
        if message is not None and effect and message.member_id:
            members.mark_unreachable(session, message.member_id, effect)
