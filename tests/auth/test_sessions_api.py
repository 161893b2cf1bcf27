from fastapi import FastAPI
from httpx import AsyncClient

from tests.auth.support import (
    CHANGE_PASSWORD,
    ME,
    REFRESH,
    SESSIONS,
    USERS,
    bearer,
    claims_of,
    post_login,
    security_events,
    token_pair,
)
from tests.conftest import Headers
from tests.users import MakeUser


async def test_sessions_list_marks_the_current_one(
    client: AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user()
    other = await token_pair(client, user.email, user.password)

    response = await client.get(SESSIONS, headers=user.headers)

    assert response.status_code == 200
    sessions = response.json()
    assert len(sessions) == 2
    assert set(sessions[0]) == {
        "id",
        "created_at",
        "last_used_at",
        "client_ip",
        "user_agent",
        "current",
    }
    current = [s["id"] for s in sessions if s["current"]]
    assert current == [claims_of(user.headers["Authorization"].split()[1])["sid"]]
    assert claims_of(other["access_token"])["sid"] in {s["id"] for s in sessions}
    assert sessions[0]["client_ip"] == "127.0.0.1"


async def test_revoking_a_session_ends_it_and_it_leaves_the_list(
    client: AsyncClient, app: FastAPI, make_user: MakeUser
) -> None:
    user = await make_user()
    other = await token_pair(client, user.email, user.password)
    sid = claims_of(other["access_token"])["sid"]

    response = await client.delete(f"{SESSIONS}/{sid}", headers=user.headers)

    assert response.status_code == 204
    assert (await client.get(ME, headers=bearer(other["access_token"]))).status_code == 401
    refused = await client.post(REFRESH, json={"refresh_token": other["refresh_token"]})
    assert refused.status_code == 401
    assert sid not in {s["id"] for s in (await client.get(SESSIONS, headers=user.headers)).json()}
    assert (await client.delete(f"{SESSIONS}/{sid}", headers=user.headers)).status_code == 404
    assert [e.entity_id for e in await security_events(app, "session_revoked")] == [user.id]


async def test_another_users_session_is_404_for_the_own_sessions_api(
    client: AsyncClient, make_user: MakeUser
) -> None:
    mine, theirs = await make_user(), await make_user()
    sid = claims_of(theirs.headers["Authorization"].split()[1])["sid"]

    response = await client.delete(f"{SESSIONS}/{sid}", headers=mine.headers)

    assert response.status_code == 404
    assert (await client.get(ME, headers=theirs.headers)).status_code == 200
    assert (await client.delete(f"{SESSIONS}/not-an-id", headers=mine.headers)).status_code == 422


async def test_admins_list_and_revoke_other_users_sessions(
    client: AsyncClient, make_user: MakeUser, superuser: Headers
) -> None:
    admin = await make_user("users:update")
    target = await make_user()
    boss = await make_user(is_superuser=True)
    sid = claims_of(target.headers["Authorization"].split()[1])["sid"]
    boss_sid = claims_of(boss.headers["Authorization"].split()[1])["sid"]

    listed = await client.get(f"{USERS}/{target.id}/sessions", headers=admin.headers)
    wrong_owner = await client.delete(f"{USERS}/{admin.id}/sessions/{sid}", headers=admin.headers)
    revoked = await client.delete(f"{USERS}/{target.id}/sessions/{sid}", headers=admin.headers)

    assert listed.status_code == 200
    assert [s["id"] for s in listed.json()] == [sid]
    assert listed.json()[0]["current"] is False
    assert wrong_owner.status_code == 404
    assert revoked.status_code == 204
    assert (await client.get(ME, headers=target.headers)).status_code == 401
    boss_url = f"{USERS}/{boss.id}/sessions"
    assert (await client.get(boss_url, headers=admin.headers)).status_code == 403
    assert (await client.delete(f"{boss_url}/{boss_sid}", headers=admin.headers)).status_code == 403
    assert (await client.get(boss_url, headers=superuser)).status_code == 200
    assert (await client.get(f"{USERS}/9999/sessions", headers=admin.headers)).status_code == 404


async def test_change_password_ends_every_other_session(
    client: AsyncClient, app: FastAPI, make_user: MakeUser
) -> None:
    user = await make_user()
    other = await token_pair(client, user.email, user.password)

    response = await client.post(
        CHANGE_PASSWORD,
        json={"current_password": user.password, "new_password": "a whole new secret"},
        headers=user.headers,
    )

    assert response.status_code == 204
    assert (await client.get(ME, headers=user.headers)).status_code == 200
    assert (await client.get(ME, headers=bearer(other["access_token"]))).status_code == 401
    assert (await post_login(client, user.email, user.password)).status_code == 401
    assert (await post_login(client, user.email, "a whole new secret")).status_code == 200
    events = await security_events(app, "password_changed")
    assert [(e.entity_id, e.changes["sessions_ended"]) for e in events] == [(user.id, 1)]


async def test_change_password_checks_the_current_one_and_the_rules(
    client: AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user()

    wrong = await client.post(
        CHANGE_PASSWORD,
        json={"current_password": "not it at all", "new_password": "a whole new secret"},
        headers=user.headers,
    )
    too_long = await client.post(
        CHANGE_PASSWORD,
        json={"current_password": user.password, "new_password": "x" * 73},
        headers=user.headers,
    )
    anonymous = await client.post(
        CHANGE_PASSWORD, json={"current_password": "a", "new_password": "b" * 10}
    )

    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["loc"] == ["body", "current_password"]
    assert too_long.status_code == 422
    assert too_long.json()["errors"][0]["loc"] == ["body", "new_password"]
    assert anonymous.status_code == 401
    assert (await post_login(client, user.email, user.password)).status_code == 200


async def test_reactivating_a_user_does_not_revive_their_old_tokens(
    client: AsyncClient, make_user: MakeUser, superuser: Headers
) -> None:
    user = await make_user()
    pair = await token_pair(client, user.email, user.password)
    url = f"{USERS}/{user.id}"

    off = await client.patch(url, json={"is_active": False}, headers=superuser)
    on = await client.patch(url, json={"is_active": True}, headers=superuser)

    assert [off.status_code, on.status_code] == [200, 200]
    assert (await client.get(ME, headers=bearer(pair["access_token"]))).status_code == 401
    assert (await client.get(ME, headers=user.headers)).status_code == 401
    refused = await client.post(REFRESH, json={"refresh_token": pair["refresh_token"]})
    assert refused.status_code == 401
    assert (await client.get(f"{url}/sessions", headers=superuser)).json() == []
    assert (await post_login(client, user.email, user.password)).status_code == 200
