from collections.abc import AsyncIterator

import pytest
from fastapi import APIRouter, FastAPI
from httpx import AsyncClient

from app.core.config import get_settings
from app.core.exceptions import (
    BadRequest,
    Conflict,
    DomainError,
    InvalidState,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    RateLimited,
    ServiceUnavailable,
    ValidationFailed,
)
from app.core.http.handlers import domain_answer
from tests.conftest import Headers

PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def _as_superuser(client: AsyncClient, superuser: Headers) -> None:
    client.headers.update(superuser)


async def test_unknown_route_is_404_problem(client: AsyncClient) -> None:
    response = await client.get("/api/v1/nope")

    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    assert set(response.json()) >= {"type", "title", "status", "detail", "instance", "request_id"}


async def test_wrong_method_is_405_problem(client: AsyncClient) -> None:
    response = await client.put("/api/v1/products")

    assert response.status_code == 405
    assert response.headers["content-type"] == PROBLEM


async def test_malformed_json_is_400(client: AsyncClient) -> None:
    response = await client.post(
        "/api/v1/products", content=b'{"sku": ', headers={"content-type": "application/json"}
    )

    assert response.status_code == 400
    assert response.json()["status"] == 400


async def test_non_json_body_is_415(client: AsyncClient) -> None:
    response = await client.post(
        "/api/v1/products", content=b"sku=x", headers={"content-type": "text/plain"}
    )

    assert response.status_code == 415
    assert response.headers["content-type"] == PROBLEM


async def test_body_over_the_limit_is_413_by_declared_length(client: AsyncClient) -> None:
    size = get_settings().max_body_bytes + 1
    response = await client.post(
        "/api/v1/products", content=b"x" * size, headers={"content-type": "application/json"}
    )

    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM


async def test_streamed_body_over_the_limit_is_413(client: AsyncClient) -> None:
    size = get_settings().max_body_bytes

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(3):
            yield b" " * size

    response = await client.post(
        "/api/v1/products", content=chunks(), headers={"content-type": "application/json"}
    )

    assert response.status_code == 413


async def test_validation_error_lists_fields_without_echoing_input(client: AsyncClient) -> None:
    response = await client.post("/api/v1/products", json={"sku": "x", "secret": "hunter2"})

    assert response.status_code == 422
    body = response.json()
    assert {tuple(e["loc"]) for e in body["errors"]} >= {("body", "sku"), ("body", "name")}
    assert "hunter2" not in response.text


async def test_unhandled_error_is_500_without_internals(app: FastAPI, client: AsyncClient) -> None:
    boom = APIRouter()

    @boom.get("/boom")
    async def explode() -> None:
        raise RuntimeError("secret internals")

    app.include_router(boom)

    response = await client.get("/boom", headers={"X-Request-ID": "trace-me-1"})

    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM
    assert "secret internals" not in response.text
    assert response.json()["request_id"] == "trace-me-1"


async def test_an_os_error_outside_the_database_is_a_500_not_a_503(
    app: FastAPI, client: AsyncClient
) -> None:
    disk = APIRouter()

    @disk.get("/disk")
    async def read_missing_file() -> None:
        raise FileNotFoundError("/srv/missing")

    app.include_router(disk)

    response = await client.get("/disk")

    assert response.status_code == 500
    assert "retry-after" not in response.headers


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (BadRequest("x"), 400),
        (NotAuthenticated("x"), 401),
        (PermissionDenied("x"), 403),
        (NotFound("x"), 404),
        (Conflict("x"), 409),
        (InvalidState("x"), 409),
        (PreconditionFailed("x"), 412),
        (ValidationFailed("x"), 422),
        (RateLimited("x", 3), 429),
        (ServiceUnavailable("x", 3), 503),
    ],
)
def test_every_domain_error_has_one_answer_in_the_handlers(error: DomainError, status: int) -> None:
    assert domain_answer(error)[0] == status
    assert not hasattr(error, "status")


async def test_request_id_is_echoed_when_sane_and_replaced_otherwise(client: AsyncClient) -> None:
    sane = await client.get("/health/live", headers={"X-Request-ID": "abc.DEF_1-2"})
    insane = await client.get("/health/live", headers={"X-Request-ID": "bad id!" * 10})

    assert sane.headers["x-request-id"] == "abc.DEF_1-2"
    assert insane.headers["x-request-id"] != "bad id"
    assert len(insane.headers["x-request-id"]) == 32


async def test_security_headers_on_every_response(client: AsyncClient) -> None:
    response = await client.get("/api/v1/nope")

    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert "server-timing" in response.headers
