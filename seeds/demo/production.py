"""Demo production: batches in every state, the in-progress and finished ones inspected.

Each batch's inspections are generated first, so that its read-only `quality_score` and its
quality-gate count are written with the batch in the same bulk INSERT, and every completed
batch passes the gate. Scores, results and batch figures come from the services' own rules
(`verdict`, `batch_figures`, `quality_score_of`), so they agree with what the API computes.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.config import get_settings
from app.modules.production.models import Batch, BatchStatus
from app.modules.production.service import quality_score_of
from app.modules.quality.models import Inspection, InspectionResult
from app.modules.quality.service import batch_figures, verdict
from seeds.demo.common import DemoContext, bulk_insert, record_times

STATUS_WEIGHTS = {
    BatchStatus.PENDING: 15,
    BatchStatus.IN_PROGRESS: 20,
    BatchStatus.COMPLETED: 50,
    BatchStatus.FAILED: 15,
}
SAMPLE_SIZES = (20, 25, 50, 80, 100, 125, 200)
FAILURE_REASONS = (
    "Mixing temperature out of range for over an hour",
    "Contaminated raw material from the supplier lot",
    "Line stopped: hydraulic press failure",
    "Too many defects in the first inspection",
    "Wrong tooling set up for this product",
)
BATCH_NOTES = (None, None, "Rush order", "Trial run with the new supplier", "Night shift")
CONDITIONAL_NOTE = "Accepted after rework of the rejected units; re-check on delivery."


@dataclass(frozen=True)
class ProductionCounts:
    batches: int
    inspections: int


def _between(ctx: DemoContext, start: datetime, end: datetime) -> datetime:
    return start + (end - start) * ctx.rng.random()


def _verdicts(checks: list[dict[str, Any]]) -> list[tuple[float, InspectionResult]]:
    return [(c["score"], c["result"]) for c in checks]


def _inspections(
    ctx: DemoContext,
    status: BatchStatus,
    product_id: int,
    started: datetime,
    ended: datetime,
) -> list[dict[str, Any]]:
    rng = ctx.rng
    threshold = get_settings().quality_pass_threshold
    # A failed batch was usually failed for its quality; a good one has a few stray defects.
    defect_level = rng.uniform(0.04, 0.25) if status is BatchStatus.FAILED else rng.uniform(0, 0.07)
    rows: list[dict[str, Any]] = []
    for _ in range(rng.randint(1, 4)):
        sample = rng.choice(SAMPLE_SIZES)
        defects = min(sample, max(0, round(sample * defect_level + rng.gauss(0, 1))))
        # Judged before its time is drawn, which keeps the seed's sequence of draws; that
        # time is never later than `ended`, so `ended` passes the same "not in the future" check.
        score, result = verdict(
            sample,
            defects,
            inspected_at=ended,
            notes=None,
            chosen=None,
            pass_threshold=threshold,
        )
        notes = None
        if result is InspectionResult.FAIL and score >= threshold - 5 and rng.random() < 0.4:
            result, notes = InspectionResult.CONDITIONAL, CONDITIONAL_NOTE
        inspected = _between(ctx, started, ended)
        rows.append(
            {
                "product_id": product_id,
                "inspector_id": rng.choice(ctx.user_ids),
                "inspected_at": inspected,
                "sample_size": sample,
                "defects_found": defects,
                "score": score,
                "result": result,
                "notes": notes,
                "created_at": inspected,
                "updated_at": inspected,
                "version": 1,
            }
        )
    if status is BatchStatus.COMPLETED and batch_figures(_verdicts(rows)).accepted == 0:
        # Completed batches went through the quality gate.
        rows[-1]["result"], rows[-1]["notes"] = InspectionResult.CONDITIONAL, CONDITIONAL_NOTE
    return sorted(rows, key=lambda r: r["inspected_at"])


def production_rows(
    ctx: DemoContext, count: int
) -> tuple[list[dict[str, Any]], list[list[dict[str, Any]]]]:
    """Batch rows, and for each batch its inspection rows (without `batch_id` yet)."""
    if not ctx.active_product_ids or not ctx.user_ids:
        raise ValueError("demo batches need active products and users")
    rng = ctx.rng
    statuses = list(STATUS_WEIGHTS)
    batches: list[dict[str, Any]] = []
    inspections: list[list[dict[str, Any]]] = []
    for number in range(count):
        # Cycling through the statuses first guarantees every one of them appears.
        status = (
            statuses[number]
            if number < len(statuses)
            else rng.choices(statuses, weights=list(STATUS_WEIGHTS.values()))[0]
        )
        times = record_times(ctx, 180)
        created: datetime = times["created_at"]
        product_id = rng.choice(ctx.active_product_ids)
        started = completed = None
        reason = None
        checks: list[dict[str, Any]] = []
        was_started = status is not BatchStatus.PENDING and (
            status is not BatchStatus.FAILED or rng.random() < 0.7
        )
        if was_started:
            started = min(ctx.now, created + timedelta(hours=rng.uniform(0, 72)))
            ended = min(ctx.now, started + timedelta(hours=rng.uniform(4, 120)))
            if status is BatchStatus.COMPLETED:
                completed = ended
            checks = _inspections(ctx, status, product_id, started, ended)
        if status is BatchStatus.FAILED:
            reason = rng.choice(FAILURE_REASONS)
        figures = batch_figures(_verdicts(checks))
        last_change = max([created, *(c["inspected_at"] for c in checks)])
        if completed is not None:
            last_change = max(last_change, completed)
        batches.append(
            {
                "batch_number": f"BATCH-{created:%y%m}-{number + 1:06d}",
                "product_id": product_id,
                "quantity": rng.choice((50, 100, 200, 250, 500, 1_000, 2_500, 5_000)),
                "temperature": round(rng.gauss(21, 3), 1),
                "humidity": round(min(100.0, max(0.0, rng.gauss(45, 10))), 1),
                "status": status,
                "started_at": started,
                "completed_at": completed,
                "failure_reason": reason,
                "quality_score": quality_score_of(figures.mean_score),
                "accepted_inspections": figures.accepted,
                "notes": rng.choice(BATCH_NOTES),
                **times,
                "updated_at": last_change,
            }
        )
        inspections.append(checks)
    return batches, inspections


async def load_production(session: AsyncSession, ctx: DemoContext, count: int) -> ProductionCounts:
    """`count` batches and their inspections, through ORM bulk INSERTs (audited)."""
    batches, inspections = production_rows(ctx, count)
    batch_ids = await bulk_insert(session, Batch, batches)
    rows = [
        {"batch_id": batch_id, **check}
        for batch_id, checks in zip(batch_ids, inspections, strict=True)
        for check in checks
    ]
    await bulk_insert(session, Inspection, rows)
    return ProductionCounts(batches=len(batch_ids), inspections=len(rows))
