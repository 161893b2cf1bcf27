from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from app.core.db.repository import BaseRepository, matches_text
from app.core.http.handlers import unique_field
from app.modules.products.models import Product
from app.modules.products.schemas import ProductListQuery


class ProductRepository(BaseRepository[Product]):
    model = Product
    label = "Product"

    def conditions(self, query: ProductListQuery) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if query.q:
            found.append(matches_text(query.q, Product.name, Product.sku, Product.description))
        if query.category is not None:
            found.append(col(Product.category) == query.category)
        if query.is_active is not None:
            found.append(col(Product.is_active).is_(query.is_active))
        if query.min_price is not None:
            found.append(col(Product.price) >= query.min_price)
        if query.max_price is not None:
            found.append(col(Product.price) <= query.max_price)
        return found

    async def slugs_starting_with(self, base: str) -> set[str]:
        stmt = select(Product.slug).where(col(Product.slug).startswith(base, autoescape=True))
        return set((await self.session.exec(stmt)).all())

    async def save_unless_slug_taken(
        self, product: Product, changes: dict[str, Any] | None = None
    ) -> bool:
        """Insert `product`, or apply `changes` to it, in a savepoint. False, with nothing
        written, when a concurrent writer committed the same slug first: the slug was chosen
        from the rows committed when it was read. Any other conflict propagates."""
        try:
            async with self.session.begin_nested():
                if changes is None:
                    self.session.add(product)
                else:
                    for name, value in changes.items():
                        setattr(product, name, value)
                await self.session.flush()
        except IntegrityError as error:
            if unique_field(error) != "slug":
                raise
            if changes is not None:
                # The savepoint's rollback expired it; reload now, not lazily on the next read.
                await self.session.refresh(product)
            return False
        return True

    async def get_active(self, product_id: int) -> Product | None:
        product = await self.get(product_id)
        return product if product is not None and product.is_active else None
