"""Settings enter through create_app(settings): two apps in one process keep their own."""

from fastapi import FastAPI
from httpx import AsyncClient

from app.main import create_app
from tests.conftest import Headers, serving


async def test_two_apps_in_one_process_keep_their_own_limits(
    app: FastAPI, client: AsyncClient, superuser: Headers
) -> None:
    strict = create_app(
        app.state.settings.model_copy(
            update={"page_size_max": 5, "require_if_match": True, "export_max_rows": 1}
        )
    )
    for sku in ("A-1", "A-2"):
        body = {"sku": sku, "name": sku, "price": "1.00"}
        assert (await client.post("/api/v1/products", json=body, headers=superuser)).is_success

    async with serving(strict) as other:
        big_here = await client.get("/api/v1/products?size=10", headers=superuser)
        big_there = await other.get("/api/v1/products?size=10", headers=superuser)
        unmatched_here = await client.patch(
            "/api/v1/products/1", json={"stock": 2}, headers=superuser
        )
        unmatched_there = await other.patch(
            "/api/v1/products/2", json={"stock": 2}, headers=superuser
        )
        csv_here = await client.get("/api/v1/products?format=csv", headers=superuser)
        csv_there = await other.get("/api/v1/products?format=csv", headers=superuser)
        audit_there = await other.get("/api/v1/audit/changes?limit=60", headers=superuser)

    assert (big_here.status_code, big_there.status_code) == (200, 422)
    assert "at most 5" in big_there.json()["errors"][0]["msg"]
    assert (unmatched_here.status_code, unmatched_there.status_code) == (200, 428)
    assert (len(csv_here.text.splitlines()), len(csv_there.text.splitlines())) == (3, 2)
    assert audit_there.status_code == 422
    after = await client.get("/api/v1/products?size=10", headers=superuser)
    assert after.status_code == 200
