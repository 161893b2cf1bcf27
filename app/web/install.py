"""Everything the web layer adds to the app: pages, static files, the CSP, the OpenAPI."""

from fastapi import FastAPI

from app.web.assets import STATIC_DIR, VersionedStaticFiles
from app.web.openapi import install_openapi
from app.web.pages import router as pages_router
from app.web.security import ContentSecurityPolicyMiddleware


def install_web(app: FastAPI) -> None:
    app.include_router(pages_router)
    app.mount("/static", VersionedStaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(ContentSecurityPolicyMiddleware)
    install_openapi(app)
