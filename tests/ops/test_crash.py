"""SIGKILL of the server in the middle of writes: no half-written record, every committed
change has its audit row, every acknowledged write survived, and the app starts again on the
same database."""

import asyncio
import contextlib
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from tests.conftest import Headers
from tests.ops.servers import running

pytestmark = pytest.mark.slow

WRITERS = 8


async def _write_until_killed(http: httpx.AsyncClient, n: int, headers: Headers) -> list[int]:
    acknowledged: list[int] = []
    i = 0
    with contextlib.suppress(httpx.HTTPError):
        while True:
            i += 1
            body = {"sku": f"K{n}-{i}", "name": f"Crash {n}-{i}", "price": "2.50", "stock": i}
            answer = await http.post("/api/v1/products", json=body, headers=headers)
            if answer.status_code == 201:
                acknowledged.append(answer.json()["id"])
                # And an update of it: a committed UPDATE needs its audit row too.
                patch = await http.patch(
                    f"/api/v1/products/{answer.json()['id']}", json={"stock": 0}, headers=headers
                )
                assert patch.status_code == 200
    return acknowledged


async def _rows(database_url: str, query: str) -> list[tuple[object, ...]]:
    engine = create_async_engine(database_url, poolclass=NullPool)
    async with engine.connect() as conn:
        rows = [tuple(row) for row in (await conn.execute(text(query))).all()]
    await engine.dispose()
    return rows


async def test_sigkill_mid_write_leaves_only_whole_audited_records(
    tmp_path: Path, database_url: str, superuser: Headers
) -> None:
    env = {"API_RATE_LIMIT_USER": "1000000/minute"}
    with running(tmp_path, env) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
            writers = [
                asyncio.create_task(_write_until_killed(http, n, superuser)) for n in range(WRITERS)
            ]
            await asyncio.sleep(1.5)
            server.kill()
            acknowledged = [pid for batch in await asyncio.gather(*writers) for pid in batch]

    products = await _rows(database_url, "SELECT id, sku, name, price, version FROM products")
    audited = await _rows(
        database_url,
        "SELECT entity_id, action FROM audit_changes WHERE entity = 'products'",
    )
    created = {entity_id for entity_id, action in audited if action == "create"}
    updates = [entity_id for entity_id, action in audited if action == "update"]
    ids = {row[0] for row in products}

    assert acknowledged, "the writers never got going before the kill"
    assert set(acknowledged) <= ids
    assert all(sku and name and price is not None for _, sku, name, price, _ in products)
    assert created == ids
    # Each version past 1 is a committed update, and each has its audit row.
    for product_id, *_, version in products:
        assert updates.count(product_id) == int(str(version)) - 1

    with running(tmp_path, env) as again:
        async with httpx.AsyncClient(base_url=again.url, timeout=10) as http:
            ready = await http.get("/health/ready")
            body = {"sku": "AFTER-1", "name": "After the crash", "price": "1.00"}
            after = await http.post("/api/v1/products", json=body, headers=superuser)
    assert ready.status_code == 200
    assert after.status_code == 201
