"""Alembic environment: runs migrations against the configured URL."""
from alembic import context

from storage.db import make_engine
from storage.schema import metadata

config = context.config


def run_migrations() -> None:
    connectable = config.attributes.get("connection") or make_engine(
        config.get_main_option("sqlalchemy.url")
    )
    if hasattr(connectable, "connect"):
        with connectable.connect() as connection:
            _run(connection)
        connectable.dispose()
    else:
        _run(connectable)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
