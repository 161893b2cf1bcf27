"""JSON Schema's `integer` is any number without a fraction, so the document declares `5.0`
valid wherever it declares 5 valid; the server reads it as 5. Text and booleans stay refused."""

from typing import Any

import pytest
from httpx import AsyncClient

from tests.conftest import Headers

PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def _as_superuser(client: AsyncClient, superuser: Headers) -> None:
    client.headers.update(superuser)


async def created(client: AsyncClient, url: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(url, json=body)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


async def test_whole_numbers_written_with_a_fraction_are_integers(client: AsyncClient) -> None:
    me = (await client.get("/api/v1/auth/me")).json()["id"]
    product = await created(
        client,
        "/api/v1/products",
        {"sku": "wid-001", "name": "Widget", "price": "19.90", "stock": 5.0},
    )
    task = await created(
        client,
        "/api/v1/tasks",
        {"title": "Ship", "assignee_id": float(me), "product_id": float(product["id"])},
    )
    batch = await created(
        client,
        "/api/v1/production/batches",
        {"batch_number": "BATCH-1", "product_id": float(product["id"]), "quantity": 10.0},
    )
    role = await created(client, "/api/v1/roles", {"name": "packers"})
    user = await created(
        client,
        "/api/v1/users",
        {
            "email": "pat@example.com",
            "full_name": "Pat",
            "password": "correct horse battery",
            "role_ids": [float(role["id"])],
        },
    )

    assert product["stock"] == 5
    assert (task["assignee_id"], task["product_id"]) == (me, product["id"])
    assert (batch["product_id"], batch["quantity"]) == (product["id"], 10)
    assert [r["id"] for r in user["roles"]] == [role["id"]]


@pytest.mark.parametrize("stock", [5.5, "5", True, 1e20])
async def test_fractions_text_and_booleans_are_not_integers(
    client: AsyncClient, stock: object
) -> None:
    response = await client.post(
        "/api/v1/products",
        json={"sku": "wid-001", "name": "Widget", "price": "19.90", "stock": stock},
    )

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert [e["loc"] for e in response.json()["errors"]] == [["body", "stock"]]
    assert (await client.get("/api/v1/products")).json()["total"] == 0
