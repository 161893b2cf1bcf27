"""The one generic history route: `GET <prefix>/{id}/history` for any audited resource.

`app/routers.py` adds one for each module spec with a table and a path: a module never
writes its own.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from app.audit.router import audit_service
from app.audit.schemas import ChangeRead, KeysetPage, KeysetQuery
from app.audit.service import AuditService
from app.core.permissions import Principal, require
from app.core.routing import API_PREFIX, READ_RESPONSES, RecordId

Audit = Annotated[AuditService, Depends(audit_service)]


def history_router(path: str, entity: str, module: str) -> APIRouter:
    """History of `entity` (its table name) at `/api/v1<path>/{id}/history`, readable by whoever
    holds `<module>:read`."""
    router = APIRouter(prefix=f"{API_PREFIX}{path}", tags=[module])
    CanRead = Annotated[Principal, Depends(require(module, "read"))]

    @router.get(
        "/{record_id}/history",
        responses=READ_RESPONSES,
        name=f"{entity}_history",
        summary=f"History of one of the {entity}",
    )
    async def read_history(
        record_id: RecordId,
        query: Annotated[KeysetQuery, Query()],
        audit: Audit,
        reader: CanRead,
    ) -> KeysetPage[ChangeRead]:
        return await audit.history(entity, record_id, query, reader.user_id)

    return router
