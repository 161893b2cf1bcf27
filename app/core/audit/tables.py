"""The audit tables. They live in core because the session hooks in `app.core.audit` write
them; they are not `RecordBase` records (never updated, so no version) and never audited."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, Table
from sqlmodel import Field, SQLModel

from app.core.db.models import UTCDateTime, utc_now

# BIGINT on PostgreSQL (the trail outgrows 2^31); INTEGER on SQLite, where only an
# "INTEGER PRIMARY KEY" is an auto-incrementing rowid. Like every integer key it is
# AUTOINCREMENT there (`sqlite_autoincrement`): a plain rowid hands the highest deleted id to
# the next row, and an archived id handed out again is a row the archive takes for its own.
AuditId = BigInteger().with_variant(Integer(), "sqlite")

ACTOR_MAX = 320
REASON_MAX = 1_000


class AuditChange(SQLModel, table=True):
    __tablename__ = "audit_changes"
    __table_args__ = (
        Index("ix_audit_changes_entity_entity_id_id", "entity", "entity_id", "id"),
        Index("ix_audit_changes_actor_id_id", "actor_id", "id"),
        Index("ix_audit_changes_action_id", "action", "id"),
        Index("ix_audit_changes_event_id", "event", "id"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, sa_column=Column(AuditId, primary_key=True))
    occurred_at: datetime = Field(
        default_factory=utc_now, sa_type=UTCDateTime, nullable=False, index=True
    )
    action: str = Field(max_length=16)
    entity: str = Field(max_length=64)
    entity_id: int | None = Field(default=None, sa_type=BigInteger)
    actor_id: int | None = None
    actor: str | None = Field(default=None, max_length=ACTOR_MAX)
    request_id: str | None = Field(default=None, max_length=64, index=True)
    client_ip: str | None = Field(default=None, max_length=64)
    event: str | None = Field(default=None, max_length=32)
    reason: str | None = Field(default=None, max_length=REASON_MAX)
    changes: dict[str, Any] = Field(default_factory=dict, sa_type=JSON, nullable=False)


class AuditAccess(SQLModel, table=True):
    __tablename__ = "audit_access"
    __table_args__ = (
        Index("ix_audit_access_user_id_id", "user_id", "id"),
        Index("ix_audit_access_status_code_id", "status_code", "id"),
        Index("ix_audit_access_path_id", "path", "id"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, sa_column=Column(AuditId, primary_key=True))
    occurred_at: datetime = Field(
        default_factory=utc_now, sa_type=UTCDateTime, nullable=False, index=True
    )
    request_id: str = Field(max_length=64, index=True)
    method: str = Field(max_length=16)
    route: str | None = Field(default=None, max_length=500)
    path: str = Field(max_length=500)
    status_code: int
    duration_ms: float
    user_id: int | None = None
    client_ip: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=500)


AUDIT_CHANGES: Table = AuditChange.__table__  # type: ignore[attr-defined]
AUDIT_ACCESS: Table = AuditAccess.__table__  # type: ignore[attr-defined]
