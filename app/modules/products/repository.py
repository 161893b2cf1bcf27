from sqlalchemy import ColumnElement
from sqlmodel import col, select

from app.core.db.repository import BaseRepository, matches_text
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

    async def get_active(self, product_id: int) -> Product | None:
        product = await self.get(product_id)
        return product if product is not None and product.is_active else None
