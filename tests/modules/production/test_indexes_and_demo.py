"""Every sortable or filterable column is indexed, and the demo rows obey the module rules."""

import random
from datetime import UTC, datetime

from sqlalchemy import Table

from app.modules.production.models import Batch, BatchStatus
from app.modules.production.schemas import BatchListQuery
from app.modules.quality.models import Inspection, InspectionResult
from app.modules.quality.schemas import InspectionListQuery
from app.modules.quality.service import score_of
from seeds.demo.common import DemoContext
from seeds.demo.production import production_rows


def _indexed(table: Table) -> set[str]:
    return {column.name for index in table.indexes for column in index.columns}


def test_filter_and_sort_columns_are_indexed() -> None:
    batches: Table = Batch.__table__  # type: ignore[attr-defined]
    inspections: Table = Inspection.__table__  # type: ignore[attr-defined]

    assert set(BatchListQuery.sortable) | {"status", "product_id"} <= _indexed(batches)
    assert set(InspectionListQuery.sortable) | {
        "batch_id",
        "inspector_id",
        "product_id",
    } <= _indexed(inspections)


def _context() -> DemoContext:
    return DemoContext(
        rng=random.Random(7),
        now=datetime(2026, 11, 24, 12, tzinfo=UTC),
        user_ids=[1, 2, 3],
        product_ids=[10, 11],
        active_product_ids=[10, 11],
    )


def test_demo_batches_cover_every_state_and_agree_with_their_inspections() -> None:
    ctx = _context()
    batches, inspections = production_rows(ctx, 80)

    assert {b["status"] for b in batches} == set(BatchStatus)
    assert len({b["batch_number"] for b in batches}) == 80
    accepted = {InspectionResult.PASS, InspectionResult.CONDITIONAL}
    for batch, checks in zip(batches, inspections, strict=True):
        assert 5 <= len(batch["batch_number"]) <= 20
        status = batch["status"]
        if status is BatchStatus.PENDING:
            assert checks == []
            assert batch["started_at"] is None
        if status is BatchStatus.COMPLETED:
            assert any(c["result"] in accepted for c in checks)
            assert batch["started_at"] <= batch["completed_at"] <= ctx.now
        if status is BatchStatus.FAILED:
            assert batch["failure_reason"]
        scores = [c["score"] for c in checks]
        expected = round(sum(scores) / len(scores), 2) if scores else None
        assert batch["quality_score"] == expected
        assert batch["accepted_inspections"] == sum(c["result"] in accepted for c in checks)
        for check in checks:
            assert check["product_id"] == batch["product_id"]
            assert 0 <= check["defects_found"] <= check["sample_size"]
            assert check["score"] == score_of(check["sample_size"], check["defects_found"])
            assert batch["started_at"] <= check["inspected_at"] <= ctx.now
            if check["result"] is InspectionResult.CONDITIONAL:
                assert check["notes"]


def test_demo_rows_are_deterministic() -> None:
    assert production_rows(_context(), 30) == production_rows(_context(), 30)
