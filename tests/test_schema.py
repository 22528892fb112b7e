"""The migrations build exactly the schema the models describe (on SQLite and PostgreSQL)."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from storage.db import engine_for
from storage.schema import metadata


def ours(name, kind, parents) -> bool:
    """Leaves out what others create in the database: APScheduler's job table."""
    table = name if kind == "table" else parents.get("table_name")
    return table is None or table in metadata.tables


def test_migrated_database_matches_the_models(database_url):
    with engine_for(database_url).connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": ours})
        assert compare_metadata(context, metadata) == []
