"""Constrained types and schema bases shared by every module."""

import re
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Annotated, ClassVar, Self

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    Strict,
    WithJsonSchema,
    model_validator,
)
from pydantic.config import JsonDict
from pydantic_core import PydanticCustomError
from sqlmodel import SQLModel

from app.core.http.pagination import MAX_INT

TWO_PLACES = Decimal("0.01")

# What a request may hold is what the OpenAPI document says, and the document's patterns are
# ECMA-262 regular expressions (JSON Schema), read by clients and by schemathesis' validator.
# The validators here read the same pattern strings with Rust's or Python's engine, whose `\d`,
# `\w` and `\s` are Unicode-aware where ECMA-262's are not (and ECMA's `\s` has U+FEFF, theirs
# U+001C-U+001F or U+0085), so every pattern spells its classes out: `[0-9]`, `[A-Za-z0-9_]`,
# and SPACE below. Values are transformed (trimmed, upper-cased) only after they were checked,
# never before: otherwise "x" * 200 + " " would pass a 200-character limit the document states.
SPACE_CHARACTERS = (
    "\t\n\v\f\r \u00a0\u1680"
    + "".join(chr(code) for code in range(0x2000, 0x200B))
    + "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
SPACE = r"\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
# Characters that take no room on screen (NEL, zero-width space and joiners, word joiner,
# soft hyphen): a name made only of them and spaces looks empty, so it counts as blank.
INVISIBLE = r"\u0085\u00ad\u180e\u200b-\u200d\u2060"
NOT_BLANK = f"[^{SPACE}{INVISIBLE}]"


def _trim(value: str) -> str:
    return value.strip(SPACE_CHARACTERS)


# After StringConstraints(min_length=1, max_length=N, pattern=NOT_BLANK): the stored label
# loses the spaces around it, and what remains is never empty.
Trimmed = AfterValidator(_trim)


def padded(pattern: str) -> str:
    """`pattern` anchored, with spaces allowed around it: a code as people type it."""
    return f"^[{SPACE}]*{pattern}[{SPACE}]*$"


def _trim_upper(value: str) -> str:
    return _trim(value).upper()


# After StringConstraints(pattern=padded(...)): a code typed in either case, spaces around it,
# is checked as typed and stored trimmed and upper-cased: " wid-1 " becomes "WID-1".
UpperCode = AfterValidator(_trim_upper)


def _spelled(pattern: str, message: str, *others: type) -> BeforeValidator:
    """Text must match the document's pattern before pydantic's laxer parsing reads it; any
    other input must already be one of `others` (never a bool, which Python counts as an int)."""
    compiled = re.compile(pattern)

    def check(value: object) -> object:
        if isinstance(value, str):
            if compiled.fullmatch(value) is None:
                raise ValueError(message)
        elif isinstance(value, bool) or not isinstance(value, others):
            raise ValueError(message)
        return value

    return BeforeValidator(check)


def _quantize(value: Decimal) -> Decimal:
    return value.quantize(TWO_PLACES)


# At most 10 digits before the point and 2 after, above zero: "19.90", "5", "0.05".
MONEY_PATTERN = r"^(?:[1-9][0-9]{0,9}(?:\.[0-9]{1,2})?|0\.(?:[1-9][0-9]?|0[1-9]))$"
Money = Annotated[
    Decimal,
    _spelled(
        MONEY_PATTERN,
        "use a positive amount with at most 2 decimals, such as 19.90",
        int,
        float,
        Decimal,
    ),
    Field(gt=0, max_digits=12, decimal_places=2),
    AfterValidator(_quantize),
    PlainSerializer(lambda v: f"{v:.2f}", return_type=str, when_used="json"),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "exclusiveMinimum": 0, "maximum": 9_999_999_999.99},
                {"type": "string", "pattern": MONEY_PATTERN},
            ],
            "examples": ["19.90"],
        },
        mode="validation",
    ),
]
# A bound in a list filter: the same amounts, and zero.
AMOUNT_PATTERN = r"^(?:0|[1-9][0-9]{0,9})(?:\.[0-9]{1,2})?$"
Amount = Annotated[
    Decimal,
    _spelled(
        AMOUNT_PATTERN, "use an amount with at most 2 decimals, such as 19.90", int, float, Decimal
    ),
    Field(ge=0, max_digits=12, decimal_places=2),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0, "maximum": 9_999_999_999.99},
                {"type": "string", "pattern": AMOUNT_PATTERN},
            ]
        },
        mode="validation",
    ),
]


def _integral(value: object) -> object:
    # JSON Schema's integer is a number without a fraction, however it is written: `5.0` is one
    # (pydantic's int reads it as 5 and refuses 5.5), but text and booleans are not numbers.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


Integral = BeforeValidator(_integral)
# JSON bodies are validated in Python mode, where pydantic would also take `0` for false,
# `true` for 1 or a Unix timestamp for a date: these types refuse what the schema does not allow.
Count = Annotated[int, Field(ge=0, le=MAX_INT), Integral]
Flag = Annotated[bool, Strict()]
# A query string carries text: the document's boolean is spelled `true` or `false`, nothing
# else ("1", "yes", "on" are pydantic's, not the document's).
QueryFlag = Annotated[bool, _spelled(r"^(?:true|false)$", "use true or false", bool)]
DAY_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


def _iso_day_only(value: object) -> object:
    if isinstance(value, str) and re.fullmatch(DAY_PATTERN, value) is None:
        raise ValueError("use a calendar date, YYYY-MM-DD")
    if not isinstance(value, str | date) or isinstance(value, datetime):
        raise ValueError("use a calendar date, YYYY-MM-DD")
    return value


Day = Annotated[date, BeforeValidator(_iso_day_only)]


def _within_calendar(value: datetime) -> datetime:
    # 9999-12-31T23:59:59-14:00 is year 10000 in UTC: the database layer and every comparison
    # convert to UTC, where Python's datetime overflows.
    if value.tzinfo is not None:
        try:
            value.astimezone(UTC)
        except OverflowError:
            raise ValueError("use a time that falls within the years 1 to 9999 in UTC") from None
    return value


InCalendar = AfterValidator(_within_calendar)
_CLOCK = r"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,6})?"
_OFFSET = r"(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
# RFC 3339 as the admin UI and `datetime.isoformat()` write it: "2026-11-24T09:00:00Z".
INSTANT_PATTERN = f"^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}{_CLOCK}{_OFFSET}$"
Instant = Annotated[
    AwareDatetime,
    _spelled(
        INSTANT_PATTERN,
        "use an ISO 8601 time with its offset, such as 2026-11-24T09:00:00Z",
        datetime,
    ),
    InCalendar,
    WithJsonSchema(
        {"type": "string", "format": "date-time", "pattern": INSTANT_PATTERN}, mode="validation"
    ),
]
# A time filter may leave out the offset: it then means UTC.
INSTANT_FILTER_PATTERN = f"^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}{_CLOCK}{_OFFSET}?$"
InstantFilter = Annotated[
    datetime,
    _spelled(
        INSTANT_FILTER_PATTERN, "use an ISO 8601 time, such as 2026-11-24T09:00:00Z", datetime
    ),
    InCalendar,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": INSTANT_FILTER_PATTERN,
            "description": "ISO 8601; UTC when it has no offset",
        },
        mode="validation",
    ),
]


def _document_not_null(schema: JsonDict, model: type[object]) -> None:
    """The document offers `null` only where the update takes it (see UpdateSchema)."""
    not_null: frozenset[str] = getattr(model, "not_null", frozenset())
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return
    for name in not_null:
        prop = properties.get(name)
        options = prop.get("anyOf") if isinstance(prop, dict) else None
        if not isinstance(prop, dict) or not isinstance(options, list):
            continue
        kept = [o for o in options if not (isinstance(o, dict) and o.get("type") == "null")]
        if len(kept) == 1 and isinstance(kept[0], dict):
            del prop["anyOf"]
            prop.update({**kept[0], **prop})
        else:
            prop["anyOf"] = kept


class UpdateSchema(SQLModel):
    """A partial update: every field optional, unknown fields refused, and an explicit
    null refused for the columns that cannot be empty."""

    model_config = {"extra": "forbid", "json_schema_extra": _document_not_null}
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
