"""Login throttling: per (account, address) and per address, in memory or in Redis."""

import uuid
from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient, Response

from app.core.config import get_settings
from app.core.throttle import LoginThrottle
from app.main import create_app
from tests.auth.support import LOGIN
from tests.users import create_user

REDIS_URL = "redis://127.0.0.1:6379/0"
PASSWORD = "the right password"


@pytest.fixture
def proxied_env(test_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    # The test client's peer is 127.0.0.1; as a trusted proxy it lets X-Forwarded-For pick
    # the address each attempt comes from.
    monkeypatch.setenv("TRUSTED_PROXIES", "127.0.0.1")
    monkeypatch.setenv("LOGIN_MAX_FAILURES_PER_ADDRESS", "8")
    get_settings.cache_clear()


async def _started(application: FastAPI) -> AsyncIterator[AsyncClient]:
    async with application.router.lifespan_context(application):
        transport = ASGITransport(app=application, raise_app_exceptions=False)
        async with AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


@pytest.fixture
async def proxied(proxied_env: None) -> AsyncIterator[tuple[FastAPI, AsyncClient]]:
    application = create_app()
    async for http in _started(application):
        await create_user(application, "victim@example.com", PASSWORD)
        yield application, http


async def attempt(http: AsyncClient, email: str, password: str, address: str) -> Response:
    return await http.post(
        LOGIN,
        data={"username": email, "password": password},
        headers={"X-Forwarded-For": address},
    )


async def test_the_attempt_after_five_failures_is_429_even_with_the_right_password(
    proxied: tuple[FastAPI, AsyncClient],
) -> None:
    _, http = proxied
    codes = [
        (await attempt(http, "victim@example.com", "wrong guess", "10.0.0.1")).status_code
        for _ in range(5)
    ]

    locked = await attempt(http, "victim@example.com", PASSWORD, "10.0.0.1")

    assert codes == [401] * 5
    assert locked.status_code == 429
    assert locked.headers["content-type"] == "application/problem+json"
    assert 1 <= int(locked.headers["retry-after"]) <= 900
    # The attacker's address is locked; the user, elsewhere, is not.
    assert (await attempt(http, "victim@example.com", PASSWORD, "10.0.0.2")).status_code == 200


async def test_unknown_emails_count_like_real_ones(
    proxied: tuple[FastAPI, AsyncClient],
) -> None:
    _, http = proxied
    for _ in range(5):
        assert (await attempt(http, "ghost@example.com", "guess", "10.0.1.1")).status_code == 401

    assert (await attempt(http, "ghost@example.com", "guess", "10.0.1.1")).status_code == 429
    assert (await attempt(http, "Ghost@Example.com", "guess", "10.0.1.1")).status_code == 429


async def test_one_address_failing_on_many_accounts_is_throttled_as_a_whole(
    proxied: tuple[FastAPI, AsyncClient],
) -> None:
    _, http = proxied
    for n in range(8):
        response = await attempt(http, f"spray{n}@example.com", "guess", "10.0.2.1")
        assert response.status_code == 401

    blocked = await attempt(http, "victim@example.com", PASSWORD, "10.0.2.1")

    assert blocked.status_code == 429
    assert (await attempt(http, "victim@example.com", PASSWORD, "10.0.2.2")).status_code == 200


async def test_successful_logins_do_not_count(proxied: tuple[FastAPI, AsyncClient]) -> None:
    _, http = proxied
    for _ in range(10):
        assert (await attempt(http, "victim@example.com", PASSWORD, "10.0.3.1")).status_code == 200

    assert (await attempt(http, "victim@example.com", "wrong", "10.0.3.1")).status_code == 401


async def test_a_forged_forwarded_for_from_an_untrusted_peer_is_ignored(
    client: AsyncClient, app: FastAPI
) -> None:
    await create_user(app, "someone@example.com", PASSWORD)
    for n in range(5):
        response = await attempt(client, "someone@example.com", "wrong", f"10.9.9.{n}")
        assert response.status_code == 401

    locked = await attempt(client, "someone@example.com", PASSWORD, "10.9.9.200")

    assert locked.status_code == 429


async def test_two_app_instances_share_the_counters_in_redis(
    proxied_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    get_settings.cache_clear()
    prefix = f"fastops-test-{uuid.uuid4().hex}"
    first, second = create_app(), create_app()
    throttles = [LoginThrottle(get_settings(), key_prefix=prefix) for _ in range(2)]
    first.state.login_throttle, second.state.login_throttle = throttles
    codes: list[int] = []
    try:
        async for one in _started(first):
            async for two in _started(second):
                await create_user(first, "shared@example.com", PASSWORD)
                for http in (one, two, one, two, one):
                    response = await attempt(http, "shared@example.com", "wrong", "10.0.4.1")
                    codes.append(response.status_code)
                codes.append(
                    (await attempt(two, "shared@example.com", PASSWORD, "10.0.4.1")).status_code
                )
                codes.append(
                    (await attempt(one, "shared@example.com", PASSWORD, "10.0.4.2")).status_code
                )
    finally:
        cleaner = LoginThrottle(get_settings(), key_prefix=prefix)
        await cleaner.reset()
        await cleaner.close()

    assert codes == [401, 401, 401, 401, 401, 429, 200]
