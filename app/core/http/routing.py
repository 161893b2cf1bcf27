"""What every module's routes share: the id path parameter and the documented errors."""

from typing import Annotated, Any

from fastapi import Path

from app.core.http.pagination import MAX_INT

API_PREFIX = "/api/v1"

RecordId = Annotated[int, Path(ge=1, le=MAX_INT, description="The record's id")]


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "request_id": {"type": ["string", "null"]},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "loc": {"type": "array", "items": {"type": ["string", "integer"]}},
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        },
    },
}

COMMON: dict[int | str, dict[str, Any]] = {
    401: _problem("Not authenticated"),
    403: _problem("Not allowed"),
    422: _problem("Invalid input"),
    429: _problem("Rate limited"),
}
LIST_RESPONSES: dict[int | str, dict[str, Any]] = {
    **COMMON,
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
}
READ_RESPONSES: dict[int | str, dict[str, Any]] = {**COMMON, 404: _problem("No such record")}
WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    **READ_RESPONSES,
    400: _problem("Malformed body"),
    409: _problem("Conflict: duplicate key or a state that forbids the change"),
    413: _problem("Body too large"),
    415: _problem("Body is not JSON"),
}
CHANGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    **WRITE_RESPONSES,
    412: _problem("If-Match no longer matches: someone else changed the record"),
    428: _problem("If-Match is required"),
}
