"""Liveness and readiness probes for load balancers and orchestrators."""

import asyncio

from fastapi import APIRouter, Request
from pydantic import BaseModel

from app.core.db.database import ping
from app.core.exceptions import ServiceUnavailable
from app.core.observability.logging import get_logger

router = APIRouter(prefix="/health", tags=["health"])
log = get_logger(__name__)
READY_TIMEOUT_SECONDS = 3.0


class HealthRead(BaseModel):
    status: str
    version: str


@router.get("/live")
async def live(request: Request) -> HealthRead:
    return HealthRead(status="ok", version=request.app.version)


@router.get("/ready", responses={503: {"description": "The database does not answer"}})
async def ready(request: Request) -> HealthRead:
    try:
        await asyncio.wait_for(ping(request.app.state.engine), READY_TIMEOUT_SECONDS)
    except Exception as exc:
        log.warning("not_ready", error=str(exc))
        raise ServiceUnavailable("The database does not answer.", retry_after=5) from exc
    return HealthRead(status="ok", version=request.app.version)
