"""/api/v1/roles (named sets of permissions) and /api/v1/permissions (the registry)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from app.auth.roles_service import RoleService
from app.auth.schemas import PermissionRead, RoleCreate, RoleListQuery, RoleRead, RoleUpdate
from app.core.db.database import DbSession
from app.core.http.etag import IfMatch, answer
from app.core.http.export import csv_response, wants_csv
from app.core.http.pagination import Page
from app.core.http.routing import (
    API_PREFIX,
    CHANGE_RESPONSES,
    COMMON,
    LIST_RESPONSES,
    READ_RESPONSES,
    WRITE_RESPONSES,
    RecordId,
)
from app.core.security.permissions import CurrentPrincipal, Principal, registry, require

router = APIRouter(prefix=f"{API_PREFIX}/roles", tags=["roles"])
permissions_router = APIRouter(prefix=f"{API_PREFIX}/permissions", tags=["roles"])


async def role_service(session: DbSession) -> RoleService:
    return RoleService(session)


Roles = Annotated[RoleService, Depends(role_service)]
CanRead = Annotated[Principal, Depends(require("roles", "read"))]
CanCreate = Annotated[Principal, Depends(require("roles", "create"))]
CanUpdate = Annotated[Principal, Depends(require("roles", "update"))]
CanDelete = Annotated[Principal, Depends(require("roles", "delete"))]


@router.get("", response_model=Page[RoleRead], responses=LIST_RESPONSES)
async def list_roles(
    request: Request, query: Annotated[RoleListQuery, Query()], roles: Roles, _: CanRead
) -> Page[RoleRead] | Response:
    if wants_csv(request, query):
        return csv_response(request, roles.export_statement(query), RoleRead, "roles")
    return await roles.list_page(query)


@router.post("", status_code=status.HTTP_201_CREATED, responses=WRITE_RESPONSES)
async def create_role(
    data: RoleCreate, request: Request, response: Response, roles: Roles, actor: CanCreate
) -> RoleRead:
    role = await roles.create(data, actor)
    response.headers["Location"] = str(request.url_for("get_role", role_id=role.id))
    return answer(response, role, RoleRead)


@router.get("/{role_id}", responses=READ_RESPONSES)
async def get_role(role_id: RecordId, response: Response, roles: Roles, _: CanRead) -> RoleRead:
    role = await roles.get(role_id)
    return answer(response, role, RoleRead)


@router.patch("/{role_id}", responses=CHANGE_RESPONSES)
async def update_role(
    role_id: RecordId,
    data: RoleUpdate,
    expected: IfMatch,
    response: Response,
    roles: Roles,
    actor: CanUpdate,
) -> RoleRead:
    role = await roles.update(role_id, data, expected, actor)
    return answer(response, role, RoleRead)


@router.delete("/{role_id}", status_code=status.HTTP_204_NO_CONTENT, responses=CHANGE_RESPONSES)
async def delete_role(role_id: RecordId, expected: IfMatch, roles: Roles, actor: CanDelete) -> None:
    await roles.delete(role_id, expected, actor)


@permissions_router.get("", responses=COMMON)
async def list_permissions(_: CurrentPrincipal) -> list[PermissionRead]:
    return [
        PermissionRead(name=p.name, module=p.module, action=p.action, description=p.description)
        for p in registry.all()
    ]
