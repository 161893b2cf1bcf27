from dataclasses import dataclass, field

from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from app.core.config import Settings
from app.core.db.hooks import refuse_if_used
from app.core.db.models import utc_now
from app.core.exceptions import InvalidState, NotFound, ValidationFailed
from app.core.http.etag import check_version
from app.core.http.pagination import Page
from app.modules.production.models import Batch, BatchStatus
from app.modules.production.repository import BatchRepository, StatusFigures
from app.modules.production.schemas import (
    BatchCreate,
    BatchFigures,
    BatchListQuery,
    BatchRead,
    BatchUpdate,
    ProductBatchFigures,
    ProductionStats,
    ProductionStatsQuery,
)
from app.modules.products.service import ProductService

INSPECTABLE = frozenset({BatchStatus.IN_PROGRESS, BatchStatus.COMPLETED})
# The same states as values, in the order the states are declared: for other modules' metadata.
INSPECTABLE_VALUES = tuple(state.value for state in BatchStatus if state in INSPECTABLE)
FINISHED = frozenset({BatchStatus.COMPLETED, BatchStatus.FAILED})
RATE_PLACES = 4
SCORE_PLACES = 2


def quality_score_of(mean_score: float | None) -> float | None:
    """A batch's stored `quality_score`: the mean score of its inspections, to 2 places."""
    return None if mean_score is None else round(mean_score, SCORE_PLACES)


@dataclass
class _Tally:
    """Folds the database's (product, status) aggregates; sums and counts only, so exact."""

    batch_count: int = 0
    total_quantity: int = 0
    score_sum: float = 0.0
    scored: int = 0
    by_status: dict[BatchStatus, int] = field(default_factory=lambda: dict.fromkeys(BatchStatus, 0))

    def add(self, group: StatusFigures) -> None:
        self.batch_count += group.batch_count
        self.total_quantity += group.total_quantity
        self.score_sum += float(group.score_sum)
        self.scored += group.scored
        self.by_status[group.status] += group.batch_count

    def figures(self) -> BatchFigures:
        finished = self.by_status[BatchStatus.COMPLETED] + self.by_status[BatchStatus.FAILED]
        return BatchFigures(
            batch_count=self.batch_count,
            total_quantity=self.total_quantity,
            by_status=self.by_status,
            completion_rate=(
                round(self.by_status[BatchStatus.COMPLETED] / finished, RATE_PLACES)
                if finished
                else None
            ),
            mean_quality_score=(
                round(self.score_sum / self.scored, SCORE_PLACES) if self.scored else None
            ),
        )


class BatchService:
    def __init__(self, session: AsyncSession, settings: Settings) -> None:
        self.quality_gate = settings.quality_gate
        self.batches = BatchRepository(session)
        self.products = ProductService(session)

    async def list_page(self, query: BatchListQuery) -> Page[BatchRead]:
        items, total = await self.batches.list_page(self.batches.conditions(query), query)
        return Page[BatchRead].build([BatchRead.model_validate(b) for b in items], total, query)

    def export_statement(self, query: BatchListQuery) -> SelectOfScalar[Batch]:
        return self.batches.select_matching(self.batches.conditions(query), query)

    async def get(self, batch_id: int) -> Batch:
        return await self.batches.get_or_raise(batch_id)

    async def create(self, data: BatchCreate) -> Batch:
        await self.products.require_active(data.product_id, field="product_id")
        return await self.batches.add(Batch.model_validate(data))

    async def update(self, batch_id: int, data: BatchUpdate, expected_version: int | None) -> Batch:
        batch = await self._locked(batch_id)
        check_version(self._label(batch), batch.version, expected_version)
        changes = data.changes()
        if data.product_id is not None and data.product_id != batch.product_id:
            # Inspections copy their batch's product; a batch that can have inspections
            # therefore keeps its product for good.
            if batch.status is not BatchStatus.PENDING:
                raise InvalidState(
                    f"{self._label(batch)} is {batch.status}; only a pending batch can "
                    "change its product."
                )
            await self.products.require_active(data.product_id, field="product_id")
        return await self.batches.update(batch, changes)

    async def delete(self, batch_id: int, expected_version: int | None) -> None:
        batch = await self._locked(batch_id)
        check_version(self._label(batch), batch.version, expected_version)
        if batch.status is not BatchStatus.PENDING:
            raise InvalidState(
                f"{self._label(batch)} is {batch.status}; only a pending batch can be deleted."
            )
        await self.batches.delete(batch)

    async def start(self, batch_id: int, expected_version: int | None = None) -> Batch:
        batch = await self._locked(batch_id)
        check_version(self._label(batch), batch.version, expected_version)
        if batch.status is not BatchStatus.PENDING:
            raise InvalidState(
                f"{self._label(batch)} is {batch.status}; only a pending batch can start."
            )
        batch.status = BatchStatus.IN_PROGRESS
        batch.started_at = utc_now()
        await self.batches.flush()
        return batch

    async def complete(self, batch_id: int, expected_version: int | None = None) -> Batch:
        batch = await self._locked(batch_id)
        check_version(self._label(batch), batch.version, expected_version)
        if batch.status is not BatchStatus.IN_PROGRESS:
            raise InvalidState(
                f"{self._label(batch)} is {batch.status}; only a batch in progress can complete."
            )
        if self.quality_gate and batch.accepted_inspections == 0:
            raise InvalidState(
                f"{self._label(batch)} has no inspection with result pass or conditional; "
                "the quality gate requires one before the batch can complete."
            )
        batch.status = BatchStatus.COMPLETED
        batch.completed_at = utc_now()
        await self.batches.flush()
        return batch

    async def fail(self, batch_id: int, reason: str, expected_version: int | None = None) -> Batch:
        batch = await self._locked(batch_id)
        check_version(self._label(batch), batch.version, expected_version)
        if batch.status in FINISHED:
            raise InvalidState(
                f"{self._label(batch)} is {batch.status}; only a pending batch or one in "
                "progress can fail."
            )
        batch.status = BatchStatus.FAILED
        batch.failure_reason = reason
        await self.batches.flush()
        return batch

    async def stats(self, query: ProductionStatsQuery) -> ProductionStats:
        overall = _Tally()
        per_product: dict[int, _Tally] = {}
        for group in await self.batches.figures_by_product_and_status(query):
            overall.add(group)
            per_product.setdefault(group.product_id, _Tally()).add(group)
        return ProductionStats(
            **overall.figures().model_dump(),
            per_product=[
                ProductBatchFigures(product_id=product_id, **tally.figures().model_dump())
                for product_id, tally in sorted(per_product.items())
            ],
        )

    # For the quality module: the batch rules its inspections obey, and the figures it keeps.

    async def require_inspectable(self, batch_id: int, field: str = "batch_id") -> Batch:
        """The batch, locked, when it may get a new inspection: 422 naming `field` when it
        does not exist, 409 naming its state when that forbids inspecting."""
        batch = await self.batches.get_locked(batch_id)
        if batch is None:
            raise ValidationFailed.for_field(field, f"Batch {batch_id} does not exist.")
        if batch.status not in INSPECTABLE:
            raise InvalidState(
                f"{self._label(batch)} is {batch.status}; only a batch in progress or "
                "completed can be inspected."
            )
        return batch

    async def require_open(self, batch_id: int) -> Batch:
        """The batch, locked, while its inspections may still change: 409 once it finished."""
        batch = await self._locked(batch_id)
        if batch.status in FINISHED:
            raise InvalidState(
                f"{self._label(batch)} is {batch.status}; its inspections are locked."
            )
        return batch

    async def record_inspections(
        self, batch_id: int, *, mean_score: float | None, accepted: int
    ) -> Batch:
        """Store what the batch's inspections add up to (read-only for clients). Call it
        after `require_inspectable` or `require_open`, which took the row lock."""
        batch = await self.batches.get_or_raise(batch_id)
        score = quality_score_of(mean_score)
        if batch.quality_score != score:
            batch.quality_score = score
        if batch.accepted_inspections != accepted:
            batch.accepted_inspections = accepted
        await self.batches.flush()
        return batch

    async def _locked(self, batch_id: int) -> Batch:
        batch = await self.batches.get_locked(batch_id)
        if batch is None:
            raise NotFound(f"Batch {batch_id} does not exist.")
        return batch

    @staticmethod
    def _label(batch: Batch) -> str:
        return f"Batch {batch.batch_number}"


async def refuse_product_in_use(session: AsyncSession, product_id: int) -> None:
    """A batch (and its inspections) is the product's history: it is never unlinked."""
    refuse_if_used(
        await BatchRepository(session).count_for_product(product_id),
        f"Product {product_id} is used by",
        ("production batch", "production batches"),
        "batches keep their product for good: set is_active to false to retire it instead.",
    )
