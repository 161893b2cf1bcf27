import os
from pathlib import Path

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy.ext.asyncio import create_async_engine

from app.core.config import get_settings
from app.core.observability import metrics
from app.main import create_app
from tests.users import MakeUser


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text format, 0 when absent."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    prefix = f"{name}{{{wanted}}} " if labels else f"{name} "
    for line in text.splitlines():
        if line.startswith(prefix):
            return float(line.split()[-1])
    return 0.0


async def test_requests_are_counted_by_route_template_not_raw_path(client: AsyncClient) -> None:
    before = sample(
        (await client.get("/metrics")).text,
        "fastops_http_requests_total",
        method="GET",
        route="/api/v1/products/{product_id}",
        status="401",
    )
    await client.get("/api/v1/products/987654")
    await client.get("/api/v1/products/987655")

    response = await client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    after = sample(
        text,
        "fastops_http_requests_total",
        method="GET",
        route="/api/v1/products/{product_id}",
        status="401",
    )
    assert after == before + 2
    assert "/api/v1/products/987654" not in text
    assert "fastops_http_request_duration_seconds_bucket" in text
    assert "fastops_db_pool_in_use" in text


async def test_an_unknown_path_is_counted_under_one_label(client: AsyncClient) -> None:
    await client.get("/no/such/thing")

    text = (await client.get("/metrics")).text

    assert 'route="<unmatched>"' in text
    assert "/no/such/thing" not in text


async def test_security_counters_are_exposed_for_the_auth_service(client: AsyncClient) -> None:
    text = (await client.get("/metrics")).text
    failures = sample(text, "fastops_login_failures_total")
    throttled = sample(text, "fastops_login_throttled_total")
    replays = sample(text, "fastops_refresh_replays_total")
    dropped = sample(text, "fastops_access_log_dropped_total")

    metrics.login_failed()
    metrics.login_throttled()
    metrics.refresh_replayed()
    metrics.access_log_dropped(3)

    text = (await client.get("/metrics")).text
    assert sample(text, "fastops_login_failures_total") == failures + 1
    assert sample(text, "fastops_login_throttled_total") == throttled + 1
    assert sample(text, "fastops_refresh_replays_total") == replays + 1
    assert sample(text, "fastops_access_log_dropped_total") == dropped + 3


async def _scrape(monkeypatch: pytest.MonkeyPatch, headers: dict[str, str], **env: str) -> int:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    application: FastAPI = create_app()
    transport = ASGITransport(app=application, raise_app_exceptions=False)
    async with AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.get("/metrics", headers=headers)
    await application.state.engine.dispose()
    if response.status_code != 200:
        assert response.headers["content-type"] == "application/problem+json"
    return response.status_code


@pytest.mark.usefixtures("test_env")
async def test_a_configured_token_protects_the_metrics(monkeypatch: pytest.MonkeyPatch) -> None:
    token = "t" * 40
    assert await _scrape(monkeypatch, {}, METRICS_TOKEN=token) == 401
    assert await _scrape(monkeypatch, {"Authorization": "Bearer wrong"}) == 403
    assert await _scrape(monkeypatch, {"Authorization": f"Bearer {token}"}) == 200


@pytest.mark.usefixtures("test_env")
async def test_an_allowed_network_reads_without_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    # httpx's ASGI transport presents the client as 127.0.0.1.
    assert await _scrape(monkeypatch, {}, METRICS_ALLOWED_NETWORKS="127.0.0.0/8") == 200
    assert await _scrape(monkeypatch, {}, METRICS_ALLOWED_NETWORKS="10.0.0.0/8") == 401
    assert await _scrape(monkeypatch, {"Authorization": "Bearer x"}) == 403


async def test_server_timing_reports_total_and_database_time(client: AsyncClient) -> None:
    listed = await client.get("/api/v1/products")
    live = await client.get("/health/live")

    parts = dict(part.strip().split(";dur=") for part in listed.headers["server-timing"].split(","))
    assert set(parts) == {"app", "db"}
    assert float(parts["db"]) >= 0
    assert "db;dur=0.0" in live.headers["server-timing"]


def test_dead_workers_live_gauges_are_swept(tmp_path: Path) -> None:
    dead = tmp_path / "gauge_livesum_999999999.db"
    mine = tmp_path / f"gauge_livesum_{os.getpid()}.db"
    counter = tmp_path / "counter_999999999.db"
    for path in (dead, mine, counter):
        path.write_bytes(b"")
    (tmp_path / "gauge_livesum_notapid.db").write_bytes(b"")

    metrics.sweep_dead_workers(str(tmp_path))

    assert not dead.exists()
    assert mine.exists()
    assert counter.exists()  # a dead worker's counts still belong in the totals


def test_multiprocess_exposition_merges_the_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(metrics.MULTIPROC_ENV, str(tmp_path))

    assert metrics.exposition() == b""
    metrics.mark_this_worker_dead()


def test_without_a_directory_marking_this_worker_dead_does_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(metrics.MULTIPROC_ENV, raising=False)
    metrics.mark_this_worker_dead()
    assert b"fastops_login_failures_total" in metrics.exposition()


async def test_access_log_depth_and_drops_follow_the_writer(
    app: FastAPI, client: AsyncClient
) -> None:
    writer = app.state.access_log
    before = sample((await client.get("/metrics")).text, "fastops_access_log_dropped_total")
    writer.dropped += 4

    text = (await client.get("/metrics")).text
    again = (await client.get("/metrics")).text

    assert sample(text, "fastops_access_log_dropped_total") == before + 4
    assert sample(again, "fastops_access_log_dropped_total") == before + 4
    assert "fastops_access_log_queue_depth" in text


def test_an_app_state_without_a_writer_still_reports_the_pool() -> None:
    class State:
        engine = create_async_engine("sqlite+aiosqlite://")

    metrics.StateObserver(State()).observe()
    assert b"fastops_db_pool_in_use" in metrics.exposition()


async def test_login_failures_throttles_and_replays_are_counted(
    client: AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user("products:read")
    before = (await client.get("/metrics")).text
    url = "/api/v1/auth/login"

    codes = [
        (await client.post(url, data={"username": user.email, "password": "wrong"})).status_code
        for _ in range(6)
    ]
    pair = await client.post(url, data={"username": "x@example.com", "password": "wrong-too"})
    assert pair.status_code == 401
    tokens = await client.post(url, data={"username": "y@example.com", "password": "nope"})
    assert tokens.status_code == 401
    fresh = await make_user("products:read")
    login = await client.post(url, data={"username": fresh.email, "password": fresh.password})
    refresh = login.json()["refresh_token"]
    first = await client.post("/api/v1/auth/refresh", json={"refresh_token": refresh})
    replay = await client.post("/api/v1/auth/refresh", json={"refresh_token": refresh})

    after = (await client.get("/metrics")).text
    assert codes == [401] * 5 + [429]
    assert (first.status_code, replay.status_code) == (200, 401)
    assert sample(after, "fastops_login_failures_total") == (
        sample(before, "fastops_login_failures_total") + 7
    )
    assert sample(after, "fastops_login_throttled_total") == (
        sample(before, "fastops_login_throttled_total") + 1
    )
    assert sample(after, "fastops_refresh_replays_total") == (
        sample(before, "fastops_refresh_replays_total") + 1
    )
