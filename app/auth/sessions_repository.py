"""The SQL of login sessions and refresh tokens."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, CursorResult, Table, bindparam, delete, func, or_, update
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.models import LoginSession, RefreshToken, Role, User, UserRole


@dataclass(frozen=True, slots=True)
class PrincipalRow:
    email: str
    is_superuser: bool
    last_used_at: datetime
    permissions: frozenset[str]


# Built once, in Core: it runs on every authenticated request, and composing it anew (or
# taking the ORM's execution path for four plain columns) cost more than running it.
_USERS: Table = User.__table__  # type: ignore[attr-defined]
_SESSIONS: Table = LoginSession.__table__  # type: ignore[attr-defined]
_LINKS: Table = UserRole.__table__  # type: ignore[attr-defined]
_ROLES: Table = Role.__table__  # type: ignore[attr-defined]
_TOKENS: Table = RefreshToken.__table__  # type: ignore[attr-defined]
_PRINCIPAL = (
    sa_select(_USERS.c.email, _USERS.c.is_superuser, _SESSIONS.c.last_used_at, _ROLES.c.permissions)
    .select_from(
        _SESSIONS.join(_USERS, _USERS.c.id == _SESSIONS.c.user_id)
        .outerjoin(_LINKS, _LINKS.c.user_id == _USERS.c.id)
        .outerjoin(_ROLES, _ROLES.c.id == _LINKS.c.role_id)
    )
    .where(
        _SESSIONS.c.id == bindparam("session_id"),
        _SESSIONS.c.user_id == bindparam("user_id"),
        _SESSIONS.c.revoked_at.is_(None),
        _SESSIONS.c.expires_at > bindparam("now"),
        _USERS.c.is_active.is_(True),
    )
)


# A refresh token past its expiry can never be rotated again, so its row no longer serves
# replay detection; an ended session is kept until `cutoff` for whoever investigates a
# security event, then goes with its tokens.
def _dead_tokens(now: datetime) -> ColumnElement[bool]:
    return _TOKENS.c.expires_at <= now


def _ended_sessions(cutoff: datetime) -> ColumnElement[bool]:
    return or_(_SESSIONS.c.expires_at <= cutoff, _SESSIONS.c.revoked_at <= cutoff)


def _rowcount(result: object) -> int:
    return result.rowcount if isinstance(result, CursorResult) else 0


class SessionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, record: LoginSession | RefreshToken) -> None:
        self.session.add(record)
        await self.session.flush()

    async def get_active(self, session_id: str, now: datetime) -> LoginSession | None:
        """The session when it is neither revoked nor expired and its user is active."""
        stmt = (
            select(LoginSession)
            .join(User, col(User.id) == col(LoginSession.user_id))
            .where(
                LoginSession.id == session_id,
                col(LoginSession.revoked_at).is_(None),
                col(LoginSession.expires_at) > now,
                col(User.is_active).is_(True),
            )
        )
        return (await self.session.exec(stmt)).first()

    async def principal(self, user_id: int, session_id: str, now: datetime) -> PrincipalRow | None:
        """User, live session and role permissions in one SELECT (outer joins on the roles)."""
        params = {"session_id": session_id, "user_id": user_id, "now": now}
        connection = await self.session.connection()
        rows = (await connection.execute(_PRINCIPAL, params)).all()
        if not rows:
            return None
        granted = frozenset(name for row in rows for name in (row[3] or ()))
        email, is_superuser, last_used_at, _ = rows[0]
        return PrincipalRow(email, is_superuser, last_used_at, granted)

    async def list_active(self, user_id: int, now: datetime) -> list[LoginSession]:
        stmt = (
            select(LoginSession)
            .where(
                LoginSession.user_id == user_id,
                col(LoginSession.revoked_at).is_(None),
                col(LoginSession.expires_at) > now,
            )
            .order_by(col(LoginSession.created_at).desc(), col(LoginSession.id))
        )
        return list((await self.session.exec(stmt)).all())

    async def rotate(self, jti: str, digest: str, now: datetime) -> bool:
        """Mark the refresh token used in one compare-and-set: True only for the one caller
        whose UPDATE changed the row, however many present the same token at once."""
        stmt = (
            update(RefreshToken)
            .where(
                col(RefreshToken.jti) == jti,
                col(RefreshToken.token_hash) == digest,
                col(RefreshToken.used_at).is_(None),
                col(RefreshToken.expires_at) > now,
            )
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(await self.session.exec(stmt)) == 1

    async def get_token(self, jti: str) -> RefreshToken | None:
        return await self.session.get(RefreshToken, jti)

    async def session_of(self, jti: str, digest: str) -> str | None:
        """The session of a refresh token this server issued (used or not), else None."""
        stmt = select(RefreshToken.session_id).where(
            RefreshToken.jti == jti, RefreshToken.token_hash == digest
        )
        return (await self.session.exec(stmt)).first()

    async def revoke(self, session_id: str, now: datetime) -> bool:
        stmt = (
            update(LoginSession)
            .where(col(LoginSession.id) == session_id, col(LoginSession.revoked_at).is_(None))
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(await self.session.exec(stmt)) == 1

    async def revoke_all(self, user_id: int, now: datetime, *, keep: str | None = None) -> int:
        conditions: list[ColumnElement[bool]] = [
            col(LoginSession.user_id) == user_id,
            col(LoginSession.revoked_at).is_(None),
        ]
        if keep is not None:
            conditions.append(col(LoginSession.id) != keep)
        stmt = (
            update(LoginSession)
            .where(*conditions)
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(await self.session.exec(stmt))

    async def touch(self, session_id: str, now: datetime) -> None:
        stmt = (
            update(LoginSession)
            .where(col(LoginSession.id) == session_id)
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )
        await self.session.exec(stmt)

    async def delete_for_user(self, user_id: int) -> None:
        """Sessions of a user being deleted (their refresh tokens go by ON DELETE CASCADE)."""
        owned = select(LoginSession.id).where(LoginSession.user_id == user_id)
        await self.session.exec(
            delete(RefreshToken)
            .where(col(RefreshToken.session_id).in_(owned))
            .execution_options(synchronize_session=False)
        )
        await self.session.exec(
            delete(LoginSession)
            .where(col(LoginSession.user_id) == user_id)
            .execution_options(synchronize_session=False)
        )

    async def count_purgeable(self, now: datetime, cutoff: datetime) -> tuple[int, int]:
        connection = await self.session.connection()
        tokens = sa_select(func.count()).select_from(_TOKENS).where(_dead_tokens(now))
        sessions = sa_select(func.count()).select_from(_SESSIONS).where(_ended_sessions(cutoff))
        return (
            (await connection.execute(tokens)).scalar_one(),
            (await connection.execute(sessions)).scalar_one(),
        )

    async def purge_dead_tokens(self, now: datetime, limit: int) -> int:
        """Up to `limit` refresh-token rows past their expiry; how many went."""
        doomed = sa_select(_TOKENS.c.jti).where(_dead_tokens(now)).limit(limit)
        connection = await self.session.connection()
        result = await connection.execute(delete(_TOKENS).where(_TOKENS.c.jti.in_(doomed)))
        return _rowcount(result)

    async def purge_ended_sessions(self, cutoff: datetime, limit: int) -> int:
        """Up to `limit` sessions that ended before `cutoff`, with any token they still hold."""
        connection = await self.session.connection()
        ended = sa_select(_SESSIONS.c.id).where(_ended_sessions(cutoff)).limit(limit)
        ids = (await connection.scalars(ended)).all()
        if not ids:
            return 0
        await connection.execute(delete(_TOKENS).where(_TOKENS.c.session_id.in_(ids)))
        result = await connection.execute(delete(_SESSIONS).where(_SESSIONS.c.id.in_(ids)))
        return _rowcount(result)
