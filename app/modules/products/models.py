from decimal import Decimal

from sqlalchemy import Index, Numeric
from sqlmodel import Field

from app.core.db.models import AuditSpec, RecordBase


class Product(RecordBase, table=True):
    __tablename__ = "products"
    __audit__ = AuditSpec()
    # A category's page sorted by price, in index order (see migration 0006).
    __table_args__ = (
        Index("ix_products_category_price_id", "category", "price", "id"),
        {"sqlite_autoincrement": True},
    )

    sku: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(max_length=200, index=True)
    slug: str = Field(max_length=220, unique=True, index=True)
    description: str | None = Field(default=None, max_length=5_000)
    category: str | None = Field(default=None, max_length=100)
    price: Decimal = Field(sa_type=Numeric(12, 2), index=True)
    stock: int = Field(default=0, index=True)
    is_active: bool = Field(default=True, index=True)
