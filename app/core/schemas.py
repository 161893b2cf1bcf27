"""Constrained types and schema bases shared by every module."""

import re
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Annotated, ClassVar, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    Strict,
    model_validator,
)
from sqlmodel import SQLModel

from app.core.pagination import MAX_INT

TWO_PLACES = Decimal("0.01")


def _quantize(value: Decimal) -> Decimal:
    return value.quantize(TWO_PLACES)


Money = Annotated[
    Decimal,
    Field(gt=0, max_digits=12, decimal_places=2, examples=["19.90"]),
    AfterValidator(_quantize),
    PlainSerializer(lambda v: f"{v:.2f}", return_type=str, when_used="json"),
]
# JSON bodies are validated in Python mode, where pydantic would also take `0` for false,
# `true` for 1 or a Unix timestamp for a date: these types refuse what the schema does not allow.
Count = Annotated[int, Strict(), Field(ge=0, le=MAX_INT)]
Flag = Annotated[bool, Strict()]
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_day_only(value: object) -> object:
    if isinstance(value, str) and not _ISO_DAY.match(value):
        raise ValueError("use a calendar date, YYYY-MM-DD")
    if not isinstance(value, str | date) or isinstance(value, datetime):
        raise ValueError("use a calendar date, YYYY-MM-DD")
    return value


Day = Annotated[date, BeforeValidator(_iso_day_only)]


class UpdateSchema(SQLModel):
    """A partial update: every field optional, unknown fields refused, and an explicit
    null refused for the columns that cannot be empty."""

    model_config = {"extra": "forbid"}
    not_null: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _refuse_nulls(self) -> Self:
        nulled = sorted(
            name for name in self.model_fields_set & self.not_null if getattr(self, name) is None
        )
        if nulled:
            raise ValueError(f"{', '.join(nulled)} cannot be null")
        return self

    def changes(self) -> dict[str, object]:
        return self.model_dump(exclude_unset=True)


class DateRange(BaseModel):
    """Inclusive UTC calendar days."""

    model_config = ConfigDict(extra="forbid")

    date_from: Day | None = None
    date_to: Day | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError("date_from must not be after date_to")
        return self

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        """[start, end) as UTC instants: the end is midnight after `date_to`."""
        start = datetime.combine(self.date_from, time(), UTC) if self.date_from else None
        end = (
            datetime.combine(self.date_to + timedelta(days=1), time(), UTC)
            if self.date_to and self.date_to < date.max
            else None
        )
        return start, end
