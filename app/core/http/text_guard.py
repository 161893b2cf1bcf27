"""Characters no person types into a form, refused in every JSON body and query string.

A NUL character: PostgreSQL cannot store it in text and SQLite can, so without this check the
two databases would disagree on the same request. Bidirectional embedding, override and
isolate controls make text display differently from what it holds ("Trojan Source"): an
inspector's note or a product name must read as it is stored.
"""

import json
from collections.abc import Iterator

from fastapi import Request
from fastapi.exceptions import RequestValidationError

NUL = "\x00"
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
ERROR_TYPE = "string_forbidden_character"

# A body holds one of those characters only as a JSON escape (`\u...`) or as UTF-8 starting
# with E2 80 / E2 81: a body with neither is passed through without being parsed twice.
_SUSPECT_BYTES = (b"\\u", b"\xe2\x80", b"\xe2\x81")


def forbidden_in(text: str) -> str | None:
    """Why a person's text is refused, or None."""
    if NUL in text:
        return "Text must not contain a NUL character."
    if not BIDI_CONTROLS.isdisjoint(text):
        return (
            "Text must not contain bidirectional control characters: they make it display "
            "differently from what it holds."
        )
    return None


def _strings(
    value: object, path: tuple[str | int, ...]
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*path, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index))


def _errors(found: Iterator[tuple[tuple[str | int, ...], str]]) -> list[dict[str, object]]:
    errors: list[dict[str, object]] = []
    for loc, text in found:
        reason = forbidden_in(text)
        if reason is not None:
            errors.append({"loc": loc, "msg": reason, "type": ERROR_TYPE})
    return errors


async def refuse_hidden_characters(request: Request) -> None:
    """422 naming each field whose text holds a NUL or a bidirectional control."""
    errors = _errors((("query", name), value) for name, value in request.query_params.multi_items())
    if request.method in {"POST", "PUT", "PATCH"}:
        body = await request.body()
        if any(marker in body for marker in _SUSPECT_BYTES):
            try:
                document = json.loads(body)
            except ValueError:
                document = None  # FastAPI answers malformed JSON itself.
            errors += _errors(_strings(document, ("body",)))
    if errors:
        raise RequestValidationError(errors)
