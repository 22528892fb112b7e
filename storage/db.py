"""Database engine, sessions (the unit of work) and migrations."""
import logging
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# A pooled PostgreSQL connection left unused this long is checked before it is used again: the
# server may have restarted meanwhile. A busy process uses its connections again within
# milliseconds, and a check on every use was a round trip per transaction (a quarter of them).
IDLE_BEFORE_CHECK = 5.0  # seconds


def make_engine(url: str) -> Engine:
    """Creates an engine; SQLite gets WAL, foreign keys, a busy timeout and write-locking BEGIN.

    Statement parameters (phone numbers, what members wrote) are kept out of error messages,
    which end up in logs."""
    if not url.startswith("sqlite"):
        engine = create_engine(url, hide_parameters=True)
        check_when_idle(engine)
        return engine
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False},
                           hide_parameters=True)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # let SQLAlchemy's "begin" event below own transactions
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # IMMEDIATE takes the write lock up front, so two processes handling the same
        # member queue up instead of failing half-way with "database is locked".
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def check_when_idle(engine: Engine) -> None:
    """Pings a pooled connection before use when it was idle IDLE_BEFORE_CHECK seconds or more;
    a dead one is replaced (the pool tries again with a new connection)."""
    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_conn, record):
        record.info["idle_from"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _check_if_idle(dbapi_conn, record, _proxy):
        if time.monotonic() - record.info.get("idle_from", time.monotonic()) < IDLE_BEFORE_CHECK:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as error:
            raise DisconnectionError("the connection was closed while idle") from error


@lru_cache
def engine_for(url: str) -> Engine:
    return make_engine(url)


def session_factory(url: str) -> sessionmaker[Session]:
    return sessionmaker(engine_for(url), expire_on_commit=False)


def single_statements(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """Sessions for work that is one statement (storing a message, claiming a batch): on
    PostgreSQL each statement commits by itself, without the round trips of BEGIN and COMMIT;
    SQLite's transactions cost no round trip, and BEGIN IMMEDIATE takes its write lock."""
    engine = factory.kw["bind"]
    if engine.dialect.name == "sqlite":
        return factory
    return sessionmaker(engine.execution_options(isolation_level="AUTOCOMMIT"),
                        expire_on_commit=False)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commits on success, rolls back everything on any error."""
    with factory() as session, session.begin():
        yield session


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str) -> None:
    """Migrates the database at `url` to the newest schema."""
    command.upgrade(alembic_config(url), "head")


def loggable(error: BaseException) -> str:
    """A traceback for the log without the values a database quotes when it refuses a row
    (PostgreSQL's DETAIL repeats the row: a phone number, what a member wrote)."""
    return "".join(traceback.format_tb(error.__traceback__)) + error_kind(error)


def error_kind(error: BaseException) -> str:
    """The error in one line: for database errors, only the first line of the driver's message."""
    if isinstance(error, DBAPIError):
        lines = str(error.orig).strip().splitlines()
        return f"{type(error).__name__} ({type(error.orig).__name__}): {lines[0] if lines else ''}"
    return f"{type(error).__name__}: {error}"


SEEN_ERRORS: set[str] = set()


def log_failure(log: logging.Logger, what: str, error: BaseException) -> None:
    """Logs that `what` failed: with a traceback the first time this process sees the kind of
    error, then in one line, so an outage writes a line per attempt, not a page."""
    kind = error_kind(error)
    if kind in SEEN_ERRORS or len(SEEN_ERRORS) > 1000:
        log.error("%s failed: %s", what, kind)
    else:
        SEEN_ERRORS.add(kind)
        log.error("%s failed:\n%s", what, loggable(error))
