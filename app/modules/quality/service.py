from collections.abc import Iterable
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from app.auth.users_service import DEACTIVATE_INSTEAD, UserService
from app.core.config import Settings
from app.core.db.hooks import refuse_if_used
from app.core.db.models import utc_now
from app.core.exceptions import ValidationFailed
from app.core.http.etag import check_version
from app.core.http.pagination import Page
from app.modules.production.service import BatchService
from app.modules.quality.models import Inspection, InspectionResult
from app.modules.quality.repository import (
    ACCEPTED,
    BatchInspections,
    InspectionRepository,
    Totals,
)
from app.modules.quality.schemas import (
    DayInspectionFigures,
    InspectionCreate,
    InspectionListQuery,
    InspectionRead,
    InspectionUpdate,
    ProductInspectionFigures,
    QualitySummary,
    QualitySummaryQuery,
)

SCORE_STEP = Decimal("0.01")
RATE_PLACES = 4
SCORE_PLACES = 2


def score_of(sample_size: int, defects_found: int) -> float:
    """100 * (1 - defects / sample), rounded half up to 2 places."""
    exact = Decimal(100) * (sample_size - defects_found) / sample_size
    return float(exact.quantize(SCORE_STEP, rounding=ROUND_HALF_UP))


def verdict(
    sample_size: int,
    defects_found: int,
    *,
    inspected_at: datetime,
    notes: str | None,
    chosen: InspectionResult | None,
    pass_threshold: float,
) -> tuple[float, InspectionResult]:
    """Score and result of an inspection; 422 naming the field its figures break."""
    if defects_found > sample_size:
        raise ValidationFailed.for_field(
            "defects_found",
            f"defects_found ({defects_found}) cannot exceed sample_size ({sample_size}).",
        )
    if inspected_at > utc_now():
        raise ValidationFailed.for_field("inspected_at", "inspected_at is in the future.")
    if chosen is InspectionResult.CONDITIONAL and not (notes or "").strip():
        raise ValidationFailed.for_field(
            "notes", "A conditional result needs notes that say on what condition."
        )
    score = score_of(sample_size, defects_found)
    if chosen is not None:
        return score, chosen
    if score >= pass_threshold:
        return score, InspectionResult.PASS
    return score, InspectionResult.FAIL


def batch_figures(inspections: Iterable[tuple[float, InspectionResult]]) -> BatchInspections:
    """What `InspectionRepository.figures_of_batch` adds up in SQL, for (score, result) pairs
    that are not stored yet: the unrounded mean score and how many were accepted."""
    scores: list[float] = []
    accepted = 0
    for score, result in inspections:
        scores.append(score)
        accepted += result in ACCEPTED
    return BatchInspections(sum(scores) / len(scores) if scores else None, accepted)


def _ratio(part: int | float, whole: int | float, places: int) -> float | None:
    return round(part / whole, places) if whole else None


def _figures(totals: Totals) -> dict[str, int | float | None]:
    return {
        "inspection_count": totals.inspection_count,
        "pass_rate": _ratio(totals.passed, totals.inspection_count, RATE_PLACES),
        "mean_score": _ratio(totals.score_sum, totals.inspection_count, SCORE_PLACES),
    }


class InspectionService:
    def __init__(self, session: AsyncSession, settings: Settings) -> None:
        self.pass_threshold = settings.quality_pass_threshold
        self.inspections = InspectionRepository(session)
        self.batches = BatchService(session, settings)
        self.users = UserService(session)

    async def list_page(self, query: InspectionListQuery) -> Page[InspectionRead]:
        items, total = await self.inspections.list_page(self.inspections.conditions(query), query)
        reads = [InspectionRead.model_validate(i) for i in items]
        return Page[InspectionRead].build(reads, total, query)

    def export_statement(self, query: InspectionListQuery) -> SelectOfScalar[Inspection]:
        return self.inspections.select_matching(self.inspections.conditions(query), query)

    async def get(self, inspection_id: int) -> Inspection:
        return await self.inspections.get_or_raise(inspection_id)

    async def create(self, data: InspectionCreate, *, caller_id: int) -> Inspection:
        batch = await self.batches.require_inspectable(data.batch_id, field="batch_id")
        inspector_id = data.inspector_id or caller_id
        await self.users.require_active(inspector_id, field="inspector_id")
        inspected_at = data.inspected_at or utc_now()
        score, result = verdict(
            data.sample_size,
            data.defects_found,
            inspected_at=inspected_at,
            notes=data.notes,
            chosen=data.result,
            pass_threshold=self.pass_threshold,
        )
        inspection = Inspection(
            batch_id=data.batch_id,
            # Copied rather than joined: the summary groups by product with no join and no
            # call into production per row. The copy cannot go stale, because a batch can
            # change its product only while pending, and a pending batch has no inspections.
            product_id=batch.product_id,
            inspector_id=inspector_id,
            inspected_at=inspected_at,
            sample_size=data.sample_size,
            defects_found=data.defects_found,
            score=score,
            result=result,
            notes=data.notes,
        )
        await self.inspections.add(inspection)
        await self._refresh_batch(inspection.batch_id)
        return inspection

    async def update(
        self, inspection_id: int, data: InspectionUpdate, expected_version: int | None
    ) -> Inspection:
        inspection = await self.inspections.get_or_raise(inspection_id)
        await self.batches.require_open(inspection.batch_id)
        check_version(f"Inspection {inspection_id}", inspection.version, expected_version)
        changes = data.changes()
        if data.inspector_id is not None and data.inspector_id != inspection.inspector_id:
            await self.users.require_active(data.inspector_id, field="inspector_id")
        chosen = data.result if "result" in changes else self._chosen(inspection)
        changes.pop("result", None)
        for name, value in changes.items():
            setattr(inspection, name, value)
        self._judge(inspection, chosen=chosen)
        await self.inspections.flush()
        await self._refresh_batch(inspection.batch_id)
        return inspection

    async def delete(self, inspection_id: int, expected_version: int | None) -> None:
        inspection = await self.inspections.get_or_raise(inspection_id)
        await self.batches.require_open(inspection.batch_id)
        check_version(f"Inspection {inspection_id}", inspection.version, expected_version)
        await self.inspections.delete(inspection)
        await self._refresh_batch(inspection.batch_id)

    async def summary(self, query: QualitySummaryQuery) -> QualitySummary:
        totals = await self.inspections.summary_totals(query)
        per_product = await self.inspections.summary_by_product(query)
        per_day = await self.inspections.summary_by_day(query)
        return QualitySummary.model_validate(
            {
                **_figures(totals),
                "defect_rate": _ratio(totals.defects, totals.samples, RATE_PLACES),
                "per_product": [
                    ProductInspectionFigures.model_validate(
                        {
                            "product_id": product_id,
                            **_figures(t),
                            "defect_rate": _ratio(t.defects, t.samples, RATE_PLACES),
                        }
                    )
                    for product_id, t in per_product
                ],
                "trend": [
                    DayInspectionFigures.model_validate({"day": day, **_figures(t)})
                    for day, t in per_day
                ],
            }
        )

    @staticmethod
    def _chosen(inspection: Inspection) -> InspectionResult | None:
        return inspection.result if inspection.result is InspectionResult.CONDITIONAL else None

    def _judge(self, inspection: Inspection, *, chosen: InspectionResult | None) -> None:
        """Set score and result from the figures; 422 naming the field they break."""
        inspection.score, inspection.result = verdict(
            inspection.sample_size,
            inspection.defects_found,
            inspected_at=inspection.inspected_at,
            notes=inspection.notes,
            chosen=chosen,
            pass_threshold=self.pass_threshold,
        )

    async def _refresh_batch(self, batch_id: int) -> None:
        figures = await self.inspections.figures_of_batch(batch_id)
        await self.batches.record_inspections(
            batch_id, mean_score=figures.mean_score, accepted=figures.accepted
        )


async def refuse_inspector(session: AsyncSession, user_id: int) -> None:
    refuse_if_used(
        await InspectionRepository(session).count_by_inspector(user_id),
        f"User {user_id} is the inspector of",
        ("inspection", "inspections"),
        DEACTIVATE_INSTEAD,
    )
