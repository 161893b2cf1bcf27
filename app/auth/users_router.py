"""/api/v1/users: accounts, their roles, and their login sessions (for admins)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from app.auth.dependencies import Auth
from app.auth.schemas import SessionId, SessionRead, UserCreate, UserListQuery, UserRead, UserUpdate
from app.auth.users_service import UserService, check_account_by_id
from app.core.app_settings import AppSettings
from app.core.db.database import DbSession
from app.core.http.etag import IfMatch, answer
from app.core.http.export import csv_response, wants_csv
from app.core.http.pagination import Page
from app.core.http.routing import (
    API_PREFIX,
    CHANGE_RESPONSES,
    LIST_RESPONSES,
    READ_RESPONSES,
    WRITE_RESPONSES,
    RecordId,
)
from app.core.security.permissions import Principal, require

router = APIRouter(prefix=f"{API_PREFIX}/users", tags=["users"])


async def user_service(session: DbSession, settings: AppSettings) -> UserService:
    return UserService(session, settings)


Users = Annotated[UserService, Depends(user_service)]
CanRead = Annotated[Principal, Depends(require("users", "read"))]
CanCreate = Annotated[Principal, Depends(require("users", "create"))]
CanUpdate = Annotated[Principal, Depends(require("users", "update"))]
CanDelete = Annotated[Principal, Depends(require("users", "delete"))]


async def session_admin(user_id: RecordId, request: Request, actor: CanUpdate) -> Principal:
    """The actor, once allowed to see and end `user_id`'s sessions."""
    await check_account_by_id(request.app.state.session_factory, actor, user_id)
    return actor


CanManageSessions = Annotated[Principal, Depends(session_admin)]


@router.get("", response_model=Page[UserRead], responses=LIST_RESPONSES)
async def list_users(
    request: Request, query: Annotated[UserListQuery, Query()], users: Users, _: CanRead
) -> Page[UserRead] | Response:
    if wants_csv(request, query):
        return csv_response(request, users.export_statement(query), UserRead, "users")
    return await users.list_page(query)


@router.post("", status_code=status.HTTP_201_CREATED, responses=WRITE_RESPONSES)
async def create_user(
    data: UserCreate, request: Request, response: Response, users: Users, actor: CanCreate
) -> UserRead:
    user = await users.create(data, actor)
    response.headers["Location"] = str(request.url_for("get_user", user_id=user.id))
    return answer(response, user, UserRead)


@router.get("/{user_id}", responses=READ_RESPONSES)
async def get_user(user_id: RecordId, response: Response, users: Users, _: CanRead) -> UserRead:
    user = await users.get(user_id)
    return answer(response, user, UserRead)


@router.patch("/{user_id}", responses=CHANGE_RESPONSES)
async def update_user(
    user_id: RecordId,
    data: UserUpdate,
    expected: IfMatch,
    response: Response,
    users: Users,
    actor: CanUpdate,
) -> UserRead:
    user = await users.update(user_id, data, expected, actor)
    return answer(response, user, UserRead)


@router.delete("/{user_id}", status_code=status.HTTP_204_NO_CONTENT, responses=CHANGE_RESPONSES)
async def delete_user(user_id: RecordId, expected: IfMatch, users: Users, actor: CanDelete) -> None:
    await users.delete(user_id, expected, actor)


@router.get("/{user_id}/sessions", responses=READ_RESPONSES)
async def list_user_sessions(
    user_id: RecordId, auth: Auth, actor: CanManageSessions
) -> list[SessionRead]:
    return [SessionRead.of(s, actor.session_id) for s in await auth.sessions_of(actor, user_id)]


@router.delete(
    "/{user_id}/sessions/{session_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=READ_RESPONSES,
)
async def revoke_user_session(
    user_id: RecordId, session_id: SessionId, auth: Auth, actor: CanManageSessions
) -> None:
    await auth.revoke_session(actor, user_id, session_id)
