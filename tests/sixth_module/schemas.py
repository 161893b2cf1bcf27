from datetime import datetime
from typing import Annotated, ClassVar

from pydantic import Field, StringConstraints
from sqlmodel import SQLModel

from app.core.http.pagination import ListQuery
from app.core.schemas import UpdateSchema

GadgetName = Annotated[str, StringConstraints(min_length=1, max_length=100)]
ProductRef = Annotated[int, Field(ge=1, le=2**31 - 1)]


class GadgetBase(SQLModel):
    name: GadgetName
    product_id: ProductRef | None = None


class GadgetCreate(GadgetBase):
    model_config = {"extra": "forbid"}


class GadgetUpdate(UpdateSchema):
    not_null: ClassVar[frozenset[str]] = frozenset({"name"})

    name: GadgetName | None = None
    product_id: ProductRef | None = None


class GadgetRead(GadgetBase):
    id: int
    version: int
    created_at: datetime
    updated_at: datetime


class GadgetListQuery(ListQuery):
    sortable: ClassVar[frozenset[str]] = frozenset({"name", "created_at", "updated_at"})
