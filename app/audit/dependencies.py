"""How routers get the audit service: one provider, shared by the audit browser and the
per-record history route."""

from typing import Annotated

from fastapi import Depends, Request

from app.audit.service import AuditService
from app.core.db.database import DbSession


async def audit_service(request: Request, session: DbSession) -> AuditService:
    return AuditService(session, request.app.state.session_factory)


Audit = Annotated[AuditService, Depends(audit_service)]
