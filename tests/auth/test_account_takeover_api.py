"""A user or role manager acts only on accounts and roles whose permissions they hold all of."""

from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient, Response

from tests.auth.support import ME, ROLES, USERS, claims_of, post_login, security_events
from tests.conftest import Headers
from tests.users import MakeUser, TestUser

MANAGER = (
    *(f"users:{action}" for action in ("read", "create", "update", "delete")),
    *(f"roles:{action}" for action in ("read", "create", "update", "delete")),
)


def session_of(user: TestUser) -> str:
    sid: str = claims_of(user.headers["Authorization"].split()[1])["sid"]
    return sid


async def history(client: AsyncClient, url: str, headers: Headers) -> list[str]:
    response = await client.get(f"{url}/history", headers=headers)
    assert response.status_code == 200, response.text
    return [row["action"] for row in response.json()["items"]]


def refusals(attempts: dict[str, Response]) -> dict[str, tuple[int, str]]:
    return {
        name: (r.status_code, r.json().get("detail", "") if r.content else "")
        for name, r in attempts.items()
    }


async def test_a_user_manager_cannot_take_over_an_account_holding_more(
    client: AsyncClient, app: FastAPI, superuser: Headers, make_user: MakeUser
) -> None:
    manager = await make_user(*MANAGER)
    admin = await make_user(*MANAGER, "audit:read", "products:update")
    h = manager.headers
    url = f"{USERS}/{admin.id}"
    within = await client.post(
        ROLES, json={"name": "readers", "permissions": ["users:read"]}, headers=h
    )
    before = (await client.get(url, headers=superuser)).json()
    own_role_ids = [role["id"] for role in before["roles"]]

    attempts = {
        "password": await client.patch(url, json={"password": "taken over!"}, headers=h),
        "email": await client.patch(url, json={"email": "mine@example.com"}, headers=h),
        "deactivate": await client.patch(url, json={"is_active": False}, headers=h),
        "add a role": await client.patch(
            url, json={"role_ids": [*own_role_ids, within.json()["id"]]}, headers=h
        ),
        "full name": await client.patch(url, json={"full_name": "Mallory"}, headers=h),
        "delete": await client.delete(url, headers=h),
        "list sessions": await client.get(f"{url}/sessions", headers=h),
        "end a session": await client.delete(f"{url}/sessions/{session_of(admin)}", headers=h),
    }

    lacking = "audit:read, products:read, products:update"
    for name, (status, detail) in refusals(attempts).items():
        assert status == 403, name
        assert admin.email in detail, name
        assert lacking in detail, name
    assert attempts["password"].headers["content-type"] == "application/problem+json"
    assert (await client.get(url, headers=superuser)).json() == before
    assert (await client.get(ME, headers=admin.headers)).status_code == 200
    assert (await post_login(client, admin.email, admin.password)).status_code == 200
    assert await history(client, url, superuser) == ["create"]
    for event in ("password_changed", "user_deactivated", "session_revoked"):
        assert await security_events(app, event) == [], event


async def test_a_user_manager_manages_an_account_holding_less(
    client: AsyncClient, superuser: Headers, make_user: MakeUser
) -> None:
    manager = await make_user(*MANAGER)
    # users:update implies users:read: the manager holds both.
    clerk = await make_user("users:update", "roles:read")
    h = manager.headers
    url = f"{USERS}/{clerk.id}"

    renamed = await client.patch(
        url, json={"full_name": "Clerk", "email": "clerk@example.com"}, headers=h
    )
    reset = await client.patch(url, json={"password": "a fresh secret"}, headers=h)
    relogged = await post_login(client, "clerk@example.com", "a fresh secret")
    sid = claims_of(relogged.json()["access_token"])["sid"]
    listed = await client.get(f"{url}/sessions", headers=h)
    ended = await client.delete(f"{url}/sessions/{sid}", headers=h)
    deactivated = await client.patch(url, json={"is_active": False}, headers=h)
    deleted = await client.delete(url, headers=h)

    assert [renamed.status_code, reset.status_code, relogged.status_code] == [200, 200, 200]
    assert [s["id"] for s in listed.json()] == [sid]
    assert [ended.status_code, deactivated.status_code, deleted.status_code] == [204, 200, 204]
    assert (await client.get(url, headers=superuser)).status_code == 404


async def test_a_role_holding_permissions_the_editor_lacks_cannot_be_edited(
    client: AsyncClient, superuser: Headers, make_user: MakeUser
) -> None:
    manager = await make_user(*MANAGER)
    h = manager.headers
    foreign = await client.post(
        ROLES,
        json={"name": "auditors", "permissions": ["audit:read", "products:update"]},
        headers=superuser,
    )
    url = foreign.headers["location"]

    attempts = {
        "rename": await client.patch(url, json={"name": "mine"}, headers=h),
        "describe": await client.patch(url, json={"description": "Mine now"}, headers=h),
        "add a held permission": await client.patch(
            url, json={"permissions": ["audit:read", "products:update", "users:read"]}, headers=h
        ),
        "delete": await client.delete(url, headers=h),
    }

    for name, (status, detail) in refusals(attempts).items():
        assert status == 403, name
        assert "auditors" in detail, name
        assert "audit:read, products:update" in detail, name
    after: dict[str, Any] = (await client.get(url, headers=superuser)).json()
    assert after == foreign.json()
    assert await history(client, url, superuser) == ["create"]


async def test_a_role_within_the_editors_permissions_can_be_edited(
    client: AsyncClient, superuser: Headers, make_user: MakeUser
) -> None:
    manager = await make_user(*MANAGER)
    h = manager.headers
    # Made by someone else, and holding only what the manager holds (users:update implies read).
    role = await client.post(
        ROLES, json={"name": "desk", "permissions": ["users:update"]}, headers=superuser
    )
    url = role.headers["location"]

    renamed = await client.patch(url, json={"name": "front desk"}, headers=h)
    described = await client.patch(url, json={"description": "Signs people in"}, headers=h)
    deleted = await client.delete(url, headers=h)

    assert renamed.status_code == 200
    assert renamed.json()["name"] == "front desk"
    assert described.status_code == 200
    assert deleted.status_code == 204
