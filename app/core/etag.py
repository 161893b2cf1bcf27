"""ETag / If-Match: optimistic concurrency on top of the version column.

The version check that matters happens inside the UPDATE/DELETE itself (SQLAlchemy's
`version_id_col`); comparing first only answers a stale client without touching the row.
"""

import re
from typing import Annotated

from fastapi import Depends, Header, Response

from app.core.config import get_settings
from app.core.exceptions import PreconditionFailed, PreconditionRequired

_TAG = re.compile(r'^\s*(?:W/)?"(\d{1,10})"\s*$')


def etag_for(version: int) -> str:
    return f'"{version}"'


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag_for(version)


def parse_if_match(
    if_match: Annotated[str | None, Header(alias="If-Match", max_length=200)] = None,
) -> int | None:
    """The version the client last saw, or None when it sent no precondition."""
    if if_match is None or if_match.strip() == "*":
        if if_match is None and get_settings().require_if_match:
            raise PreconditionRequired(
                "Send If-Match with the ETag of the record you read, so that a colleague's "
                "edit is never overwritten silently."
            )
        return None
    match = _TAG.match(if_match)
    if match is None:
        raise PreconditionFailed(f"If-Match {if_match!r} matches no version of this record.")
    return int(match.group(1))


IfMatch = Annotated[int | None, Depends(parse_if_match)]


def check_version(label: str, current: int, expected: int | None) -> None:
    if expected is not None and current != expected:
        raise PreconditionFailed(
            f"{label} was changed by someone else (now version {current}, you sent "
            f"{expected}): reload it and apply your change again."
        )
