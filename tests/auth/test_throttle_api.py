"""Login throttling: per (account, address) and per address, in memory or in Redis."""

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient, Response

from app.auth.throttle import LoginThrottle
from app.core.config import get_settings
from app.core.security.credentials import verify_password
from app.main import create_app
from tests.auth.support import LOGIN
from tests.ops.servers import free_port, redis_url
from tests.users import create_user

PASSWORD = "the right password"


@pytest.fixture(params=["memory", "redis"])
def proxied_env(
    request: pytest.FixtureRequest, test_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The test client's peer is 127.0.0.1; as a trusted proxy it lets X-Forwarded-For pick
    # the address each attempt comes from.
    monkeypatch.setenv("TRUSTED_PROXIES", "127.0.0.1")
    monkeypatch.setenv("LOGIN_MAX_FAILURES_PER_ADDRESS", "8")
    if request.param == "redis":
        monkeypatch.setenv("REDIS_URL", redis_url())
        # The API limiter's Redis counters outlive a test: keep them out of the way.
        monkeypatch.setenv("API_RATE_LIMIT_ANON", "100000/minute")
    get_settings.cache_clear()


async def _started(application: FastAPI) -> AsyncIterator[AsyncClient]:
    async with application.router.lifespan_context(application):
        transport = ASGITransport(app=application, raise_app_exceptions=False)
        async with AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


async def _own_counters(*applications: FastAPI) -> LoginThrottle:
    """One fresh key prefix for these apps, so that Redis keys of other runs never count."""
    prefix = f"fastops-test-{uuid.uuid4().hex}"
    for application in applications:
        application.state.login_throttle = LoginThrottle(get_settings(), key_prefix=prefix)
    return LoginThrottle(get_settings(), key_prefix=prefix)


@pytest.fixture
async def proxied(proxied_env: None) -> AsyncIterator[tuple[FastAPI, AsyncClient]]:
    application = create_app()
    cleaner = await _own_counters(application)
    try:
        async for http in _started(application):
            await create_user(application, "victim@example.com", PASSWORD)
            yield application, http
    finally:
        await cleaner.reset()
        await cleaner.close()


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


async def test_concurrent_wrong_passwords_reach_the_password_check_at_most_five_times(
    proxied: tuple[FastAPI, AsyncClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, http = proxied
    checked = 0

    async def counting_verify(password: str, hashed: str | None, rounds: int) -> bool:
        nonlocal checked
        checked += 1
        # bcrypt at production cost takes this long: every attempt is in flight at once.
        await asyncio.sleep(0.05)
        return await verify_password(password, hashed, rounds)

    monkeypatch.setattr("app.auth.sessions_service.verify_password", counting_verify)

    answers = await asyncio.gather(
        *(attempt(http, "victim@example.com", f"guess {n}", "10.0.5.1") for n in range(40))
    )

    codes = [a.status_code for a in answers]
    assert checked <= 5
    assert codes.count(401) == checked
    assert codes.count(429) == 40 - checked
    refused = [a for a in answers if a.status_code == 429]
    assert all(int(a.headers["retry-after"]) >= 1 for a in refused)
    assert {a.headers["content-type"] for a in refused} == {"application/problem+json"}
    right = await attempt(http, "victim@example.com", PASSWORD, "10.0.5.1")
    assert right.status_code == 429
    assert checked <= 5
    assert (await attempt(http, "victim@example.com", PASSWORD, "10.0.5.2")).status_code == 200


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
    for _ in range(4):
        assert (await attempt(http, "victim@example.com", "wrong", "10.0.3.1")).status_code == 401
    for _ in range(12):
        assert (await attempt(http, "victim@example.com", PASSWORD, "10.0.3.1")).status_code == 200

    # Four failures so far: the fifth is still answered, the sixth attempt is refused.
    assert (await attempt(http, "victim@example.com", "wrong", "10.0.3.1")).status_code == 401
    assert (await attempt(http, "victim@example.com", PASSWORD, "10.0.3.1")).status_code == 429


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
    test_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRUSTED_PROXIES", "127.0.0.1")
    monkeypatch.setenv("REDIS_URL", redis_url())
    monkeypatch.setenv("API_RATE_LIMIT_ANON", "100000/minute")
    get_settings.cache_clear()
    first, second = create_app(), create_app()
    cleaner = await _own_counters(first, second)
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
        await cleaner.reset()
        await cleaner.close()

    assert codes == [401, 401, 401, 401, 401, 429, 200]


async def test_an_unreachable_redis_makes_login_a_503_with_retry_after(
    test_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing listens there: the throttle cannot count, so it refuses rather than let
    # password guesses through uncounted.
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    get_settings.cache_clear()
    application = create_app()
    async for http in _started(application):
        await create_user(application, "someone@example.com", PASSWORD)

        answer = await attempt(http, "someone@example.com", PASSWORD, "10.0.6.1")

        assert answer.status_code == 503
        assert answer.headers["content-type"] == "application/problem+json"
        assert int(answer.headers["retry-after"]) >= 1
        body = answer.json()
        assert body["status"] == 503
        assert "Redis" not in body["detail"]
        assert "Error" not in body["detail"]
