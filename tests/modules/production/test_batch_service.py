"""BatchService without HTTP: the state machine, the quality gate and the stats fold."""

from decimal import Decimal

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.config import get_settings
from app.core.exceptions import InvalidState, NotFound, ValidationFailed
from app.modules.production.models import BatchStatus
from app.modules.production.schemas import (
    BatchCreate,
    BatchUpdate,
    ProductionStatsQuery,
)
from app.modules.production.service import BatchService
from app.modules.products.schemas import ProductCreate
from app.modules.products.service import ProductService


async def _product(session: AsyncSession, sku: str, *, active: bool = True) -> int:
    product = await ProductService(session).create(
        ProductCreate(sku=sku, name=sku, price=Decimal("1.00"), is_active=active)
    )
    assert product.id is not None
    return product.id


async def _batch(service: BatchService, number: str, product_id: int, quantity: int = 10) -> int:
    batch = await service.create(
        BatchCreate(batch_number=number, product_id=product_id, quantity=quantity)
    )
    assert batch.id is not None
    return batch.id


async def test_a_batch_moves_pending_in_progress_completed(session: AsyncSession) -> None:
    service = BatchService(session, get_settings())
    batch_id = await _batch(service, "batch-1", await _product(session, "P-1"))

    started = await service.start(batch_id)
    assert (started.status, started.started_at is not None) == (BatchStatus.IN_PROGRESS, True)
    await service.record_inspections(batch_id, mean_score=97.456, accepted=1)
    done = await service.complete(batch_id)

    assert done.status is BatchStatus.COMPLETED
    assert done.completed_at is not None
    assert done.quality_score == 97.46
    assert done.batch_number == "BATCH-1"


async def test_illegal_moves_raise_invalid_state_naming_the_state(session: AsyncSession) -> None:
    service = BatchService(session, get_settings())
    batch_id = await _batch(service, "BATCH-2", await _product(session, "P-2"))

    with pytest.raises(InvalidState, match="pending"):
        await service.complete(batch_id)
    await service.fail(batch_id, "contaminated")
    for action in (service.start, service.complete):
        with pytest.raises(InvalidState, match="failed"):
            await action(batch_id)
    with pytest.raises(InvalidState, match="failed"):
        await service.fail(batch_id, "again")
    with pytest.raises(InvalidState, match="failed"):
        await service.delete(batch_id, None)


async def test_quality_gate_needs_an_accepted_inspection(
    session: AsyncSession,
) -> None:
    service = BatchService(session, get_settings())
    batch_id = await _batch(service, "BATCH-3", await _product(session, "P-3"))
    await service.start(batch_id)
    await service.record_inspections(batch_id, mean_score=40.0, accepted=0)

    with pytest.raises(InvalidState, match="quality gate"):
        await service.complete(batch_id)

    lenient = BatchService(session, get_settings().model_copy(update={"quality_gate": False}))
    assert (await lenient.complete(batch_id)).status is BatchStatus.COMPLETED


async def test_inspection_rules_of_a_batch(session: AsyncSession) -> None:
    service = BatchService(session, get_settings())
    batch_id = await _batch(service, "BATCH-4", await _product(session, "P-4"))

    with pytest.raises(ValidationFailed) as missing:
        await service.require_inspectable(999, field="batch_id")
    assert missing.value.errors[0].loc == ("body", "batch_id")
    with pytest.raises(InvalidState, match="pending"):
        await service.require_inspectable(batch_id)
    await service.start(batch_id)
    assert (await service.require_inspectable(batch_id)).id == batch_id
    assert (await service.require_open(batch_id)).id == batch_id
    await service.fail(batch_id, "broken")
    with pytest.raises(InvalidState, match="locked"):
        await service.require_open(batch_id)
    with pytest.raises(NotFound):
        await service.require_open(999)


async def test_product_can_change_only_while_pending_and_must_be_active(
    session: AsyncSession,
) -> None:
    service = BatchService(session, get_settings())
    first = await _product(session, "P-5")
    second = await _product(session, "P-6")
    inactive = await _product(session, "P-7", active=False)
    batch_id = await _batch(service, "BATCH-5", first)

    with pytest.raises(ValidationFailed):
        await service.update(batch_id, BatchUpdate(product_id=inactive), None)
    moved = await service.update(batch_id, BatchUpdate(product_id=second), None)
    assert moved.product_id == second
    await service.start(batch_id)
    with pytest.raises(InvalidState, match="in_progress"):
        await service.update(batch_id, BatchUpdate(product_id=first), None)
    same = await service.update(batch_id, BatchUpdate(product_id=second, quantity=3), None)
    assert same.quantity == 3


async def test_stats_fold_the_grouped_figures(session: AsyncSession) -> None:
    service = BatchService(session, get_settings())
    a = await _product(session, "P-A")
    b = await _product(session, "P-B")
    done = await _batch(service, "BATCH-A1", a, 100)
    failed = await _batch(service, "BATCH-A2", a, 50)
    await _batch(service, "BATCH-B1", b, 7)
    await service.start(done)
    await service.record_inspections(done, mean_score=90.0, accepted=1)
    await service.complete(done)
    await service.fail(failed, "spilled")

    stats = await service.stats(ProductionStatsQuery())

    assert stats.batch_count == 3
    assert stats.total_quantity == 157
    assert stats.by_status == {
        BatchStatus.PENDING: 1,
        BatchStatus.IN_PROGRESS: 0,
        BatchStatus.COMPLETED: 1,
        BatchStatus.FAILED: 1,
    }
    assert stats.completion_rate == 0.5
    assert stats.mean_quality_score == 90.0
    assert [(p.product_id, p.batch_count, p.completion_rate) for p in stats.per_product] == [
        (a, 2, 0.5),
        (b, 1, None),
    ]
    only_b = await service.stats(ProductionStatsQuery(product_id=b))
    assert (only_b.batch_count, only_b.mean_quality_score) == (1, None)


async def test_stats_cost_one_grouped_query_whatever_the_row_count(
    session: AsyncSession,
) -> None:
    service = BatchService(session, get_settings())
    product_id = await _product(session, "P-Q")
    for number in range(12):
        await _batch(service, f"BATCH-Q{number}", product_id)
    await session.commit()
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    engine = session.bind
    assert isinstance(engine, AsyncEngine)
    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        stats = await service.stats(ProductionStatsQuery())
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)

    # The app's SQLite engine opens each transaction with its own BEGIN: count the queries.
    queries = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert stats.batch_count == 12
    assert len(queries) == 1
    assert "GROUP BY" in queries[0].upper()
