from datetime import datetime
from decimal import Decimal
from typing import Annotated, ClassVar

from pydantic import BeforeValidator, Field, StringConstraints
from sqlmodel import SQLModel

from app.core.pagination import ListQuery
from app.core.schemas import Count, Flag, Money, UpdateSchema


def _upper(value: object) -> object:
    return value.strip().upper() if isinstance(value, str) else value


Sku = Annotated[
    str,
    BeforeValidator(_upper),
    StringConstraints(
        min_length=3,
        max_length=64,
        pattern=r"^[A-Z0-9][A-Z0-9._-]*$",
    ),
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Category = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Description = Annotated[str, StringConstraints(max_length=5_000)]


class ProductBase(SQLModel):
    name: Name
    description: Description | None = None
    category: Category | None = None
    price: Money
    stock: Count = 0
    is_active: Flag = True


class ProductCreate(ProductBase):
    model_config = {"extra": "forbid"}
    sku: Sku = Field(examples=["WIDGET-001"])


class ProductUpdate(UpdateSchema):
    not_null: ClassVar[frozenset[str]] = frozenset({"sku", "name", "price", "stock", "is_active"})

    sku: Sku | None = None
    name: Name | None = None
    description: Description | None = None
    category: Category | None = None
    price: Money | None = None
    stock: Count | None = None
    is_active: Flag | None = None


class ProductRead(ProductBase):
    id: int
    sku: str
    slug: str
    version: int
    created_at: datetime
    updated_at: datetime


class ProductListQuery(ListQuery):
    sortable: ClassVar[frozenset[str]] = frozenset(
        {"name", "sku", "price", "stock", "created_at", "updated_at"}
    )

    category: Category | None = None
    is_active: bool | None = None
    min_price: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)
    max_price: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)
