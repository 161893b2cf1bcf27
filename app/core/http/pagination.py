"""Page[T] and the list query every collection accepts: page, size, sort, q, format.

Each resource subclasses `ListQuery`, adds its filters as fields and names the columns it
may be sorted by. Unknown query parameters are refused (`extra="forbid"`), so a typo in a
filter is a 422 instead of a silently unfiltered list.
"""

import math
from typing import ClassVar, Generic, Literal, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.core.app_settings import current_settings

# Keeps every integer a client can send inside what both databases store (32-bit ints).
MAX_INT = 2_147_483_647


class ListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sortable: ClassVar[frozenset[str]] = frozenset({"id", "created_at", "updated_at"})
    default_sort: ClassVar[str] = "-created_at"

    page: int = Field(default=1, ge=1, le=MAX_INT)
    size: int = Field(default_factory=lambda: current_settings().page_size_default, ge=1)
    sort: str | None = Field(default=None, max_length=200, examples=["-created_at,id"])
    q: str | None = Field(default=None, min_length=1, max_length=200)
    format: Literal["json", "csv"] | None = None

    @field_validator("size")
    @classmethod
    def _cap_size(cls, size: int) -> int:
        cap = current_settings().page_size_max
        if size > cap:
            raise ValueError(f"size must be at most {cap}")
        return size

    @field_validator("sort")
    @classmethod
    def _whitelist_sort(cls, sort: str | None) -> str | None:
        if sort is None:
            return None
        for name, _ in _parse_sort(sort):
            if name not in cls.sortable:
                allowed = ", ".join(sorted(cls.sortable))
                raise ValueError(f"cannot sort by '{name}'; allowed: {allowed}")
        return sort

    @model_validator(mode="after")
    def _cap_offset(self) -> Self:
        cap = current_settings().max_offset
        if self.offset > cap:
            raise ValueError(
                f"page {self.page} starts past row {cap}: narrow the list with a filter "
                "or q instead of paging this deep"
            )
        return self

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    @property
    def order(self) -> list[tuple[str, bool]]:
        """(field, descending) pairs, the resource's default when none was asked for."""
        return _parse_sort(self.sort or self.default_sort)


def _parse_sort(sort: str) -> list[tuple[str, bool]]:
    fields: list[tuple[str, bool]] = []
    for raw in sort.split(","):
        item = raw.strip()
        if not item:
            raise ValueError("empty sort field")
        descending = item.startswith("-")
        fields.append((item.lstrip("-+"), descending))
    return fields


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    size: int
    pages: int

    @classmethod
    def build(cls, items: list[T], total: int, query: ListQuery) -> "Page[T]":
        return cls(
            items=items,
            total=total,
            page=query.page,
            size=query.size,
            pages=math.ceil(total / query.size) if total else 0,
        )
