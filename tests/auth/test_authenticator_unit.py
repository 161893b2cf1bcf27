"""Unit tests of the authenticator's cost rules: a read shares the request's transaction, a
write reads the principal before its own begins, and a token's signature is checked once
(remembered by the codec the rate limiter shares) without outliving its expiry."""

from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI, Request
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.authenticator import build_authenticator
from app.core.exceptions import NotAuthenticated
from app.core.security.credentials import TokenClaims, TokenCodec, TokenType
from tests.users import MakeUser


class RefusingFactory:
    """A session factory that fails the test if anyone opens a session of their own."""

    def __call__(self, **_: Any) -> AsyncSession:
        raise AssertionError("the authenticator opened a transaction of its own")


def request_for(method: str, token: str) -> Request:
    scope = {
        "type": "http",
        "method": method,
        "path": "/api/v1/products",
        "headers": [(b"authorization", f"Bearer {token}".encode())],
        "state": {},
    }
    return Request(scope)


def count_decodes(codec: TokenCodec) -> list[str]:
    """The tokens the codec decodes (checks the signature of) from now on."""
    decoded: list[str] = []
    real_decode = codec._decode

    def counting_decode(token: str, typ: TokenType) -> TokenClaims:
        decoded.append(token)
        claims: TokenClaims = real_decode(token, typ)
        return claims

    codec._decode = counting_decode  # type: ignore[method-assign]
    return decoded


def token_of(headers: dict[str, str]) -> str:
    return headers["Authorization"].split()[1]


async def test_a_read_authenticates_inside_the_request_transaction(
    app: FastAPI, make_user: MakeUser
) -> None:
    user = await make_user("products:read")
    authenticate = build_authenticator(app.state.token_codec, RefusingFactory())  # type: ignore[arg-type]
    factory: async_sessionmaker[AsyncSession] = app.state.read_session_factory

    async with factory() as session:
        principal = await authenticate(request_for("GET", token_of(user.headers)), session)

    assert principal.user_id == user.id
    assert principal.can("products", "read")
    assert not principal.can("products", "create")


async def test_a_write_reads_the_principal_before_its_own_transaction(
    app: FastAPI, make_user: MakeUser
) -> None:
    user = await make_user("products:create")
    authenticate = build_authenticator(app.state.token_codec, app.state.session_factory)

    class UntouchedSession:
        def __getattr__(self, name: str) -> Any:
            raise AssertionError(f"the request's session was used ({name}) before it began")

    principal = await authenticate(
        request_for("POST", token_of(user.headers)),
        UntouchedSession(),  # type: ignore[arg-type]
    )
    assert principal.can("products", "create")


async def test_a_token_is_verified_once_by_the_app_and_its_rate_limiter(
    app: FastAPI, make_user: MakeUser
) -> None:
    user = await make_user()
    token = token_of(user.headers)
    codec: TokenCodec = app.state.token_codec
    assert app.state.rate_limiter.tokens is codec
    decoded = count_decodes(codec)
    authenticate = build_authenticator(codec, app.state.session_factory)

    async with app.state.read_session_factory() as session:
        assert app.state.rate_limiter.subject(user.headers["Authorization"]) == str(user.id)
        await authenticate(request_for("GET", token), session)
        await authenticate(request_for("GET", token), session)

    assert decoded == [token]


def test_a_remembered_token_still_expires_and_keeps_its_type(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    codec: TokenCodec = app.state.token_codec
    decoded = count_decodes(codec)
    issued = codec.issue("access", 7, "session-1")
    assert codec.verify(issued.token, "access").user_id == 7
    assert codec.verify(issued.token, "access").user_id == 7
    assert len(decoded) == 1
    with pytest.raises(NotAuthenticated):
        codec.verify(issued.token, "refresh")

    # Past its expiry the remembered claims are not used: the token is decoded again (and
    # PyJWT, on the real clock, is the one that refuses it).
    later = issued.expires_at + timedelta(seconds=1)
    monkeypatch.setattr("app.core.security.credentials.utc_now", lambda: later)
    codec.verify(issued.token, "access")
    assert len(decoded) == 3


async def test_a_forged_token_is_refused_although_the_real_one_is_remembered(
    app: FastAPI, make_user: MakeUser
) -> None:
    user = await make_user()
    token = token_of(user.headers)
    codec: TokenCodec = app.state.token_codec
    codec.verify(token, "access")
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")

    with pytest.raises(NotAuthenticated):
        codec.verify(forged, "access")
