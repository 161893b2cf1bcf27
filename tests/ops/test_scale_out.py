"""Two app processes on one PostgreSQL and one Redis: what is done through one holds on the
other at once (a logout, a role change, the rate limit), because no process keeps state."""

from pathlib import Path

import httpx
import pytest
import redis

from tests.conftest import Headers
from tests.ops.servers import redis_url, running
from tests.users import MakeUser, login

pytestmark = pytest.mark.slow


async def test_logout_role_change_and_rate_limit_hold_across_processes(
    tmp_path: Path, database_url: str, make_user: MakeUser, superuser: Headers
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("two processes share PostgreSQL (TEST_DATABASE_URL=postgresql...)")
    url = redis_url()
    # A database of its own for the tests: earlier runs' counters must not leak into this one.
    with redis.Redis.from_url(url) as client:
        client.flushdb()
    viewer = await make_user("products:read")
    env = {"REDIS_URL": url, "API_RATE_LIMIT_USER": "20/minute"}
    with running(tmp_path, env) as first, running(tmp_path, env) as second:
        async with (
            httpx.AsyncClient(base_url=first.url) as one,
            httpx.AsyncClient(base_url=second.url) as two,
        ):
            # A logout through one process ends the session on the other.
            session = await login(one, viewer.email, viewer.password)
            assert (await two.get("/api/v1/auth/me", headers=session)).status_code == 200
            assert (await one.post("/api/v1/auth/logout", headers=session)).status_code == 204
            assert (await two.get("/api/v1/auth/me", headers=session)).status_code == 401

            # A role change through one process applies on the other's next request.
            me = await one.get("/api/v1/auth/me", headers=viewer.headers)
            role_id = me.json()["roles"][0]["id"]
            assert (await two.get("/api/v1/products", headers=viewer.headers)).status_code == 200
            changed = await one.patch(
                f"/api/v1/roles/{role_id}", json={"permissions": []}, headers=superuser
            )
            assert changed.status_code == 200, changed.text
            assert (await two.get("/api/v1/products", headers=viewer.headers)).status_code == 403

            # One allowance, counted in Redis, whichever process answers: spent alternately,
            # it runs out on both at once (separate counters would each have half left).
            last = await two.get("/api/v1/auth/me", headers=viewer.headers)
            remaining = int(last.headers["ratelimit-remaining"])
            spent = [
                (await (one if i % 2 else two).get("/api/v1/auth/me", headers=viewer.headers))
                for i in range(remaining)
            ]
            refused = [
                await one.get("/api/v1/auth/me", headers=viewer.headers),
                await two.get("/api/v1/auth/me", headers=viewer.headers),
            ]

    assert 0 < remaining < 20 - 6
    assert [answer.status_code for answer in spent] == [200] * remaining
    assert [answer.status_code for answer in refused] == [429, 429]
    assert refused[0].headers["ratelimit-remaining"] == "0"
    assert int(refused[1].headers["retry-after"]) >= 1
