"""The access log: a row for every answer, written off the request path, kept on shutdown."""

from pathlib import Path

from fastapi import APIRouter, FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from structlog.testing import capture_logs

from app.core.audit.tables import AuditAccess
from app.core.db.models import utc_now
from app.core.http.middleware import AccessRecord
from app.core.observability.access_log import AccessLogWriter
from app.main import create_app
from tests.audit.conftest import Headers, access_rows
from tests.users import MakeUser

ACCESS = "/api/v1/audit/access"


async def test_every_answer_has_an_access_row(
    app: FastAPI, client: AsyncClient, superuser: Headers, make_user: MakeUser
) -> None:
    router = APIRouter()

    @router.get("/test/boom")
    async def boom() -> None:
        raise RuntimeError("boom")

    app.include_router(router)
    auditor = await make_user("audit:read")
    clerk = await make_user("products:read")
    first_id = (await access_rows(app))[-1].id or 0

    answers = [
        (
            await client.get("/api/v1/products", headers={**superuser, "User-Agent": "probe/1"})
        ).status_code,
        (await client.get(ACCESS)).status_code,
        (await client.get(ACCESS, headers=clerk.headers)).status_code,
        (await client.get("/api/v1/products/999", headers=superuser)).status_code,
        (await client.get("/test/boom")).status_code,
        (await client.get(ACCESS, headers=auditor.headers)).status_code,
    ]

    assert answers == [200, 401, 403, 404, 500, 200]
    rows = [r for r in await access_rows(app) if (r.id or 0) > first_id]
    assert [r.status_code for r in rows] == answers
    assert rows[0].route == "/api/v1/products"
    assert rows[0].user_agent == "probe/1"
    assert rows[3].route == "/api/v1/products/{product_id}"
    assert rows[3].path == "/api/v1/products/999"
    assert rows[5].user_id == auditor.id
    assert rows[2].user_id == clerk.id
    assert rows[1].user_id is None
    assert all(r.request_id and r.method == "GET" and r.duration_ms >= 0 for r in rows)


async def test_access_rows_are_served_newest_first_with_filters(
    app: FastAPI, client: AsyncClient, superuser: Headers
) -> None:
    auditor = superuser
    await client.get("/api/v1/products/1", headers=superuser)
    await client.get("/api/v1/products", headers={**superuser, "X-Request-ID": "find-me"})
    await app.state.access_log.flush()

    newest = await client.get(ACCESS, params={"limit": 1}, headers=auditor)
    by_request = await client.get(ACCESS, params={"request_id": "find-me"}, headers=auditor)
    by_status = await client.get(
        ACCESS,
        params={"status_code": 404, "method": "get", "path": "/api/v1/products/1"},
        headers=auditor,
    )
    by_user = await client.get(ACCESS, params={"user_id": 12345}, headers=auditor)

    assert newest.status_code == 200
    assert newest.json()["items"][0]["path"] == "/api/v1/products"
    assert newest.json()["next_cursor"] is not None
    assert [r["request_id"] for r in by_request.json()["items"]] == ["find-me"]
    assert [r["status_code"] for r in by_status.json()["items"]] == [404]
    assert by_user.json() == {"items": [], "next_cursor": None}
    assert set(newest.json()["items"][0]) == {
        "id",
        "occurred_at",
        "request_id",
        "method",
        "route",
        "path",
        "status_code",
        "duration_ms",
        "user_id",
        "client_ip",
        "user_agent",
    }


async def test_buffered_rows_survive_a_graceful_shutdown(test_env: None, database_url: str) -> None:
    application = create_app()
    async with application.router.lifespan_context(application):
        transport = ASGITransport(app=application)
        async with AsyncClient(transport=transport, base_url="http://testserver") as http:
            for _ in range(5):
                await http.get("/api/v1/products", headers={"X-Request-ID": "before-exit"})

    engine = create_async_engine(database_url, poolclass=NullPool)
    async with AsyncSession(engine) as session:
        rows = (
            await session.exec(
                select(AuditAccess).where(col(AuditAccess.request_id) == "before-exit")
            )
        ).all()
    await engine.dispose()
    assert len(rows) == 5


def record(path: str) -> AccessRecord:
    return AccessRecord(
        occurred_at=utc_now(),
        request_id="r",
        method="GET",
        route=None,
        path=path,
        status_code=200,
        duration_ms=1.0,
        user_id=None,
        client_ip="127.0.0.1",
        user_agent=None,
    )


async def test_a_full_queue_drops_counts_and_warns(app: FastAPI) -> None:
    writer = AccessLogWriter(app.state.session_factory, queue_size=1, batch_size=10)

    with capture_logs() as logs:
        writer.sink(record("/kept"))
        writer.sink(record("/dropped"))
    writer.start()
    await writer.stop()

    assert writer.dropped == 1
    assert writer.written == 1
    assert [(e["event"], e["log_level"], e["path"]) for e in logs] == [
        ("access_log_dropped", "warning", "/dropped")
    ]


async def test_a_failed_write_is_logged_and_the_writer_goes_on(tmp_path: Path) -> None:
    # A database without the audit tables: every write fails.
    broken = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    writer = AccessLogWriter(
        async_sessionmaker(broken, class_=AsyncSession), queue_size=10, batch_size=10
    )

    with capture_logs() as logs:
        writer.start()
        writer.sink(record("/lost"))
        await writer.flush()
        writer.sink(record("/lost-too"))
        await writer.stop()
    await writer.stop()
    await broken.dispose()

    assert writer.written == 0
    assert [e["rows"] for e in logs if e["event"] == "access_log_write_failed"] == [1, 1]
