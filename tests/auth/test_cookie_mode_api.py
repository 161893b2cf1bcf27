"""Cookie mode for browsers: the refresh token lives only in an HttpOnly cookie."""

from fastapi import FastAPI
from httpx import AsyncClient

from tests.auth.support import (
    LOGOUT,
    ME,
    REFRESH,
    SESSIONS,
    bearer,
    claims_of,
    forge,
    post_login,
    security_events,
)
from tests.users import MakeUser

COOKIE_MODE = {"X-Auth-Mode": "cookie"}


async def test_login_sets_a_strict_httponly_cookie_and_omits_the_token(
    client: AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user()

    response = await post_login(client, user.email, user.password, headers=COOKIE_MODE)

    assert response.status_code == 200
    assert "refresh_token" not in response.json()
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("fastops_refresh=")
    for part in ("HttpOnly", "SameSite=strict", "Path=/api/v1/auth", "Max-Age=604800"):
        assert part.lower() in cookie.lower()
    assert "secure" not in cookie.lower()  # only in production
    assert (
        await client.get(ME, headers=bearer(response.json()["access_token"]))
    ).status_code == 200


async def test_refresh_reads_the_cookie_only_with_the_header(
    client: AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user()
    await post_login(client, user.email, user.password, headers=COOKIE_MODE)

    without_header = await client.post(REFRESH)
    with_header = await client.post(REFRESH, headers=COOKIE_MODE)

    assert without_header.status_code == 401
    assert with_header.status_code == 200
    assert "refresh_token" not in with_header.json()
    assert "fastops_refresh=" in with_header.headers["set-cookie"]
    # The cookie was rotated: the client jar now holds the new one, which works.
    assert (await client.post(REFRESH, headers=COOKIE_MODE)).status_code == 200


async def test_cookie_refresh_from_another_origin_is_403(
    client: AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user()
    await post_login(client, user.email, user.password, headers=COOKIE_MODE)

    foreign = await client.post(
        REFRESH, headers={**COOKIE_MODE, "Origin": "https://evil.example.com"}
    )
    same_site = await client.post(REFRESH, headers={**COOKIE_MODE, "Origin": "http://testserver"})

    assert foreign.status_code == 403
    assert same_site.status_code == 200


async def test_logout_in_cookie_mode_clears_the_cookie(
    client: AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user()
    login = await post_login(client, user.email, user.password, headers=COOKIE_MODE)

    response = await client.post(
        LOGOUT, headers={**COOKIE_MODE, **bearer(login.json()["access_token"])}
    )

    assert response.status_code == 204
    assert 'fastops_refresh=""' in response.headers["set-cookie"]
    assert "max-age=0" in response.headers["set-cookie"].lower()
    assert (await client.post(REFRESH, headers=COOKIE_MODE)).status_code == 401


async def test_a_refused_cookie_is_cleared_and_a_refused_body_token_touches_no_cookie(
    client: AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user()
    login = await post_login(client, user.email, user.password, headers=COOKIE_MODE)
    sid = claims_of(login.json()["access_token"])["sid"]
    ended = await client.delete(f"{SESSIONS}/{sid}", headers=user.headers)  # from another login
    assert ended.status_code == 204
    assert "fastops_refresh" in client.cookies  # still held, but its session has ended

    refused = await client.post(REFRESH, headers=COOKIE_MODE)

    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["status"] == 401
    assert refused.headers["www-authenticate"] == "Bearer"
    assert 'fastops_refresh=""' in refused.headers["set-cookie"]
    assert "max-age=0" in refused.headers["set-cookie"].lower()
    assert "fastops_refresh" not in client.cookies

    body_token = await client.post(REFRESH, json={"refresh_token": "not-a-token"})
    assert body_token.status_code == 401
    assert "set-cookie" not in body_token.headers


async def test_cookie_logout_with_an_expired_access_token_ends_the_cookies_session(
    client: AsyncClient, app: FastAPI, make_user: MakeUser
) -> None:
    user = await make_user()
    login = await post_login(client, user.email, user.password, headers=COOKIE_MODE)
    access = login.json()["access_token"]
    cookie = client.cookies["fastops_refresh"]
    expired = forge(app.state.settings, sub=str(user.id), sid=claims_of(access)["sid"], exp=1)

    without_token = await client.post(LOGOUT, headers=COOKIE_MODE)
    client.cookies.set("fastops_refresh", cookie, path="/api/v1/auth")
    with_expired = await client.post(LOGOUT, headers={**COOKIE_MODE, **bearer(expired)})

    assert without_token.status_code == 204
    assert 'fastops_refresh=""' in without_token.headers["set-cookie"]
    # Signing out twice is harmless: the session is already over.
    assert with_expired.status_code == 204
    client.cookies.set("fastops_refresh", cookie, path="/api/v1/auth")
    assert (await client.post(REFRESH, headers=COOKIE_MODE)).status_code == 401
    assert (await client.get(ME, headers=bearer(access))).status_code == 401
    assert (await client.get(ME, headers=user.headers)).status_code == 200  # other sessions
    events = await security_events(app, "logout")
    assert [e.entity_id for e in events] == [user.id]


async def test_cookie_logout_with_a_garbage_access_token_still_ends_the_session(
    client: AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user()
    await post_login(client, user.email, user.password, headers=COOKIE_MODE)
    cookie = client.cookies["fastops_refresh"]

    response = await client.post(LOGOUT, headers={**COOKIE_MODE, **bearer("garbage")})

    assert response.status_code == 204
    client.cookies.set("fastops_refresh", cookie, path="/api/v1/auth")
    assert (await client.post(REFRESH, headers=COOKIE_MODE)).status_code == 401


async def test_cookie_logout_is_guarded_like_cookie_refresh(
    client: AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user()
    await post_login(client, user.email, user.password, headers=COOKIE_MODE)
    cookie = client.cookies["fastops_refresh"]

    foreign = await client.post(
        LOGOUT, headers={**COOKIE_MODE, "Origin": "https://evil.example.com"}
    )
    no_header = await client.post(LOGOUT)  # a cross-site form cannot send the header

    assert foreign.status_code == 403
    assert no_header.status_code == 401
    assert no_header.headers["www-authenticate"] == "Bearer"
    # Neither ended the session: the cookie still refreshes.
    client.cookies.set("fastops_refresh", cookie, path="/api/v1/auth")
    assert (await client.post(REFRESH, headers=COOKIE_MODE)).status_code == 200


async def test_cookie_logout_without_a_usable_cookie_or_token_is_401(
    client: AsyncClient,
) -> None:
    nothing = await client.post(LOGOUT, headers=COOKIE_MODE)
    client.cookies.set("fastops_refresh", "not-a-token", path="/api/v1/auth")
    forged = await client.post(LOGOUT, headers=COOKIE_MODE)

    assert nothing.status_code == 401
    assert forged.status_code == 401
    assert forged.headers["content-type"] == "application/problem+json"
    # A cookie that cannot name a session is cleared all the same.
    assert 'fastops_refresh=""' in forged.headers["set-cookie"]
