"""The `clusterbot` command: serve, migrate, set up clusters, chat in the terminal, load members."""
import io
import logging
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Iterator

import typer
import uvicorn
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bot import phones, roster
from bot.app import create_app
from bot.channels.console import Console, nothing_leaves, session_start
from bot.commands import clusters as clusters_commands
from bot.commands import directory as directory_commands
from bot.commands import places as places_commands
from bot.commands import prices as prices_commands
from bot.commands import skills as skills_commands
from bot.commands import surveys as surveys_commands
from bot.commands import tenders as tenders_commands
from bot.commands import users as users_commands
from bot.commands.common import (USAGE, audience_filters, cluster_named, err, fail, open_database,
                                 out, prepare_database, read_languages, read_time, reported, watch)
from bot.engine import Engine
from bot.settings import get_settings
from handlers import coordinators
from handlers.broadcasts import send as send_broadcast
from handlers.broadcasts import summary
from handlers.quantities import whole_number
from locales import language
from locales.i18n import SHIPPED
from storage import broadcasts, outbox
from storage.db import unit_of_work

app = typer.Typer(help="Chat and SMS bot for business cluster networks.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)
db_app = typer.Typer(help="The database.", no_args_is_help=True)
coordinator_app = typer.Typer(help="Coordinators of cluster networks.", no_args_is_help=True)
members_app = typer.Typer(help="Members as CSV.", no_args_is_help=True)
lang_app = typer.Typer(help="Language detection.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(clusters_commands.app, name="cluster")
app.add_typer(coordinator_app, name="coordinator")
app.add_typer(directory_commands.app, name="directory")
app.add_typer(directory_commands.institutions_app, name="institutions")
app.add_typer(members_app, name="members")
app.add_typer(lang_app, name="lang")
app.add_typer(places_commands.app, name="places")
app.add_typer(prices_commands.app, name="prices")
app.add_typer(skills_commands.app, name="skills")
app.add_typer(surveys_commands.app, name="survey")
app.add_typer(tenders_commands.app, name="tender")
app.add_typer(tenders_commands.tenders_app, name="tenders")
app.add_typer(users_commands.app, name="user")


class Style(str, Enum):
    sms = "sms"
    telegram = "telegram"


def read_address(text: str, region: str) -> tuple[str | None, int | None]:
    """(phone, telegram id) of `text` (see `phones.read_address`); exits 2 when it is neither."""
    found = phones.read_address(text, region)
    if found is None:
        raise fail(f"not a phone number or a Telegram id (tg:123456): {text.strip()}", USAGE)
    return found


@app.command()
@reported
def run(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
    polling: Annotated[bool, typer.Option(help="Take Telegram updates by getUpdates.")] = False,
):
    """Serve the bot: webhooks, scheduler and outbox, in one process."""
    settings = get_settings()
    factory = open_database(settings)
    note = clusters_commands.quick_start_note(factory)
    if note:
        err.print(note)
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
    with unit_of_work(open_database(settings)) as session:
        granted = coordinators.add(session, cluster_named(session, cluster), "cli", phone=phone,
                                   telegram_id=telegram_id)
    who = coordinators.address(phone, telegram_id)
    out.print(f"{who} is {'now' if granted else 'already'} a coordinator of {cluster}.")


@coordinator_app.command("remove")
@reported
def coordinator_remove(
    phone_or_tg: Annotated[str, typer.Argument(
        metavar="PHONE_OR_TG", help="A phone number (local or +E.164) or a Telegram id "
                                    "written tg:123456, as for `coordinator add`.")],
    cluster: Annotated[str, typer.Option(help="Slug of the cluster network.")],
):
    """Take the coordinator role in a cluster network from a member (their other roles stay);
    a question about that cluster they had open (a broadcast to confirm, say) is dropped."""
    settings = get_settings()
    phone, telegram_id = read_address(phone_or_tg, settings.default_country)
    who = coordinators.address(phone, telegram_id)
    with unit_of_work(open_database(settings)) as session:
        if not coordinators.remove(session, cluster_named(session, cluster), "cli", phone=phone,
                                   telegram_id=telegram_id):
            raise fail(f"{who} is not a coordinator of {cluster}")
    out.print(f"{who} is no longer a coordinator of {cluster}.")


@app.command()
@reported
def chat(
    address: Annotated[str, typer.Option("--as", metavar="PHONE_OR_TG",
                                         help="Who you are: a phone number or tg:123456.")],
    channel: Annotated[Style, typer.Option(help="How replies are drawn: numbered (sms) or "
                                                "as [buttons] (telegram).")] = Style.sms,
):
    """Talk to the bot as a member, in the terminal; on Telegram, #2 presses button 2.

    While no channel is configured, what the bot sends other phones meanwhile (a match, an
    invitation, a broadcast) is shown too, marked [to PHONE], and recorded as shown: nothing
    can send it. With a channel configured it stays queued for `clusterbot run` to send.
    """
    settings = get_settings()
    phone, telegram_id = read_address(address, settings.default_country)
    who = coordinators.address(phone, telegram_id)
    factory = open_database(settings)
    local = nothing_leaves(settings)
    console = Console(Engine(factory, settings), factory, who, channel.value,
                      others_after=session_start(factory) if local else None)
    interactive = sys.stdin.isatty()
    if interactive:
        out.print(f"Chatting as {who} ({channel.value}). Ctrl-D ends.", style="dim")
        if local:
            out.print("No channel is configured: what the bot sends to phones is shown here, "
                      "marked [to PHONE].", style="dim")
        note = clusters_commands.quick_start_note(factory)
        if note:
            err.print(note, style="dim")
    for line in typed_lines(interactive):
        replies = chat_turn(console, line, channel)
        for reply in replies:
            other = reply.startswith("[to ")  # to another phone (see Console)
            out.print(reply, style=("yellow" if other else "cyan") if interactive else None)
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
    text: Annotated[str, typer.Argument(help="The message, in the cluster's first language "
                                              "(unless a --translation gives that one).")],
    cluster: Annotated[str, typer.Option(help="Slug of the cluster network.")],
    role: Annotated[str | None, typer.Option(help="Only members with this role (a slug).")] = None,
    place: Annotated[str | None, typer.Option(help="Only members in this place.")] = None,
    language: Annotated[str | None, typer.Option(help="Only members reading this language.")] = None,
    product: Annotated[str | None, typer.Option(help="Only members dealing in this product.")] = None,
    translation: Annotated[list[str] | None, typer.Option(
        help="The text in another language, as xx=TEXT (repeatable): each member gets theirs.")] = None,
    fallback: Annotated[str | None, typer.Option(
        metavar="xx", help="The language members get when there is no text in theirs; default: "
                           "English when the broadcast has it, else TEXT.")] = None,
    at: Annotated[str | None, typer.Option(
        help="When to send, ISO 8601 (no offset: the cluster's time zone); default now.")] = None,
    grace: Annotated[int, typer.Option(
        help="Minutes a scheduled broadcast may still go out late (after downtime).")] = 60,
    wait: Annotated[int, typer.Option(
        min=0, help="Seconds to watch the sending before giving up watching (the messages stay "
                    "queued); 0: queue and return at once.")] = 600,
):
    """Queue a broadcast to a cluster's members; the running server (`clusterbot run`) sends it.

    Until every message is sent or failed, or --wait seconds have passed, a progress bar shows
    the sending. Exit status 1 when a message failed or is still queued when the wait ends
    (is `clusterbot run` running?); 0 when all were sent, when it is scheduled (--at) or with
    --wait 0.
    """
    settings = get_settings()
    factory = open_database(settings)
    if not text.strip():
        raise fail("the message is empty", USAGE)
    with unit_of_work(factory) as session:
        network = cluster_named(session, cluster)
        filters = audience_filters(session, role, place, language, product)
        translations = read_translations(translation or [])
        first = network.languages[0] if network.languages else "en"
        texts = {"": text, first: translations.get(first, text), **translations}
        if fallback is not None and (not fallback or fallback not in texts):
            raise fail(f"--fallback must be a language the broadcast has: "
                       f"{','.join(code for code in texts if code)}", USAGE)
        send_at = read_time(at, network.timezone)
        sent, count = send_broadcast(session, [network.id], "cli", texts, filters,
                                     send_at=send_at, grace_seconds=grace * 60, fallback=fallback)
        broadcast_id = sent.id
    if count is None:
        return out.print(f"Broadcast {broadcast_id} scheduled for {send_at.isoformat()}: the "
                         f"running server (clusterbot run) sends it then.")
    out.print(f"Broadcast {broadcast_id}: {count} members. The running server (clusterbot run) "
              f"sends it" + (f"; watching for up to {wait} s." if wait and count else "."))
    if wait and count:
        show_progress(factory, broadcast_id, count, wait)


def read_translations(items: list[str]) -> dict[str, str]:
    """`sw=Habari` items -> {"sw": "Habari"}; exits 2 on a bad one."""
    texts = {}
    for item in items:
        code, _, text = item.partition("=")
        if code.strip() not in SHIPPED or not text.strip():
            raise fail(f"a translation is xx=TEXT with xx among {','.join(SHIPPED)}: {item}", USAGE)
        texts[code.strip()] = text.strip()
    return texts


def show_progress(factory, broadcast_id: int, total: int, wait: int) -> None:
    """A progress bar until every message is sent or failed, or `wait` seconds; then the
    counts, and exit 1 when any failed or is still queued."""
    def sent(session) -> tuple[int, int]:
        counts = broadcasts.progress(session, broadcast_id)
        return total - sum(counts.get(s, 0) for s in outbox.PENDING), total

    watch(factory, sent, wait, "sending", "Nothing sent yet: is clusterbot run running?")
    with unit_of_work(factory) as session:
        counts = broadcasts.progress(session, broadcast_id)
    pending = sum(counts.get(s, 0) for s in outbox.PENDING)
    done = summary(counts)
    out.print(f"sent {done['sent']}, delivered {done['delivered']}, failed {done['failed']}"
              + (f", still queued {pending}" if pending else ""))
    if pending:
        raise fail(f"{pending} of {total} messages still queued after {wait} s: the running "
                   f"server (clusterbot run) sends them")
    if done["failed"]:
        raise fail(f"{done['failed']} of {total} messages failed")


@members_app.command("import")
@reported
def members_import(file: Annotated[Path, typer.Argument(
        exists=True, dir_okay=False, readable=True, metavar="FILE.csv",
        help="UTF-8 CSV with the header phone,telegram_id,name,roles,clusters,language,"
             "location,products,opted_out and optionally ,listed; lists separated by ;")]):
    """Load members from CSV: new ones are added, known ones (same phone or Telegram id) updated.

    Each bad row is reported on stderr as `line N: reason` and skipped; the good rows load.
    Exit status 0 when the file could be read, even with bad rows; 1 when it could not
    (not UTF-8, wrong header). Empty cells leave a known member's data as it is; an opt-out
    is never undone by an import. A phone or Telegram id given on an earlier line is a bad row.
    `listed` (true/false, empty: as it is) records the member's answer about the directory.
    The coordinator role is granted only by `clusterbot coordinator add`: a row naming it is
    a bad row unless the member already coordinates every cluster the row lists.
    In a terminal a progress bar shows on stderr. All rows are written in one transaction:
    stopped or failed half-way, the import leaves the members as they were.
    """
    settings = get_settings()
    data = file.read_bytes()
    lines = data.count(b"\n") + (not data.endswith(b"\n"))  # the progress bar's total
    del data  # the rows are read from the file as they go: all in memory, as text, they took
    # four bytes a character
    # A batch the database refuses is written again row by row, to find the row; psycopg also
    # warns that it ended the refused statement's pipeline, which is no news to the user.
    logging.getLogger("psycopg").addFilter(
        lambda record: not str(record.msg).startswith("error ignored terminating"))
    with (file.open(encoding="utf-8-sig", newline="") as rows,
          Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("lines"), TimeElapsedColumn(), console=err,
                   disable=not err.is_terminal) as bar):
        task = bar.add_task("importing", total=lines)
        try:
            with unit_of_work(open_database(settings)) as session:
                report = roster.import_members(
                    session, rows, "cli", region=settings.default_country, file_name=file.name,
                    progress=lambda done: bar.update(task, completed=done))
                bar.update(task, completed=lines, description="committing")
        except roster.RosterError as e:
            raise fail(f"{file}: {e}") from None
        except UnicodeDecodeError:  # nothing is kept: the transaction rolled back
            raise fail(f"{file} is not UTF-8 text") from None
    for line, reason in report.errors:
        err.print(f"line {line}: {reason}")
    out.print(f"imported {report.added}, updated {report.updated}, skipped {report.skipped}")


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
        # plain print, not rich's (about 40 µs a line, a sixth of detecting a sentence); each
        # answer is flushed, for a program that waits for it before writing the next line
        print(language.detect_code(line.rstrip("\n"), languages=codes), flush=True)
