from datetime import datetime
from enum import StrEnum

from sqlmodel import Field

from app.core.db.models import AuditSpec, RecordBase, UTCDateTime, enum_type


class BatchStatus(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    FAILED = "failed"


StatusType = enum_type(BatchStatus, "batch_status")


class Batch(RecordBase, table=True):
    __tablename__ = "batches"
    __table_args__ = ({"sqlite_autoincrement": True},)
    __audit__ = AuditSpec()

    batch_number: str = Field(max_length=20, unique=True, index=True)
    product_id: int = Field(foreign_key="products.id", index=True)
    quantity: int = Field(index=True)
    temperature: float | None = Field(default=None)
    humidity: float | None = Field(default=None)
    status: BatchStatus = Field(default=BatchStatus.PENDING, sa_type=StatusType, index=True)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    failure_reason: str | None = Field(default=None, max_length=500)
    quality_score: float | None = Field(default=None, index=True)
    # Kept by the quality module through BatchService.record_inspections, so that the quality
    # gate is decided here without this module ever reading the inspections table.
    accepted_inspections: int = Field(default=0)
    notes: str | None = Field(default=None, max_length=2_000)
