from datetime import datetime
from typing import Annotated, ClassVar

from pydantic import Field, StringConstraints
from sqlmodel import SQLModel

from app.core.http.pagination import ListQuery
from app.core.schemas import (
    NOT_BLANK,
    Amount,
    Count,
    Flag,
    Money,
    QueryFlag,
    Trimmed,
    UpdateSchema,
    UpperCode,
    padded,
)

Sku = Annotated[
    str,
    StringConstraints(min_length=3, max_length=64, pattern=padded("[A-Za-z0-9][A-Za-z0-9._-]{2,}")),
    UpperCode,
]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=NOT_BLANK), Trimmed]
Category = Annotated[
    str, StringConstraints(min_length=1, max_length=100, pattern=NOT_BLANK), Trimmed
]
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
    is_active: QueryFlag | None = None
    min_price: Amount | None = None
    max_price: Amount | None = None
