from datetime import datetime
from typing import NamedTuple, cast

from sqlalchemy import ColumnElement, func
from sqlmodel import col
from sqlmodel.sql.expression import Select

from app.core.db.repository import BaseRepository, matches_text
from app.modules.production.models import Batch, BatchStatus
from app.modules.production.schemas import BatchListQuery, ProductionStatsQuery


def created_between(start: datetime | None, end: datetime | None) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if start is not None:
        found.append(col(Batch.created_at) >= start)
    if end is not None:
        found.append(col(Batch.created_at) < end)
    return found


class StatusFigures(NamedTuple):
    """The aggregates of one (product, status) group."""

    product_id: int
    status: BatchStatus
    batch_count: int
    total_quantity: int
    score_sum: float
    scored: int


class BatchRepository(BaseRepository[Batch]):
    model = Batch
    label = "Batch"

    def conditions(self, query: BatchListQuery) -> list[ColumnElement[bool]]:
        found = created_between(*query.bounds())
        if query.q:
            found.append(matches_text(query.q, Batch.batch_number, Batch.notes))
        if query.status is not None:
            found.append(col(Batch.status) == query.status)
        if query.product_id is not None:
            found.append(col(Batch.product_id) == query.product_id)
        return found

    async def count_for_product(self, product_id: int) -> int:
        return await self.count(col(Batch.product_id) == product_id)

    async def get_locked(self, batch_id: int) -> Batch | None:
        """The batch with its row locked until the transaction ends (PostgreSQL; SQLite's
        BEGIN IMMEDIATE already serialises writers), so that state checks and the derived
        quality figures cannot race a concurrent action on the same batch."""
        return await self.session.get(Batch, batch_id, with_for_update=True, populate_existing=True)

    async def figures_by_product_and_status(
        self, query: ProductionStatsQuery
    ) -> list[StatusFigures]:
        """One row per (product, status): count, quantity, and the sum and count of the
        quality scores, so that means over any grouping can be folded exactly."""
        conditions = created_between(*query.bounds())
        if query.product_id is not None:
            conditions.append(col(Batch.product_id) == query.product_id)
        # sqlmodel's select() is typed for at most four columns; Select takes any number
        # but cannot infer the row type.
        stmt = cast(
            "Select[int, BatchStatus, int, int | None, float | None, int]",
            Select(
                col(Batch.product_id),
                col(Batch.status),
                func.count(col(Batch.id)),
                func.sum(col(Batch.quantity)),
                func.sum(col(Batch.quality_score)),
                func.count(col(Batch.quality_score)),
            )
            .where(*conditions)
            .group_by(col(Batch.product_id), col(Batch.status))
            .order_by(col(Batch.product_id), col(Batch.status)),
        )
        return [
            StatusFigures(
                product_id, BatchStatus(status), count, quantity or 0, score_sum or 0.0, scored
            )
            for product_id, status, count, quantity, score_sum, scored in (
                await self.session.exec(stmt)
            ).all()
        ]
