"""Alembic on a real, empty database: upgrade, no drift, downgrade to base, upgrade again."""

from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from app.models import load_all_models
from tests import databases

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
async def empty_url(tmp_path: Path):  # type: ignore[no-untyped-def]
    url = await databases.new_database(tmp_path, with_schema=False)
    yield url
    await databases.drop_database(url)


def _config(url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["database_url"] = url
    config.attributes["configure_logger"] = False
    return config


async def _drift_and_tables(url: str) -> tuple[list[object], set[str]]:
    engine = create_async_engine(url, poolclass=NullPool)

    def inspect_sync(conn):  # type: ignore[no-untyped-def]
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, load_all_models()), set(inspect(conn).get_table_names())

    async with engine.connect() as conn:
        drift, tables = await conn.run_sync(inspect_sync)
    await engine.dispose()
    return drift, tables


async def test_upgrade_has_no_drift_and_downgrade_round_trips(empty_url: str) -> None:
    import asyncio

    config = _config(empty_url)
    await asyncio.to_thread(command.upgrade, config, "head")
    drift, tables = await _drift_and_tables(empty_url)
    assert drift == []
    assert set(load_all_models().tables) <= tables

    await asyncio.to_thread(command.downgrade, config, "base")
    _, tables = await _drift_and_tables(empty_url)
    assert tables <= {"alembic_version"}

    await asyncio.to_thread(command.upgrade, config, "head")
    drift, _ = await _drift_and_tables(empty_url)
    assert drift == []
