"""The sixth module's table, on a MetaData of its own: the app's metadata (and with it
Alembic's drift check and every other test's schema) never learns of it. A real module uses
the shared metadata and ships an Alembic revision instead."""

from sqlalchemy import MetaData
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from app.core.db.models import AuditSpec, RecordBase

GADGET_METADATA = MetaData(naming_convention=SQLModel.metadata.naming_convention)


class _GadgetRecord(RecordBase, registry=registry(metadata=GADGET_METADATA)):
    pass


class Gadget(_GadgetRecord, table=True):
    __tablename__ = "gadgets"
    __audit__ = AuditSpec()

    name: str = Field(max_length=100, index=True)
    # No foreign key: the products table lives in the other MetaData. The delete guard is
    # what keeps a named product from going away.
    product_id: int | None = Field(default=None, index=True)
