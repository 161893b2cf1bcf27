from sqlalchemy import ColumnElement, or_
from sqlmodel import col, select

from app.core.repository import BaseRepository
from app.core.schemas import escape_like
from app.modules.products.models import Product
from app.modules.products.schemas import ProductListQuery


class ProductRepository(BaseRepository[Product]):
    model = Product
    label = "Product"

    def conditions(self, query: ProductListQuery) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if query.q:
            pattern = f"%{escape_like(query.q)}%"
            found.append(
                or_(
                    col(Product.name).ilike(pattern, escape="\\"),
                    col(Product.sku).ilike(pattern, escape="\\"),
                    col(Product.description).ilike(pattern, escape="\\"),
                )
            )
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
