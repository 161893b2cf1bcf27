from collections.abc import Sequence
from datetime import date
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, case, or_
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import UnaryExpression
from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.core.db.repository import BaseRepository, matches_text
from app.core.http.pagination import ListQuery
from app.modules.tasks.models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    Task,
    TaskPriority,
    TaskStatus,
)
from app.modules.tasks.schemas import TaskListQuery

# A task's optional links to other modules' records.
TaskLink = Literal["customer_id", "product_id"]

# Sorting by these follows the domain's order (low < urgent, todo before done), not the
# alphabet; nullable columns sort their nulls last on both databases.
_RANKS: dict[str, list[str]] = {
    "priority": list(TaskPriority),
    "status": list(TaskStatus),
}
_NULLABLE = frozenset({"due_date", "completed_at"})


class TaskRepository(BaseRepository[Task]):
    model = Task
    label = "Task"

    def conditions(
        self, query: TaskListQuery, *, assignee: int | Literal["none"] | None, today: date
    ) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if query.q:
            found.append(matches_text(query.q, Task.title, Task.description))
        if query.status is not None:
            found.append(col(Task.status) == query.status)
        if query.priority is not None:
            found.append(col(Task.priority) == query.priority)
        if assignee == "none":
            found.append(col(Task.assignee_id).is_(None))
        elif assignee is not None:
            found.append(col(Task.assignee_id) == assignee)
        if query.customer_id is not None:
            found.append(col(Task.customer_id) == query.customer_id)
        if query.product_id is not None:
            found.append(col(Task.product_id) == query.product_id)
        if query.due_before is not None:
            found.append(col(Task.due_date) < query.due_before)
        if query.due_after is not None:
            found.append(col(Task.due_date) > query.due_after)
        if query.overdue is not None:
            # IS NOT NULL first, so that the negation also holds tasks without a due date.
            overdue = and_(
                col(Task.due_date).is_not(None),
                col(Task.due_date) < today,
                col(Task.status).in_(list(OPEN_STATUSES)),
            )
            found.append(overdue if query.overdue else ~overdue)
        return found

    def select_matching(
        self, conditions: Sequence[ColumnElement[bool]], query: ListQuery
    ) -> SelectOfScalar[Task]:
        order: list[UnaryExpression[Any]] = []
        for name, descending in query.order:
            key: ColumnElement[Any] | InstrumentedAttribute[Any] = self._column(name)
            if name in _RANKS:
                key = case({value: rank for rank, value in enumerate(_RANKS[name])}, value=key)
            term = key.desc() if descending else key.asc()
            order.append(term.nulls_last() if name in _NULLABLE else term)
        order.append(col(Task.id).asc())
        return select(Task).where(*conditions).order_by(*order)

    async def count_open_linked(self, link: TaskLink, record_id: int) -> int:
        """Open tasks whose `link` column points at the record."""
        return await self.count(
            col(getattr(Task, link)) == record_id, col(Task.status).in_(list(OPEN_STATUSES))
        )

    async def list_closed_linked(self, link: TaskLink, record_id: int) -> list[Task]:
        stmt = select(Task).where(
            col(getattr(Task, link)) == record_id, col(Task.status).in_(list(CLOSED_STATUSES))
        )
        return list((await self.session.exec(stmt)).all())

    async def count_naming_user(self, user_id: int) -> int:
        """Tasks assigned to or created by the user."""
        return await self.count(
            or_(col(Task.assignee_id) == user_id, col(Task.created_by) == user_id)
        )
