"""The `clusterbot` command: serve, migrate, set up clusters, chat in the terminal, load members."""
import io
import re
import sys
import time
import zoneinfo
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path
from typing import Annotated, Iterator

import phonenumbers
import typer
import uvicorn
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.exc import IntegrityError

from bot import language, phones, roster
from bot.app import create_app
from bot.channels.console import Console
from bot.commands import places as places_commands
from bot.commands import prices as prices_commands
from bot.commands import skills as skills_commands
from bot.commands.common import USAGE, err, fail, open_database, out, prepare_database, reported
from bot.engine import Engine
from bot.i18n import SHIPPED
from bot.locality import currency_of, languages_of, timezone_of
from bot.settings import get_settings
from handlers.broadcasts import summary
from handlers.products import catalog_names
from handlers.products import read_one as read_product
from handlers.quantities import whole_number
from handlers.registration import ROLES
from storage import audit, broadcasts, clusters, members, outbox
from storage.db import unit_of_work

app = typer.Typer(help="Chat and SMS bot for business cluster networks.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)
db_app = typer.Typer(help="The database.", no_args_is_help=True)
cluster_app = typer.Typer(help="Cluster networks.", no_args_is_help=True)
coordinator_app = typer.Typer(help="Coordinators of cluster networks.", no_args_is_help=True)
members_app = typer.Typer(help="Members as CSV.", no_args_is_help=True)
lang_app = typer.Typer(help="Language detection.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(cluster_app, name="cluster")
app.add_typer(coordinator_app, name="coordinator")
app.add_typer(members_app, name="members")
app.add_typer(lang_app, name="lang")
app.add_typer(places_commands.app, name="places")
app.add_typer(prices_commands.app, name="prices")
app.add_typer(skills_commands.app, name="skills")

SLUG = re.compile(r"[a-z0-9-]{2,64}")
CURRENCY = re.compile(r"[A-Za-z]{3}")


class Style(str, Enum):
    sms = "sms"
    telegram = "telegram"


def read_languages(text: str) -> list[str]:
    """`en, SW` -> [`en`, `sw`]; exits 2 when one is not shipped."""
    codes = list(dict.fromkeys(code.strip().lower() for code in text.split(",") if code.strip()))
    unknown = [code for code in codes if code not in SHIPPED]
    if not codes or unknown:
        raise fail(f"languages must be among {','.join(SHIPPED)}: {text}", USAGE)
    return codes


def read_address(text: str, region: str) -> tuple[str | None, int | None]:
    """(phone, telegram id) of `text` (see `phones.read_address`); exits 2 when it is neither."""
    found = phones.read_address(text, region)
    if found is None:
        raise fail(f"not a phone number or a Telegram id (tg:123456): {text.strip()}", USAGE)
    return found


def describe(phone: str | None, telegram_id: int | None) -> str:
    return phone or f"tg:{telegram_id}"


@app.command()
@reported
def run(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
    polling: Annotated[bool, typer.Option(help="Take Telegram updates by getUpdates.")] = False,
):
    """Serve the bot: webhooks, scheduler and outbox, in one process."""
    settings = get_settings()
    open_database(settings)
    if not settings.telegram_token:
        err.print("Telegram is off: CLUSTERBOT_TELEGRAM_TOKEN is not set.")
    if not settings.twilio_account_sid:
        err.print("SMS sending is off: CLUSTERBOT_TWILIO_ACCOUNT_SID is not set.")
    uvicorn.run(create_app(settings, polling=polling), host=host, port=port,
                timeout_graceful_shutdown=30)


@db_app.command("upgrade")
@reported
def db_upgrade():
    """Migrate the database to the newest schema and load the shipped catalog and places."""
    prepare_database(get_settings().database_url)
    out.print("Database is up to date.")


@cluster_app.command("add")
@reported
def cluster_add(
    slug: Annotated[str, typer.Argument(help="Short name: lower-case letters, digits and -.")],
    name: Annotated[str, typer.Option(help="The network's name, as members see it.")],
    currency: Annotated[str | None, typer.Option(help="ISO code; default: the country's.")] = None,
    country: Annotated[str | None, typer.Option(
        help="ISO code; default: CLUSTERBOT_DEFAULT_COUNTRY.")] = None,
    languages: Annotated[str | None, typer.Option(
        help="Comma-separated, among en,sw,fr,pt; default: the country's.")] = None,
    timezone: Annotated[str | None, typer.Option(help="IANA name; default: the country's.")] = None,
):
    """Create a cluster network."""
    settings = get_settings()
    country = (country or settings.default_country).strip().upper()
    if not SLUG.fullmatch(slug):
        raise fail(f"the slug must be 2-64 of a-z, 0-9 and -: {slug}", USAGE)
    if not name.strip() or len(name.strip()) > 200:
        raise fail("the name must be 1-200 characters", USAGE)
    if country not in phonenumbers.SUPPORTED_REGIONS:
        raise fail(f"unknown country code: {country}", USAGE)
    if currency is not None and not CURRENCY.fullmatch(currency):
        raise fail(f"the currency must be 3 letters: {currency}", USAGE)
    if timezone is not None and timezone not in zoneinfo.available_timezones():
        raise fail(f"unknown time zone: {timezone}", USAGE)
    codes = read_languages(languages) if languages is not None else languages_of(country)
    factory = open_database(settings)
    try:
        with unit_of_work(factory) as session:
            if clusters.by_slug(session, slug):
                raise fail(f"cluster {slug} already exists")
            cluster = clusters.add(session, slug=slug, name=name.strip(), country=country,
                                   currency=(currency or currency_of(country)).upper(),
                                   languages=codes, timezone=timezone or timezone_of(country))
            audit.record(session, action="cluster.add", actor="cli", cluster_id=cluster.id,
                         slug=slug, name=cluster.name)
    except IntegrityError:  # created by someone else since we looked
        raise fail(f"cluster {slug} already exists") from None
    out.print(f"Cluster {slug} added: {cluster.name}, {cluster.country}, {cluster.currency}, "
              f"{','.join(cluster.languages)}, {cluster.timezone}.")


@coordinator_app.command("add")
@reported
def coordinator_add(
    phone_or_tg: Annotated[str, typer.Argument(
        metavar="PHONE_OR_TG",
        help="A phone number (local or +E.164) or a Telegram id written tg:123456. Plain digits "
             "are read as a phone number when they are a valid one, else as a Telegram id.")],
    cluster: Annotated[str, typer.Option(help="Slug of the cluster network.")],
):
    """Make a member (created if new) a coordinator of a cluster network."""
    settings = get_settings()
    phone, telegram_id = read_address(phone_or_tg, settings.default_country)
    who = describe(phone, telegram_id)
    with unit_of_work(open_database(settings)) as session:
        network = clusters.by_slug(session, cluster)
        if network is None:
            raise fail(f"no cluster {cluster}")
        member = members.get_or_create(session, phone=phone, telegram_id=telegram_id)
        granted = members.add_role(session, member, network.id, "coordinator")
        if granted:
            audit.record(session, action="coordinator.add", actor="cli", cluster_id=network.id,
                         member_id=member.id, member=who)
    out.print(f"{who} is {'now' if granted else 'already'} a coordinator of {cluster}.")


@app.command()
@reported
def chat(
    address: Annotated[str, typer.Option("--as", metavar="PHONE_OR_TG",
                                         help="Who you are: a phone number or tg:123456.")],
    channel: Annotated[Style, typer.Option(help="How replies are drawn: numbered (sms) or "
                                                "as [buttons] (telegram).")] = Style.sms,
):
    """Talk to the bot as a member, in the terminal; on Telegram, #2 presses button 2."""
    settings = get_settings()
    phone, telegram_id = read_address(address, settings.default_country)
    factory = open_database(settings)
    console = Console(Engine(factory, settings), factory, phone or f"tg:{telegram_id}", channel.value)
    interactive = sys.stdin.isatty()
    if interactive:
        out.print(f"Chatting as {describe(phone, telegram_id)} ({channel.value}). Ctrl-D ends.",
                  style="dim")
    for line in typed_lines(interactive):
        replies = chat_turn(console, line, channel)
        for reply in replies:
            out.print(reply, style="cyan" if interactive else None)
            out.print()
        if interactive and not replies:
            out.print("(no reply)", style="dim")


def typed_lines(interactive: bool) -> Iterator[str]:
    """The non-empty lines the user types (with a prompt) or pipes in, until end of input."""
    try:
        while True:
            line = input("> ") if interactive else sys.stdin.readline()
            if not interactive and not line:
                return
            if line.strip():
                yield line.strip()
    except (EOFError, KeyboardInterrupt):
        if interactive:
            out.print()


def chat_turn(console: Console, line: str, channel: Style) -> list[str]:
    """Sends a line, or presses a button for `#n` in Telegram style; returns the replies."""
    number = whole_number(line[1:]) if line.startswith("#") else None
    if channel is Style.telegram and number is not None:
        if not 1 <= number <= len(console.buttons):
            return [f"(there is no button {number})"]
        return console.press(number)
    return console.send(line)


@app.command()
@reported
def broadcast(
    text: Annotated[str, typer.Argument(help="The message (in the cluster's first language).")],
    cluster: Annotated[str, typer.Option(help="Slug of the cluster network.")],
    role: Annotated[str | None, typer.Option(help="Only members with this role (a slug).")] = None,
    place: Annotated[str | None, typer.Option(help="Only members in this place.")] = None,
    language: Annotated[str | None, typer.Option(help="Only members reading this language.")] = None,
    product: Annotated[str | None, typer.Option(help="Only members dealing in this product.")] = None,
    translation: Annotated[list[str] | None, typer.Option(
        help="The text in another language, as xx=TEXT (repeatable): each member gets theirs.")] = None,
    at: Annotated[str | None, typer.Option(
        help="When to send, ISO 8601 (no offset: the cluster's time zone); default now.")] = None,
    grace: Annotated[int, typer.Option(
        help="Minutes a scheduled broadcast may still go out late (after downtime).")] = 60,
    wait: Annotated[int, typer.Option(help="Seconds to wait for sending progress.")] = 600,
):
    """Queue a broadcast to a cluster's members and show its progress while it is sent."""
    settings = get_settings()
    factory = open_database(settings)
    with unit_of_work(factory) as session:
        network = clusters.by_slug(session, cluster)
        if network is None:
            raise fail(f"no cluster {cluster}")
        filters = broadcast_filters(session, role, place, language, product)
        texts = {"": text, **read_translations(translation or [])}
        send_at = read_time(at, network.timezone)
        sent = broadcasts.create(session, coordinator_id=None, cluster_ids=[network.id],
                                 filters=filters, texts=texts, send_at=send_at,
                                 grace_seconds=grace * 60)
        audit.record(session, action="broadcast.send", actor="cli", cluster_id=network.id,
                     broadcast_id=sent.id, scheduled=send_at.isoformat() if send_at else None)
        if send_at and send_at > datetime.now(timezone.utc):
            out.print(f"Broadcast {sent.id} scheduled for {send_at.isoformat()}.")
            return
        count = broadcasts.queue(session, sent, network.languages[0] if network.languages else "en")
        broadcast_id = sent.id
    out.print(f"Broadcast {broadcast_id}: {count} members.")
    show_progress(factory, broadcast_id, count, wait)


def broadcast_filters(session, role, place, language, product) -> dict:
    """The audience filters of the broadcast command; exits 2 on one it cannot read."""
    if role is not None and role not in ROLES:
        raise fail(f"unknown role {role}: one of {', '.join(ROLES)}", USAGE)
    if language is not None and language not in SHIPPED:
        raise fail(f"languages must be among {','.join(SHIPPED)}: {language}", USAGE)
    filters = {key: value for key, value in
               (("role", role), ("place", place), ("language", language)) if value}
    if product is not None:
        product_id = read_product(catalog_names(session), product)
        if product_id is None:
            raise fail(f"unknown product {product}", USAGE)
        filters["product_id"] = product_id
    return filters


def read_translations(items: list[str]) -> dict[str, str]:
    """`sw=Habari` items -> {"sw": "Habari"}; exits 2 on a bad one."""
    texts = {}
    for item in items:
        code, _, text = item.partition("=")
        if code.strip() not in SHIPPED or not text.strip():
            raise fail(f"a translation is xx=TEXT with xx among {','.join(SHIPPED)}: {item}", USAGE)
        texts[code.strip()] = text.strip()
    return texts


def read_time(text: str | None, zone: str) -> datetime | None:
    """An ISO time, read in the cluster's time zone when it has no offset; exits 2 when bad."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise fail(f"not an ISO 8601 time: {text}", USAGE) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zoneinfo.ZoneInfo(zone))
    return moment.astimezone(timezone.utc)


def show_progress(factory, broadcast_id: int, total: int, wait: int) -> None:
    """A progress bar until every message is sent or failed; then the counts."""
    deadline = time.monotonic() + wait
    with Progress(TextColumn("sending"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err) as bar:
        task = bar.add_task("sending", total=total)
        while True:
            with unit_of_work(factory) as session:
                counts = broadcasts.progress(session, broadcast_id)
            pending = sum(counts.get(s, 0) for s in outbox.PENDING)
            bar.update(task, completed=total - pending)
            if not pending or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    done = summary(counts)
    out.print(f"sent {done['sent']}, delivered {done['delivered']}, failed {done['failed']}"
              + (f", still queued {pending} (is `clusterbot run` running?)" if pending else ""))


@members_app.command("import")
@reported
def members_import(file: Annotated[Path, typer.Argument(
        exists=True, dir_okay=False, readable=True, metavar="FILE.csv",
        help="UTF-8 CSV with the header phone,telegram_id,name,roles,clusters,language,"
             "location,products,opted_out; lists separated by ;")]):
    """Load members from CSV: new ones are added, known ones (same phone or Telegram id) updated.

    Each bad row is reported on stderr as `line N: reason` and skipped; the good rows load.
    Exit status 0 when the file could be read, even with bad rows; 1 when it could not
    (not UTF-8, wrong header). Empty cells leave a known member's data as it is; an opt-out
    is never undone by an import. A phone or Telegram id given on an earlier line is a bad row.
    The coordinator role is granted only by `clusterbot coordinator add`: a row naming it is
    a bad row unless the member already coordinates every cluster the row lists.
    """
    settings = get_settings()
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise fail(f"{file} is not UTF-8 text") from None
    try:
        with unit_of_work(open_database(settings)) as session:
            report = roster.import_members(session, io.StringIO(text, newline=""),
                                           settings.default_country)
            audit.record(session, action="members.import", actor="cli", file=file.name,
                         imported=report.imported, updated=report.updated,
                         skipped=report.skipped)
    except roster.RosterError as e:
        raise fail(f"{file}: {e}") from None
    for line, reason in report.errors:
        err.print(f"line {line}: {reason}")
    out.print(f"imported {report.imported}, updated {report.updated}, skipped {report.skipped}")


@members_app.command("export")
@reported
def members_export(file: Annotated[Path | None, typer.Argument(
        dir_okay=False, metavar="[FILE.csv]",
        help="Where to write; stdout when not given.")] = None):
    """Write every member as CSV, with the same header the import reads."""
    buffer = io.StringIO()
    with unit_of_work(open_database(get_settings())) as session:
        count = roster.export_members(session, buffer)
    if file is None:
        sys.stdout.write(buffer.getvalue())
        return
    file.write_text(buffer.getvalue(), encoding="utf-8", newline="")
    out.print(f"exported {count} members to {file}")


@lang_app.command("detect")
@reported
def lang_detect(languages: Annotated[str, typer.Option(
        help="Comma-separated codes the answer is chosen from.")] = ",".join(SHIPPED)):
    """Print the language code (or und) of each line read on stdin."""
    codes = read_languages(languages)
    for line in sys.stdin:
        out.print(language.detect_code(line.rstrip("\n"), languages=codes))
