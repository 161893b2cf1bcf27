"""Bearer token -> Principal, with one SELECT per request, in the request's own transaction.

Nothing about permissions is cached in the token: the user's active flag, the session's
revocation and the roles are read on every request, so a change applies to the next one.
A read-only request reads it in its own session (one connection, one BEGIN/COMMIT for
both); the codec remembers the tokens whose signature it has checked (the rate limiter, which
runs first, uses the same codec).
"""

from datetime import timedelta

from fastapi import Request
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.sessions_repository import PrincipalRow, SessionRepository
from app.core.db.database import SAFE_METHODS, run_in_own_transaction
from app.core.db.models import utc_now
from app.core.exceptions import NotAuthenticated
from app.core.security.credentials import TokenCodec
from app.core.security.permissions import Authenticator, Principal

# last_used_at is a hint for the sessions list, not a security fact: write it rarely.
TOUCH_AFTER = timedelta(seconds=60)
MAX_TOKEN_LENGTH = 4_096


def bearer_token(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > MAX_TOKEN_LENGTH:
        raise NotAuthenticated("Send an access token: Authorization: Bearer <token>.")
    return token


def build_authenticator(
    codec: TokenCodec, factory: async_sessionmaker[AsyncSession]
) -> Authenticator:
    async def authenticate(request: Request, session: AsyncSession) -> Principal:
        claims = codec.verify(bearer_token(request), "access")
        now = utc_now()

        async def load(reader: AsyncSession) -> PrincipalRow | None:
            return await SessionRepository(reader).principal(claims.user_id, claims.session_id, now)

        if request.method in SAFE_METHODS:
            row = await load(session)
        else:
            # A writing unit of work takes SQLite's write lock at its first statement and keeps
            # it to the end, while the writes that must outlive a failed request (revocations,
            # security events) run in transactions of their own and would queue behind it:
            # read the principal before the request's transaction begins.
            row = await run_in_own_transaction(factory, load, read_only=True)
        if row is None:
            raise NotAuthenticated("The session has ended or the account is inactive.")
        if now - row.last_used_at > TOUCH_AFTER:
            # Its own short transaction: a read-only unit of work must not turn into a writer.

            async def touch(own: AsyncSession) -> None:
                await SessionRepository(own).touch(claims.session_id, now)

            await run_in_own_transaction(factory, touch)
        return Principal(
            user_id=claims.user_id,
            email=row.email,
            is_superuser=row.is_superuser,
            permissions=row.permissions,
            session_id=claims.session_id,
        )

    return authenticate
