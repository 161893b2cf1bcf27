from datetime import datetime
from typing import Annotated, ClassVar, Literal

from pydantic import BeforeValidator, Field, StringConstraints
from sqlmodel import SQLModel

from app.core.http.pagination import MAX_INT, ListQuery
from app.core.schemas import NOT_BLANK, Day, Integral, QueryFlag, Trimmed, UpdateSchema
from app.modules.tasks.models import TaskPriority, TaskStatus

Title = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=NOT_BLANK), Trimmed]
Description = Annotated[str, StringConstraints(max_length=5_000)]
RefId = Annotated[int, Field(ge=1, le=MAX_INT)]
BodyRef = Annotated[RefId, Integral]


def _assignee_word(value: object) -> object:
    """One message for any other word, instead of one error per member of the union."""
    if value in ("me", "none") or (isinstance(value, str) and value.isascii() and value.isdigit()):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ValueError("use a user id, me or none")


AssigneeFilter = Annotated[RefId | Literal["me", "none"], BeforeValidator(_assignee_word)]


class TaskBase(SQLModel):
    title: Title
    description: Description | None = None
    priority: TaskPriority = TaskPriority.MEDIUM
    due_date: Day | None = None
    assignee_id: BodyRef | None = None
    customer_id: BodyRef | None = None
    product_id: BodyRef | None = None


class TaskCreate(TaskBase):
    """A new task always starts as `todo`: its status moves only afterwards, by PATCH."""

    model_config = {"extra": "forbid"}


class TaskUpdate(UpdateSchema):
    not_null: ClassVar[frozenset[str]] = frozenset({"title", "status", "priority"})

    title: Title | None = None
    description: Description | None = None
    status: TaskStatus | None = None
    priority: TaskPriority | None = None
    due_date: Day | None = None
    assignee_id: BodyRef | None = None
    customer_id: BodyRef | None = None
    product_id: BodyRef | None = None


class TaskRead(TaskBase):
    id: int
    status: TaskStatus
    created_by: int
    completed_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime


class TaskListQuery(ListQuery):
    sortable: ClassVar[frozenset[str]] = frozenset(
        {"title", "status", "priority", "due_date", "completed_at", "created_at", "updated_at"}
    )

    status: TaskStatus | None = None
    priority: TaskPriority | None = None
    assignee_id: AssigneeFilter | None = Field(
        default=None, description="a user id, `me` (the caller) or `none` (the triage queue)"
    )
    customer_id: RefId | None = None
    product_id: RefId | None = None
    overdue: QueryFlag | None = None
    due_before: Day | None = Field(default=None, description="due_date strictly before this day")
    due_after: Day | None = Field(default=None, description="due_date strictly after this day")
