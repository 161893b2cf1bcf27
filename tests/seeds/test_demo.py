import argparse
import random
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.audit.tables import AuditChange
from app.core.observability.logging import actor_var
from app.modules.customers.models import Customer
from app.modules.production.models import Batch
from app.modules.production.service import quality_score_of
from app.modules.products.models import Product
from app.modules.quality.repository import InspectionRepository
from app.modules.tasks.models import Task, TaskStatus
from seeds.demo import DEMO_COUNTS, load_demo, scale_argument
from seeds.demo.catalogue import product_rows
from seeds.demo.common import SEED, DemoContext
from seeds.demo.crm import customer_rows
from seeds.demo.people import STAFF, load_staff
from seeds.demo.work import task_rows


async def test_demo_fills_every_module_once_with_audit_rows_by_the_seed(app: FastAPI) -> None:
    factory = app.state.session_factory
    actor_before = actor_var.get()

    report = await load_demo(factory, scale=None)
    again = await load_demo(factory, scale=None)

    assert report.loaded
    assert not again.loaded
    assert "skipped" in again.describe()
    assert "240 products" in report.describe()
    assert actor_var.get() is actor_before
    async with factory() as session:
        statuses = Counter((await session.exec(select(Task.status))).all())
        assignees = set((await session.exec(select(Task.assignee_id))).all())
        assert set(statuses) == {s.value for s in TaskStatus}
        assert sum(statuses.values()) == DEMO_COUNTS["tasks"]
        assert report.counts["users"] == 6
        assert len(assignees) == 6
        done_without_time = await session.exec(
            select(func.count()).where(
                col(Task.status) == TaskStatus.DONE, col(Task.completed_at).is_(None)
            )
        )
        assert done_without_time.one() == 0
        for model, name in ((Product, "products"), (Customer, "customers"), (Task, "tasks")):
            rows = (await session.exec(select(func.count()).select_from(model))).one()
            audited = await session.exec(
                select(func.count()).where(
                    col(AuditChange.entity) == name,
                    col(AuditChange.action) == "create",
                    col(AuditChange.actor) == "system:seed",
                )
            )
            assert rows == DEMO_COUNTS[name] == audited.one()


def test_demo_rows_are_deterministic() -> None:
    now = datetime(2026, 11, 24, 12, tzinfo=UTC)

    def build() -> list[list[dict[str, Any]]]:
        ctx = DemoContext(rng=random.Random(SEED), now=now, user_ids=[1, 2, 3])
        products = product_rows(ctx, 40)
        ctx.active_product_ids = list(range(1, 41))
        customers = customer_rows(ctx, 40)
        ctx.customer_ids = list(range(1, 41))
        return [products, customers, task_rows(ctx, 40)]

    first, second = build(), build()

    assert first == second
    assert len({row["slug"] for row in first[0]}) == 40
    assert len({row["email"] for row in first[1]}) == 40


async def test_scale_loads_n_rows_per_module(app: FastAPI) -> None:
    report = await load_demo(app.state.session_factory, scale=25)

    counts = report.counts
    assert (counts["products"], counts["customers"], counts["tasks"], counts["batches"]) == (
        25,
        25,
        25,
        25,
    )
    assert counts["inspections"] > 0


async def test_demo_batches_hold_the_figures_the_service_reads_from_their_inspections(
    app: FastAPI, session: AsyncSession
) -> None:
    await load_demo(app.state.session_factory, scale=60)
    inspections = InspectionRepository(session)

    batches = (await session.exec(select(Batch))).all()

    assert len(batches) == 60
    for batch in batches:
        assert batch.id is not None
        figures = await inspections.figures_of_batch(batch.id)
        stored = (batch.quality_score, batch.accepted_inspections)
        assert stored == (quality_score_of(figures.mean_score), figures.accepted), batch


def test_tasks_need_a_user() -> None:
    ctx = DemoContext(rng=random.Random(SEED), now=datetime.now(UTC))
    with pytest.raises(ValueError, match="at least one user"):
        task_rows(ctx, 1)


async def test_scale_must_be_positive(app: FastAPI) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        await load_demo(app.state.session_factory, scale=0)


async def test_seed_script_loads_the_demo_once(
    test_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    from seeds.seed_create_app import main

    assert await main(["--scale", "3"]) == 0
    assert await main(["--demo"]) == 0

    out = capsys.readouterr().out
    assert "demo data loaded: " in out
    assert "3 customers, 3 tasks" in out
    assert "demo data skipped" in out


def test_scale_argument_reads_a_whole_number() -> None:
    assert scale_argument("12") == 12


@pytest.mark.parametrize("bad", ["0", "-3", "many", "1.5"])
def test_scale_argument_wants_a_positive_whole_number(bad: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="whole number"):
        scale_argument(bad)


async def test_staff_that_exist_are_not_created_again(app: FastAPI) -> None:
    async with app.state.session_factory() as session:
        first = DemoContext(rng=random.Random(SEED), now=datetime.now(UTC))
        second = DemoContext(rng=random.Random(SEED), now=datetime.now(UTC))

        assert await load_staff(session, first) == len(STAFF)
        assert await load_staff(session, second) == 0
        assert sorted(second.user_ids) == sorted(first.user_ids)
