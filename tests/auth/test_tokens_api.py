"""Hostile tokens: every one is a 401, never a 500 and never a success."""

import time

import jwt
import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from app.core.config import Settings
from tests.auth.support import ME, REFRESH, bearer, claims_of, forge, token_pair
from tests.users import MakeUser


@pytest.fixture
async def real(client: AsyncClient, make_user: MakeUser) -> dict[str, str]:
    user = await make_user()
    pair = await token_pair(client, user.email, user.password)
    return {"access": pair["access_token"], "refresh": pair["refresh_token"]}


def _variants(settings: Settings, access: str) -> dict[str, str]:
    claims = claims_of(access)
    same = {name: claims[name] for name in ("sub", "sid", "jti")}
    now = int(time.time())
    none_token = jwt.encode({**claims}, key="", algorithm="none")
    tampered = access[:-4] + ("AAAA" if not access.endswith("AAAA") else "BBBB")
    return {
        "alg none": none_token,
        "another algorithm": forge(settings, alg="HS512", **same),
        "a wrong key": forge(settings, key="another-key-that-is-long-enough-32b", **same),
        "a wrong audience": forge(settings, aud="someone-else", **same),
        "a wrong issuer": forge(settings, iss="someone-else", **same),
        "expired": forge(settings, iat=now - 7200, exp=now - 3600, **same),
        "no sub": forge(settings, **{**same, "sub": None}),
        "no exp": forge(settings, exp=None, **same),
        "no iat": forge(settings, iat=None, **same),
        "no jti": forge(settings, **{**same, "jti": None}),
        "no typ": forge(settings, typ=None, **same),
        "no sid": forge(settings, **{**same, "sid": None}),
        "no iss": forge(settings, iss=None, **same),
        "no aud": forge(settings, aud=None, **same),
        "a sub that is no id": forge(settings, **{**same, "sub": "admin"}),
        "a huge sub": forge(settings, **{**same, "sub": "99999999999999999999"}),
        "an unknown session": forge(settings, **{**same, "sid": "b" * 32}),
        "another user's sub": forge(settings, **{**same, "sub": "999"}),
        "a tampered signature": tampered,
        "garbage": "not-a-jwt",
    }


async def test_hostile_access_tokens_are_401(
    client: AsyncClient, app: FastAPI, real: dict[str, str]
) -> None:
    assert (await client.get(ME, headers=bearer(real["access"]))).status_code == 200

    for name, token in _variants(app.state.settings, real["access"]).items():
        response = await client.get(ME, headers=bearer(token))
        assert response.status_code == 401, name
        assert response.headers["www-authenticate"] == "Bearer", name


async def test_a_refresh_token_is_no_bearer_and_an_access_token_cannot_refresh(
    client: AsyncClient, real: dict[str, str]
) -> None:
    as_bearer = await client.get(ME, headers=bearer(real["refresh"]))
    as_refresh = await client.post(REFRESH, json={"refresh_token": real["access"]})

    assert as_bearer.status_code == 401
    assert as_refresh.status_code == 401
    # Neither misuse burnt the real tokens.
    assert (await client.get(ME, headers=bearer(real["access"]))).status_code == 200
    assert (await client.post(REFRESH, json={"refresh_token": real["refresh"]})).status_code == 200


async def test_missing_or_malformed_authorization_is_401(client: AsyncClient) -> None:
    for headers in (
        {},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer " + "x" * 5000},
    ):
        response = await client.get(ME, headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"


async def test_hostile_refresh_tokens_are_401(
    client: AsyncClient, app: FastAPI, real: dict[str, str]
) -> None:
    settings = app.state.settings
    claims = claims_of(real["refresh"])
    same = {"sub": claims["sub"], "sid": claims["sid"], "jti": claims["jti"], "typ": "refresh"}

    for token in (
        forge(settings, key="another-key-that-is-long-enough-32b", **same),
        forge(settings, alg="HS384", **same),
        forge(settings, **{**same, "jti": "0" * 32}),
        forge(settings, **same),  # right claims, but not the token that was issued
        "garbage",
    ):
        response = await client.post(REFRESH, json={"refresh_token": token})
        assert response.status_code == 401

    assert (await client.post(REFRESH, json={"refresh_token": real["refresh"]})).status_code == 200


async def test_a_deleted_users_token_is_401(
    client: AsyncClient, make_user: MakeUser, superuser: dict[str, str]
) -> None:
    user = await make_user()
    assert (await client.get(ME, headers=user.headers)).status_code == 200

    deleted = await client.delete(f"/api/v1/users/{user.id}", headers=superuser)

    assert deleted.status_code == 204
    assert (await client.get(ME, headers=user.headers)).status_code == 401
