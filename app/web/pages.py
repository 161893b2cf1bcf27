"""Server-rendered pages: the landing page, the guides, the API docs and the admin UI shell."""

import asyncio
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.templating import Jinja2Templates

from app.core.db.database import ping
from app.core.exceptions import NotFound
from app.core.observability.logging import get_logger
from app.web.assets import static_url
from app.web.guides import DOCS_DIR, guide_path, list_guides, render_markdown
from app.web.security import STRICT_CSP

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
HEALTH_TIMEOUT_SECONDS = 2.0
# Swagger UI and ReDoc are React apps that style elements at run time (ReDoc through
# styled-components' <style> tags); only their pages allow inline *styles*, never scripts.
DOCS_CSP = STRICT_CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'").replace(
    "default-src 'self'", "default-src 'self'; worker-src 'self' blob:"
)

templates = Jinja2Templates(directory=TEMPLATES_DIR)
templates.env.globals["static_url"] = static_url
router = APIRouter(include_in_schema=False)
log = get_logger(__name__)
GuideName = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
ImageName = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9_-]{1,64}\.png$")]


async def _database_ok(request: Request) -> bool:
    try:
        await asyncio.wait_for(ping(request.app.state.engine), HEALTH_TIMEOUT_SECONDS)
    except Exception as exc:
        log.warning("landing_not_ready", error=str(exc))
        return False
    return True


@router.get("/", response_class=HTMLResponse)
async def landing_page(request: Request) -> HTMLResponse:
    healthy = await _database_ok(request)
    return templates.TemplateResponse(
        request,
        "landing.html",
        {
            "healthy": healthy,
            "version": request.app.version,
            "title": request.app.title,
            "guides": list_guides(),
        },
        status_code=200,
    )


@router.get("/guides/{name}", response_class=HTMLResponse)
async def guide_page(request: Request, name: GuideName) -> HTMLResponse:
    path = guide_path(name)
    if path is None:
        raise NotFound(f"There is no guide named {name}.")
    body = render_markdown(path.read_text(encoding="utf-8"))
    return templates.TemplateResponse(
        request,
        "guide.html",
        {
            "name": name,
            "body": body,
            "guides": list_guides(),
            "title": request.app.title,
            "version": request.app.version,
        },
    )


@router.get("/guides/img/{name}")
async def guide_image(name: ImageName) -> FileResponse:
    path = DOCS_DIR / "img" / name
    if not path.is_file():
        raise NotFound(f"There is no image named {name}.")
    return FileResponse(path, media_type="image/png")


@router.get("/docs", response_class=HTMLResponse)
async def swagger_ui_page(request: Request) -> HTMLResponse:
    response = templates.TemplateResponse(
        request,
        "swagger.html",
        {"openapi_url": request.app.openapi_url, "title": request.app.title},
    )
    response.headers["Content-Security-Policy"] = DOCS_CSP
    return response


@router.get("/redoc", response_class=HTMLResponse)
async def redoc_page(request: Request) -> HTMLResponse:
    response = templates.TemplateResponse(
        request, "redoc.html", {"openapi_url": request.app.openapi_url, "title": request.app.title}
    )
    response.headers["Content-Security-Policy"] = DOCS_CSP
    return response


@router.get("/admin", response_class=HTMLResponse)
async def admin_page(request: Request) -> HTMLResponse:
    response = templates.TemplateResponse(
        request, "admin.html", {"title": request.app.title, "version": request.app.version}
    )
    response.headers["Cache-Control"] = "no-cache"
    return response
