from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

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
from app.modules.tasks.schemas import TaskCreate, TaskListQuery, TaskRead, TaskUpdate
from app.modules.tasks.service import TaskService

router = APIRouter(prefix=f"{API_PREFIX}/tasks", tags=["tasks"])


async def task_service(session: DbSession) -> TaskService:
    return TaskService(session)


Tasks = Annotated[TaskService, Depends(task_service)]
CanRead = Annotated[Principal, Depends(require("tasks", "read"))]
CanCreate = Annotated[Principal, Depends(require("tasks", "create"))]
CanUpdate = Annotated[Principal, Depends(require("tasks", "update"))]
CanDelete = Annotated[Principal, Depends(require("tasks", "delete"))]


@router.get("", response_model=Page[TaskRead], responses=LIST_RESPONSES)
async def list_tasks(
    request: Request,
    query: Annotated[TaskListQuery, Query()],
    tasks: Tasks,
    caller: CanRead,
) -> Page[TaskRead] | Response:
    if wants_csv(request, query):
        stmt = tasks.export_statement(query, caller_id=caller.user_id)
        return csv_response(request, stmt, TaskRead, "tasks")
    return await tasks.list_page(query, caller_id=caller.user_id)


@router.post("", status_code=status.HTTP_201_CREATED, responses=WRITE_RESPONSES)
async def create_task(
    data: TaskCreate,
    request: Request,
    response: Response,
    tasks: Tasks,
    caller: CanCreate,
) -> TaskRead:
    task = await tasks.create(data, created_by=caller.user_id)
    response.headers["Location"] = str(request.url_for("get_task", task_id=task.id))
    return answer(response, task, TaskRead)


@router.get("/{task_id}", responses=READ_RESPONSES)
async def get_task(task_id: RecordId, response: Response, tasks: Tasks, _: CanRead) -> TaskRead:
    task = await tasks.get(task_id)
    return answer(response, task, TaskRead)


@router.patch("/{task_id}", responses=CHANGE_RESPONSES)
async def update_task(
    task_id: RecordId,
    data: TaskUpdate,
    expected: IfMatch,
    response: Response,
    tasks: Tasks,
    _: CanUpdate,
) -> TaskRead:
    task = await tasks.update(task_id, data, expected)
    return answer(response, task, TaskRead)


@router.delete("/{task_id}", status_code=status.HTTP_204_NO_CONTENT, responses=CHANGE_RESPONSES)
async def delete_task(task_id: RecordId, expected: IfMatch, tasks: Tasks, _: CanDelete) -> None:
    await tasks.delete(task_id, expected)
