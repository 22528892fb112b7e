"""Pooled PostgreSQL connections: one closed by the server while idle is replaced, not used."""
import pytest
from sqlalchemy import create_engine, text

from storage import db
from storage.db import unit_of_work


@pytest.fixture
def postgres(database_url):
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite has no server to close a connection")
    return database_url


def backend_pid(factory) -> int:
    with unit_of_work(factory) as session:
        return session.scalar(text("SELECT pg_backend_pid()"))


def close_from_the_server(url: str, pid: int) -> None:
    """What a restart of PostgreSQL does to a pooled connection."""
    admin = create_engine(url)
    with admin.connect() as conn:
        assert conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    admin.dispose()


def test_a_connection_closed_while_idle_is_replaced(postgres, factory, monkeypatch):
    monkeypatch.setattr(db, "IDLE_BEFORE_CHECK", 0.0)
    pid = backend_pid(factory)  # the pooled connection, now idle
    close_from_the_server(postgres, pid)
    assert backend_pid(factory) != pid  # a new connection, and no error


def test_a_busy_connection_is_not_checked(postgres, factory, monkeypatch):
    monkeypatch.setattr(db, "IDLE_BEFORE_CHECK", 3600.0)
    pid = backend_pid(factory)
    close_from_the_server(postgres, pid)
    # Not checked: the closed connection is found out by the statement that uses it.
    with pytest.raises(Exception, match="terminat|closed|server"):
        backend_pid(factory)
    assert backend_pid(factory) != pid  # the pool threw it away
