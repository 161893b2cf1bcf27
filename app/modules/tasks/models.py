from datetime import date, datetime
from enum import StrEnum

from sqlmodel import Field

from app.core.db.models import AuditSpec, RecordBase, UTCDateTime, enum_type


class TaskStatus(StrEnum):
    TO_DO = "todo"
    IN_PROGRESS = "in_progress"
    BLOCKED = "blocked"
    DONE = "done"
    CANCELLED = "cancelled"


class TaskPriority(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    URGENT = "urgent"


CLOSED_STATUSES = frozenset({TaskStatus.DONE, TaskStatus.CANCELLED})
OPEN_STATUSES = frozenset(TaskStatus) - CLOSED_STATUSES

# The only moves a PATCH {"status"} may make; done -> todo is the reopen.
MOVES: dict[TaskStatus, frozenset[TaskStatus]] = {
    TaskStatus.TO_DO: frozenset({TaskStatus.IN_PROGRESS, TaskStatus.CANCELLED}),
    TaskStatus.IN_PROGRESS: frozenset({TaskStatus.BLOCKED, TaskStatus.DONE, TaskStatus.TO_DO}),
    TaskStatus.BLOCKED: frozenset({TaskStatus.IN_PROGRESS, TaskStatus.CANCELLED}),
    TaskStatus.DONE: frozenset({TaskStatus.TO_DO}),
    TaskStatus.CANCELLED: frozenset(),
}


# Enums are stored as their plain values through core.db.models.enum_type (see why there).
class Task(RecordBase, table=True):
    __tablename__ = "tasks"
    __table_args__ = ({"sqlite_autoincrement": True},)
    __audit__ = AuditSpec()

    title: str = Field(max_length=200, index=True)
    description: str | None = Field(default=None, max_length=5_000)
    status: TaskStatus = Field(
        default=TaskStatus.TO_DO, sa_type=enum_type(TaskStatus, "task_status", 16), index=True
    )
    priority: TaskPriority = Field(
        default=TaskPriority.MEDIUM,
        sa_type=enum_type(TaskPriority, "task_priority", 16),
        index=True,
    )
    due_date: date | None = Field(default=None, index=True)
    # None: the task waits in the triage queue for someone to take it.
    assignee_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    customer_id: int | None = Field(default=None, foreign_key="customers.id", index=True)
    product_id: int | None = Field(default=None, foreign_key="products.id", index=True)
    created_by: int = Field(foreign_key="users.id", index=True)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
