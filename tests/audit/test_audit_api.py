"""GET /api/v1/audit/changes: filters, keyset pages, permissions and the audit_read event."""

from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient

from tests.audit.conftest import Headers, changes
from tests.users import MakeUser

CHANGES = "/api/v1/audit/changes"
PRODUCTS = "/api/v1/products"
ROW_FIELDS = {
    "id",
    "occurred_at",
    "action",
    "entity",
    "entity_id",
    "actor_id",
    "actor",
    "request_id",
    "client_ip",
    "event",
    "reason",
    "changes",
}


async def make_products(client: AsyncClient, headers: Headers, count: int) -> list[dict[str, Any]]:
    made = []
    for i in range(count):
        response = await client.post(
            PRODUCTS,
            json={"sku": f"SKU-{i}", "name": f"Product {i}", "price": "1.00"},
            headers={**headers, "X-Request-ID": f"req-{i}"},
        )
        assert response.status_code == 201
        made.append(response.json())
    return made


async def test_changes_are_newest_first_in_keyset_pages(
    client: AsyncClient, superuser: Headers, make_user: MakeUser
) -> None:
    await make_products(client, superuser, 5)
    auditor = (await make_user("audit:read")).headers

    first = await client.get(CHANGES, params={"limit": 2, "entity": "products"}, headers=auditor)
    body = first.json()
    second = await client.get(
        CHANGES,
        params={"limit": 2, "entity": "products", "cursor": body["next_cursor"]},
        headers=auditor,
    )
    last = await client.get(
        CHANGES,
        params={"limit": 2, "entity": "products", "cursor": second.json()["next_cursor"]},
        headers=auditor,
    )

    assert first.status_code == 200
    assert set(body) == {"items", "next_cursor"}
    assert set(body["items"][0]) == ROW_FIELDS
    ids = [row["entity_id"] for page in (body, second.json(), last.json()) for row in page["items"]]
    assert ids == [5, 4, 3, 2, 1]
    assert last.json()["next_cursor"] is None


async def test_changes_filter_by_every_field(
    client: AsyncClient, superuser: Headers, make_user: MakeUser
) -> None:
    made = await make_products(client, superuser, 3)
    auditor = (await make_user("audit:read")).headers

    async def ids(**params: Any) -> list[int | None]:
        response = await client.get(CHANGES, params=params, headers=auditor)
        assert response.status_code == 200, response.text
        return [row["entity_id"] for row in response.json()["items"]]

    assert await ids(request_id="req-1") == [made[1]["id"]]
    assert await ids(entity="products", entity_id=made[2]["id"], action="create") == [3]
    assert await ids(action="delete") == []
    assert await ids(since="2000-01-01T00:00:00", until="2999-01-01T00:00:00Z", entity="products")
    assert await ids(until="2000-01-01T00:00:00Z") == []
    assert await ids(actor_id=12345) == []
    assert await ids(event="login_failed") == []


async def test_each_read_of_the_trail_is_itself_recorded(
    app: FastAPI, client: AsyncClient, superuser: Headers, make_user: MakeUser
) -> None:
    await make_products(client, superuser, 2)
    auditor = await make_user("audit:read")

    response = await client.get(CHANGES, params={"entity": "products"}, headers=auditor.headers)

    assert response.status_code == 200
    events = await changes(app, event="audit_read")
    assert len(events) == 1
    assert events[0].action == "security"
    assert events[0].entity == "auth"
    assert events[0].entity_id == auditor.id
    assert events[0].actor_id == auditor.id
    assert events[0].actor == auditor.email
    assert events[0].changes == {"view": "changes", "filters": {"entity": "products"}, "rows": 2}


async def test_changes_need_a_principal_and_audit_read(
    app: FastAPI, client: AsyncClient, make_user: MakeUser
) -> None:
    clerk = await make_user("products:update")
    anonymous = await client.get(CHANGES)
    forbidden = await client.get(CHANGES, headers=clerk.headers)

    assert anonymous.status_code == 401
    assert forbidden.status_code == 403
    denied = await changes(app, event="permission_denied")
    assert [(e.entity_id, e.changes["permission"]) for e in denied] == [(clerk.id, "audit:read")]
    assert await changes(app, event="audit_read") == []


async def test_bad_cursor_limit_or_filter_is_422(client: AsyncClient, superuser: Headers) -> None:
    auditor = superuser

    for params in (
        {"cursor": "not-a-cursor!"},
        {"cursor": "eDox"},
        {"limit": 0},
        {"limit": 100_000},
        {"action": "explode"},
        {"colour": "red"},
    ):
        response = await client.get(CHANGES, params=params, headers=auditor)
        assert response.status_code == 422, params
