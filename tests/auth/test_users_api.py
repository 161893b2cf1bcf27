import asyncio
from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient

from tests.auth.support import ME, USERS, post_login, security_events
from tests.conftest import Headers
from tests.users import MakeUser


def new_user(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "email": "Grace@Example.com",
        "full_name": "Grace Hopper",
        "password": "correct horse battery",
    }
    body.update(overrides)
    return body


async def test_create_returns_the_user_without_any_secret(
    client: AsyncClient, superuser: Headers
) -> None:
    response = await client.post(USERS, json=new_user(), headers=superuser)

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {
        "id",
        "email",
        "full_name",
        "is_active",
        "is_superuser",
        "roles",
        "created_at",
        "updated_at",
        "version",
    }
    assert body["email"] == "grace@example.com"
    assert response.headers["location"].endswith(f"{USERS}/{body['id']}")
    assert response.headers["etag"] == '"1"'
    assert (
        await post_login(client, "GRACE@example.com", "correct horse battery")
    ).status_code == 200
    fetched = await client.get(response.headers["location"], headers=superuser)
    assert fetched.json() == body


async def test_email_is_unique_case_insensitively(client: AsyncClient, superuser: Headers) -> None:
    await client.post(USERS, json=new_user(), headers=superuser)

    again = await client.post(USERS, json=new_user(email="GRACE@example.COM"), headers=superuser)

    assert again.status_code == 409
    assert "email" in again.json()["detail"]


async def test_password_rules_are_422_naming_the_field(
    client: AsyncClient, superuser: Headers
) -> None:
    for password in ("tiny-pw", "a" * 73, "é" * 37):
        response = await client.post(USERS, json=new_user(password=password), headers=superuser)
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["body", "password"]
        assert password not in response.text
    exactly_72 = await client.post(USERS, json=new_user(password="é" * 36), headers=superuser)
    assert exactly_72.status_code == 201


async def test_list_filters_and_pages(
    client: AsyncClient, superuser: Headers, make_user: MakeUser
) -> None:
    await make_user("products:read", email="reader@example.com")
    await make_user(email="idle@example.com")
    role_id = (await client.get("/api/v1/roles", headers=superuser)).json()["items"][0]["id"]

    def emails(response: Any) -> list[str]:
        return [u["email"] for u in response.json()["items"]]

    everyone = await client.get(USERS, params={"sort": "email"}, headers=superuser)
    assert emails(everyone) == ["admin@example.com", "idle@example.com", "reader@example.com"]
    holders = await client.get(USERS, params={"role_id": role_id}, headers=superuser)
    assert emails(holders) == ["reader@example.com"]
    found = await client.get(USERS, params={"q": "idl"}, headers=superuser)
    assert emails(found) == ["idle@example.com"]
    supers = await client.get(USERS, params={"is_superuser": "true"}, headers=superuser)
    assert emails(supers) == ["admin@example.com"]
    active = await client.get(USERS, params={"is_active": "true", "size": 1}, headers=superuser)
    assert active.json()["total"] == 3
    assert active.json()["pages"] == 3
    bad = await client.get(USERS, params={"sort": "password_hash"}, headers=superuser)
    assert bad.status_code == 422
    csv = await client.get(USERS, params={"format": "csv"}, headers=superuser)
    assert csv.status_code == 200
    assert "password" not in csv.text
    assert csv.text.splitlines()[0].startswith("email,full_name,is_active")


async def test_unknown_role_ids_are_422(client: AsyncClient, superuser: Headers) -> None:
    response = await client.post(USERS, json=new_user(role_ids=[999]), headers=superuser)

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "role_ids"]


async def test_deactivation_applies_to_the_next_request_and_is_audited(
    client: AsyncClient, app: FastAPI, superuser: Headers, make_user: MakeUser
) -> None:
    user = await make_user("products:read")
    assert (await client.get(ME, headers=user.headers)).status_code == 200

    patched = await client.patch(f"{USERS}/{user.id}", json={"is_active": False}, headers=superuser)

    assert patched.status_code == 200
    assert (await client.get(ME, headers=user.headers)).status_code == 401
    events = await security_events(app, "user_deactivated")
    assert [(e.entity_id, e.changes) for e in events] == [(user.id, {"by": "admin@example.com"})]


async def test_a_role_change_applies_to_the_next_request(
    client: AsyncClient, superuser: Headers, make_user: MakeUser
) -> None:
    user = await make_user("customers:read")
    assert (await client.get("/api/v1/products", headers=user.headers)).status_code == 403
    role = await client.post(
        "/api/v1/roles",
        json={"name": "catalogue", "permissions": ["products:read"]},
        headers=superuser,
    )

    granted = await client.patch(
        f"{USERS}/{user.id}", json={"role_ids": [role.json()["id"]]}, headers=superuser
    )

    assert granted.status_code == 200
    assert [r["name"] for r in granted.json()["roles"]] == ["catalogue"]
    assert (await client.get("/api/v1/products", headers=user.headers)).status_code == 200
    taken = await client.patch(
        f"/api/v1/roles/{role.json()['id']}", json={"permissions": []}, headers=superuser
    )
    assert taken.status_code == 200
    assert (await client.get("/api/v1/products", headers=user.headers)).status_code == 403


async def test_an_admin_password_reset_ends_the_users_sessions(
    client: AsyncClient, app: FastAPI, superuser: Headers, make_user: MakeUser
) -> None:
    user = await make_user()

    reset = await client.patch(
        f"{USERS}/{user.id}", json={"password": "brand new secret"}, headers=superuser
    )

    assert reset.status_code == 200
    assert (await client.get(ME, headers=user.headers)).status_code == 401
    assert (await post_login(client, user.email, "brand new secret")).status_code == 200
    assert [e.entity_id for e in await security_events(app, "password_changed")] == [user.id]


async def test_non_superusers_cannot_escalate(
    client: AsyncClient, superuser: Headers, make_user: MakeUser
) -> None:
    admin = await make_user("users:create", "users:update", "users:delete", "roles:read")
    h = admin.headers
    boss = await client.post(USERS, json=new_user(email="boss@example.com"), headers=superuser)
    mighty = await client.post(
        "/api/v1/roles", json={"name": "mighty", "permissions": ["audit:read"]}, headers=superuser
    )
    own_role_id = (await client.get(ME, headers=h)).json()["roles"][0]["id"]
    boss_id, mighty_id = boss.json()["id"], mighty.json()["id"]
    await client.patch(f"{USERS}/{boss_id}", json={"is_superuser": True}, headers=superuser)
    plain = await client.post(USERS, json=new_user(email="plain@example.com"), headers=h)
    plain_id = plain.json()["id"]

    attempts = {
        "create a superuser": await client.post(
            USERS, json=new_user(email="x@example.com", is_superuser=True), headers=h
        ),
        "make someone superuser": await client.patch(
            f"{USERS}/{plain_id}", json={"is_superuser": True}, headers=h
        ),
        "make themselves superuser": await client.patch(
            f"{USERS}/{admin.id}", json={"is_superuser": True}, headers=h
        ),
        "grant a role with a permission they lack": await client.patch(
            f"{USERS}/{plain_id}", json={"role_ids": [mighty_id]}, headers=h
        ),
        "create a user with such a role": await client.post(
            USERS, json=new_user(email="y@example.com", role_ids=[mighty_id]), headers=h
        ),
        "give themselves a role": await client.patch(
            f"{USERS}/{admin.id}", json={"role_ids": [own_role_id, mighty_id]}, headers=h
        ),
        "change a superuser's password": await client.patch(
            f"{USERS}/{boss_id}", json={"password": "taken over!"}, headers=h
        ),
        "change a superuser's email": await client.patch(
            f"{USERS}/{boss_id}", json={"email": "mine@example.com"}, headers=h
        ),
        "deactivate a superuser": await client.patch(
            f"{USERS}/{boss_id}", json={"is_active": False}, headers=h
        ),
        "delete a superuser": await client.delete(f"{USERS}/{boss_id}", headers=h),
    }

    assert {name: r.status_code for name, r in attempts.items()} == dict.fromkeys(attempts, 403)
    assert plain.status_code == 201
    boss_now = (await client.get(f"{USERS}/{boss_id}", headers=superuser)).json()
    assert boss_now["email"] == "boss@example.com"
    assert boss_now["is_active"] is True
    own = await client.patch(
        f"{USERS}/{admin.id}", json={"full_name": "Still me", "role_ids": [own_role_id]}, headers=h
    )
    assert own.status_code == 200


async def test_a_user_manager_may_grant_roles_within_their_own_permissions(
    client: AsyncClient, superuser: Headers, make_user: MakeUser
) -> None:
    admin = await make_user("users:update", "products:update")
    target = await make_user()
    role = await client.post(
        "/api/v1/roles", json={"name": "stock", "permissions": ["products:read"]}, headers=superuser
    )

    granted = await client.patch(
        f"{USERS}/{target.id}", json={"role_ids": [role.json()["id"]]}, headers=admin.headers
    )

    assert granted.status_code == 200


async def test_the_last_active_superuser_cannot_be_removed(
    client: AsyncClient, superuser: Headers
) -> None:
    me = (await client.get(ME, headers=superuser)).json()
    url = f"{USERS}/{me['id']}"

    demote = await client.patch(url, json={"is_superuser": False}, headers=superuser)
    deactivate = await client.patch(url, json={"is_active": False}, headers=superuser)
    delete = await client.delete(url, headers=superuser)

    assert [demote.status_code, deactivate.status_code, delete.status_code] == [409, 409, 409]
    assert "last active superuser" in demote.json()["detail"]
    assert (await client.get(url, headers=superuser)).json()["is_superuser"] is True


async def test_a_superuser_may_remove_another_while_one_remains(
    client: AsyncClient, superuser: Headers, make_user: MakeUser
) -> None:
    other = await make_user(is_superuser=True)

    deleted = await client.delete(f"{USERS}/{other.id}", headers=superuser)

    assert deleted.status_code == 204
    assert (await client.get(ME, headers=other.headers)).status_code == 401


async def test_two_superusers_demoting_each_other_at_once_leave_one(
    client: AsyncClient, make_user: MakeUser
) -> None:
    first = await make_user(is_superuser=True)
    second = await make_user(is_superuser=True)

    answers = await asyncio.gather(
        client.patch(f"{USERS}/{second.id}", json={"is_superuser": False}, headers=first.headers),
        client.patch(f"{USERS}/{first.id}", json={"is_superuser": False}, headers=second.headers),
    )

    # 409 when both checks ran before either commit (the last-superuser rule); 403 when one
    # demotion committed before the other request was authorised (its actor is no longer a
    # superuser). Either way exactly one superuser remains, which is what matters.
    statuses = sorted(a.status_code for a in answers)
    assert statuses in ([200, 409], [200, 403]), statuses
    survivors = 0
    for user in (first, second):
        me = await client.get(ME, headers=user.headers)
        survivors += me.status_code == 200 and me.json()["is_superuser"]
    assert survivors == 1


async def test_delete_user_needs_if_match_version_and_not_oneself(
    client: AsyncClient, superuser: Headers, make_user: MakeUser
) -> None:
    user = await make_user()
    me = (await client.get(ME, headers=superuser)).json()

    stale = await client.delete(f"{USERS}/{user.id}", headers={**superuser, "If-Match": '"9"'})
    themselves = await client.delete(f"{USERS}/{me['id']}", headers=superuser)
    gone = await client.delete(f"{USERS}/{user.id}", headers={**superuser, "If-Match": '"1"'})

    assert [stale.status_code, themselves.status_code, gone.status_code] == [412, 409, 204]
    assert (await client.get(f"{USERS}/{user.id}", headers=superuser)).status_code == 404


async def test_users_routes_need_their_permissions(
    client: AsyncClient, make_user: MakeUser
) -> None:
    reader = await make_user("users:read")
    h = reader.headers

    assert (await client.get(USERS)).status_code == 401
    assert (await client.get(USERS, headers=h)).status_code == 200
    assert (await client.post(USERS, json=new_user(), headers=h)).status_code == 403
    assert (await client.patch(f"{USERS}/{reader.id}", json={}, headers=h)).status_code == 403
    assert (await client.delete(f"{USERS}/{reader.id}", headers=h)).status_code == 403


async def test_deleting_a_user_with_roles_and_sessions_removes_them_too(
    client: AsyncClient, superuser: Headers, make_user: MakeUser
) -> None:
    user = await make_user("products:read")
    role_id = (await client.get(f"{USERS}/{user.id}", headers=superuser)).json()["roles"][0]["id"]

    assert (await client.delete(f"{USERS}/{user.id}", headers=superuser)).status_code == 204

    assert (await post_login(client, user.email, user.password)).status_code == 401
    # The role is no longer held, so it can go too.
    assert (await client.delete(f"/api/v1/roles/{role_id}", headers=superuser)).status_code == 204
