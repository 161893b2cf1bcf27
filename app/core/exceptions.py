"""The domain's errors. Services raise them; only `core.handlers` turns them into HTTP.

DomainError
├── BadRequest          400
├── NotAuthenticated    401
├── PermissionDenied    403
├── NotFound            404
├── Conflict            409  (duplicate key)
│   └── InvalidState    409  (the record's state forbids the action)
├── PreconditionFailed  412
├── PreconditionRequired 428
├── PayloadTooLarge     413
├── UnsupportedMediaType 415
├── ValidationFailed    422  (with field errors)
├── RateLimited         429  (with Retry-After)
└── ServiceUnavailable  503
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class FieldError:
    loc: tuple[str | int, ...]
    msg: str
    type: str = "value_error"


class DomainError(Exception):
    status: int = 400
    slug: str = "bad-request"
    title: str = "Bad request"

    # Extra response headers the error needs (a cookie to clear); the handler adds its own.
    headers: Mapping[str, str] = MappingProxyType({})

    def __init__(self, detail: str, *, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if headers is not None:
            self.headers = dict(headers)


class BadRequest(DomainError):
    pass


class NotAuthenticated(DomainError):
    status, slug, title = 401, "not-authenticated", "Not authenticated"


class PermissionDenied(DomainError):
    status, slug, title = 403, "permission-denied", "Permission denied"


class NotFound(DomainError):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(DomainError):
    status, slug, title = 409, "conflict", "Conflict"


class InvalidState(Conflict):
    slug, title = "invalid-state", "Invalid state"


class PreconditionFailed(DomainError):
    status, slug, title = 412, "precondition-failed", "Precondition failed"


class PreconditionRequired(DomainError):
    status, slug, title = 428, "precondition-required", "Precondition required"


class PayloadTooLarge(DomainError):
    status, slug, title = 413, "payload-too-large", "Payload too large"


class UnsupportedMediaType(DomainError):
    status, slug, title = 415, "unsupported-media-type", "Unsupported media type"


class ServiceUnavailable(DomainError):
    status, slug, title = 503, "service-unavailable", "Service unavailable"


@dataclass(eq=False)
class ValidationFailed(DomainError):
    """A rule about the input that only the service can check (an unknown reference)."""

    detail: str
    errors: list[FieldError] = field(default_factory=list)
    status = 422
    slug = "validation-error"
    title = "Validation failed"

    def __post_init__(self) -> None:
        Exception.__init__(self, self.detail)

    @classmethod
    def for_field(cls, name: str, msg: str, *, where: str = "body") -> "ValidationFailed":
        return cls(msg, [FieldError((where, name), msg)])


class RateLimited(DomainError):
    status, slug, title = 429, "rate-limited", "Too many requests"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = max(1, retry_after)
