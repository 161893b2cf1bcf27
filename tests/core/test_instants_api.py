"""Instants whose UTC value leaves years 1-9999 are refused as input, never an overflow:
a query filter or a body field is a 422 naming it, a token's expiry a 401."""

import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import jwt
import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from app.core.config import Settings, get_settings
from app.main import create_app
from tests.conftest import Headers, serving
from tests.modules.production.support import INSPECTIONS, inspect, started_batch

CHANGES = "/api/v1/audit/changes"
PAST_THE_END = "9999-12-31T23:59:59-14:00"
BEFORE_THE_START = "0001-01-01T00:00:00+14:00"


def assert_422_naming(response: Any, field: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert [error["loc"][-1] for error in errors] == [field]
    assert "year" in errors[0]["msg"]


@pytest.mark.parametrize("field", ["since", "until"])
@pytest.mark.parametrize("value", [PAST_THE_END, BEFORE_THE_START])
async def test_an_audit_filter_outside_the_calendar_is_422(
    client: AsyncClient, superuser: Headers, field: str, value: str
) -> None:
    response = await client.get(CHANGES, params={field: value}, headers=superuser)

    assert_422_naming(response, field)


async def test_audit_filters_at_the_edges_of_the_calendar_still_work(
    client: AsyncClient, superuser: Headers
) -> None:
    edges = {"since": "0001-01-01T00:00:00Z", "until": "9999-12-31T23:59:59+00:00"}

    response = await client.get(CHANGES, params=edges, headers=superuser)

    assert response.status_code == 200, response.text


@pytest.mark.parametrize("value", [BEFORE_THE_START, PAST_THE_END])
async def test_an_inspection_time_outside_the_calendar_is_422_and_writes_nothing(
    client: AsyncClient, superuser: Headers, value: str
) -> None:
    batch = await started_batch(client, superuser)
    body = {"batch_id": batch["id"], "sample_size": 10, "defects_found": 0, "inspected_at": value}

    created = await client.post(INSPECTIONS, json=body, headers=superuser)

    assert_422_naming(created, "inspected_at")
    assert (await client.get(INSPECTIONS, headers=superuser)).json()["total"] == 0
    kept = await inspect(client, superuser, batch["id"], 10, 0)
    changed = await client.patch(
        f"{INSPECTIONS}/{kept['id']}", json={"inspected_at": value}, headers=superuser
    )
    assert_422_naming(changed, "inspected_at")


def far_future_token(settings: Settings, exp: float) -> str:
    now = int(time.time())
    claims = {
        "sub": "1",
        "exp": exp,
        "iat": now,
        "jti": uuid.uuid4().hex,
        "typ": "access",
        "sid": "s1",
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
    }
    return jwt.encode(claims, settings.secret_key, algorithm=settings.jwt_algorithm)


@pytest.fixture
async def limited(
    test_env: None, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[FastAPI, AsyncClient]]:
    monkeypatch.setenv("API_RATE_LIMIT_ANON", "2/minute")
    get_settings.cache_clear()
    application = create_app()
    async with serving(application) as http:
        yield application, http


@pytest.mark.parametrize("exp", [1e20, 253402300800, 10**30])
async def test_a_signed_token_expiring_past_the_calendar_is_401_and_rate_limited(
    limited: tuple[FastAPI, AsyncClient], exp: float
) -> None:
    app, client = limited
    token = far_future_token(app.state.settings, exp)
    headers = {"Authorization": f"Bearer {token}"}

    answers = [await client.get("/api/v1/products", headers=headers) for _ in range(3)]

    assert [a.status_code for a in answers] == [401, 401, 429]
    assert answers[0].headers["content-type"] == "application/problem+json"
    assert answers[0].headers["www-authenticate"] == "Bearer"
    me = await client.get("/api/v1/auth/me", headers=headers)
    assert me.status_code in (401, 429)
