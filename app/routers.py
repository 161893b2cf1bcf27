"""Every API router, in one list: registering a module is one line here."""

from fastapi import APIRouter, Depends, FastAPI

from app.audit.history import history_router
from app.audit.router import router as audit_router
from app.auth.dependencies import oauth2_scheme
from app.auth.roles_router import permissions_router
from app.auth.roles_router import router as roles_router
from app.auth.router import login_router
from app.auth.router import router as auth_router
from app.auth.users_router import router as users_router
from app.core.content_type import require_json_body
from app.core.text_guard import refuse_hidden_characters
from app.modules.customers.router import router as customers_router
from app.modules.production.router import router as production_router
from app.modules.products.router import router as products_router
from app.modules.quality.router import router as quality_router
from app.modules.tasks.router import router as tasks_router


def include_api(app: FastAPI) -> None:
    """Every router straight on the app: one more level of routers would match every request's
    path against every route once more."""
    json_only = [
        Depends(require_json_body),
        Depends(refuse_hidden_characters),
        Depends(oauth2_scheme),
    ]
    routers: tuple[APIRouter, ...] = (
        auth_router,
        users_router,
        history_router("/users", "users", "users"),
        roles_router,
        history_router("/roles", "roles", "roles"),
        permissions_router,
        products_router,
        history_router("/products", "products", "products"),
        customers_router,
        history_router("/customers", "customers", "customers"),
        tasks_router,
        history_router("/tasks", "tasks", "tasks"),
        production_router,
        history_router("/production/batches", "batches", "production"),
        quality_router,
        history_router("/quality/inspections", "inspections", "quality"),
        audit_router,
    )
    for router in routers:
        app.include_router(router, dependencies=json_only)
    # The login form is not JSON: it goes without the JSON-only dependency.
    app.include_router(login_router)
