"""An isolated database per test: a fresh SQLite file, or a PostgreSQL database cloned from a
template that is built once per run (TEST_DATABASE_URL=postgresql+asyncpg://...)."""

import asyncio
import os
import uuid
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from app.models import load_all_models

TEMPLATE = f"fastops_tpl_{os.getpid()}"


def server_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL", "")
    return url if url.startswith("postgresql") else None


async def _admin(url: str, *statements: str) -> None:
    engine = create_async_engine(
        make_url(url).set(database="postgres"), poolclass=NullPool, isolation_level="AUTOCOMMIT"
    )
    async with engine.connect() as conn:
        for statement in statements:
            await conn.execute(text(statement))
    await engine.dispose()


async def create_schema(url: str) -> None:
    engine = create_async_engine(url, poolclass=NullPool)
    async with engine.begin() as conn:
        await conn.run_sync(load_all_models().create_all)
    await engine.dispose()


async def build_template(url: str) -> None:
    await _admin(url, f'DROP DATABASE IF EXISTS "{TEMPLATE}"', f'CREATE DATABASE "{TEMPLATE}"')
    await create_schema(make_url(url).set(database=TEMPLATE).render_as_string(False))


async def drop_template(url: str) -> None:
    await _admin(url, f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)')


async def new_database(tmp_path: Path, *, with_schema: bool = True) -> str:
    base = server_url()
    if base is None:
        url = f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        if with_schema:
            await create_schema(url)
        return url
    name = f"fastops_t_{uuid.uuid4().hex[:12]}"
    source = f' TEMPLATE "{TEMPLATE}"' if with_schema else ""
    await _admin(base, f'CREATE DATABASE "{name}"{source}')
    return make_url(base).set(database=name).render_as_string(False)


async def drop_database(url: str) -> None:
    if url.startswith("postgresql"):
        name = make_url(url).database
        await _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(coro: object) -> None:
    asyncio.run(coro)  # type: ignore[arg-type]
