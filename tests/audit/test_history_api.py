"""GET /api/v1/<resource>/{id}/history: a record's whole life, for whoever may read it."""

from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import delete

from app.core.audit.tables import AUDIT_CHANGES
from tests.audit.conftest import Headers, changes
from tests.users import MakeUser

PRODUCTS = "/api/v1/products"


async def create(client: AsyncClient, headers: Headers, sku: str) -> int:
    response = await client.post(
        PRODUCTS, json={"sku": sku, "name": f"Product {sku}", "price": "2.00"}, headers=headers
    )
    assert response.status_code == 201, response.text
    product_id: int = response.json()["id"]
    return product_id


async def test_history_shows_the_whole_life_oldest_first_even_after_delete(
    app: FastAPI, client: AsyncClient, superuser: Headers, make_user: MakeUser
) -> None:
    pid = await create(client, {**superuser, "X-Request-ID": "born"}, "H-1")
    await client.patch(f"{PRODUCTS}/{pid}", json={"stock": 3}, headers=superuser)
    await client.patch(f"{PRODUCTS}/{pid}", json={"stock": 4}, headers=superuser)
    await client.delete(f"{PRODUCTS}/{pid}", headers=superuser)
    reader = await make_user("products:read")

    first = await client.get(f"{PRODUCTS}/{pid}/history?limit=3", headers=reader.headers)
    rest = await client.get(
        f"{PRODUCTS}/{pid}/history",
        params={"limit": 3, "cursor": first.json()["next_cursor"]},
        headers=reader.headers,
    )

    assert first.status_code == 200
    assert [r["action"] for r in first.json()["items"]] == ["create", "update", "update"]
    assert first.json()["items"][0]["request_id"] == "born"
    assert first.json()["items"][2]["changes"] == {"stock": {"old": 3, "new": 4}}
    assert [r["action"] for r in rest.json()["items"]] == ["delete"]
    assert rest.json()["next_cursor"] is None
    reads = await changes(app, event="audit_read")
    assert [r.entity_id for r in reads] == [reader.id, reader.id]
    assert reads[0].changes["filters"] == {"entity": "products", "entity_id": pid}


async def test_history_of_an_id_that_never_existed_is_404(
    client: AsyncClient, superuser: Headers
) -> None:
    response = await client.get(f"{PRODUCTS}/4242/history", headers=superuser)

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_live_record_without_rows_left_has_an_empty_history(
    app: FastAPI, client: AsyncClient, superuser: Headers
) -> None:
    pid = await create(client, superuser, "H-2")
    async with app.state.session_factory() as session:
        await session.exec(delete(AUDIT_CHANGES))
        await session.commit()

    response = await client.get(f"{PRODUCTS}/{pid}/history", headers=superuser)

    assert response.json() == {"items": [], "next_cursor": None}


async def test_history_needs_the_modules_read_permission(
    client: AsyncClient, superuser: Headers, make_user: MakeUser
) -> None:
    url = f"{PRODUCTS}/{await create(client, superuser, 'H-3')}/history"
    auditor = await make_user("audit:read")
    clerk = await make_user("products:update")

    assert (await client.get(url)).status_code == 401
    assert (await client.get(url, headers=auditor.headers)).status_code == 403
    assert (await client.get(url, headers=clerk.headers)).status_code == 200


async def test_history_shows_the_client_address_only_to_audit_readers(
    client: AsyncClient, superuser: Headers, make_user: MakeUser
) -> None:
    url = f"{PRODUCTS}/{await create(client, superuser, 'H-4')}/history"
    clerk = await make_user("products:update")
    auditor = await make_user("products:read", "audit:read")

    as_clerk = await client.get(url, headers=clerk.headers)
    as_auditor = await client.get(url, headers=auditor.headers)
    as_superuser = await client.get(url, headers=superuser)

    assert [row["client_ip"] for row in as_clerk.json()["items"]] == [None]
    assert as_clerk.json()["items"][0]["actor"] == "admin@example.com"
    assert [row["client_ip"] for row in as_auditor.json()["items"]] == ["127.0.0.1"]
    assert [row["client_ip"] for row in as_superuser.json()["items"]] == ["127.0.0.1"]
