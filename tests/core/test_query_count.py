"""A list page costs the same number of statements whatever its size (no N+1), and every
column a client can filter or sort products by is indexed."""

from decimal import Decimal

from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from app.modules.products.models import Product
from app.modules.products.schemas import ProductCreate, ProductListQuery
from app.modules.products.service import ProductService


async def _statements_for_page(app: FastAPI, size: int) -> int:
    engine: AsyncEngine = app.state.engine
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        async with app.state.session_factory() as session:
            page = await ProductService(session).list_page(ProductListQuery(size=size, sort="name"))
            assert len(page.items) == size
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)
    return len([s for s in statements if s.lstrip().upper().startswith("SELECT")])


async def test_list_page_runs_a_constant_number_of_queries(
    app: FastAPI, session: AsyncSession
) -> None:
    service = ProductService(session)
    for i in range(30):
        await service.create(
            ProductCreate(sku=f"Q-{i:03}", name=f"Part {i}", price=Decimal("1.00"))
        )
    await session.commit()

    small = await _statements_for_page(app, 2)
    large = await _statements_for_page(app, 30)

    assert small == large == 2


def test_filter_and_sort_columns_are_indexed() -> None:
    indexed = {col.name for index in Product.__table__.indexes for col in index.columns}  # type: ignore[attr-defined]
    wanted = set(ProductListQuery.sortable) | {"category", "is_active", "price"}
    assert wanted <= indexed
