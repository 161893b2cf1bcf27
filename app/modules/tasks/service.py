from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import ColumnElement
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from app.auth.users_service import DEACTIVATE_INSTEAD, UserService
from app.core.db.hooks import refuse_if_used
from app.core.db.models import utc_now
from app.core.exceptions import InvalidState
from app.core.http.etag import check_version
from app.core.http.pagination import Page
from app.modules.customers.service import CustomerService
from app.modules.products.service import ProductService
from app.modules.tasks.models import MOVES, Task, TaskStatus
from app.modules.tasks.repository import TaskLink, TaskRepository
from app.modules.tasks.schemas import TaskCreate, TaskListQuery, TaskRead, TaskUpdate


class TaskService:
    def __init__(self, session: AsyncSession) -> None:
        self.tasks = TaskRepository(session)
        self.users = UserService(session)
        self.customers = CustomerService(session)
        self.products = ProductService(session)

    async def list_page(self, query: TaskListQuery, *, caller_id: int) -> Page[TaskRead]:
        items, total = await self.tasks.list_page(self._conditions(query, caller_id), query)
        return Page[TaskRead].build([TaskRead.model_validate(t) for t in items], total, query)

    def export_statement(self, query: TaskListQuery, *, caller_id: int) -> SelectOfScalar[Task]:
        return self.tasks.select_matching(self._conditions(query, caller_id), query)

    def _conditions(self, query: TaskListQuery, caller_id: int) -> Sequence[ColumnElement[bool]]:
        assignee = caller_id if query.assignee_id == "me" else query.assignee_id
        return self.tasks.conditions(query, assignee=assignee, today=datetime.now(UTC).date())

    async def get(self, task_id: int) -> Task:
        return await self.tasks.get_or_raise(task_id)

    async def create(self, data: TaskCreate, *, created_by: int) -> Task:
        await self._check_references(data.model_dump(exclude_unset=True))
        task = Task.model_validate(
            data, update={"status": TaskStatus.TO_DO, "created_by": created_by}
        )
        return await self.tasks.add(task)

    async def update(self, task_id: int, data: TaskUpdate, expected_version: int | None) -> Task:
        task = await self.tasks.get_or_raise(task_id)
        check_version(f"Task {task_id}", task.version, expected_version)
        changes = data.changes()
        # Only a reference that changes is checked: editing the title of a task whose
        # assignee has since left must not fail.
        await self._check_references(
            {name: value for name, value in changes.items() if getattr(task, name) != value}
        )
        target = changes.get("status")
        if target is not None and target != task.status:
            changes.update(self._move(task, TaskStatus(str(target))))
        return await self.tasks.update(task, changes)

    async def delete(self, task_id: int, expected_version: int | None) -> None:
        task = await self.tasks.get_or_raise(task_id)
        check_version(f"Task {task_id}", task.version, expected_version)
        await self.tasks.delete(task)

    async def release_customer(self, customer_id: int) -> None:
        """Before a customer is deleted: refuse while it has open tasks, else unlink the
        closed ones (each change audited on the task)."""
        await self._release("customer_id", f"Customer {customer_id}", customer_id)

    async def release_product(self, product_id: int) -> None:
        """Before a product is deleted: as for a customer."""
        await self._release("product_id", f"Product {product_id}", product_id)

    async def _release(self, link: TaskLink, label: str, record_id: int) -> None:
        refuse_if_used(
            await self.tasks.count_open_linked(link, record_id),
            f"{label} still has",
            ("open task", "open tasks"),
            f"finish or cancel them, or move them to another {link.removesuffix('_id')}, first.",
        )
        for task in await self.tasks.list_closed_linked(link, record_id):
            setattr(task, link, None)
        await self.tasks.flush()

    @staticmethod
    def _move(task: Task, target: TaskStatus) -> dict[str, object]:
        current = TaskStatus(task.status)
        if target not in MOVES[current]:
            allowed = ", ".join(sorted(MOVES[current])) or "none"
            raise InvalidState(
                f"Task {task.id} is {current}: it cannot move {current} -> {target} "
                f"(allowed from {current}: {allowed})."
            )
        if target is TaskStatus.DONE:
            return {"completed_at": utc_now()}
        if current is TaskStatus.DONE:
            return {"completed_at": None}
        return {}

    async def _check_references(self, values: dict[str, object]) -> None:
        assignee_id = values.get("assignee_id")
        if isinstance(assignee_id, int):
            await self.users.require_active(assignee_id, field="assignee_id")
        customer_id = values.get("customer_id")
        if isinstance(customer_id, int):
            await self.customers.require_active(customer_id, field="customer_id")
        product_id = values.get("product_id")
        if isinstance(product_id, int):
            await self.products.require_active(product_id, field="product_id")


# Delete hooks, wired from the module's spec (app/modules/tasks/__init__.py).


async def release_customer(session: AsyncSession, customer_id: int) -> None:
    await TaskService(session).release_customer(customer_id)


async def release_product(session: AsyncSession, product_id: int) -> None:
    await TaskService(session).release_product(product_id)


async def refuse_user_with_tasks(session: AsyncSession, user_id: int) -> None:
    refuse_if_used(
        await TaskRepository(session).count_naming_user(user_id),
        f"User {user_id} is the assignee or creator of",
        ("task", "tasks"),
        DEACTIVATE_INSTEAD,
    )
