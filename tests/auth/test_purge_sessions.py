"""Purging expired refresh tokens and long-ended sessions keeps every live login working."""

from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import func, update
from sqlmodel import col, select

from app.auth.housekeeping import PurgeOptions, purge_sessions
from app.auth.models import LoginSession, RefreshToken
from app.core.db.models import utc_now
from scripts import purge_sessions as script
from tests.auth.support import ME, REFRESH, bearer, claims_of, token_pair
from tests.users import MakeUser

KEEP_30_DAYS = PurgeOptions(keep_ended_days=30)


async def sid_of(client: AsyncClient, user: Any) -> str:
    pair = await token_pair(client, user.email, user.password)
    return str(claims_of(pair["access_token"])["sid"])


async def age(app: FastAPI, sid: str, **days: float) -> None:
    """Move a session's expiry or revocation (and its tokens' expiry) into the past."""
    when = {name: utc_now() - timedelta(days=value) for name, value in days.items()}
    async with app.state.session_factory() as session:
        await session.exec(update(LoginSession).where(col(LoginSession.id) == sid).values(**when))
        if "expires_at" in when:
            await session.exec(
                update(RefreshToken)
                .where(col(RefreshToken.session_id) == sid)
                .values(expires_at=when["expires_at"])
            )
        await session.commit()


async def rows(app: FastAPI, sid: str) -> tuple[int, int]:
    """(sessions with this id, refresh tokens of it): 1 or 0, and a count."""
    async with app.state.session_factory() as session:
        sessions = await session.exec(
            select(func.count()).select_from(LoginSession).where(LoginSession.id == sid)
        )
        tokens = await session.exec(
            select(func.count()).select_from(RefreshToken).where(RefreshToken.session_id == sid)
        )
        return sessions.one(), tokens.one()


async def test_purge_removes_dead_rows_and_every_live_login_keeps_working(
    app: FastAPI, client: AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user()
    live = await token_pair(client, user.email, user.password)
    rotated = (await client.post(REFRESH, json={"refresh_token": live["refresh_token"]})).json()
    live_sid = claims_of(live["access_token"])["sid"]
    revoked_long_ago = await sid_of(client, user)
    await age(app, revoked_long_ago, revoked_at=40)
    expired_lately = await sid_of(client, user)
    await age(app, expired_lately, expires_at=1)
    expired_long_ago = await sid_of(client, user)
    await age(app, expired_long_ago, expires_at=31)

    report = await purge_sessions(app.state.session_factory, KEEP_30_DAYS, utc_now())

    assert (report.tokens, report.sessions) == (2, 2)
    assert await rows(app, live_sid) == (1, 2)  # the used token still guards against replay
    assert await rows(app, expired_lately) == (1, 0)  # kept 30 days, its dead token gone
    assert await rows(app, revoked_long_ago) == (0, 0)
    assert await rows(app, expired_long_ago) == (0, 0)
    again = await purge_sessions(app.state.session_factory, KEEP_30_DAYS, utc_now())
    assert (again.tokens, again.sessions) == (0, 0)

    refreshed = await client.post(REFRESH, json={"refresh_token": rotated["refresh_token"]})
    assert refreshed.status_code == 200
    assert (
        await client.get(ME, headers=bearer(refreshed.json()["access_token"]))
    ).status_code == 200


async def test_a_replayed_token_still_ends_its_session_after_a_purge(
    app: FastAPI, client: AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user()
    first = await token_pair(client, user.email, user.password)
    second = (await client.post(REFRESH, json={"refresh_token": first["refresh_token"]})).json()

    await purge_sessions(app.state.session_factory, KEEP_30_DAYS, utc_now())

    replay = await client.post(REFRESH, json={"refresh_token": first["refresh_token"]})
    assert replay.status_code == 401
    stolen = await client.post(REFRESH, json={"refresh_token": second["refresh_token"]})
    assert stolen.status_code == 401  # the whole session ended on the replay


async def test_small_batches_drain_everything_and_a_dry_run_deletes_nothing(
    app: FastAPI, client: AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user()
    sids = [await sid_of(client, user) for _ in range(3)]
    for sid in sids:
        await age(app, sid, expires_at=60)
    factory = app.state.session_factory

    counted = await purge_sessions(factory, PurgeOptions(30, dry_run=True), utc_now())
    assert (counted.tokens, counted.sessions) == (3, 3)
    assert [await rows(app, sid) for sid in sids] == [(1, 1)] * 3

    report = await purge_sessions(factory, PurgeOptions(30, batch_size=1), utc_now())
    assert (report.tokens, report.sessions) == (3, 3)
    assert [await rows(app, sid) for sid in sids] == [(0, 0)] * 3


async def test_the_script_reports_what_it_deletes_and_refuses_bad_arguments(
    app: FastAPI, client: AsyncClient, make_user: MakeUser, capsys: pytest.CaptureFixture[str]
) -> None:
    user = await make_user()
    await age(app, await sid_of(client, user), revoked_at=10)

    assert await script.purge(script.parse_args(["--keep-ended-days", "7", "--dry-run"])) == 0
    assert "would delete 1 session(s) ended before" in capsys.readouterr().out
    assert await script.purge(script.parse_args(["--keep-ended-days", "7"])) == 0
    printed = capsys.readouterr().out
    assert "deleted 0 expired refresh token(s)" in printed
    assert "deleted 1 session(s)" in printed

    for bad in (["--keep-ended-days", "-1"], ["--keep-ended-days", "nan"], ["--batch-size", "0"]):
        with pytest.raises(SystemExit) as exit_:
            script.parse_args(bad)
        assert exit_.value.code == 2
