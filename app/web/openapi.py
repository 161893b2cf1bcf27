"""The OpenAPI document: description, tags, the Problem schema, the login flow, examples.

Built once per app and cached, like FastAPI's own `app.openapi()`.
"""

import typing
from typing import Annotated, Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts

from app.core.http.pagination import ListQuery
from app.core.http.routing import API_PREFIX, PROBLEM_SCHEMA

DESCRIPTION = """\
FastOps is the back office of a manufacturing business: products, customers, tasks,
production batches and quality inspections, with users, roles and a full audit trail.

**Signing in.** `POST /api/v1/auth/login` with the OAuth2 password form (`username` is the
email) returns a bearer token; in this page, use **Authorize**.

**Conventions.** Lists take `page`, `size`, `sort` (`-created_at,name`), `q` and per-resource
filters, and stream CSV with `Accept: text/csv` or `?format=csv`. `GET /{id}` returns an
`ETag`; send it back as `If-Match` on `PATCH`/`DELETE` to get a 412 instead of overwriting a
colleague's change. Every error is `application/problem+json` (the `Problem` schema).
"""

# Each module's tag comes from its spec (app.openapi_tags, set by include_api); these are
# the app's own.
APP_TAGS: list[dict[str, str]] = [
    {"name": "meta", "description": "What the admin UI shows the caller: resources, actions."},
    {"name": "health", "description": "Liveness and readiness probes."},
]
LOGIN_URL = f"{API_PREFIX}/auth/login"
PUBLIC_PATHS = frozenset({LOGIN_URL, f"{API_PREFIX}/auth/refresh"})
_STRING_EXAMPLES = {
    "email": "ada@example.com",
    "date": "2026-11-24",
    "date-time": "2026-11-24T09:00:00Z",
}


def example_for(schema: dict[str, Any], components: dict[str, Any], depth: int = 0) -> Any:
    """A plausible value for a JSON schema: its own example or default when it has one."""
    if depth > 6:
        return None
    if "$ref" in schema:
        target = components.get(schema["$ref"].rsplit("/", 1)[-1], {})
        return example_for(target, components, depth + 1)
    if schema.get("examples"):
        return schema["examples"][0]
    for key in ("example", "default", "const"):
        if key in schema and schema[key] is not None:
            return schema[key]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        options = [s for s in schema.get(key, []) if s.get("type") != "null"]
        if options:
            return example_for(options[0], components, depth + 1)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        properties: dict[str, Any] = schema.get("properties", {})
        required = set(schema.get("required", properties))
        return {
            name: example_for(sub, components, depth + 1)
            for name, sub in properties.items()
            if name in required
        }
    if kind == "array":
        return [example_for(schema.get("items", {}), components, depth + 1)]
    if kind == "integer":
        return max(1, int(schema.get("minimum", 1)))
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return True
    if schema.get("pattern") == r"^(?!^[-+.]*$)[+-]?0*\d*\.?\d*$":
        return "19.90"
    return _STRING_EXAMPLES.get(schema.get("format", ""), "string")


def _add_examples(document: dict[str, Any]) -> None:
    components = document.get("components", {}).get("schemas", {})
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            content = operation.get("requestBody", {}).get("content", {})
            for media in content.values():
                if "example" not in media and "examples" not in media:
                    media["example"] = example_for(media.get("schema", {}), components)


def _ensure_password_flow(document: dict[str, Any]) -> None:
    """Swagger UI's Authorize button needs an OAuth2 password scheme; the auth dependency
    declares one through OAuth2PasswordBearer, this covers an app built without it."""
    components = document.setdefault("components", {})
    schemes = components.setdefault("securitySchemes", {})
    if any(s.get("type") == "oauth2" for s in schemes.values()):
        return
    schemes["OAuth2PasswordBearer"] = {
        "type": "oauth2",
        "flows": {"password": {"scopes": {}, "tokenUrl": LOGIN_URL}},
    }
    for path, operations in document.get("paths", {}).items():
        if path.startswith(API_PREFIX) and path not in PUBLIC_PATHS:
            for operation in operations.values():
                operation.setdefault("security", [{"OAuth2PasswordBearer": []}])


def list_query_of(route: APIRoute) -> type[ListQuery] | None:
    try:
        hints = typing.get_type_hints(route.endpoint, include_extras=True)
    except (NameError, TypeError):
        return None
    for hint in hints.values():
        base = typing.get_args(hint)[0] if typing.get_origin(hint) is Annotated else hint
        if isinstance(base, type) and issubclass(base, ListQuery):
            return base
    return None


def _document_sorts(app: FastAPI, document: dict[str, Any]) -> None:
    """Lists accept only whitelisted sort fields: say which, for people and for the admin
    UI (`x-sort-fields`), which builds its sortable column headers from it."""
    # Included routers keep their own routes; iter_route_contexts gives each with its full path.
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or "GET" not in (route.methods or ()):
            continue
        query = list_query_of(route)
        operation = document.get("paths", {}).get(context.path_format or "", {}).get("get")
        if query is None or operation is None:
            continue
        fields = sorted(query.sortable)
        operation["x-sort-fields"] = fields
        for parameter in operation.get("parameters", []):
            if parameter.get("name") == "sort":
                parameter["description"] = (
                    "Comma-separated fields, `-` for descending. Allowed: " + ", ".join(fields)
                )


def build_openapi(app: FastAPI) -> dict[str, Any]:
    document = get_openapi(
        title=app.title,
        version=app.version,
        description=DESCRIPTION,
        routes=app.routes,
        tags=[*(app.openapi_tags or []), *APP_TAGS],
    )
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Problem", PROBLEM_SCHEMA)
    _ensure_password_flow(document)
    _document_sorts(app, document)
    _add_examples(document)
    return document


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
