"""Building blocks for production and quality tests, all through the HTTP API."""

from itertools import count
from typing import Any

from httpx import AsyncClient

from tests.conftest import Headers

BATCHES = "/api/v1/production/batches"
INSPECTIONS = "/api/v1/quality/inspections"
_skus = count(1)


async def new_product(client: AsyncClient, headers: Headers, **overrides: Any) -> int:
    body: dict[str, Any] = {"sku": f"SKU-{next(_skus)}", "name": "Gear", "price": "9.50"}
    body.update(overrides)
    response = await client.post("/api/v1/products", json=body, headers=headers)
    assert response.status_code == 201, response.text
    product_id: int = response.json()["id"]
    return product_id


async def new_batch(
    client: AsyncClient, headers: Headers, product_id: int, number: str, **overrides: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"batch_number": number, "product_id": product_id, "quantity": 100}
    body.update(overrides)
    response = await client.post(BATCHES, json=body, headers=headers)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


async def act(
    client: AsyncClient, headers: Headers, batch_id: int, action: str, **body: Any
) -> dict[str, Any]:
    response = await client.post(
        f"{BATCHES}/{batch_id}/{action}", json=body or None, headers=headers
    )
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


async def inspect(
    client: AsyncClient, headers: Headers, batch_id: int, sample: int, defects: int, **more: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"batch_id": batch_id, "sample_size": sample, "defects_found": defects}
    body.update(more)
    response = await client.post(INSPECTIONS, json=body, headers=headers)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


async def started_batch(
    client: AsyncClient, headers: Headers, number: str = "BATCH-S1"
) -> dict[str, Any]:
    product_id = await new_product(client, headers)
    batch = await new_batch(client, headers, product_id, number)
    return await act(client, headers, batch["id"], "start")
