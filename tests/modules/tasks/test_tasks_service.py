import pytest
from fastapi import FastAPI
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.schemas import UserCreate
from app.auth.users_service import UserService
from app.core.exceptions import InvalidState
from app.modules.customers.schemas import CustomerCreate
from app.modules.customers.service import CustomerService
from app.modules.tasks.models import MOVES, TaskStatus
from app.modules.tasks.schemas import TaskCreate, TaskUpdate
from app.modules.tasks.service import TaskService
from tests.users import SYSTEM


def test_cancelled_is_final_and_every_state_has_its_moves() -> None:
    assert set(MOVES) == set(TaskStatus)
    assert MOVES[TaskStatus.CANCELLED] == frozenset()
    assert all(state not in targets for state, targets in MOVES.items())


async def test_release_customer_counts_open_tasks_and_unlinks_closed_ones(
    app: FastAPI, session: AsyncSession
) -> None:
    user = await UserService(session, app.state.settings).create(
        UserCreate(email="w@example.com", full_name="W", password="long-enough-pw1"), SYSTEM
    )
    customer = await CustomerService(session).create(
        CustomerCreate(name="Ada", email="ada@example.com")
    )
    tasks = TaskService(session)
    made = [
        await tasks.create(
            TaskCreate(title=f"T{i}", assignee_id=user.id or 0, customer_id=customer.id),
            created_by=user.id or 0,
        )
        for i in range(2)
    ]
    await tasks.update(made[0].id or 0, TaskUpdate(status=TaskStatus.CANCELLED), None)

    with pytest.raises(InvalidState, match="1 open task;"):
        await tasks.release_customer(customer.id or 0)
    await tasks.update(made[1].id or 0, TaskUpdate(status=TaskStatus.CANCELLED), None)
    await tasks.release_customer(customer.id or 0)

    assert [(await tasks.get(t.id or 0)).customer_id for t in made] == [None, None]
