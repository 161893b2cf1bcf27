"""GET /api/v1/meta: what the admin UI draws, from the app's module specs.

Per caller: only the resources they may read, and only the actions, links and panels their
permissions allow, so the UI shows what the API would accept. Fields, filters and sorts are
not repeated here: the UI reads them from the OpenAPI document.
"""

from collections.abc import Sequence

from fastapi import APIRouter, Request
from pydantic import BaseModel

from app.core.http.routing import API_PREFIX, COMMON
from app.core.modules import (
    AdminAction,
    AdminLink,
    AdminPanel,
    AdminState,
    ModuleSpec,
)
from app.core.security.permissions import CurrentPrincipal, Principal

router = APIRouter(prefix=f"{API_PREFIX}/meta", tags=["meta"])

# Names every record or audit row shares; a module's own labels come with its resource.
COMMON_LABELS = {
    "id": "ID",
    "is_active": "Active",
    "created_at": "Created",
    "updated_at": "Updated",
    "q": "Search",
    "date_from": "From",
    "date_to": "To",
    "actor_id": "Actor",
    "entity_id": "Record ID",
    "user_id": "User",
    "request_id": "Request ID",
}


class AdminResourceRead(BaseModel):
    key: str
    module: str
    path: str
    schema_name: str
    label: str
    columns: list[str]
    title: str
    references: dict[str, str]
    labels: dict[str, str]
    widgets: dict[str, str]
    state: AdminState | None
    actions: list[AdminAction]
    links: list[AdminLink]
    panels: list[AdminPanel]


class AdminMetaRead(BaseModel):
    resources: list[AdminResourceRead]
    entities: list[str]
    labels: dict[str, str]


def _screens(modules: Sequence[ModuleSpec]) -> list[ModuleSpec]:
    """Modules with an admin screen, administration last, each group in list order."""
    groups = ("records", "administration")
    return [s for group in groups for s in modules if s.admin and s.admin.group == group]


def _links_on(key: str, modules: Sequence[ModuleSpec], caller: Principal) -> list[AdminLink]:
    found: list[AdminLink] = []
    for spec in modules:
        if spec.admin is None:
            continue
        for link in spec.admin.links:
            if (link.on or spec.audit_entity) == key and caller.can(spec.name, link.permission):
                found.append(link)
    return found


def describe(
    spec: ModuleSpec, modules: Sequence[ModuleSpec], caller: Principal
) -> AdminResourceRead:
    admin, key, model = spec.admin, spec.audit_entity, spec.model
    # check_modules refused, at start-up, an admin screen without its table.
    assert admin is not None
    assert key is not None
    assert model is not None
    return AdminResourceRead(
        key=key,
        module=spec.name,
        path=f"{API_PREFIX}{spec.path}",
        schema_name=model.__name__,
        label=admin.label,
        columns=list(admin.columns),
        title=admin.title,
        references=admin.references,
        labels=admin.labels,
        widgets=admin.widgets,
        state=admin.state,
        actions=[a for a in admin.actions if caller.can(spec.name, a.permission)],
        links=_links_on(key, modules, caller),
        panels=[p for p in admin.panels if caller.can(spec.name, p.permission)],
    )


def build_meta(modules: Sequence[ModuleSpec], caller: Principal) -> AdminMetaRead:
    screens = _screens(modules)
    entities = [spec.audit_entity for spec in screens]
    entities += [spec.audit_entity for spec in modules if spec not in screens]
    return AdminMetaRead(
        resources=[describe(s, modules, caller) for s in screens if caller.can(s.name, "read")],
        entities=[entity for entity in entities if entity is not None],
        labels=COMMON_LABELS,
    )


@router.get("", responses=COMMON, summary="What the admin UI shows this caller")
async def read_admin_meta(request: Request, caller: CurrentPrincipal) -> AdminMetaRead:
    return build_meta(request.app.state.modules, caller)
