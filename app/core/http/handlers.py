"""Maps every error to RFC 9457 problem+json. The only place that knows about HTTP errors."""

import re
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import UniqueConstraint
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import SQLModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.db.database import DatabaseUnreachable
from app.core.exceptions import (
    BadRequest,
    Conflict,
    DomainError,
    FieldError,
    InvalidState,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    RateLimited,
    ServiceUnavailable,
    ValidationFailed,
)
from app.core.http.errors import HttpProblem
from app.core.observability.logging import get_logger, request_id_var

PROBLEM_JSON = "application/problem+json"

# Each domain error's answer: status, problem type (slug) and title. A subclass not listed
# answers as its nearest listed base.
DOMAIN_ANSWERS: dict[type[DomainError], tuple[int, str, str]] = {
    DomainError: (400, "bad-request", "Bad request"),
    BadRequest: (400, "bad-request", "Bad request"),
    NotAuthenticated: (401, "not-authenticated", "Not authenticated"),
    PermissionDenied: (403, "permission-denied", "Permission denied"),
    NotFound: (404, "not-found", "Not found"),
    Conflict: (409, "conflict", "Conflict"),
    InvalidState: (409, "invalid-state", "Invalid state"),
    PreconditionFailed: (412, "precondition-failed", "Precondition failed"),
    ValidationFailed: (422, "validation-error", "Validation failed"),
    RateLimited: (429, "rate-limited", "Too many requests"),
    ServiceUnavailable: (503, "service-unavailable", "Service unavailable"),
}
log = get_logger(__name__)

# "UNIQUE constraint failed: products.sku" (SQLite), "Key (sku)=(X) already exists" (PostgreSQL)
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: ([\w.]+(?:, [\w.]+)*)")
_PG_KEY = re.compile(r"Key \(([^)]+)\)=")
_PG_CONSTRAINT = re.compile(r'unique constraint "([^"]+)"')


def _constraint_columns(name: str) -> str | None:
    for table in SQLModel.metadata.tables.values():
        for index in table.indexes:
            if index.name == name:
                return ", ".join(c.name for c in index.columns)
        for constraint in table.constraints:
            if constraint.name == name and isinstance(constraint, UniqueConstraint):
                return ", ".join(c.name for c in constraint.columns)
    return None


def problem(
    request: Request,
    status: int,
    detail: str,
    *,
    slug: str | None = None,
    title: str | None = None,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    phrase = HTTPStatus(status).phrase
    body: dict[str, Any] = {
        "type": f"/problems/{slug or phrase.lower().replace(' ', '-')}",
        "title": title or phrase,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "request_id": request_id_var.get(),
    }
    if errors is not None:
        body["errors"] = [{"loc": list(e.loc), "msg": e.msg, "type": e.type} for e in errors]
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def unique_field(error: IntegrityError) -> str | None:
    message = str(error.orig)
    if match := _SQLITE_UNIQUE.search(message):
        return ", ".join(part.split(".")[-1] for part in match.group(1).split(", "))
    if "duplicate key" in message:
        cause = error.orig.__cause__ if error.orig is not None else None
        detail = str(getattr(cause, "detail", None) or "")
        if match := _PG_KEY.search(detail or message):
            return match.group(1)
        if (match := _PG_CONSTRAINT.search(message)) and (
            columns := _constraint_columns(match.group(1))
        ):
            return columns
        return ""
    return None


def domain_answer(exc: DomainError) -> tuple[int, str, str]:
    for cls in type(exc).__mro__:
        if cls in DOMAIN_ANSWERS:
            return DOMAIN_ANSWERS[cls]
    return DOMAIN_ANSWERS[DomainError]


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    status, slug, title = domain_answer(exc)
    headers: dict[str, str] = {}
    if isinstance(exc, NotAuthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, RateLimited | ServiceUnavailable):
        headers["Retry-After"] = str(exc.retry_after)
    errors = exc.errors if isinstance(exc, ValidationFailed) else None
    return problem(
        request, status, exc.detail, slug=slug, title=title, errors=errors, headers=headers
    )


async def _http_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HttpProblem)
    return problem(
        request, exc.status, exc.detail, slug=exc.slug, title=exc.title, headers=exc.headers
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    raw = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in raw):
        return problem(request, 400, "The request body is not valid JSON.", slug="malformed-json")
    # Never echo `input`: it may hold a password.
    errors = [
        FieldError(tuple(e.get("loc", ())), str(e.get("msg", "")), str(e.get("type", "")))
        for e in raw
    ]
    fields = ", ".join(".".join(str(p) for p in e.loc[1:]) or str(e.loc[0]) for e in errors)
    return problem(
        request,
        422,
        f"Invalid input: {fields}." if fields else "Invalid input.",
        slug="validation-error",
        title="Validation failed",
        errors=errors,
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = str(exc.detail)
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"No resource at {request.url.path}."
    elif exc.status_code == 405:
        detail = f"{request.method} is not allowed on {request.url.path}."
    return problem(request, exc.status_code, detail, headers=dict(exc.headers or {}))


async def _integrity_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, IntegrityError)
    field = unique_field(exc)
    if field:
        return problem(
            request,
            409,
            f"A record with this {field} already exists.",
            slug="conflict",
            title="Conflict",
            errors=[FieldError(("body", f), "already exists", "unique") for f in field.split(", ")],
        )
    log.warning("integrity_error", error=str(exc.orig))
    detail = (
        "Another record with these values already exists."
        if field == ""
        else "The change conflicts with related records."
    )
    return problem(request, 409, detail, slug="conflict", title="Conflict")


async def _data_error(request: Request, exc: Exception) -> JSONResponse:
    """SQLSTATE class 22 (data exception): PostgreSQL refuses what validation let through, a
    NUL character in text (found by the schemathesis run) or a number beyond the column's
    range. The input is wrong, not the app: 422. asyncpg's errors arrive as a plain
    DBAPIError, so the class is read from the driver's SQLSTATE."""
    assert isinstance(exc, DBAPIError)
    sqlstate = str(getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None))
    if not (isinstance(exc, DataError) or sqlstate.startswith("22")):
        log.error("database_error", error=str(exc.orig)[:300], exc_info=exc)
        return problem(request, 500, "An unexpected error occurred; it has been logged.")
    log.warning("data_error", error=str(exc.orig)[:300])
    return problem(
        request,
        422,
        "A value was refused by the database (a NUL character, or a number out of range).",
        slug="validation-error",
        title="Validation failed",
    )


async def _stale_data(request: Request, _exc: Exception) -> JSONResponse:
    return problem(
        request,
        412,
        "The record was changed by someone else meanwhile: reload it and try again.",
        slug="precondition-failed",
        title="Precondition failed",
    )


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.error("database_unavailable", error=str(exc))
    return problem(
        request,
        503,
        "The database is not answering right now; try again shortly.",
        slug="service-unavailable",
        title="Service unavailable",
        headers={"Retry-After": "5"},
    )


def install_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(HttpProblem, _http_problem)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(StaleDataError, _stale_data)
    app.add_exception_handler(DBAPIError, _data_error)
    for error in (OperationalError, InterfaceError, PoolTimeout, DatabaseUnreachable):
        app.add_exception_handler(error, _database_unavailable)
