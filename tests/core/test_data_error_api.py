from fastapi import FastAPI
from httpx import AsyncClient

from tests.conftest import Headers


async def test_a_value_the_database_refuses_is_422_never_500(
    app: FastAPI, client: AsyncClient, superuser: Headers
) -> None:
    body = {"sku": "NUL-1", "name": "Nul\u0000byte", "price": "1.00", "stock": 1}

    answer = await client.post("/api/v1/products", json=body, headers=superuser)

    # SQLite stores a NUL character; PostgreSQL refuses it in text (found by schemathesis).
    if app.state.settings.is_sqlite:
        assert answer.status_code == 201
    else:
        assert answer.status_code == 422
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["type"] == "/problems/validation-error"


async def test_other_driver_errors_stay_a_plain_500() -> None:
    from sqlalchemy.exc import DBAPIError
    from starlette.requests import Request

    from app.core.handlers import _data_error

    request = Request({"type": "http", "method": "GET", "path": "/x", "headers": []})
    error = DBAPIError("SELECT 1", {}, RuntimeError("something else"))

    answer = await _data_error(request, error)

    assert answer.status_code == 500
    assert b"has been logged" in answer.body
