from datetime import date, datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import ColumnElement, Date, case, func
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import col, select
from sqlmodel.sql.expression import Select

from app.core.db.repository import BaseRepository, matches_text
from app.modules.quality.models import Inspection, InspectionResult
from app.modules.quality.schemas import InspectionListQuery, QualitySummaryQuery

ACCEPTED = (InspectionResult.PASS, InspectionResult.CONDITIONAL)


class UtcDay(FunctionElement[date]):
    """The UTC calendar day of a timestamp, whatever the session's time zone."""

    type = Date()
    inherit_cache = True
    name = "utc_day"


@compiles(UtcDay)
def _utc_day_sqlite(element: UtcDay, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite stores UTCDateTime as UTC text, so its date part is already the UTC day.
    return f"date({compiler.process(element.clauses, **kw)})"


@compiles(UtcDay, "postgresql")
def _utc_day_postgresql(element: UtcDay, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(timezone('UTC', {compiler.process(element.clauses, **kw)}) AS DATE)"


class Totals(NamedTuple):
    """Sums and counts only, so any grouping of them folds exactly."""

    inspection_count: int
    passed: int
    score_sum: float
    defects: int
    samples: int


class BatchInspections(NamedTuple):
    mean_score: float | None
    accepted: int


def inspected_between(start: datetime | None, end: datetime | None) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if start is not None:
        found.append(col(Inspection.inspected_at) >= start)
    if end is not None:
        found.append(col(Inspection.inspected_at) < end)
    return found


def _totals(*key: "Mapped[int] | UtcDay") -> "Select[Any]":
    """SELECT key..., count, passed, Σ score, Σ defects, Σ samples FROM inspections."""
    passed = func.sum(case((col(Inspection.result) == InspectionResult.PASS, 1), else_=0))
    # sqlmodel's select() is typed for at most four columns; Select takes any number.
    return Select(
        *key,
        func.count(col(Inspection.id)),
        passed,
        func.sum(col(Inspection.score)),
        func.sum(col(Inspection.defects_found)),
        func.sum(col(Inspection.sample_size)),
    )


def _as_totals(values: tuple[Any, ...]) -> Totals:
    count, passed, score_sum, defects, samples = values
    return Totals(
        int(count), int(passed or 0), float(score_sum or 0), int(defects or 0), int(samples or 0)
    )


class InspectionRepository(BaseRepository[Inspection]):
    model = Inspection
    label = "Inspection"

    def conditions(self, query: InspectionListQuery) -> list[ColumnElement[bool]]:
        found = inspected_between(*query.bounds())
        if query.q:
            found.append(matches_text(query.q, Inspection.notes))
        if query.batch_id is not None:
            found.append(col(Inspection.batch_id) == query.batch_id)
        if query.result is not None:
            found.append(col(Inspection.result) == query.result)
        if query.inspector_id is not None:
            found.append(col(Inspection.inspector_id) == query.inspector_id)
        return found

    async def figures_of_batch(self, batch_id: int) -> BatchInspections:
        accepted = func.sum(case((col(Inspection.result).in_(ACCEPTED), 1), else_=0))
        stmt = select(func.avg(col(Inspection.score)), accepted).where(
            col(Inspection.batch_id) == batch_id
        )
        mean, count = (await self.session.exec(stmt)).one()
        return BatchInspections(None if mean is None else float(mean), int(count or 0))

    def _summary_conditions(self, query: QualitySummaryQuery) -> list[ColumnElement[bool]]:
        found = inspected_between(*query.bounds())
        if query.product_id is not None:
            found.append(col(Inspection.product_id) == query.product_id)
        return found

    async def summary_totals(self, query: QualitySummaryQuery) -> Totals:
        stmt = _totals().where(*self._summary_conditions(query))
        return _as_totals(tuple((await self.session.exec(stmt)).one()))

    async def summary_by_product(self, query: QualitySummaryQuery) -> list[tuple[int, Totals]]:
        product = col(Inspection.product_id)
        stmt = (
            _totals(product)
            .where(*self._summary_conditions(query))
            .group_by(product)
            .order_by(product)
        )
        rows = (await self.session.exec(stmt)).all()
        return [(int(row[0]), _as_totals(tuple(row[1:]))) for row in rows]

    async def summary_by_day(self, query: QualitySummaryQuery) -> list[tuple[date, Totals]]:
        day = UtcDay(col(Inspection.inspected_at))
        stmt = _totals(day).where(*self._summary_conditions(query)).group_by(day).order_by(day)
        rows = (await self.session.exec(stmt)).all()
        return [(cast(date, row[0]), _as_totals(tuple(row[1:]))) for row in rows]

    async def count_by_inspector(self, user_id: int) -> int:
        return await self.count(col(Inspection.inspector_id) == user_id)
