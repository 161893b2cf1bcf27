"""The database goes away in the middle of a run and comes back: the app answers 503 while
it is gone and recovers by itself, without a restart."""

from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy.engine import make_url

from app.core.config import get_settings
from app.main import create_app
from tests.ops.servers import CuttableProxy
from tests.users import user_factory

pytestmark = pytest.mark.slow


@pytest.fixture
async def proxied(
    test_env: None, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[FastAPI, AsyncClient, CuttableProxy]]:
    if not database_url.startswith("postgresql"):
        pytest.skip("needs a database server to cut away (TEST_DATABASE_URL=postgresql...)")
    url = make_url(database_url)
    proxy = CuttableProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    monkeypatch.setenv("DATABASE_URL", url.set(port=proxy.port).render_as_string(False))
    monkeypatch.setenv("DB_POOL_TIMEOUT_SECONDS", "3")
    get_settings.cache_clear()
    application = create_app()
    transport = ASGITransport(app=application, raise_app_exceptions=False)
    async with (
        application.router.lifespan_context(application),
        AsyncClient(transport=transport, base_url="http://testserver") as http,
    ):
        yield application, http, proxy
    await proxy.cut()


async def test_api_answers_503_while_the_database_is_gone_and_recovers(
    proxied: tuple[FastAPI, AsyncClient, CuttableProxy],
) -> None:
    app, client, proxy = proxied
    admin = await user_factory(app, client)(email="ops@example.com", is_superuser=True)
    created = await client.post(
        "/api/v1/products",
        json={"sku": "OPS-1", "name": "Before", "price": "1.00", "stock": 1},
        headers=admin.headers,
    )
    assert created.status_code == 201, created.text

    await proxy.cut()
    ready = await client.get("/health/ready")
    listed = await client.get("/api/v1/products", headers=admin.headers)
    write = await client.post(
        "/api/v1/products",
        json={"sku": "OPS-2", "name": "During", "price": "1.00", "stock": 1},
        headers=admin.headers,
    )

    assert ready.status_code == 503
    for answer in (listed, write):
        assert answer.status_code == 503, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.headers["retry-after"]
        assert "asyncpg" not in answer.text

    await proxy.restore()
    assert (await client.get("/health/ready")).status_code == 200
    after = await client.get("/api/v1/products", headers=admin.headers)
    assert after.status_code == 200
    assert [item["sku"] for item in after.json()["items"]] == ["OPS-1"]
