from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from app.core.app_settings import AppSettings
from app.core.db.database import DbSession
from app.core.http.etag import IfMatch, answer
from app.core.http.export import csv_response, wants_csv
from app.core.http.pagination import Page
from app.core.http.routing import (
    API_PREFIX,
    CHANGE_RESPONSES,
    COMMON,
    LIST_RESPONSES,
    READ_RESPONSES,
    WRITE_RESPONSES,
    RecordId,
)
from app.core.security.permissions import Principal, require
from app.modules.quality.schemas import (
    InspectionCreate,
    InspectionListQuery,
    InspectionRead,
    InspectionUpdate,
    QualitySummary,
    QualitySummaryQuery,
)
from app.modules.quality.service import InspectionService

router = APIRouter(prefix=f"{API_PREFIX}/quality", tags=["quality"])


async def inspection_service(session: DbSession, settings: AppSettings) -> InspectionService:
    return InspectionService(session, settings)


Inspections = Annotated[InspectionService, Depends(inspection_service)]
CanRead = Annotated[Principal, Depends(require("quality", "read"))]
CanCreate = Annotated[Principal, Depends(require("quality", "create"))]
CanUpdate = Annotated[Principal, Depends(require("quality", "update"))]
CanDelete = Annotated[Principal, Depends(require("quality", "delete"))]


@router.get("/inspections", response_model=Page[InspectionRead], responses=LIST_RESPONSES)
async def list_inspections(
    request: Request,
    query: Annotated[InspectionListQuery, Query()],
    inspections: Inspections,
    _: CanRead,
) -> Page[InspectionRead] | Response:
    if wants_csv(request, query):
        stmt = inspections.export_statement(query)
        return csv_response(request, stmt, InspectionRead, "inspections")
    return await inspections.list_page(query)


@router.post("/inspections", status_code=status.HTTP_201_CREATED, responses=WRITE_RESPONSES)
async def create_inspection(
    data: InspectionCreate,
    request: Request,
    response: Response,
    inspections: Inspections,
    caller: CanCreate,
) -> InspectionRead:
    inspection = await inspections.create(data, caller_id=caller.user_id)
    location = request.url_for("get_inspection", inspection_id=inspection.id)
    response.headers["Location"] = str(location)
    return answer(response, inspection, InspectionRead)


@router.get("/summary", responses=COMMON)
async def quality_summary(
    query: Annotated[QualitySummaryQuery, Query()], inspections: Inspections, _: CanRead
) -> QualitySummary:
    return await inspections.summary(query)


@router.get("/inspections/{inspection_id}", responses=READ_RESPONSES)
async def get_inspection(
    inspection_id: RecordId, response: Response, inspections: Inspections, _: CanRead
) -> InspectionRead:
    return answer(response, await inspections.get(inspection_id), InspectionRead)


@router.patch("/inspections/{inspection_id}", responses=CHANGE_RESPONSES)
async def update_inspection(
    inspection_id: RecordId,
    data: InspectionUpdate,
    expected: IfMatch,
    response: Response,
    inspections: Inspections,
    _: CanUpdate,
) -> InspectionRead:
    return answer(response, await inspections.update(inspection_id, data, expected), InspectionRead)


@router.delete(
    "/inspections/{inspection_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=CHANGE_RESPONSES,
)
async def delete_inspection(
    inspection_id: RecordId, expected: IfMatch, inspections: Inspections, _: CanDelete
) -> None:
    await inspections.delete(inspection_id, expected)
