import asyncio

from fastapi import FastAPI
from httpx import AsyncClient

from tests.auth.support import (
    LOGOUT,
    ME,
    REFRESH,
    bearer,
    claims_of,
    security_events,
    token_pair,
)
from tests.users import MakeUser


async def test_refresh_rotates_and_the_old_token_dies(
    client: AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user()
    first = await token_pair(client, user.email, user.password)

    second = await client.post(REFRESH, json={"refresh_token": first["refresh_token"]})

    assert second.status_code == 200
    pair = second.json()
    assert pair["refresh_token"] != first["refresh_token"]
    assert claims_of(pair["refresh_token"])["sid"] == claims_of(first["refresh_token"])["sid"]
    assert (await client.get(ME, headers=bearer(pair["access_token"]))).status_code == 200
    third = await client.post(REFRESH, json={"refresh_token": pair["refresh_token"]})
    assert third.status_code == 200


async def test_replaying_a_rotated_token_revokes_that_session_only(
    client: AsyncClient, app: FastAPI, make_user: MakeUser
) -> None:
    user = await make_user()
    stolen = await token_pair(client, user.email, user.password)
    other = await token_pair(client, user.email, user.password)
    rotated = (await client.post(REFRESH, json={"refresh_token": stolen["refresh_token"]})).json()

    replay = await client.post(REFRESH, json={"refresh_token": stolen["refresh_token"]})

    assert replay.status_code == 401
    # Every token descended from that login is dead, though the answer was an error.
    assert (await client.get(ME, headers=bearer(rotated["access_token"]))).status_code == 401
    again = await client.post(REFRESH, json={"refresh_token": rotated["refresh_token"]})
    assert again.status_code == 401
    # The user's other sessions go on.
    assert (await client.get(ME, headers=bearer(other["access_token"]))).status_code == 200
    assert (await client.get(ME, headers=user.headers)).status_code == 200
    events = await security_events(app, "refresh_replay")
    assert [(e.entity_id, e.changes) for e in events] == [
        (user.id, {"session_id": claims_of(stolen["refresh_token"])["sid"]})
    ]


def _grace(app: FastAPI, seconds: int) -> None:
    app.state.settings = app.state.settings.model_copy(
        update={"refresh_reuse_grace_seconds": seconds}
    )


async def _still_signed_in(client: AsyncClient, pair: dict[str, str]) -> bool:
    me = await client.get(ME, headers=bearer(pair["access_token"]))
    again = await client.post(REFRESH, json={"refresh_token": pair["refresh_token"]})
    return me.status_code == 200 and again.status_code == 200


async def test_a_retry_within_the_grace_is_refused_without_revoking(
    client: AsyncClient, app: FastAPI, make_user: MakeUser
) -> None:
    _grace(app, 5)
    user = await make_user()
    first = await token_pair(client, user.email, user.password)
    rotated = (await client.post(REFRESH, json={"refresh_token": first["refresh_token"]})).json()

    retry = await client.post(REFRESH, json={"refresh_token": first["refresh_token"]})

    # Only hashes are stored, so the server cannot hand the rotated pair out again.
    assert retry.status_code == 401
    assert await _still_signed_in(client, rotated)
    assert await security_events(app, "refresh_replay") == []


async def test_twenty_concurrent_refreshes_within_the_grace_leave_the_winner_signed_in(
    client: AsyncClient, app: FastAPI, make_user: MakeUser
) -> None:
    _grace(app, 5)
    user = await make_user()
    pair = await token_pair(client, user.email, user.password)

    answers = await asyncio.gather(
        *(client.post(REFRESH, json={"refresh_token": pair["refresh_token"]}) for _ in range(20))
    )

    codes = [a.status_code for a in answers]
    assert (codes.count(200), codes.count(401)) == (1, 19)
    winner = next(a.json() for a in answers if a.status_code == 200)
    assert await _still_signed_in(client, winner)
    assert await security_events(app, "refresh_replay") == []


async def test_twenty_concurrent_refreshes_without_grace_end_the_session(
    client: AsyncClient, app: FastAPI, make_user: MakeUser
) -> None:
    user = await make_user()
    pair = await token_pair(client, user.email, user.password)

    answers = await asyncio.gather(
        *(client.post(REFRESH, json={"refresh_token": pair["refresh_token"]}) for _ in range(20))
    )

    codes = [a.status_code for a in answers]
    assert (codes.count(200), codes.count(401)) == (1, 19)
    # The losers were replays: the whole session, the winner's new pair included, is over.
    winner = next(a.json() for a in answers if a.status_code == 200)
    assert (await client.get(ME, headers=bearer(winner["access_token"]))).status_code == 401
    again = await client.post(REFRESH, json={"refresh_token": winner["refresh_token"]})
    assert again.status_code == 401
    assert await security_events(app, "refresh_replay")
    assert (await client.get(ME, headers=user.headers)).status_code == 200


async def test_concurrent_refreshes_with_one_token_give_at_most_one_success(
    client: AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user()
    pair = await token_pair(client, user.email, user.password)

    answers = await asyncio.gather(
        *(client.post(REFRESH, json={"refresh_token": pair["refresh_token"]}) for _ in range(10))
    )

    codes = sorted(a.status_code for a in answers)
    assert codes.count(200) <= 1
    assert set(codes) <= {200, 401}
    assert codes.count(401) >= 9


async def test_logout_ends_that_session_only(client: AsyncClient, make_user: MakeUser) -> None:
    user = await make_user()
    pair = await token_pair(client, user.email, user.password)

    response = await client.post(LOGOUT, headers=bearer(pair["access_token"]))

    assert response.status_code == 204
    assert (await client.get(ME, headers=bearer(pair["access_token"]))).status_code == 401
    refused = await client.post(REFRESH, json={"refresh_token": pair["refresh_token"]})
    assert refused.status_code == 401
    assert (await client.get(ME, headers=user.headers)).status_code == 200
    assert (await client.post(LOGOUT)).status_code == 401


async def test_refresh_without_a_token_is_401_and_unknown_fields_are_422(
    client: AsyncClient,
) -> None:
    assert (await client.post(REFRESH)).status_code == 401
    assert (await client.post(REFRESH, json={})).status_code == 401
    assert (await client.post(REFRESH, json={"token": "x"})).status_code == 422


async def test_a_deactivated_users_refresh_token_is_refused(
    client: AsyncClient, make_user: MakeUser, superuser: dict[str, str]
) -> None:
    user = await make_user()
    pair = await token_pair(client, user.email, user.password)
    await client.patch(f"/api/v1/users/{user.id}", json={"is_active": False}, headers=superuser)

    response = await client.post(REFRESH, json={"refresh_token": pair["refresh_token"]})

    assert response.status_code == 401
