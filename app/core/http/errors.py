"""Answers the HTTP layer decides by itself (a dependency, a router, a middleware), with no
domain rule behind them: the wrong content type, a missing If-Match, a cookie to clear."""

from collections.abc import Mapping


class HttpProblem(Exception):
    status: int = 400
    slug: str | None = None
    title: str | None = None

    def __init__(self, detail: str, *, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = dict(headers or {})


class UnsupportedMediaType(HttpProblem):
    status, slug, title = 415, "unsupported-media-type", "Unsupported media type"


class PreconditionRequired(HttpProblem):
    status, slug, title = 428, "precondition-required", "Precondition required"


class Unauthenticated(HttpProblem):
    """A 401 the router answers itself, e.g. one that also clears the refresh cookie."""

    status, slug, title = 401, "not-authenticated", "Not authenticated"

    def __init__(self, detail: str, *, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer", **(headers or {})})
