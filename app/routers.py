"""Every API router, in one list: registering a module is one line here."""

from fastapi import APIRouter, Depends

from app.core.content_type import require_json_body
from app.modules.products.router import router as products_router


def api_routers() -> list[APIRouter]:
    json_only = [Depends(require_json_body)]
    wrapped = APIRouter(dependencies=json_only)
    for router in (products_router,):
        wrapped.include_router(router)
    return [wrapped]
