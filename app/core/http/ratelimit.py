"""The global API rate limit: per user when the request carries a valid access token, else
per client address. Counters live in Redis when `REDIS_URL` is set (shared by every worker),
else in this process's memory (the single-process default).

Every `/api/` answer carries `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`;
a refusal is a 429 problem+json with `Retry-After`. When Redis does not answer within
`REDIS_TIMEOUT_SECONDS` the limit fails open: the request is served without the headers, with
a logged warning and `fastops_rate_limit_unavailable_total` counting it (the login throttle,
which guards passwords, fails closed instead: see auth.throttle). The token is checked only for its
signature and claims here, without a database hit: a forged or expired token counts against
the address, so inventing subjects cannot multiply a client's allowance.
"""

import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import FixedWindowRateLimiter
from redis.asyncio import ConnectionPool
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.config import Settings
from app.core.exceptions import NotAuthenticated
from app.core.http.handlers import problem
from app.core.observability import metrics
from app.core.observability.logging import get_logger
from app.core.security.credentials import TokenCodec

API_PREFIX = "/api/"
log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int

    def headers(self) -> list[tuple[bytes, bytes]]:
        return [
            (b"ratelimit-limit", str(self.limit).encode()),
            (b"ratelimit-remaining", str(self.remaining).encode()),
            (b"ratelimit-reset", str(self.reset_seconds).encode()),
        ]


class ApiRateLimiter:
    def __init__(self, settings: Settings, tokens: TokenCodec) -> None:
        self.settings = settings
        # The app's codec, so that a token verified here is not verified again by the
        # authenticator.
        self.tokens = tokens
        self.pool: ConnectionPool | None = None
        self.storage: Storage
        if settings.redis_url:
            # A Redis that hangs must not hang every API request with it.
            self.pool = ConnectionPool.from_url(
                settings.redis_url,
                socket_timeout=settings.redis_timeout_seconds,
                socket_connect_timeout=settings.redis_timeout_seconds,
            )
            self.storage = RedisStorage(
                f"async+{settings.redis_url}",
                implementation="redispy",
                key_prefix="fastops-api",
                connection_pool=self.pool,  # type: ignore[arg-type]
            )
        else:
            self.storage = MemoryStorage()
        self.strategy = FixedWindowRateLimiter(self.storage)
        self.user_limit: RateLimitItem = parse(settings.api_rate_limit_user)
        self.anon_limit: RateLimitItem = parse(settings.api_rate_limit_anon)

    async def aclose(self) -> None:
        if self.pool is not None:
            await self.pool.aclose()

    def subject(self, authorization: str | None) -> str | None:
        """The `sub` of a valid access token, or None (absent, forged, expired, refresh)."""
        scheme, _, token = (authorization or "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return None
        try:
            return str(self.tokens.verify(token, "access").user_id)
        except NotAuthenticated:
            return None

    async def check(self, authorization: str | None, client_ip: str) -> Decision:
        user = self.subject(authorization)
        item, key = (
            (self.user_limit, f"user:{user}") if user else (self.anon_limit, f"ip:{client_ip}")
        )
        allowed = await self.strategy.hit(item, key)
        stats = await self.strategy.get_window_stats(item, key)
        return Decision(
            allowed=allowed,
            limit=item.amount,
            remaining=max(0, stats.remaining),
            reset_seconds=max(0, math.ceil(stats.reset_time - time.time())),
        )


class RateLimitMiddleware:
    """Pure ASGI, inside RequestContextMiddleware (which sets `state.client_ip` from the
    trusted proxies only, so the address cannot be forged to dodge the limit)."""

    def __init__(self, app: ASGIApp, limiter: ApiRateLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        client_ip = str(scope.get("state", {}).get("client_ip", "unknown"))
        try:
            decision = await self.limiter.check(request.headers.get("authorization"), client_ip)
        except Exception as exc:
            # The limiter's store is down: serving without a limit beats refusing everyone.
            log.warning("rate_limit_unavailable", error=str(exc))
            metrics.rate_limit_unavailable()
            await self.app(scope, receive, send)
            return
        extra = decision.headers()
        if not decision.allowed:
            metrics.rate_limited()
            retry_after = str(max(1, decision.reset_seconds))
            response = problem(
                request,
                429,
                f"Too many requests: retry in {retry_after} s.",
                slug="rate-limited",
                title="Too many requests",
                headers={"Retry-After": retry_after},
            )
            response.raw_headers.extend(extra)
            await response(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
