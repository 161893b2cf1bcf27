from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import create_async_engine


async def test_live_and_ready_answer_ok(client: AsyncClient) -> None:
    assert (await client.get("/health/live")).json()["status"] == "ok"
    assert (await client.get("/health/ready")).status_code == 200


async def test_ready_is_503_when_the_database_does_not_answer(
    app: FastAPI, client: AsyncClient
) -> None:
    healthy = app.state.engine
    app.state.engine = create_async_engine(
        "postgresql+asyncpg://nobody@127.0.0.1:1/none", connect_args={"timeout": 1}
    )
    try:
        response = await client.get("/health/ready")
    finally:
        await app.state.engine.dispose()
        app.state.engine = healthy

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
