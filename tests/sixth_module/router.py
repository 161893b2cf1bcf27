from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from app.core.db.database import DbSession
from app.core.http.etag import IfMatch, set_etag
from app.core.http.pagination import Page
from app.core.http.routing import (
    API_PREFIX,
    CHANGE_RESPONSES,
    LIST_RESPONSES,
    READ_RESPONSES,
    WRITE_RESPONSES,
    RecordId,
)
from app.core.security.permissions import Principal, require
from tests.sixth_module.schemas import GadgetCreate, GadgetListQuery, GadgetRead, GadgetUpdate
from tests.sixth_module.service import GadgetService

router = APIRouter(prefix=f"{API_PREFIX}/gadgets", tags=["gadgets"])


async def gadget_service(session: DbSession) -> GadgetService:
    return GadgetService(session)


Gadgets = Annotated[GadgetService, Depends(gadget_service)]
CanRead = Annotated[Principal, Depends(require("gadgets", "read"))]
CanCreate = Annotated[Principal, Depends(require("gadgets", "create"))]
CanUpdate = Annotated[Principal, Depends(require("gadgets", "update"))]
CanDelete = Annotated[Principal, Depends(require("gadgets", "delete"))]


@router.get("", response_model=Page[GadgetRead], responses=LIST_RESPONSES)
async def list_gadgets(
    query: Annotated[GadgetListQuery, Query()], gadgets: Gadgets, _: CanRead
) -> Page[GadgetRead]:
    return await gadgets.list(query)


@router.post("", status_code=status.HTTP_201_CREATED, responses=WRITE_RESPONSES)
async def create_gadget(
    data: GadgetCreate, request: Request, response: Response, gadgets: Gadgets, _: CanCreate
) -> GadgetRead:
    gadget = await gadgets.create(data)
    response.headers["Location"] = str(request.url_for("get_gadget", gadget_id=gadget.id))
    set_etag(response, gadget.version)
    return GadgetRead.model_validate(gadget)


@router.get("/{gadget_id}", responses=READ_RESPONSES)
async def get_gadget(
    gadget_id: RecordId, response: Response, gadgets: Gadgets, _: CanRead
) -> GadgetRead:
    gadget = await gadgets.get(gadget_id)
    set_etag(response, gadget.version)
    return GadgetRead.model_validate(gadget)


@router.patch("/{gadget_id}", responses=CHANGE_RESPONSES)
async def update_gadget(
    gadget_id: RecordId,
    data: GadgetUpdate,
    expected: IfMatch,
    response: Response,
    gadgets: Gadgets,
    _: CanUpdate,
) -> GadgetRead:
    gadget = await gadgets.update(gadget_id, data, expected)
    set_etag(response, gadget.version)
    return GadgetRead.model_validate(gadget)


@router.delete("/{gadget_id}", status_code=status.HTTP_204_NO_CONTENT, responses=CHANGE_RESPONSES)
async def delete_gadget(
    gadget_id: RecordId, expected: IfMatch, gadgets: Gadgets, _: CanDelete
) -> None:
    await gadgets.delete(gadget_id, expected)
