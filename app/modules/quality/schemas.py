from datetime import date, datetime
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, Field, StringConstraints
from sqlmodel import SQLModel

from app.core.http.pagination import MAX_INT, ListQuery
from app.core.schemas import DateRange, Instant, Integral, UpdateSchema
from app.modules.quality.models import InspectionResult

RecordRef = Annotated[int, Field(ge=1, le=MAX_INT)]
BodyRef = Annotated[RecordRef, Integral]
SampleSize = Annotated[int, Field(gt=0, le=MAX_INT), Integral]
Defects = Annotated[int, Field(ge=0, le=MAX_INT), Integral]
Notes = Annotated[str, StringConstraints(max_length=2_000)]
# A client chooses only `conditional`; pass and fail follow from the score.
ChosenResult = Literal[InspectionResult.CONDITIONAL]


class InspectionBase(SQLModel):
    batch_id: BodyRef
    sample_size: SampleSize
    defects_found: Defects
    notes: Notes | None = None


class InspectionCreate(InspectionBase):
    model_config = {"extra": "forbid"}

    inspector_id: BodyRef | None = Field(default=None, description="Defaults to the caller")
    inspected_at: Instant | None = Field(default=None, description="Defaults to now")
    result: ChosenResult | None = Field(
        default=None, description="Only `conditional` (with notes); otherwise from the score"
    )


class InspectionUpdate(UpdateSchema):
    """`result: null` drops a conditional verdict and lets the score decide again."""

    not_null: ClassVar[frozenset[str]] = frozenset(
        {"inspector_id", "inspected_at", "sample_size", "defects_found"}
    )

    inspector_id: BodyRef | None = None
    inspected_at: Instant | None = None
    sample_size: SampleSize | None = None
    defects_found: Defects | None = None
    result: ChosenResult | None = None
    notes: Notes | None = None


class InspectionRead(InspectionBase):
    id: int
    product_id: int
    inspector_id: int
    inspected_at: datetime
    score: float = Field(description="100 * (1 - defects / sample), 2 places")
    result: InspectionResult
    version: int
    created_at: datetime
    updated_at: datetime


class InspectionListQuery(ListQuery, DateRange):
    sortable: ClassVar[frozenset[str]] = frozenset(
        {"inspected_at", "score", "result", "created_at", "updated_at"}
    )
    default_sort: ClassVar[str] = "-inspected_at"

    batch_id: RecordRef | None = None
    result: InspectionResult | None = None
    inspector_id: RecordRef | None = None


class QualitySummaryQuery(DateRange):
    product_id: RecordRef | None = None


class InspectionFigures(BaseModel):
    """Fractions are rounded to 4 places, scores to 2; all null without inspections."""

    inspection_count: int
    pass_rate: float | None = Field(description="results `pass` / all inspections")
    mean_score: float | None


class ProductInspectionFigures(InspectionFigures):
    product_id: int
    defect_rate: float | None = Field(description="Σ defects / Σ samples")


class DayInspectionFigures(InspectionFigures):
    day: date


class QualitySummary(InspectionFigures):
    defect_rate: float | None = Field(description="Σ defects / Σ samples")
    per_product: list[ProductInspectionFigures]
    trend: list[DayInspectionFigures]
