"""An id, once handed out, is never handed out again: not after the record is deleted, not on
SQLite (where a table without AUTOINCREMENT gives the highest deleted id to the next row)."""

from httpx import AsyncClient

from tests.conftest import Headers

PRODUCTS = "/api/v1/products"
USERS = "/api/v1/users"


async def test_a_product_created_after_a_deletion_has_its_own_id_and_history(
    client: AsyncClient, superuser: Headers
) -> None:
    a = await client.post(
        PRODUCTS, json={"sku": "ID-A", "name": "A", "price": "1.00"}, headers=superuser
    )
    assert a.status_code == 201, a.text
    a_id = a.json()["id"]
    assert (await client.delete(f"{PRODUCTS}/{a_id}", headers=superuser)).status_code == 204

    b = await client.post(
        PRODUCTS, json={"sku": "ID-B", "name": "B", "price": "1.00"}, headers=superuser
    )

    assert b.status_code == 201, b.text
    b_id = b.json()["id"]
    assert b_id != a_id
    history = await client.get(f"{PRODUCTS}/{b_id}/history", headers=superuser)
    assert [row["action"] for row in history.json()["items"]] == ["create"]
    assert history.json()["items"][0]["changes"]["sku"]["new"] == "ID-B"
    old = await client.get(f"{PRODUCTS}/{a_id}/history", headers=superuser)
    assert [row["action"] for row in old.json()["items"]] == ["create", "delete"]


async def test_a_new_user_never_inherits_a_deleted_users_id(
    client: AsyncClient, superuser: Headers
) -> None:
    def body(name: str) -> dict[str, object]:
        return {
            "email": f"{name}@example.com",
            "full_name": name,
            "password": "a long enough password 1",
        }

    gone = await client.post(USERS, json=body("gone"), headers=superuser)
    assert gone.status_code == 201, gone.text
    gone_id = gone.json()["id"]
    deleted = await client.delete(f"{USERS}/{gone_id}", headers=superuser)
    assert deleted.status_code == 204, deleted.text

    new = await client.post(USERS, json=body("new"), headers=superuser)

    assert new.status_code == 201, new.text
    assert new.json()["id"] != gone_id
    changes = await client.get(
        "/api/v1/audit/changes",
        params={"entity": "users", "entity_id": new.json()["id"]},
        headers=superuser,
    )
    assert [row["action"] for row in changes.json()["items"]] == ["create"]
