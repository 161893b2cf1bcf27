"""The SQL of login sessions and refresh tokens."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, CursorResult, delete, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.models import LoginSession, RefreshToken, Role, User, UserRole


@dataclass(frozen=True, slots=True)
class PrincipalRow:
    email: str
    is_superuser: bool
    last_used_at: datetime
    permissions: frozenset[str]


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
        stmt = (
            select(User.email, User.is_superuser, LoginSession.last_used_at, Role.permissions)
            .select_from(LoginSession)
            .join(User, col(User.id) == col(LoginSession.user_id))
            .outerjoin(UserRole, col(UserRole.user_id) == col(User.id))
            .outerjoin(Role, col(Role.id) == col(UserRole.role_id))
            .where(
                LoginSession.id == session_id,
                LoginSession.user_id == user_id,
                col(LoginSession.revoked_at).is_(None),
                col(LoginSession.expires_at) > now,
                col(User.is_active).is_(True),
            )
        )
        rows = (await self.session.exec(stmt)).all()
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
