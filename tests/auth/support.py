"""Helpers for the auth tests: raw logins, token pairs, forged tokens, audit rows."""

import time
import warnings
from typing import Any

import jwt
from fastapi import FastAPI
from httpx import AsyncClient, Response
from jwt.warnings import InsecureKeyLengthWarning
from sqlmodel import col, select

from app.core.audit.tables import AuditChange
from app.core.config import Settings

LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/auth/me"
SESSIONS = "/api/v1/auth/sessions"
CHANGE_PASSWORD = "/api/v1/auth/change-password"
USERS = "/api/v1/users"
ROLES = "/api/v1/roles"


async def post_login(
    client: AsyncClient, email: str, password: str, headers: dict[str, str] | None = None
) -> Response:
    return await client.post(LOGIN, data={"username": email, "password": password}, headers=headers)


async def token_pair(client: AsyncClient, email: str, password: str) -> dict[str, Any]:
    response = await post_login(client, email, password)
    assert response.status_code == 200, response.text
    pair: dict[str, Any] = response.json()
    return pair


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def claims_of(token: str) -> dict[str, Any]:
    decoded: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return decoded


def forge(
    settings: Settings, *, key: str | None = None, alg: str | None = None, **claims: Any
) -> str:
    """A token with the app's claims unless overridden (None removes a claim)."""
    now = int(time.time())
    body: dict[str, Any] = {
        "sub": "1",
        "iat": now,
        "exp": now + 600,
        "jti": "f" * 32,
        "typ": "access",
        "sid": "a" * 32,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
    }
    body.update(claims)
    body = {name: value for name, value in body.items() if value is not None}
    with warnings.catch_warnings():
        # Forging with a short key or another algorithm is the point here.
        warnings.simplefilter("ignore", InsecureKeyLengthWarning)
        return jwt.encode(body, key or settings.secret_key, algorithm=alg or settings.jwt_algorithm)


async def security_events(app: FastAPI, event: str) -> list[AuditChange]:
    async with app.state.session_factory() as session:
        stmt = select(AuditChange).where(AuditChange.event == event).order_by(col(AuditChange.id))
        return list((await session.exec(stmt)).all())
