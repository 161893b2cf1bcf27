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
from app.modules.production.schemas import (
    BatchCreate,
    BatchFailure,
    BatchListQuery,
    BatchRead,
    BatchUpdate,
    ProductionStats,
    ProductionStatsQuery,
)
from app.modules.production.service import BatchService

router = APIRouter(prefix=f"{API_PREFIX}/production", tags=["production"])


async def batch_service(session: DbSession, settings: AppSettings) -> BatchService:
    return BatchService(session, settings)


Batches = Annotated[BatchService, Depends(batch_service)]
CanRead = Annotated[Principal, Depends(require("production", "read"))]
CanCreate = Annotated[Principal, Depends(require("production", "create"))]
CanUpdate = Annotated[Principal, Depends(require("production", "update"))]
CanDelete = Annotated[Principal, Depends(require("production", "delete"))]


@router.get("/batches", response_model=Page[BatchRead], responses=LIST_RESPONSES)
async def list_batches(
    request: Request, query: Annotated[BatchListQuery, Query()], batches: Batches, _: CanRead
) -> Page[BatchRead] | Response:
    if wants_csv(request, query):
        return csv_response(request, batches.export_statement(query), BatchRead, "batches")
    return await batches.list_page(query)


@router.post("/batches", status_code=status.HTTP_201_CREATED, responses=WRITE_RESPONSES)
async def create_batch(
    data: BatchCreate, request: Request, response: Response, batches: Batches, _: CanCreate
) -> BatchRead:
    batch = await batches.create(data)
    response.headers["Location"] = str(request.url_for("get_batch", batch_id=batch.id))
    return answer(response, batch, BatchRead)


@router.get("/stats", responses=COMMON)
async def production_stats(
    query: Annotated[ProductionStatsQuery, Query()], batches: Batches, _: CanRead
) -> ProductionStats:
    return await batches.stats(query)


@router.get("/batches/{batch_id}", responses=READ_RESPONSES)
async def get_batch(
    batch_id: RecordId, response: Response, batches: Batches, _: CanRead
) -> BatchRead:
    return answer(response, await batches.get(batch_id), BatchRead)


@router.patch("/batches/{batch_id}", responses=CHANGE_RESPONSES)
async def update_batch(
    batch_id: RecordId,
    data: BatchUpdate,
    expected: IfMatch,
    response: Response,
    batches: Batches,
    _: CanUpdate,
) -> BatchRead:
    return answer(response, await batches.update(batch_id, data, expected), BatchRead)


@router.delete(
    "/batches/{batch_id}", status_code=status.HTTP_204_NO_CONTENT, responses=CHANGE_RESPONSES
)
async def delete_batch(
    batch_id: RecordId, expected: IfMatch, batches: Batches, _: CanDelete
) -> None:
    await batches.delete(batch_id, expected)


@router.post("/batches/{batch_id}/start", responses=CHANGE_RESPONSES)
async def start_batch(
    batch_id: RecordId, expected: IfMatch, response: Response, batches: Batches, _: CanUpdate
) -> BatchRead:
    return answer(response, await batches.start(batch_id, expected), BatchRead)


@router.post("/batches/{batch_id}/complete", responses=CHANGE_RESPONSES)
async def complete_batch(
    batch_id: RecordId, expected: IfMatch, response: Response, batches: Batches, _: CanUpdate
) -> BatchRead:
    return answer(response, await batches.complete(batch_id, expected), BatchRead)


@router.post("/batches/{batch_id}/fail", responses=CHANGE_RESPONSES)
async def fail_batch(
    batch_id: RecordId,
    data: BatchFailure,
    expected: IfMatch,
    response: Response,
    batches: Batches,
    _: CanUpdate,
) -> BatchRead:
    return answer(response, await batches.fail(batch_id, data.failure_reason, expected), BatchRead)
