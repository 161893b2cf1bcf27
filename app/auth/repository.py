"""The SQL of users and roles. Repositories flush; they never commit."""

from collections.abc import Sequence
from typing import ClassVar

from sqlalchemy import ColumnElement, func
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.interfaces import ORMOption
from sqlmodel import col, select

from app.auth.models import Role, User, UserRole
from app.auth.schemas import RoleListQuery, UserListQuery
from app.core.db.repository import BaseRepository, matches_text


class UserRepository(BaseRepository[User]):
    model = User
    label = "User"
    load_options: ClassVar[Sequence[ORMOption]] = (
        selectinload(User.roles),  # type: ignore[arg-type]
    )

    def conditions(self, query: UserListQuery) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if query.q:
            found.append(matches_text(query.q, User.email, User.full_name))
        if query.is_active is not None:
            found.append(col(User.is_active).is_(query.is_active))
        if query.is_superuser is not None:
            found.append(col(User.is_superuser).is_(query.is_superuser))
        if query.role_id is not None:
            holders = select(UserRole.user_id).where(UserRole.role_id == query.role_id)
            found.append(col(User.id).in_(holders))
        return found

    async def get_by_email(self, email: str) -> User | None:
        stmt = select(User).where(User.email == email.strip().lower())
        return (await self.session.exec(stmt.options(*self.load_options))).first()

    async def lock_active_superusers(self) -> list[int]:
        """Ids of the active superusers, locked until the transaction ends (PostgreSQL),
        so that two concurrent demotions see each other; SQLite writers are serialised
        by BEGIN IMMEDIATE already."""
        stmt = (
            select(User.id)
            .where(col(User.is_superuser).is_(True), col(User.is_active).is_(True))
            .order_by(col(User.id))
            .with_for_update()
        )
        return [user_id for user_id in (await self.session.exec(stmt)).all() if user_id]


class RoleRepository(BaseRepository[Role]):
    model = Role
    label = "Role"

    def conditions(self, query: RoleListQuery) -> list[ColumnElement[bool]]:
        if query.q:
            return [matches_text(query.q, Role.name)]
        return []

    async def get_many(self, role_ids: Sequence[int]) -> list[Role]:
        if not role_ids:
            return []
        stmt = select(Role).where(col(Role.id).in_(set(role_ids))).order_by(col(Role.id))
        return list((await self.session.exec(stmt)).all())

    async def count_holders(self, role_id: int) -> int:
        stmt = select(func.count()).select_from(UserRole).where(UserRole.role_id == role_id)
        return (await self.session.exec(stmt)).one()

    async def get_by_name(self, name: str) -> Role | None:
        return (await self.session.exec(select(Role).where(Role.name == name))).first()
