"""Alembic for every service: its own database, its own version table, run from code."""

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import async_engine_from_config


def alembic_config(service_dir: Path, database_url: str, version_table: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(service_dir / "migrations"))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes["version_table"] = version_table
    return config


def upgrade_head(service_dir: Path, database_url: str, version_table: str) -> None:
    command.upgrade(alembic_config(service_dir, database_url, version_table), "head")


def run_env(target_metadata: MetaData) -> None:
    """Body of each service's migrations/env.py (online mode, async engine)."""
    config = context.config
    version_table = config.attributes.get("version_table", "alembic_version")

    def do_run(connection: Connection) -> None:
        context.configure(
            connection=connection, target_metadata=target_metadata, version_table=version_table
        )
        with context.begin_transaction():
            context.run_migrations()

    async def run_async() -> None:
        engine = async_engine_from_config(
            config.get_section(config.config_ini_section, {}),
            prefix="sqlalchemy.",
            poolclass=pool.NullPool,
            hide_parameters=True,  # as every engine: errors never carry bound values
        )
        async with engine.connect() as connection:
            await connection.run_sync(do_run)
        await engine.dispose()

    asyncio.run(run_async())
