"""415 for a body that is not JSON, decided before FastAPI tries to parse it."""

from fastapi import Request

from app.core.http.errors import UnsupportedMediaType

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def _has_body(request: Request) -> bool:
    length = request.headers.get("content-length")
    if length is not None:
        return length != "0"
    return "transfer-encoding" in request.headers


async def require_json_body(request: Request) -> None:
    if request.method not in BODY_METHODS or not _has_body(request):
        return
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise UnsupportedMediaType(
            f"Send the body as application/json (got {media_type or 'no content type'})."
        )
