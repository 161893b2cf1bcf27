"""Alembic on a real database: upgrade, no drift, downgrade to base, upgrade again; and a
database in use when a revision lands keeps its rows and never hands out an id again."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import Integer, inspect, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from app.audit.archive import ArchiveOptions, Archiver
from app.core.config import get_settings
from app.core.db.database import create_engine
from app.models import load_all_models
from tests import databases
from tests.conftest import Headers

ROOT = Path(__file__).resolve().parents[1]
# The last revision before every integer primary key became AUTOINCREMENT on SQLite.
BEFORE_AUTOINCREMENT = "0006"
PRODUCTS = "/api/v1/products"


@pytest.fixture
async def empty_url(tmp_path: Path) -> AsyncIterator[str]:
    url = await databases.new_database(tmp_path, with_schema=False)
    yield url
    await databases.drop_database(url)


@pytest.fixture
async def database_url(tmp_path: Path) -> AsyncIterator[str]:
    """For the app fixtures of this module: a database built by the migrations up to
    BEFORE_AUTOINCREMENT, as a deployment of that time has it."""
    url = await databases.new_database(tmp_path, with_schema=False)
    await asyncio.to_thread(command.upgrade, _config(url), BEFORE_AUTOINCREMENT)
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


async def _sqlite_tables_without_autoincrement(url: str) -> set[str]:
    """Tables with an integer primary key that SQLite created without AUTOINCREMENT (Alembic's
    drift check does not compare table options, so this is checked on its own)."""
    if not url.startswith("sqlite"):
        return set()
    engine = create_async_engine(url, poolclass=NullPool)
    async with engine.connect() as conn:
        rows = (await conn.execute(text("SELECT name, sql FROM sqlite_master"))).all()
    await engine.dispose()
    created = {name: sql or "" for name, sql in rows}
    return {
        table
        for table in _integer_key_tables()
        if "AUTOINCREMENT" not in created.get(table, "").upper()
    }


def _integer_key_tables() -> set[str]:
    return {
        table.name
        for table in load_all_models().tables.values()
        if len(table.primary_key.columns) == 1
        and isinstance(next(iter(table.primary_key.columns)).type, Integer)
    }


def test_every_integer_primary_key_is_autoincrement_on_sqlite() -> None:
    tables = load_all_models().tables
    assert {"products", "users", "audit_changes"} <= _integer_key_tables()

    lacking = {
        name
        for name in _integer_key_tables()
        if not tables[name].dialect_options["sqlite"]["autoincrement"]
    }

    assert lacking == set(), "add sqlite_autoincrement=True to their __table_args__"


async def test_upgrade_has_no_drift_and_downgrade_round_trips(empty_url: str) -> None:
    config = _config(empty_url)
    await asyncio.to_thread(command.upgrade, config, "head")
    drift, tables = await _drift_and_tables(empty_url)
    assert drift == []
    assert set(load_all_models().tables) <= tables
    assert await _sqlite_tables_without_autoincrement(empty_url) == set()

    await asyncio.to_thread(command.downgrade, config, "base")
    _, tables = await _drift_and_tables(empty_url)
    assert tables <= {"alembic_version"}

    await asyncio.to_thread(command.upgrade, config, "head")
    drift, _ = await _drift_and_tables(empty_url)
    assert drift == []


async def _create(client: AsyncClient, headers: Headers, sku: str) -> int:
    response = await client.post(
        PRODUCTS, json={"sku": sku, "name": sku, "price": "1.00"}, headers=headers
    )
    assert response.status_code == 201, response.text
    product_id: int = response.json()["id"]
    return product_id


async def test_upgrading_keeps_every_row_and_never_reuses_a_deleted_id(
    client: AsyncClient, superuser: Headers, database_url: str
) -> None:
    ids = [await _create(client, superuser, f"MIG-{n}") for n in range(1, 6)]
    assert (await client.delete(f"{PRODUCTS}/{ids[-1]}", headers=superuser)).status_code == 204
    before = (await client.get(PRODUCTS, headers=superuser)).json()["items"]
    config = _config(database_url)

    await asyncio.to_thread(command.upgrade, config, "head")
    after_upgrade = (await client.get(PRODUCTS, headers=superuser)).json()["items"]
    await asyncio.to_thread(command.downgrade, config, BEFORE_AUTOINCREMENT)
    after_downgrade = (await client.get(PRODUCTS, headers=superuser)).json()["items"]
    await asyncio.to_thread(command.upgrade, config, "head")
    new_id = await _create(client, superuser, "MIG-NEW")

    assert sorted(p["id"] for p in before) == ids[:-1]
    assert after_upgrade == before
    assert after_downgrade == before
    assert new_id > ids[-1]
    assert await _sqlite_tables_without_autoincrement(database_url) == set()
    history = await client.get(f"{PRODUCTS}/{new_id}/history", headers=superuser)
    assert [row["action"] for row in history.json()["items"]] == ["create"]


async def test_upgrading_after_an_archive_never_hands_out_an_archived_audit_id(
    app: FastAPI,
    client: AsyncClient,
    superuser: Headers,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    archive = tmp_path / "archive"
    monkeypatch.setenv("AUDIT_ARCHIVE_DIR", str(archive))
    get_settings.cache_clear()
    await _create(client, superuser, "ARC-1")
    await app.state.access_log.flush()
    engine = create_engine(get_settings())
    first = await Archiver(engine, ArchiveOptions(archive, 0, 10_000)).run()
    archived = max(
        int(path.name.split(".")[0].rsplit("-", 1)[1]) for path in archive.glob("audit_changes-*")
    )

    await asyncio.to_thread(command.upgrade, _config(database_url), "head")
    await _create(client, superuser, "ARC-2")
    await app.state.access_log.flush()
    second = await Archiver(engine, ArchiveOptions(archive, 0, 10_000)).run()
    await engine.dispose()

    assert first.rows["audit_changes"] >= 1
    assert second.recovered == {"audit_changes": 0, "audit_access": 0}
    assert second.rows["audit_changes"] >= 1
    fresh = [path for path in archive.glob("audit_changes-*.jsonl.gz") if path not in first.files]
    assert fresh
    assert all(int(path.name.split("-")[1]) > archived for path in fresh)


async def test_the_triage_migration_keeps_the_task_counter(
    client: AsyncClient, superuser: Headers, database_url: str
) -> None:
    config = _config(database_url)
    await asyncio.to_thread(command.upgrade, config, "0007")
    me = (await client.get("/api/v1/auth/me", headers=superuser)).json()["id"]
    ids = []
    for title in ("one", "two", "three"):
        made = await client.post(
            "/api/v1/tasks", json={"title": title, "assignee_id": me}, headers=superuser
        )
        ids.append(made.json()["id"])
    gone = await client.delete(f"/api/v1/tasks/{ids[-1]}", headers=superuser)
    assert gone.status_code == 204

    await asyncio.to_thread(command.upgrade, config, "head")
    queued = await client.post("/api/v1/tasks", json={"title": "queued"}, headers=superuser)

    assert queued.status_code == 201, queued.text
    assert queued.json()["id"] > ids[-1]
    assert await _sqlite_tables_without_autoincrement(database_url) == set()
