"""Row shapes and query filters of the audit trail (see "Audit contract")."""

import base64
import binascii
from datetime import UTC, datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.core.app_settings import current_settings
from app.core.http.pagination import MAX_INT
from app.core.schemas import InstantFilter

T = TypeVar("T")
Action = Literal["create", "update", "delete", "security"]
DEFAULT_LIMIT = 50


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The id a page continues from; ValueError for anything a client invented."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError) as error:
        raise ValueError("cursor is not one this API handed out") from error
    prefix, _, number = raw.partition(":")
    if prefix != "id" or not number.isdigit() or not 0 < int(number) <= 2**63 - 1:
        raise ValueError("cursor is not one this API handed out")
    return int(number)


class ChangeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    occurred_at: datetime
    action: str
    entity: str
    entity_id: int | None
    actor_id: int | None
    actor: str | None
    request_id: str | None
    client_ip: str | None
    event: str | None
    reason: str | None
    changes: dict[str, Any]


class AccessRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    occurred_at: datetime
    request_id: str
    method: str
    route: str | None
    path: str
    status_code: int
    duration_ms: float
    user_id: int | None
    client_ip: str | None
    user_agent: str | None


class KeysetPage(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


class KeysetQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=DEFAULT_LIMIT, ge=1)
    cursor: str | None = Field(default=None, max_length=100)

    @field_validator("limit")
    @classmethod
    def _cap_limit(cls, limit: int) -> int:
        cap = max(current_settings().page_size_max, DEFAULT_LIMIT)
        if limit > cap:
            raise ValueError(f"limit must be at most {cap}")
        return limit

    @field_validator("cursor")
    @classmethod
    def _valid_cursor(cls, cursor: str | None) -> str | None:
        if cursor is not None:
            decode_cursor(cursor)
        return cursor

    @property
    def after_id(self) -> int | None:
        return decode_cursor(self.cursor) if self.cursor else None

    def filters(self) -> dict[str, object]:
        """The filters the caller set, for the `audit_read` event."""
        return {
            name: value.isoformat() if isinstance(value, datetime) else value
            for name, value in self.model_dump(exclude={"limit", "cursor"}).items()
            if value is not None
        }


class TimeRangeQuery(KeysetQuery):
    since: InstantFilter | None = None
    until: InstantFilter | None = None

    @field_validator("since", "until")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class ChangeQuery(TimeRangeQuery):
    entity: str | None = Field(default=None, max_length=64)
    entity_id: int | None = Field(default=None, ge=1, le=2**63 - 1)
    actor_id: int | None = Field(default=None, ge=1, le=MAX_INT)
    action: Action | None = None
    event: str | None = Field(default=None, max_length=32)
    request_id: str | None = Field(default=None, max_length=64)


class AccessQuery(TimeRangeQuery):
    request_id: str | None = Field(default=None, max_length=64)
    user_id: int | None = Field(default=None, ge=1, le=MAX_INT)
    status_code: int | None = Field(default=None, ge=100, le=599)
    method: str | None = Field(default=None, max_length=16)
    path: str | None = Field(default=None, max_length=500)

    @field_validator("method")
    @classmethod
    def _upper(cls, method: str | None) -> str | None:
        return method.upper() if method else method
