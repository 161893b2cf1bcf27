"""Login sessions: login, refresh rotation with theft detection, logout, password change.

These run in short transactions of their own rather than in the request's unit of work:
bcrypt must never run while a write lock is held, and a replay's revocation must be
committed even though the answer is a 401.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.models import LoginSession, RefreshToken, User
from app.auth.repository import UserRepository
from app.auth.sessions_repository import SessionRepository
from app.auth.throttle import LoginThrottle
from app.core.audit import add_security_event, record_security_event
from app.core.config import Settings
from app.core.db.database import run_in_own_transaction
from app.core.db.models import utc_now
from app.core.exceptions import NotAuthenticated, NotFound, PermissionDenied, ValidationFailed
from app.core.observability import metrics
from app.core.security.credentials import (
    IssuedToken,
    TokenClaims,
    TokenCodec,
    hash_cost,
    hash_password,
    new_id,
    token_digest,
    verify_password,
)
from app.core.security.permissions import Principal

LOGIN_FAILED = "Incorrect email or password."
REFRESH_FAILED = "The refresh token is invalid, expired or already used: log in again."
LOGOUT_FAILED = "Send an access token, or in cookie mode the refresh cookie, to sign out."


@dataclass(frozen=True, slots=True)
class Tokens:
    access: IssuedToken
    refresh: IssuedToken
    user_id: int
    session_id: str


@dataclass(frozen=True, slots=True)
class ClientInfo:
    address: str
    user_agent: str | None


class SessionService:
    def __init__(
        self,
        factory: async_sessionmaker[AsyncSession],
        settings: Settings,
        codec: TokenCodec,
        throttle: LoginThrottle,
    ) -> None:
        self.factory = factory
        self.settings = settings
        self.codec = codec
        self.throttle = throttle

    async def login(self, email: str, password: str, client: ClientInfo) -> Tokens:
        account = email.strip().lower()
        # Counted before bcrypt, refunded below on success: concurrent guesses cannot
        # outrun the count.
        reservation = await self.throttle.reserve(account, client.address)

        async def find(session: AsyncSession) -> User | None:
            return await UserRepository(session).get_by_email(account)

        user = await run_in_own_transaction(self.factory, find, read_only=True)
        rounds = self.settings.bcrypt_rounds
        valid = await verify_password(password, user.password_hash if user else None, rounds)
        if user is None or user.id is None or not valid or not user.is_active:
            metrics.login_failed()
            await record_security_event(
                self.factory,
                "login_failed",
                entity_id=user.id if user else None,
                details={"email": account[:320]},
            )
            raise NotAuthenticated(LOGIN_FAILED)
        await self.throttle.refund(reservation)
        rehash = (
            await hash_password(password, rounds)
            if hash_cost(user.password_hash) < rounds
            else None
        )
        user_id = user.id

        async def start(session: AsyncSession) -> Tokens:
            if rehash is not None:
                stored = await UserRepository(session).get(user_id)
                if stored is not None:
                    stored.password_hash = rehash
            await add_security_event(
                session, "login_succeeded", entity_id=user_id, details={"email": account}
            )
            return await self._open_session(session, user_id, client)

        return await run_in_own_transaction(self.factory, start)

    async def refresh(self, refresh_token: str) -> Tokens:
        claims = self.codec.verify(refresh_token, "refresh")

        async def rotate(session: AsyncSession) -> Tokens | None:
            return await self._rotate(session, claims, token_digest(refresh_token))

        # Committed even when it ends in a 401: a replay's revocation must stick.
        tokens = await run_in_own_transaction(self.factory, rotate)
        if tokens is None:
            raise NotAuthenticated(REFRESH_FAILED)
        return tokens

    async def logout(self, principal: Principal | None, refresh_token: str | None = None) -> None:
        """End the principal's session and the one `refresh_token` names (a browser's
        cookie, when its access token has expired). Ending a session that is already over
        is no error; NotAuthenticated when neither names a session of ours."""
        targets: dict[str, int] = {}
        if principal is not None and principal.session_id:
            targets[principal.session_id] = principal.user_id
        claims: TokenClaims | None = None
        if refresh_token:
            try:
                claims = self.codec.verify(refresh_token, "refresh")
            except NotAuthenticated:
                if principal is None:
                    raise
        digest = token_digest(refresh_token) if refresh_token else ""

        async def end(session: AsyncSession) -> None:
            repo = SessionRepository(session)
            # Only a token this server issued for that session names it.
            named = await repo.session_of(claims.jti, digest) if claims is not None else None
            if claims is not None and named == claims.session_id:
                targets[claims.session_id] = claims.user_id
            if not targets:
                raise NotAuthenticated(LOGOUT_FAILED)
            now = utc_now()
            for session_id, user_id in targets.items():
                if await repo.revoke(session_id, now):
                    await add_security_event(session, "logout", entity_id=user_id, details={})

        await run_in_own_transaction(self.factory, end)

    async def change_password(
        self, principal: Principal, current: str, new: str, client: ClientInfo
    ) -> None:
        """Checks the current password (failures count towards the login throttle), sets the
        new one and ends every other session of the user."""
        reservation = await self.throttle.reserve(principal.email, client.address)

        async def find(session: AsyncSession) -> User | None:
            return await UserRepository(session).get(principal.user_id)

        user = await run_in_own_transaction(self.factory, find, read_only=True)
        rounds = self.settings.bcrypt_rounds
        if user is None or not await verify_password(current, user.password_hash, rounds):
            raise ValidationFailed.for_field("current_password", "The password is not correct.")
        await self.throttle.refund(reservation)
        new_hash = await hash_password(new, rounds)

        async def store(session: AsyncSession) -> None:
            stored = await UserRepository(session).get(principal.user_id)
            if stored is None:
                raise NotAuthenticated("The account no longer exists.")
            now = utc_now()
            stored.password_hash = new_hash
            stored.password_changed_at = now
            await session.flush()
            ended = await SessionRepository(session).revoke_all(
                principal.user_id, now, keep=principal.session_id
            )
            await add_security_event(
                session,
                "password_changed",
                entity_id=principal.user_id,
                details={"by": principal.email, "sessions_ended": ended},
            )

        await run_in_own_transaction(self.factory, store)

    async def list_sessions(self, user_id: int) -> list[LoginSession]:
        async def find(session: AsyncSession) -> list[LoginSession]:
            return await SessionRepository(session).list_active(user_id, utc_now())

        return await run_in_own_transaction(self.factory, find, read_only=True)

    async def sessions_of(self, actor: Principal, owner_id: int) -> list[LoginSession]:
        """Another user's live sessions, for an admin (403 for a superuser's, unless the
        admin is a superuser too)."""
        await self._guard_owner(actor, owner_id)
        return await self.list_sessions(owner_id)

    async def revoke_session(self, actor: Principal, owner_id: int, session_id: str) -> None:
        """End one session of `owner_id`: 404 when it is not theirs or already over."""
        if owner_id != actor.user_id:
            await self._guard_owner(actor, owner_id)
        live = {s.id for s in await self.list_sessions(owner_id)}
        if session_id not in live:
            raise NotFound(f"Session {session_id} does not exist.")
        await self._revoke(
            session_id, "session_revoked", owner_id, {"session_id": session_id, "by": actor.email}
        )

    async def _guard_owner(self, actor: Principal, owner_id: int) -> None:
        async def find(session: AsyncSession) -> User | None:
            return await UserRepository(session).get(owner_id)

        owner = await run_in_own_transaction(self.factory, find, read_only=True)
        if owner is None:
            raise NotFound(f"User {owner_id} does not exist.")
        if owner.is_superuser and not actor.is_superuser:
            raise PermissionDenied("Only a superuser can see or end a superuser's sessions.")

    async def _revoke(
        self, session_id: str, event: str, user_id: int, details: dict[str, object]
    ) -> None:
        async def revoke(session: AsyncSession) -> None:
            await SessionRepository(session).revoke(session_id, utc_now())
            await add_security_event(session, event, entity_id=user_id, details=details)

        await run_in_own_transaction(self.factory, revoke)

    async def _open_session(
        self, session: AsyncSession, user_id: int, client: ClientInfo
    ) -> Tokens:
        now = utc_now()
        login = LoginSession(
            id=new_id(),
            user_id=user_id,
            created_at=now,
            last_used_at=now,
            expires_at=now + self.codec.lifetime("refresh"),
            client_ip=client.address[:64],
            user_agent=(client.user_agent or "")[:300] or None,
        )
        await SessionRepository(session).add(login)
        return await self._issue(session, user_id, login.id, now)

    async def _issue(
        self, session: AsyncSession, user_id: int, session_id: str, now: datetime
    ) -> Tokens:
        access = self.codec.issue("access", user_id, session_id, now)
        refresh = self.codec.issue("refresh", user_id, session_id, now)
        await SessionRepository(session).add(
            RefreshToken(
                jti=refresh.jti,
                session_id=session_id,
                token_hash=token_digest(refresh.token),
                created_at=now,
                expires_at=refresh.expires_at,
            )
        )
        return Tokens(access, refresh, user_id, session_id)

    async def _rotate(
        self, session: AsyncSession, claims: TokenClaims, digest: str
    ) -> Tokens | None:
        repo = SessionRepository(session)
        now = utc_now()
        if await repo.rotate(claims.jti, digest, now):
            login = await repo.get_active(claims.session_id, now)
            if login is None or login.user_id != claims.user_id:
                return None
            login.last_used_at = now
            login.expires_at = now + self.codec.lifetime("refresh")
            await session.flush()
            return await self._issue(session, claims.user_id, login.id, now)
        stored = await repo.get_token(claims.jti)
        if (
            stored is None
            or stored.token_hash != digest
            or stored.session_id != claims.session_id
            or stored.used_at is None
        ):
            return None
        grace = timedelta(seconds=self.settings.refresh_reuse_grace_seconds)
        # Tested only with a grace: a concurrent loser's `now` can precede the winner's
        # used_at, and without a grace that is a replay like any other.
        if grace and now - stored.used_at < grace:
            return None
        # A rotated token came back: someone holds a copy. End the whole login session.
        await repo.revoke(claims.session_id, now)
        await add_security_event(
            session,
            "refresh_replay",
            entity_id=claims.user_id,
            details={"session_id": claims.session_id},
        )
        metrics.refresh_replayed()
        return None
