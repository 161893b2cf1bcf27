from enum import StrEnum

from sqlmodel import Field

from app.core.db.models import AuditSpec, RecordBase, enum_type


class CustomerStatus(StrEnum):
    LEAD = "lead"
    ACTIVE = "active"
    INACTIVE = "inactive"


class Customer(RecordBase, table=True):
    __tablename__ = "customers"
    __table_args__ = ({"sqlite_autoincrement": True},)
    __audit__ = AuditSpec()

    name: str = Field(max_length=200, index=True)
    email: str = Field(max_length=320, unique=True, index=True)
    phone: str | None = Field(default=None, max_length=21)
    company: str | None = Field(default=None, max_length=200, index=True)
    status: CustomerStatus = Field(
        default=CustomerStatus.LEAD,
        sa_type=enum_type(CustomerStatus, "customer_status", 16),
        index=True,
    )
    notes: str | None = Field(default=None, max_length=5_000)
