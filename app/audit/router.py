from typing import Annotated

from fastapi import APIRouter, Depends, Query

from app.audit.dependencies import Audit
from app.audit.schemas import AccessQuery, AccessRead, ChangeQuery, ChangeRead, KeysetPage
from app.core.http.routing import API_PREFIX, COMMON
from app.core.security.permissions import Principal, require

router = APIRouter(prefix=f"{API_PREFIX}/audit", tags=["audit"])


CanRead = Annotated[Principal, Depends(require("audit", "read"))]


@router.get("/changes", responses=COMMON)
async def list_changes(
    query: Annotated[ChangeQuery, Query()], audit: Audit, reader: CanRead
) -> KeysetPage[ChangeRead]:
    return await audit.changes(query, reader.user_id)


@router.get("/access", responses=COMMON)
async def list_access(
    query: Annotated[AccessQuery, Query()], audit: Audit, reader: CanRead
) -> KeysetPage[AccessRead]:
    return await audit.access(query, reader.user_id)
