from datetime import datetime
from enum import StrEnum

from sqlmodel import Field

from app.core.db.models import AuditSpec, RecordBase, UTCDateTime, enum_type, utc_now


class InspectionResult(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    CONDITIONAL = "conditional"


ResultType = enum_type(InspectionResult, "inspection_result")


class Inspection(RecordBase, table=True):
    __tablename__ = "inspections"
    __table_args__ = ({"sqlite_autoincrement": True},)
    __audit__ = AuditSpec()

    batch_id: int = Field(foreign_key="batches.id", index=True)
    # The batch's product, copied when the inspection is created (see InspectionService.create).
    product_id: int = Field(foreign_key="products.id", index=True)
    inspector_id: int = Field(foreign_key="users.id", index=True)
    inspected_at: datetime = Field(
        default_factory=utc_now, sa_type=UTCDateTime, nullable=False, index=True
    )
    sample_size: int
    defects_found: int
    score: float = Field(index=True)
    result: InspectionResult = Field(sa_type=ResultType, index=True)
    notes: str | None = Field(default=None, max_length=2_000)
