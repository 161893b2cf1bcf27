"""32 clients writing at once through a real server: every write lands, none sees
"database is locked" (on SQLite: WAL + BEGIN IMMEDIATE + busy timeout; on PostgreSQL: the pool)."""

import asyncio
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from tests.conftest import Headers
from tests.ops.servers import running

pytestmark = pytest.mark.slow

WRITERS = 32
PER_WRITER = 4


async def _writer(http: httpx.AsyncClient, n: int, headers: Headers) -> list[httpx.Response]:
    answers = []
    for i in range(PER_WRITER):
        body = {"sku": f"W{n:02d}-{i}", "name": f"Writer {n} item {i}", "price": "1.00", "stock": 1}
        answers.append(await http.post("/api/v1/products", json=body, headers=headers))
    return answers


async def test_32_concurrent_writers_lose_nothing_and_never_see_locked(
    tmp_path: Path, superuser: Headers, database_url: str
) -> None:
    env = {"API_RATE_LIMIT_USER": "100000/minute", "DB_POOL_SIZE": "40"}
    with running(tmp_path, env) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
            results = await asyncio.gather(*(_writer(http, n, superuser) for n in range(WRITERS)))
            listed = await http.get("/api/v1/products", params={"size": 1}, headers=superuser)
        log = server.log()

    answers = [answer for batch in results for answer in batch]
    assert [a.status_code for a in answers if a.status_code != 201] == []
    assert listed.json()["total"] == WRITERS * PER_WRITER
    assert "database is locked" not in log
    engine = create_async_engine(database_url, poolclass=NullPool)
    async with engine.connect() as conn:
        audited = await conn.scalar(
            text("SELECT count(*) FROM audit_changes WHERE entity = 'products'")
        )
    await engine.dispose()
    assert audited == WRITERS * PER_WRITER
