"""A sixth module added with one list entry gets CRUD, permissions, history, audit rows, an
OpenAPI tag, a delete guard on another module and an admin screen, with no other edit."""

from typing import Any

from httpx import AsyncClient

from tests.conftest import Headers
from tests.users import MakeUser

GADGETS = "/api/v1/gadgets"


async def make_product(client: AsyncClient, headers: Headers) -> int:
    body = {"sku": "GAD-1", "name": "Gadget base", "price": "3.00"}
    response = await client.post("/api/v1/products", json=body, headers=headers)
    assert response.status_code == 201, response.text
    product_id: int = response.json()["id"]
    return product_id


async def make_gadget(client: AsyncClient, headers: Headers, **body: Any) -> dict[str, Any]:
    response = await client.post(GADGETS, json={"name": "Sprocket", **body}, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_crud_history_and_audit_rows_come_with_the_list_entry(
    client: AsyncClient, superuser: Headers
) -> None:
    created = await make_gadget(client, superuser)
    url = f"{GADGETS}/{created['id']}"

    changed = await client.patch(
        url, json={"name": "Cog"}, headers={**superuser, "If-Match": '"1"'}
    )
    listed = await client.get(GADGETS, params={"q": "cog"}, headers=superuser)
    deleted = await client.delete(url, headers=superuser)
    history = await client.get(f"{url}/history", headers=superuser)
    audit = await client.get(
        "/api/v1/audit/changes", params={"entity": "gadgets"}, headers=superuser
    )

    assert changed.status_code == 200
    assert changed.json()["name"] == "Cog"
    assert [g["id"] for g in listed.json()["items"]] == [created["id"]]
    assert deleted.status_code == 204
    assert (await client.get(url, headers=superuser)).status_code == 404
    assert history.status_code == 200
    assert [row["action"] for row in history.json()["items"]] == ["create", "update", "delete"]
    assert history.json()["items"][1]["changes"] == {"name": {"old": "Sprocket", "new": "Cog"}}
    assert [row["action"] for row in audit.json()["items"]] == ["delete", "update", "create"]


async def test_its_permissions_are_listed_and_enforced(
    client: AsyncClient, superuser: Headers, make_user: MakeUser
) -> None:
    reader = await make_user("gadgets:read")
    stranger = await make_user("products:read")

    catalogue = await client.get("/api/v1/permissions", headers=superuser)
    read = await client.get(GADGETS, headers=reader.headers)
    write = await client.post(GADGETS, json={"name": "Nope"}, headers=reader.headers)
    refused = await client.get(GADGETS, headers=stranger.headers)

    names = {p["name"] for p in catalogue.json() if p["module"] == "gadgets"}
    assert names == {"gadgets:read", "gadgets:create", "gadgets:update", "gadgets:delete"}
    assert read.status_code == 200
    assert write.status_code == 403
    assert refused.status_code == 403
    assert (await client.get(GADGETS)).status_code == 401


async def test_its_tag_and_routes_are_in_the_openapi_document(client: AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()

    tags = {tag["name"]: tag["description"] for tag in document["tags"]}
    assert tags["gadgets"] == "Gadgets: the module a test adds."
    assert document["paths"][GADGETS]["get"]["tags"] == ["gadgets"]
    history = document["paths"][f"{GADGETS}/{{record_id}}/history"]["get"]
    assert history["tags"] == ["gadgets"]


async def test_its_admin_screen_is_described_to_its_readers_only(
    client: AsyncClient, make_user: MakeUser
) -> None:
    reader = await make_user("gadgets:read")
    stranger = await make_user("products:read")

    seen = (await client.get("/api/v1/meta", headers=reader.headers)).json()
    unseen = (await client.get("/api/v1/meta", headers=stranger.headers)).json()

    [gadgets] = seen["resources"]
    assert gadgets["key"] == "gadgets"
    assert gadgets["path"] == GADGETS
    assert gadgets["schema_name"] == "Gadget"
    assert gadgets["label"] == "Gadgets"
    assert gadgets["columns"] == ["name", "product_id"]
    assert gadgets["title"] == "Gadget {name}"
    assert gadgets["references"] == {"product_id": "products"}
    assert "gadgets" in seen["entities"]
    assert [r["key"] for r in unseen["resources"]] == ["products"]


async def test_its_delete_guard_keeps_a_named_product(
    client: AsyncClient, superuser: Headers
) -> None:
    product_id = await make_product(client, superuser)
    gadget = await make_gadget(client, superuser, product_id=product_id)

    refused = await client.delete(f"/api/v1/products/{product_id}", headers=superuser)
    await client.delete(f"{GADGETS}/{gadget['id']}", headers=superuser)
    allowed = await client.delete(f"/api/v1/products/{product_id}", headers=superuser)

    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["detail"].startswith(f"Product {product_id} is named by 1 gadget;")
    assert allowed.status_code == 204
