"""The migrations build exactly the schema the models describe (on SQLite and PostgreSQL)."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from storage.db import engine_for
from storage.schema import metadata


def test_migrated_database_matches_the_models(database_url):
    with engine_for(database_url).connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
