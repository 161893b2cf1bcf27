"""What a module tells the app about itself: one `ModuleSpec`, in its package's `__init__.py`.

`app/routers.py` lists the specs. From that one list the app gets its routers, each resource's
history route, the OpenAPI tags, the permission registry, the delete hooks and the admin UI's
metadata (`GET /api/v1/meta`). Core defines the shapes and the wiring; it imports no module.

The admin parts are plain data (labels, field names, templates such as "{sku} · {name}"):
the server describes, the UI draws.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict
from sqlmodel import SQLModel

from app.core.db.hooks import BeforeDelete
from app.core.security.permissions import registry

Scalar = str | int | bool | None
# {field: [values]}: shown only while the record's field holds one of the values (all fields).
When = dict[str, tuple[Scalar, ...]]
HookRegistrar = Callable[[BeforeDelete], BeforeDelete]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AdminAction(_Frozen):
    """A button on a record's screen: `method` to the record's URL plus `path`, with `body`
    and the values of `fields` (asked for first, then sent with the label `confirm`)."""

    label: str
    path: str = ""
    method: Literal["POST", "PATCH"] = "POST"
    body: dict[str, Scalar] = {}
    fields: tuple[str, ...] = ()
    when: When = {}
    permission: str = "update"
    danger: bool = False
    confirm: str | None = None


class AdminLink(_Frozen):
    """A link to another admin screen, `to` filled from the record: "batches/{batch_id}".
    `on` names another resource whose records show it (default: this module's own), and
    `permission` is checked on the module that declares the link."""

    label: str
    to: str
    on: str | None = None
    when: When = {}
    permission: str = "read"


class AdminPanel(_Frozen):
    """One of the UI's generic widgets (e.g. "sessions") fed from the record's URL + `path`."""

    widget: str
    path: str
    when: When = {}
    permission: str = "update"


class AdminState(_Frozen):
    """The heading over a record's actions: "<heading>: <the field's value>", or its word
    from `words` (keyed by the value as text: "true", "pending"), then the `facts` fields."""

    heading: str
    field: str
    words: dict[str, str] = {}
    facts: tuple[str, ...] = ()


class AdminResource(_Frozen):
    """How the admin UI shows the module's resource; fields, filters and sorts come from the
    OpenAPI document, so only what a schema cannot say is here."""

    label: str
    columns: tuple[str, ...]
    title: str
    references: dict[str, str] = {}
    labels: dict[str, str] = {}
    widgets: dict[str, str] = {}
    state: AdminState | None = None
    actions: tuple[AdminAction, ...] = ()
    links: tuple[AdminLink, ...] = ()
    panels: tuple[AdminPanel, ...] = ()
    group: Literal["records", "administration"] = "records"


@dataclass(frozen=True, slots=True)
class Tag:
    name: str
    description: str


@dataclass(frozen=True, slots=True)
class DeleteGuard:
    """`hook` runs before a record of module `target` is deleted, in the deleting
    transaction: it refuses (409 naming why) or releases this module's references to it."""

    target: str
    hook: BeforeDelete


@dataclass(frozen=True, slots=True)
class ModuleSpec:
    """Everything the app needs to serve one module. `name` is its permission prefix."""

    name: str
    tag: Tag
    routers: tuple[APIRouter, ...] = ()
    # Routers whose bodies are forms, not JSON (login): included without the JSON check.
    form_routers: tuple[APIRouter, ...] = ()
    permissions: dict[str, str] | None = None
    # The audited table; with `path` ("/production/batches", under /api/v1) it gets the
    # history route and an admin screen.
    model: type[SQLModel] | None = None
    path: str | None = None
    entity: str | None = None  # the audit entity when there is no table (auth's events)
    on_delete: HookRegistrar | None = None  # where other modules' guards join
    guards: tuple[DeleteGuard, ...] = ()
    admin: AdminResource | None = None

    @property
    def audit_entity(self) -> str | None:
        if self.model is not None:
            return str(self.model.__tablename__)
        return self.entity


def check_modules(modules: Sequence[ModuleSpec]) -> None:
    """Fail at start-up, naming the module, on a spec the app cannot serve."""
    names = [spec.name for spec in modules]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise ValueError(f"Modules listed twice: {', '.join(twice)}.")
    by_name = {spec.name: spec for spec in modules}
    for spec in modules:
        if (spec.path is None) != (spec.model is None) or (spec.admin and spec.path is None):
            raise ValueError(f"Module {spec.name}: a resource needs both model and path.")
        for guard in spec.guards:
            target = by_name.get(guard.target)
            if target is None or target.on_delete is None:
                raise ValueError(
                    f"Module {spec.name} guards deletes of {guard.target}, "
                    "which is not a listed module that takes delete hooks."
                )


def declare_permissions(modules: Iterable[ModuleSpec]) -> None:
    """Into the registry; declaring again (another app in the process) changes nothing."""
    for spec in modules:
        if spec.permissions:
            registry.declare(spec.name, spec.permissions)


def wire_delete_hooks(modules: Sequence[ModuleSpec]) -> None:
    """Each guard joins its target's hooks, in list order; a hook joins only once, however
    many apps the process builds."""
    by_name = {spec.name: spec for spec in modules}
    for spec in modules:
        for guard in spec.guards:
            register = by_name[guard.target].on_delete
            if register is not None:
                register(guard.hook)
