"""ETag / If-Match: optimistic concurrency on top of the version column.

The version check that matters happens inside the UPDATE/DELETE itself (SQLAlchemy's
`version_id_col`); comparing first only answers a stale client without touching the row.
"""

import re
from typing import Annotated, Protocol, TypeVar

from fastapi import Depends, Header, Response
from pydantic import BaseModel, WithJsonSchema

from app.core.app_settings import AppSettings
from app.core.exceptions import PreconditionFailed
from app.core.http.errors import PreconditionRequired

# `*`, or the ETag this API handed out (a weak one is read as the same version). The pattern is
# part of the documented header, so a malformed value is a 422 found with the path's and the
# body's own errors, not a 412 answered before them.
IF_MATCH_PATTERN = r'^[ \t]*(?:\*|(?:W/)?"([0-9]{1,10})")[ \t]*$'
_TAG = re.compile(IF_MATCH_PATTERN)


def etag_for(version: int) -> str:
    return f'"{version}"'


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag_for(version)


class Versioned(Protocol):
    version: int


ReadT = TypeVar("ReadT", bound=BaseModel)


def answer(response: Response, record: Versioned, read: type[ReadT]) -> ReadT:
    """A record as its read schema, with the ETag a client sends back as If-Match."""
    set_etag(response, record.version)
    return read.model_validate(record)


async def parse_if_match(
    settings: AppSettings,
    if_match: Annotated[
        str | None,
        Header(alias="If-Match", pattern=IF_MATCH_PATTERN),
        # A header is text or absent, never null: `str | None` alone would document a null
        # branch, which a client can only send as the text "null", refused by the pattern.
        WithJsonSchema({"type": "string", "pattern": IF_MATCH_PATTERN}),
    ] = None,
) -> int | None:
    """The version the client last saw, or None when it sent no precondition (or `*`)."""
    if if_match is None:
        if settings.require_if_match:
            raise PreconditionRequired(
                "Send If-Match with the ETag of the record you read, so that a colleague's "
                "edit is never overwritten silently."
            )
        return None
    match = _TAG.fullmatch(if_match)
    if match is None:  # refused by the header's pattern already; never read as "no precondition"
        raise PreconditionFailed(f"If-Match {if_match!r} matches no version of this record.")
    return int(match.group(1)) if match.group(1) else None


IfMatch = Annotated[int | None, Depends(parse_if_match)]


def check_version(label: str, current: int, expected: int | None) -> None:
    if expected is not None and current != expected:
        raise PreconditionFailed(
            f"{label} was changed by someone else (now version {current}, you sent "
            f"{expected}): reload it and apply your change again."
        )
