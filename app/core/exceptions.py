"""The domain's errors. Services raise them and say nothing of HTTP: `core.http.handlers` alone
decides the status, problem type and title of each class.

DomainError
├── BadRequest
├── NotAuthenticated
├── PermissionDenied
├── NotFound
├── Conflict            (duplicate key)
│   └── InvalidState    (the record's state forbids the action)
├── PreconditionFailed  (the client's version is stale)
├── ValidationFailed    (with field errors)
├── RateLimited         (with how long to wait)
└── ServiceUnavailable  (a store the rule needs is down; with how long to wait)
"""

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class FieldError:
    loc: tuple[str | int, ...]
    msg: str
    type: str = "value_error"


class DomainError(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class BadRequest(DomainError):
    pass


class NotAuthenticated(DomainError):
    pass


class PermissionDenied(DomainError):
    pass


class NotFound(DomainError):
    pass


class Conflict(DomainError):
    pass


class InvalidState(Conflict):
    pass


class PreconditionFailed(DomainError):
    pass


@dataclass(eq=False)
class ValidationFailed(DomainError):
    """A rule about the input that only the service can check (an unknown reference)."""

    detail: str
    errors: list[FieldError] = field(default_factory=list)

    def __post_init__(self) -> None:
        Exception.__init__(self, self.detail)

    @classmethod
    def for_field(cls, name: str, msg: str, *, where: str = "body") -> "ValidationFailed":
        return cls(msg, [FieldError((where, name), msg)])


class RateLimited(DomainError):
    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = max(1, retry_after)


class ServiceUnavailable(DomainError):
    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = max(1, retry_after)
