from fastapi import FastAPI
from httpx import AsyncClient
from sqlmodel import select

from app.auth.models import RefreshToken, User
from app.core.security.credentials import hash_cost
from tests.auth.support import ME, REFRESH, bearer, claims_of, post_login, security_events
from tests.users import MakeUser


async def test_login_returns_a_pair_with_the_contract_claims(
    client: AsyncClient, app: FastAPI, make_user: MakeUser
) -> None:
    user = await make_user()

    response = await post_login(client, user.email, user.password)

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 15 * 60
    access, refresh = claims_of(body["access_token"]), claims_of(body["refresh_token"])
    for claims, typ in ((access, "access"), (refresh, "refresh")):
        assert set(claims) == {"sub", "exp", "iat", "jti", "typ", "sid", "iss", "aud"}
        assert claims["typ"] == typ
        assert claims["sub"] == str(user.id)
        assert claims["iss"] == "fastops"
        assert claims["aud"] == "fastops-api"
    assert access["sid"] == refresh["sid"]
    assert access["exp"] - access["iat"] == 15 * 60
    assert refresh["exp"] - refresh["iat"] == 7 * 86_400
    me = await client.get(ME, headers=bearer(body["access_token"]))
    assert me.json()["id"] == user.id


async def test_refresh_tokens_are_stored_only_as_hashes(
    client: AsyncClient, app: FastAPI, make_user: MakeUser
) -> None:
    user = await make_user()
    refresh = (await post_login(client, user.email, user.password)).json()["refresh_token"]

    async with app.state.session_factory() as session:
        rows = (await session.exec(select(RefreshToken))).all()

    assert len(rows) == 2  # the fixture's login and this one
    assert all(refresh not in (row.token_hash, row.jti) for row in rows)
    assert all(len(row.token_hash) == 64 for row in rows)


async def test_wrong_password_and_unknown_email_get_the_same_401(
    client: AsyncClient, app: FastAPI, make_user: MakeUser
) -> None:
    user = await make_user()

    wrong = await post_login(client, user.email, "not-the-password")
    unknown = await post_login(client, "nobody@example.com", "not-the-password")

    assert wrong.status_code == unknown.status_code == 401
    assert wrong.headers["www-authenticate"] == "Bearer"
    assert wrong.json()["detail"] == unknown.json()["detail"] == "Incorrect email or password."
    failed = await security_events(app, "login_failed")
    assert [row.changes for row in failed] == [
        {"email": user.email},
        {"email": "nobody@example.com"},
    ]
    assert [row.entity_id for row in failed] == [user.id, None]
    assert all("not-the-password" not in str(row.changes) for row in failed)


async def test_email_is_matched_case_insensitively(
    client: AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user(email="Mixed.Case@Example.com")

    response = await post_login(client, "  MIXED.case@example.COM ", user.password)

    assert user.email == "mixed.case@example.com"
    assert response.status_code == 200


async def test_a_password_over_72_bytes_at_login_is_a_plain_401(
    client: AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user()

    for password in (user.password + "x" * 80, "é" * 37, user.password[:0] + "a" * 73):
        response = await post_login(client, user.email, password)
        assert response.status_code == 401
        assert response.json()["detail"] == "Incorrect email or password."


async def test_an_inactive_user_cannot_log_in(
    client: AsyncClient, make_user: MakeUser, superuser: dict[str, str]
) -> None:
    user = await make_user()
    patched = await client.patch(
        f"/api/v1/users/{user.id}", json={"is_active": False}, headers=superuser
    )
    assert patched.status_code == 200

    response = await post_login(client, user.email, user.password)

    assert response.status_code == 401
    assert response.json()["detail"] == "Incorrect email or password."


async def test_successful_login_is_audited_with_the_user_id(
    client: AsyncClient, app: FastAPI, make_user: MakeUser
) -> None:
    user = await make_user()

    rows = await security_events(app, "login_succeeded")

    assert [(row.entity_id, row.changes) for row in rows] == [(user.id, {"email": user.email})]


async def test_a_hash_of_a_lower_cost_is_rehashed_on_login(
    client: AsyncClient, app: FastAPI, make_user: MakeUser
) -> None:
    user = await make_user()
    app.state.settings = app.state.settings.model_copy(update={"bcrypt_rounds": 5})

    assert (await post_login(client, user.email, user.password)).status_code == 200

    async with app.state.session_factory() as session:
        stored = await session.get(User, user.id)
    assert stored is not None
    assert hash_cost(stored.password_hash) == 5
    assert (await post_login(client, user.email, user.password)).status_code == 200


async def test_login_needs_the_form_fields(client: AsyncClient) -> None:
    response = await client.post("/api/v1/auth/login", data={"username": "a@example.com"})

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "password"]


async def test_token_answers_are_never_stored_by_caches(
    client: AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user()
    cookie_mode = {"X-Auth-Mode": "cookie"}

    answers = {
        "login": await post_login(client, user.email, user.password),
        "cookie login": await post_login(client, user.email, user.password, headers=cookie_mode),
        "cookie refresh": await client.post(REFRESH, headers=cookie_mode),
    }
    pair = answers["login"].json()
    answers["refresh"] = await client.post(REFRESH, json={"refresh_token": pair["refresh_token"]})

    for name, answer in answers.items():
        assert answer.status_code == 200, name
        assert answer.headers["cache-control"] == "no-store", name
        assert answer.headers["pragma"] == "no-cache", name
