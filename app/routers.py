"""The one list of modules. Adding a module is one line in `MODULES` (its package's
`ModuleSpec`); its routers, history route, OpenAPI tag, permissions, delete hooks and admin
screen all come from that spec."""

from collections.abc import Sequence

from fastapi import Depends, FastAPI

from app.audit import AUDIT
from app.audit.history import history_router
from app.auth import AUTH, PERMISSIONS, ROLES, USERS
from app.auth.dependencies import oauth2_scheme
from app.core.http.content_type import require_json_body
from app.core.http.text_guard import refuse_hidden_characters
from app.core.modules import ModuleSpec, check_modules, declare_permissions, wire_delete_hooks
from app.modules.customers import CUSTOMERS
from app.modules.production import PRODUCTION
from app.modules.products import PRODUCTS
from app.modules.quality import QUALITY
from app.modules.tasks import TASKS
from app.web.meta import router as meta_router

MODULES: tuple[ModuleSpec, ...] = (
    AUTH,
    USERS,
    ROLES,
    PERMISSIONS,
    PRODUCTS,
    CUSTOMERS,
    TASKS,
    PRODUCTION,
    QUALITY,
    AUDIT,
)


def register_modules(modules: Sequence[ModuleSpec] = MODULES) -> None:
    """What the process needs before any service runs: the modules' permissions in the
    registry and their delete hooks wired. `create_app` calls it, and so does a script that
    uses services without an app (the seed). Calling it again changes nothing."""
    check_modules(modules)
    declare_permissions(modules)
    wire_delete_hooks(modules)


def include_api(app: FastAPI, modules: Sequence[ModuleSpec] = MODULES) -> None:
    """Every router straight on the app: one more level of routers would match every request's
    path against every route once more."""
    register_modules(modules)
    app.state.modules = tuple(modules)
    app.openapi_tags = [{"name": m.tag.name, "description": m.tag.description} for m in modules]
    json_only = [
        Depends(require_json_body),
        Depends(refuse_hidden_characters),
        Depends(oauth2_scheme),
    ]
    for spec in modules:
        for router in spec.routers:
            app.include_router(router, dependencies=json_only)
        if spec.path is not None and spec.audit_entity is not None:
            history = history_router(spec.path, spec.audit_entity, spec.name)
            app.include_router(history, dependencies=json_only)
    app.include_router(meta_router, dependencies=json_only)
    for spec in modules:
        for router in spec.form_routers:
            app.include_router(router)
