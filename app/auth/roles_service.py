"""Roles: named sets of registered permissions, granted only by someone who holds them.

A role is changed (name and description included) or deleted only by someone holding all of
its permissions: otherwise renaming a stronger role could pass it off as a weaker one.
"""

from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from app.auth.models import Role
from app.auth.repository import RoleRepository
from app.auth.schemas import RoleCreate, RoleListQuery, RoleRead, RoleUpdate
from app.auth.users_service import check_covers, check_grantable
from app.core.exceptions import InvalidState, ValidationFailed
from app.core.http.etag import check_version
from app.core.http.pagination import Page
from app.core.security.permissions import Principal, registry


def _known(permissions: list[str]) -> list[str]:
    unknown = registry.unknown(permissions)
    if unknown:
        raise ValidationFailed.for_field(
            "permissions", f"Unknown permissions: {', '.join(unknown)}."
        )
    return sorted(set(permissions))


class RoleService:
    def __init__(self, session: AsyncSession) -> None:
        self.roles = RoleRepository(session)

    async def get(self, role_id: int) -> Role:
        return await self.roles.get_or_raise(role_id)

    async def list_page(self, query: RoleListQuery) -> Page[RoleRead]:
        items, total = await self.roles.list_page(self.roles.conditions(query), query)
        return Page[RoleRead].build([RoleRead.model_validate(r) for r in items], total, query)

    def export_statement(self, query: RoleListQuery) -> SelectOfScalar[Role]:
        return self.roles.select_matching(self.roles.conditions(query), query)

    async def create(self, data: RoleCreate, actor: Principal) -> Role:
        permissions = _known(data.permissions)
        check_grantable(actor, permissions)
        role = Role.model_validate(data, update={"permissions": permissions})
        return await self.roles.add(role)

    async def update(
        self, role_id: int, data: RoleUpdate, expected_version: int | None, actor: Principal
    ) -> Role:
        role = await self.roles.get_or_raise(role_id)
        check_version(f"Role {role_id}", role.version, expected_version)
        check_covers(actor, role.permissions, f"the role {role.name}")
        changes = data.changes()
        if "permissions" in changes:
            permissions = _known(list(data.permissions or []))
            check_grantable(actor, set(permissions) ^ set(role.permissions))
            changes["permissions"] = permissions
        return await self.roles.update(role, changes)

    async def delete(self, role_id: int, expected_version: int | None, actor: Principal) -> None:
        role = await self.roles.get_or_raise(role_id)
        check_version(f"Role {role_id}", role.version, expected_version)
        check_covers(actor, role.permissions, f"the role {role.name}")
        holders = await self.roles.count_holders(role_id)
        if holders:
            raise InvalidState(
                f"Role {role.name} is held by {holders} user(s): take it from them first."
            )
        await self.roles.delete(role)
