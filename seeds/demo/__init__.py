"""Demo data for every module: `load_demo(factory, scale=None)`.

Believable and deterministic (one fixed random seed), written with ORM bulk INSERT
statements so that thousands of rows a second still leave one audit row each, as the
actor `system:seed`. It loads only into a database without business data, so running the
seed on every start (`make run`) never duplicates it.

Without `scale`: a few hundred products and customers, tasks in every state spread over
every user, and the production part (batches in every state, with inspections). With
`scale=N`: N rows for each module, for benchmarks.
"""

import argparse
import random
from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.db.models import utc_now
from app.core.observability.logging import Actor, actor_var
from app.modules.customers.models import Customer
from app.modules.production.models import Batch
from app.modules.products.models import Product
from app.modules.quality.models import Inspection
from app.modules.tasks.models import Task
from seeds.demo.catalogue import load_products
from seeds.demo.common import SEED, DemoContext
from seeds.demo.crm import load_customers
from seeds.demo.people import load_staff
from seeds.demo.production import load_production
from seeds.demo.work import load_tasks

SEED_ACTOR = Actor(None, "system:seed")
DEMO_COUNTS = {"products": 240, "customers": 300, "tasks": 450, "batches": 120}
BUSINESS_TABLES: tuple[type[SQLModel], ...] = (Product, Customer, Task, Batch, Inspection)


@dataclass(frozen=True)
class DemoReport:
    loaded: bool
    counts: dict[str, int]

    def describe(self) -> str:
        if not self.loaded:
            return "demo data skipped: the database already holds business data"
        return "demo data loaded: " + ", ".join(f"{n} {name}" for name, n in self.counts.items())


async def has_business_data(session: AsyncSession) -> bool:
    for model in BUSINESS_TABLES:
        if (await session.exec(select(func.count()).select_from(model))).one():
            return True
    return False


async def load_demo(
    factory: async_sessionmaker[AsyncSession], *, scale: int | None = None
) -> DemoReport:
    """Fill every module in one transaction (all or nothing), unless data already exists."""
    if scale is not None and scale < 1:
        raise ValueError("scale must be at least 1")
    token = actor_var.set(SEED_ACTOR)
    try:
        async with factory() as session, session.begin():
            if await has_business_data(session):
                return DemoReport(loaded=False, counts={})
            ctx = DemoContext(rng=random.Random(SEED), now=utc_now())
            counts: dict[str, int] = {}
            counts["users"] = await load_staff(session, ctx)
            counts["products"] = await load_products(session, ctx, scale or DEMO_COUNTS["products"])
            counts["customers"] = await load_customers(
                session, ctx, scale or DEMO_COUNTS["customers"]
            )
            counts["tasks"] = await load_tasks(session, ctx, scale or DEMO_COUNTS["tasks"])
            production = await load_production(session, ctx, scale or DEMO_COUNTS["batches"])
            counts["batches"] = production.batches
            counts["inspections"] = production.inspections
            return DemoReport(loaded=True, counts=counts)
    finally:
        actor_var.reset(token)


def scale_argument(text: str) -> int:
    """argparse type of `--scale N`."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"--scale wants a whole number of rows >= 1, not {text!r}")
    return value
