import time
import uuid
from collections.abc import AsyncIterator

import jwt
import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from app.core.config import Settings, get_settings
from app.main import create_app
from tests.conftest import serving
from tests.core.test_metrics_api import sample
from tests.ops.servers import free_port, redis_url

URL = "/api/v1/products"


def access_token(settings: Settings, sub: str, *, typ: str = "access", key: str = "") -> str:
    now = int(time.time())
    claims = {
        "sub": sub,
        "exp": now + 300,
        "iat": now,
        "jti": uuid.uuid4().hex,
        "typ": typ,
        "sid": "s1",
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
    }
    return jwt.encode(claims, key or settings.secret_key, algorithm=settings.jwt_algorithm)


@pytest.fixture
async def limited(
    test_env: None, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[FastAPI, AsyncClient]]:
    monkeypatch.setenv("API_RATE_LIMIT_ANON", "3/minute")
    monkeypatch.setenv("API_RATE_LIMIT_USER", "5/minute")
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    get_settings.cache_clear()
    application = create_app()
    async with serving(application) as http:
        yield application, http


async def test_anonymous_clients_get_429_with_retry_after_past_the_limit(
    limited: tuple[FastAPI, AsyncClient],
) -> None:
    _, client = limited
    answers = [await client.get(URL) for _ in range(4)]

    # Anonymous: the API answers 401, and the limiter counts those too.
    assert [a.status_code for a in answers] == [401, 401, 401, 429]
    assert [a.headers["ratelimit-remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert all(a.headers["ratelimit-limit"] == "3" for a in answers)
    refused = answers[-1]
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["status"] == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert 0 <= int(refused.headers["ratelimit-reset"]) <= 60
    assert refused.headers["x-request-id"]


async def test_each_user_has_an_own_allowance_beside_the_address(
    limited: tuple[FastAPI, AsyncClient],
) -> None:
    app, client = limited
    settings = app.state.settings
    alice = {"Authorization": f"Bearer {access_token(settings, '1')}"}
    bob = {"Authorization": f"Bearer {access_token(settings, '2')}"}

    alice_codes = [(await client.get(URL, headers=alice)).status_code for _ in range(6)]
    bob_answer = await client.get(URL, headers=bob)
    anonymous = await client.get(URL)

    # The tokens are well signed but name no stored session: the API says 401 once the
    # limiter (which never touches the database) has let them through.
    assert alice_codes == [401] * 5 + [429]
    assert bob_answer.status_code == 401
    assert bob_answer.headers["ratelimit-limit"] == "5"
    assert anonymous.headers["ratelimit-limit"] == "3"
    assert anonymous.headers["ratelimit-remaining"] == "2"


async def test_forged_or_refresh_tokens_count_against_the_address(
    limited: tuple[FastAPI, AsyncClient],
) -> None:
    app, client = limited
    settings = app.state.settings
    forged = [f"Bearer {access_token(settings, str(i), key='k' * 40)}" for i in range(2)] + [
        f"Bearer {access_token(settings, '3', typ='refresh')}",
        "Basic abc",
    ]

    answers = [await client.get(URL, headers={"Authorization": value}) for value in forged]

    assert [a.status_code for a in answers] == [401, 401, 401, 429]
    assert all(a.headers["ratelimit-limit"] == "3" for a in answers)


async def test_paths_outside_the_api_are_not_limited(
    limited: tuple[FastAPI, AsyncClient],
) -> None:
    _, client = limited
    answers = [await client.get("/health/live") for _ in range(5)]

    assert {a.status_code for a in answers} == {200}
    assert "ratelimit-limit" not in answers[0].headers


async def test_an_unreachable_store_lets_requests_through_and_says_so(
    test_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing listens on that port. The general limit fails open (logged and counted); the
    # login throttle, which guards passwords, fails closed (tests/auth/test_throttle_api.py).
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    get_settings.cache_clear()
    application = create_app()
    transport = ASGITransport(app=application, raise_app_exceptions=False)
    async with (
        application.router.lifespan_context(application),
        AsyncClient(transport=transport, base_url="http://testserver") as http,
    ):
        before = sample((await http.get("/metrics")).text, "fastops_rate_limit_unavailable_total")
        started = time.monotonic()
        answers = [await http.get(URL) for _ in range(2)]
        elapsed = time.monotonic() - started
        after = sample((await http.get("/metrics")).text, "fastops_rate_limit_unavailable_total")

    assert [a.status_code for a in answers] == [401, 401]
    assert all("ratelimit-limit" not in a.headers for a in answers)
    assert after == before + 2
    assert elapsed < 10  # refused connections fail fast: no backing off for seconds


async def test_two_apps_on_one_redis_share_the_counter(
    test_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = redis_url()
    monkeypatch.setenv("REDIS_URL", url)
    monkeypatch.setenv("API_RATE_LIMIT_ANON", "3/minute")
    monkeypatch.setenv("TRUSTED_PROXIES", "127.0.0.1")
    get_settings.cache_clear()
    first, second = create_app(), create_app()
    # A fresh address per run, so earlier runs in the same minute do not count.
    headers = {"X-Forwarded-For": f"10.{uuid.uuid4().int % 250}.{time.time_ns() % 250}.7"}
    codes = []
    for application in (first, second, first, second):
        transport = ASGITransport(app=application, raise_app_exceptions=False)
        async with AsyncClient(transport=transport, base_url="http://testserver") as http:
            codes.append((await http.get(URL, headers=headers)).status_code)
    for application in (first, second):
        await application.state.engine.dispose()
        await application.state.rate_limiter.aclose()

    assert codes == [401, 401, 401, 429]
