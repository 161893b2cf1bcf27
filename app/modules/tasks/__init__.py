"""Tasks: staff work, moved along todo, in progress, done."""

from app.core.modules import AdminAction, AdminResource, AdminState, DeleteGuard, ModuleSpec, Tag
from app.core.security.permissions import crud_permissions
from app.modules.tasks.models import MOVES, Task, TaskStatus
from app.modules.tasks.router import router
from app.modules.tasks.service import refuse_user_with_tasks, release_customer, release_product

# One button per target state, in this order, offered only from the states MOVES allows.
MOVE_LABELS = {
    TaskStatus.IN_PROGRESS: "Start work",
    TaskStatus.BLOCKED: "Mark blocked",
    TaskStatus.DONE: "Mark done",
    TaskStatus.TO_DO: "Back to to-do",
    TaskStatus.CANCELLED: "Cancel task",
}

TASKS = ModuleSpec(
    name="tasks",
    tag=Tag("tasks", "Staff work, moved along todo, in progress, done."),
    routers=(router,),
    permissions=crud_permissions("tasks"),
    model=Task,
    path="/tasks",
    guards=(
        DeleteGuard("customers", release_customer),
        DeleteGuard("users", refuse_user_with_tasks),
        DeleteGuard("products", release_product),
    ),
    admin=AdminResource(
        label="Tasks",
        columns=("title", "status", "priority", "due_date", "assignee_id"),
        title="{title}",
        references={"assignee_id": "users", "customer_id": "customers", "product_id": "products"},
        labels={"assignee_id": "Assignee", "customer_id": "Customer", "product_id": "Product"},
        state=AdminState(heading="Status", field="status"),
        actions=tuple(
            AdminAction(
                label=label,
                method="PATCH",
                body={"status": target.value},
                when={"status": tuple(s.value for s in TaskStatus if target in MOVES[s])},
            )
            for target, label in MOVE_LABELS.items()
        ),
    ),
)
