"""What every part of the demo data shares: the random source, the clock and bulk inserts."""

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

# Fixed, so that two fresh databases get the same demo data (relative to the day it is loaded).
SEED = 20261124
CHUNK = 1_000


@dataclass
class DemoContext:
    """Ids created so far, for the parts loaded later to reference."""

    rng: random.Random
    now: datetime
    user_ids: list[int] = field(default_factory=list)
    product_ids: list[int] = field(default_factory=list)
    active_product_ids: list[int] = field(default_factory=list)
    customer_ids: list[int] = field(default_factory=list)

    def past(self, max_days: float) -> datetime:
        """A moment within the last `max_days` days."""
        return self.now - timedelta(seconds=self.rng.uniform(0, max_days * 86_400))


async def bulk_insert(
    session: AsyncSession, model: type[SQLModel], rows: Sequence[dict[str, Any]]
) -> list[int]:
    """Insert rows with ORM bulk INSERT statements (audited like any ORM write), in chunks,
    and return the new ids in the rows' order."""
    key = col(model.id)  # type: ignore[attr-defined]
    ids: list[int] = []
    for start in range(0, len(rows), CHUNK):
        chunk = list(rows[start : start + CHUNK])
        # The ids are read back rather than asked for with RETURNING, because the audit hook
        # runs the statement with its own RETURNING. The seed's write transaction is the only
        # writer, so the new ids are the ones above the previous maximum, in insert order.
        before = (await session.exec(select(func.max(key)))).one() or 0
        # render_nulls keeps rows with and without NULLs in one multi-row INSERT; without it
        # the ORM splits the batch wherever the set of non-NULL columns changes.
        await session.exec(insert(model).execution_options(render_nulls=True), params=chunk)
        new = (await session.exec(select(key).where(key > before).order_by(key))).all()
        if len(new) != len(chunk):
            raise RuntimeError(f"{model.__name__}: inserted {len(chunk)}, found {len(new)}")
        ids.extend(new)
    return ids


def record_times(ctx: DemoContext, max_days: float) -> dict[str, Any]:
    created = ctx.past(max_days)
    return {"created_at": created, "updated_at": created, "version": 1}
