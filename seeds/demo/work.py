"""Demo tasks: every status and priority, spread over every user, some overdue."""

from datetime import timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from app.modules.tasks.models import Task, TaskPriority, TaskStatus
from seeds.demo.common import DemoContext, bulk_insert, record_times

CUSTOMER_TASKS = [
    "Call back about the open quote",
    "Send the updated price list",
    "Prepare the quarterly review",
    "Chase the overdue invoice",
    "Schedule a site visit",
]
PRODUCT_TASKS = [
    "Restock before the end of the month",
    "Check the supplier's lead time",
    "Update the datasheet",
    "Review the defect reports",
]
GENERAL_TASKS = [
    "Calibrate the torque wrenches",
    "Plan next week's shifts",
    "Renew the forklift certificates",
    "Clean up the shared drive",
]
STATUS_WEIGHTS = {
    TaskStatus.TO_DO: 30,
    TaskStatus.IN_PROGRESS: 20,
    TaskStatus.BLOCKED: 8,
    TaskStatus.DONE: 32,
    TaskStatus.CANCELLED: 10,
}
PRIORITY_WEIGHTS = {
    TaskPriority.LOW: 20,
    TaskPriority.MEDIUM: 45,
    TaskPriority.HIGH: 25,
    TaskPriority.URGENT: 10,
}


def task_rows(ctx: DemoContext, count: int) -> list[dict[str, Any]]:
    if not ctx.user_ids:
        raise ValueError("demo tasks need at least one user to assign them to")
    rng = ctx.rng
    statuses = list(STATUS_WEIGHTS)
    priorities = list(PRIORITY_WEIGHTS)
    rows: list[dict[str, Any]] = []
    for number in range(count):
        # Cycling through the statuses first guarantees every one of them appears.
        status = (
            statuses[number]
            if number < len(statuses)
            else rng.choices(statuses, weights=list(STATUS_WEIGHTS.values()))[0]
        )
        customer_id = product_id = None
        kind = rng.random()
        if kind < 0.45 and ctx.customer_ids:
            customer_id = rng.choice(ctx.customer_ids)
            title = f"{rng.choice(CUSTOMER_TASKS)} (customer #{customer_id})"
        elif kind < 0.75 and ctx.active_product_ids:
            product_id = rng.choice(ctx.active_product_ids)
            title = f"{rng.choice(PRODUCT_TASKS)} (product #{product_id})"
        else:
            title = rng.choice(GENERAL_TASKS)
        times = record_times(ctx, 120)
        completed_at = None
        if status is TaskStatus.DONE:
            completed_at = min(ctx.now, times["created_at"] + timedelta(days=rng.uniform(0, 20)))
        due_date = None
        if rng.random() < 0.85:
            due_date = times["created_at"].date() + timedelta(days=rng.randint(1, 60))
        rows.append(
            {
                "title": title,
                "description": rng.choice([None, "See the notes in the shared folder."]),
                "status": status.value,
                "priority": rng.choices(priorities, weights=list(PRIORITY_WEIGHTS.values()))[
                    0
                ].value,
                "due_date": due_date,
                "assignee_id": ctx.user_ids[number % len(ctx.user_ids)],
                "customer_id": customer_id,
                "product_id": product_id,
                "created_by": rng.choice(ctx.user_ids),
                "completed_at": completed_at,
                **times,
            }
        )
    return rows


async def load_tasks(session: AsyncSession, ctx: DemoContext, count: int) -> int:
    return len(await bulk_insert(session, Task, task_rows(ctx, count)))
