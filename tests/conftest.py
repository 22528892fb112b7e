"""Fixtures: a migrated database (SQLite, or PostgreSQL when CLUSTERBOT_TEST_POSTGRES_URL is set),
emptied before each test, an engine, and a terminal chat per member of the cast."""
import os
import uuid

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from bot import cli
from bot.channels.console import Console
from bot.engine import Engine
from bot.settings import Settings, get_settings
from handlers import places
from storage import clusters, jobs, products
from storage.db import engine_for, session_factory, unit_of_work, upgrade
from storage.models import Place
from storage.schema import metadata
from storage.seed import seed

POSTGRES_URL = os.environ.get("CLUSTERBOT_TEST_POSTGRES_URL")



@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """A fresh database for this test run, migrated to head and seeded."""
    if POSTGRES_URL:
        url = make_url(POSTGRES_URL)
        name = f"clusterbot_test_{uuid.uuid4().hex[:10]}"
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        test_url = url.set(database=name).render_as_string(hide_password=False)
    else:
        test_url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    upgrade(test_url)
    with unit_of_work(session_factory(test_url)) as session:
        seed(session)
    yield test_url
    engine_for(test_url).dispose()
    if POSTGRES_URL:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


SEED_TABLES = {"products", "product_names", "places"}


@pytest.fixture
def factory(database_url):
    """A session factory on a database emptied of all but the seeded catalog and gazetteer."""
    with engine_for(database_url).begin() as conn:
        existing = set(inspect(conn).get_table_names())
        for table in reversed(metadata.sorted_tables):
            if table.name not in SEED_TABLES and table.name in existing:
                conn.execute(table.delete())
        conn.execute(Place.__table__.delete().where(Place.cluster_id.is_not(None)))
    # What this process kept of the database it emptied: ids are given again (SQLite), so a
    # new cluster's places could look like the last test's to the version `known` checks.
    places.NAMES.clear()
    products.KEPT.clear()
    return session_factory(database_url)


@pytest.fixture
def settings(database_url, monkeypatch):
    monkeypatch.setenv("CLUSTERBOT_DATABASE_URL", database_url)
    return Settings(database_url=database_url, _env_file=None)


@pytest.fixture
def job_database(settings):
    """Scheduled jobs run on the test database, as the running app's scheduler makes them."""
    jobs.configure(settings.database_url)
    yield
    jobs.configure(None)


@pytest.fixture
def engine(factory, settings):
    return Engine(factory, settings)


@pytest.fixture
def kisumu(factory):
    """A cluster network of fishers and processors around Lake Victoria."""
    with unit_of_work(factory) as session:
        return clusters.add(session, slug="kisumu-fish", name="Kisumu Fish", currency="KES",
                            country="KE", languages=["sw", "en"], timezone="Africa/Nairobi")


@pytest.fixture
def chat(engine, factory):
    """Opens a terminal conversation as `address`: chat(AMINA).send("JIUNGE") -> replies."""
    def open_chat(address: str, style: str = "sms") -> Console:
        return Console(engine, factory, address, style)
    return open_chat


@pytest.fixture
def clusterbot(factory, settings, monkeypatch):
    """Runs `clusterbot ARGS` against the test database: clusterbot("db", "upgrade");
    `input=` is what the command reads from stdin."""
    monkeypatch.setenv("CLUSTERBOT_DEFAULT_COUNTRY", "KE")
    monkeypatch.delenv("CLUSTERBOT_TELEGRAM_TOKEN", raising=False)
    get_settings.cache_clear()
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(cli.app, list(args), input=input)

    yield invoke
    get_settings.cache_clear()
