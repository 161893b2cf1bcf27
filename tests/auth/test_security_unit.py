"""Unit tests of app.core.security.credentials and the authenticator's cost."""

import asyncio
import os
import sys
import threading
from datetime import timedelta

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlmodel import col, update

from app.auth.models import LoginSession
from app.auth.users_service import UserService
from app.core.db.database import run_in_own_transaction
from app.core.db.models import utc_now
from app.core.exceptions import NotAuthenticated, ValidationFailed
from app.core.security.credentials import (
    HASHING_NICENESS,
    TokenCodec,
    hash_cost,
    hash_password,
    off_the_loop,
    password_fits,
    token_digest,
    verify_password,
)
from tests.auth.support import SESSIONS, claims_of
from tests.users import MakeUser


async def test_hash_and_verify_round_trip_and_refuse_what_does_not_match() -> None:
    hashed = await hash_password("s3cret-enough", 4)

    assert hash_cost(hashed) == 4
    assert await verify_password("s3cret-enough", hashed, 4)
    assert not await verify_password("other-secret", hashed, 4)
    assert not await verify_password("s3cret-enough", None, 4)
    assert not await verify_password("s3cret-enough", "not-a-bcrypt-hash", 4)
    assert not await verify_password("x" * 73, hashed, 4)
    assert hash_cost("garbage") == 0


async def test_hashing_a_password_over_72_bytes_is_refused() -> None:
    assert password_fits("é" * 36)
    assert not password_fits("é" * 37)
    with pytest.raises(ValueError, match="72 bytes"):
        await hash_password("é" * 37, 4)


def _where_and_how_nice() -> tuple[str, int]:
    thread = threading.get_native_id()
    return threading.current_thread().name, os.getpriority(os.PRIO_PROCESS, thread)


@pytest.mark.skipif(sys.platform != "linux", reason="per-thread priority is a Linux feature")
async def test_password_work_runs_in_niced_threads_not_on_the_loop() -> None:
    loop_priority = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    name, priority = await off_the_loop(_where_and_how_nice)

    assert name.startswith("bcrypt")
    assert priority == min(19, loop_priority + HASHING_NICENESS)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == loop_priority


async def test_the_loop_keeps_serving_while_passwords_are_checked() -> None:
    hashed = await hash_password("s3cret-enough", 10)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.001)
            ticks += 1

    ticker = asyncio.create_task(tick())
    results = await asyncio.gather(
        *(verify_password("s3cret-enough", hashed, 10) for _ in range(4))
    )
    ticker.cancel()

    assert results == [True] * 4
    assert ticks > 10


def test_token_digest_is_sha256_hex() -> None:
    assert token_digest("abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


async def test_a_token_of_one_type_is_refused_as_the_other(app: FastAPI) -> None:
    codec = TokenCodec(app.state.settings)
    issued = codec.issue("refresh", 7, "a" * 32)

    assert codec.verify(issued.token, "refresh").user_id == 7
    with pytest.raises(NotAuthenticated, match="access"):
        codec.verify(issued.token, "access")


async def test_require_active_names_the_field_for_missing_or_inactive_users(
    app: FastAPI, client: AsyncClient, make_user: MakeUser, superuser: dict[str, str]
) -> None:
    user = await make_user()

    async def check(user_id: int) -> int:
        async def run(session):  # type: ignore[no-untyped-def]
            found = await UserService(session).require_active(user_id, "assignee_id")
            return found.id

        return await run_in_own_transaction(app.state.session_factory, run)

    assert await check(user.id) == user.id
    with pytest.raises(ValidationFailed) as missing:
        await check(9999)
    assert missing.value.errors[0].loc == ("body", "assignee_id")
    await client.patch(f"/api/v1/users/{user.id}", json={"is_active": False}, headers=superuser)
    with pytest.raises(ValidationFailed):
        await check(user.id)


async def test_authenticating_a_request_costs_one_select(
    app: FastAPI, client: AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user("products:read")
    statements: list[str] = []

    def count(_conn: Connection, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement.split()[0].upper())

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        response = await client.get("/api/v1/permissions", headers=user.headers)
    finally:
        event.remove(engine, "before_cursor_execute", count)

    assert response.status_code == 200
    assert statements.count("SELECT") == 1
    assert "UPDATE" not in statements


async def test_last_used_at_is_written_only_when_stale(
    app: FastAPI, client: AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user()
    sid = claims_of(user.headers["Authorization"].split()[1])["sid"]
    long_ago = utc_now() - timedelta(hours=1)

    async def age(session):  # type: ignore[no-untyped-def]
        await session.exec(
            update(LoginSession).where(col(LoginSession.id) == sid).values(last_used_at=long_ago)
        )

    await run_in_own_transaction(app.state.session_factory, age)

    listed = (await client.get(SESSIONS, headers=user.headers)).json()

    assert listed[0]["last_used_at"] > long_ago.isoformat()
