"""The one generic history route: `GET <prefix>/{id}/history` for any audited resource.

`app/routers.py` adds one for each module spec with a table and a path: a module never
writes its own.

Where a change came from (`client_ip`) is personal data of the person who made it: only
holders of `audit:read` see it; everyone else gets null.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from app.audit.dependencies import audit_service
from app.audit.schemas import ChangeRead, KeysetPage, KeysetQuery
from app.audit.service import AuditService
from app.core.http.routing import API_PREFIX, READ_RESPONSES, RecordId
from app.core.security.permissions import Principal, require

Audit = Annotated[AuditService, Depends(audit_service)]


def history_router(path: str, entity: str, module: str) -> APIRouter:
    """History of `entity` (its table name) at `/api/v1<path>/{id}/history`, readable by whoever
    holds `<module>:read`; `client_ip` only for holders of `audit:read`."""
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
        page = await audit.history(entity, record_id, query, reader.user_id)
        if not reader.can("audit", "read"):
            page.items = [row.model_copy(update={"client_ip": None}) for row in page.items]
        return page

    return router
