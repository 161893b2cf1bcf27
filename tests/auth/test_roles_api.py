from httpx import AsyncClient

from tests.auth.support import ROLES, USERS
from tests.conftest import Headers
from tests.users import MakeUser


async def test_role_crud_with_sorted_unique_permissions(
    client: AsyncClient, superuser: Headers
) -> None:
    created = await client.post(
        ROLES,
        json={
            "name": "clerk",
            "description": "Front desk",
            "permissions": ["products:update", "customers:read", "products:update"],
        },
        headers=superuser,
    )

    assert created.status_code == 201
    body = created.json()
    assert body["permissions"] == ["customers:read", "products:update"]
    url = created.headers["location"]
    assert (await client.get(url, headers=superuser)).json() == body
    renamed = await client.patch(
        url, json={"name": "desk"}, headers={**superuser, "If-Match": '"1"'}
    )
    assert renamed.status_code == 200
    assert renamed.json()["version"] == 2
    listed = await client.get(ROLES, params={"q": "des", "sort": "name"}, headers=superuser)
    assert [r["name"] for r in listed.json()["items"]] == ["desk"]
    exported = await client.get(ROLES, params={"format": "csv"}, headers=superuser)
    assert exported.text.splitlines()[0] == (
        "name,description,permissions,id,created_at,updated_at,version"
    )
    assert (await client.delete(url, headers=superuser)).status_code == 204
    assert (await client.get(url, headers=superuser)).status_code == 404


async def test_unknown_permissions_and_duplicate_names_are_refused(
    client: AsyncClient, superuser: Headers
) -> None:
    unknown = await client.post(
        ROLES, json={"name": "x", "permissions": ["products:fly"]}, headers=superuser
    )
    malformed = await client.post(
        ROLES, json={"name": "x", "permissions": ["everything"]}, headers=superuser
    )
    await client.post(ROLES, json={"name": "dup"}, headers=superuser)
    duplicate = await client.post(ROLES, json={"name": "dup"}, headers=superuser)

    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["loc"] == ["body", "permissions"]
    assert "products:fly" in unknown.json()["detail"]
    assert malformed.status_code == 422
    assert duplicate.status_code == 409


async def test_a_role_manager_grants_only_permissions_they_hold(
    client: AsyncClient, superuser: Headers, make_user: MakeUser
) -> None:
    manager = await make_user("roles:create", "roles:update", "roles:delete", "products:update")
    h = manager.headers
    foreign = await client.post(
        ROLES, json={"name": "auditors", "permissions": ["audit:read"]}, headers=superuser
    )

    implied = await client.post(
        ROLES, json={"name": "stock", "permissions": ["products:read"]}, headers=h
    )
    beyond = await client.post(
        ROLES, json={"name": "sneaky", "permissions": ["users:create"]}, headers=h
    )
    widen = await client.patch(
        implied.headers["location"], json={"permissions": ["products:delete"]}, headers=h
    )
    narrow_foreign = await client.patch(
        foreign.headers["location"], json={"permissions": []}, headers=h
    )
    delete_foreign = await client.delete(foreign.headers["location"], headers=h)

    assert implied.status_code == 201
    assert [beyond.status_code, widen.status_code] == [403, 403]
    assert [narrow_foreign.status_code, delete_foreign.status_code] == [403, 403]
    described = await client.patch(
        implied.headers["location"], json={"description": "Stock keepers"}, headers=h
    )
    assert described.status_code == 200


async def test_a_role_still_held_cannot_be_deleted(
    client: AsyncClient, superuser: Headers, make_user: MakeUser
) -> None:
    holder = await make_user("products:read")
    role_id = (await client.get(f"{USERS}/{holder.id}", headers=superuser)).json()["roles"][0]["id"]

    response = await client.delete(f"{ROLES}/{role_id}", headers=superuser)

    assert response.status_code == 409
    assert "held by 1 user" in response.json()["detail"]


async def test_permissions_are_listed_sorted_for_any_signed_in_user(
    client: AsyncClient, make_user: MakeUser
) -> None:
    nobody = await make_user()

    response = await client.get("/api/v1/permissions", headers=nobody.headers)

    assert response.status_code == 200
    names = [p["name"] for p in response.json()]
    assert names == sorted(names)
    assert {"users:read", "roles:delete", "products:create"} <= set(names)
    first = response.json()[0]
    assert set(first) == {"name", "module", "action", "description"}
    assert (await client.get("/api/v1/permissions")).status_code == 401


async def test_role_routes_need_their_permissions(client: AsyncClient, make_user: MakeUser) -> None:
    nobody = await make_user()
    h = nobody.headers

    assert (await client.get(ROLES, headers=h)).status_code == 403
    assert (await client.post(ROLES, json={"name": "r"}, headers=h)).status_code == 403
    assert (await client.get(f"{ROLES}/1", headers=h)).status_code == 403
