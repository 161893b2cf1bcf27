from datetime import datetime
from typing import Annotated, ClassVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
)
from sqlmodel import SQLModel

from app.core.http.pagination import MAX_INT, ListQuery
from app.core.schemas import (
    NOT_BLANK,
    DateRange,
    Integral,
    Trimmed,
    UpdateSchema,
    UpperCode,
    padded,
)
from app.modules.production.models import BatchStatus

# " batch-7 " is accepted as "BATCH-7".
BatchNumber = Annotated[
    str,
    StringConstraints(
        min_length=5, max_length=20, pattern=padded("[Bb][Aa][Tt][Cc][Hh][A-Za-z0-9-]*")
    ),
    UpperCode,
]
ProductId = Annotated[int, Field(ge=1, le=MAX_INT)]
Quantity = Annotated[int, Field(gt=0, le=10_000), Integral]
Temperature = Annotated[float, Strict(), Field(ge=-50, le=200, allow_inf_nan=False)]
Humidity = Annotated[float, Strict(), Field(ge=0, le=100, allow_inf_nan=False)]
Notes = Annotated[str, StringConstraints(max_length=2_000)]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=500, pattern=NOT_BLANK), Trimmed]


class BatchBase(SQLModel):
    product_id: Annotated[ProductId, Integral]
    quantity: Quantity
    temperature: Temperature | None = None
    humidity: Humidity | None = None
    notes: Notes | None = None


class BatchCreate(BatchBase):
    model_config = {"extra": "forbid"}
    batch_number: BatchNumber = Field(examples=["BATCH-2026-001"])


class BatchUpdate(UpdateSchema):
    """Status moves only through the start/complete/fail actions, never through PATCH."""

    not_null: ClassVar[frozenset[str]] = frozenset({"batch_number", "product_id", "quantity"})

    batch_number: BatchNumber | None = None
    product_id: Annotated[ProductId, Integral] | None = None
    quantity: Quantity | None = None
    temperature: Temperature | None = None
    humidity: Humidity | None = None
    notes: Notes | None = None


class BatchFailure(BaseModel):
    model_config = ConfigDict(extra="forbid")
    failure_reason: Reason


class BatchRead(BatchBase):
    id: int
    batch_number: str
    status: BatchStatus
    started_at: datetime | None
    completed_at: datetime | None
    failure_reason: str | None
    quality_score: float | None = Field(description="Mean score of the batch's inspections")
    version: int
    created_at: datetime
    updated_at: datetime


class BatchListQuery(ListQuery, DateRange):
    sortable: ClassVar[frozenset[str]] = frozenset(
        {
            "batch_number",
            "quantity",
            "status",
            "quality_score",
            "started_at",
            "completed_at",
            "created_at",
            "updated_at",
        }
    )

    status: BatchStatus | None = None
    product_id: ProductId | None = None


class ProductionStatsQuery(DateRange):
    product_id: ProductId | None = None


class BatchFigures(BaseModel):
    """Fractions are rounded to 4 places, scores to 2."""

    batch_count: int
    total_quantity: int
    by_status: dict[BatchStatus, int]
    completion_rate: float | None = Field(description="completed / (completed + failed)")
    mean_quality_score: float | None


class ProductBatchFigures(BatchFigures):
    product_id: int


class ProductionStats(BatchFigures):
    per_product: list[ProductBatchFigures]
