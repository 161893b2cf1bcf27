"""Pure ASGI middleware: request context and access line, security headers, trusted hosts,
body-size limit."""

import asyncio
import re
import time
import uuid
from collections.abc import Callable
from contextvars import Token
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.config import Settings
from app.core.db.database import DbTimer, db_timer_var
from app.core.db.models import utc_now
from app.core.http.handlers import problem
from app.core.http.net import client_address, forwarded_scheme, host_allowed, host_name
from app.core.observability.logging import (
    actor_var,
    change_reason_var,
    client_ip_var,
    get_logger,
    request_id_var,
)

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
log = get_logger("fastops.access")


@dataclass(frozen=True, slots=True)
class AccessRecord:
    occurred_at: datetime
    request_id: str
    method: str
    route: str | None
    path: str
    status_code: int
    duration_ms: float
    user_id: int | None
    client_ip: str
    user_agent: str | None


AccessSink = Callable[[AccessRecord], None]

SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
HSTS = (b"strict-transport-security", b"max-age=63072000; includeSubDomains")


class RequestContextMiddleware:
    """Outermost layer: request id, client address, timing, the access line, security
    headers, and a problem+json 500 for anything that escaped every handler."""

    def __init__(self, app: ASGIApp, settings: Settings, sinks: list[AccessSink]) -> None:
        self.app = app
        self.settings = settings
        self.sinks = sinks
        self.proxies = tuple(settings.trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        incoming = request.headers.get("x-request-id", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        peer = scope["client"][0] if scope.get("client") else None
        ip = client_address(peer, request.headers.get("x-forwarded-for"), self.proxies)
        # uvicorn runs with --no-proxy-headers (scripts.serve): the app alone decides whom
        # to believe, so a peer outside TRUSTED_PROXIES cannot set either.
        scheme = forwarded_scheme(peer, request.headers.get("x-forwarded-proto"), self.proxies)
        if scheme:
            scope["scheme"] = scheme
        reason = request.headers.get("x-change-reason")
        tokens: list[Token[Any]] = [
            request_id_var.set(request_id),
            client_ip_var.set(ip),
            change_reason_var.set(
                reason[: self.settings.change_reason_max_length] if reason else None
            ),
        ]
        actor_token = actor_var.set(None)
        db_timer = DbTimer()
        tokens.append(db_timer_var.set(db_timer))
        scope.setdefault("state", {})["client_ip"] = ip
        started = time.perf_counter()
        status = 500
        response_started = False
        extra_headers = [*SECURITY_HEADERS, (b"x-request-id", request_id.encode())]
        if self.settings.is_production:
            extra_headers.append(HSTS)

        async def send_wrapper(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                elapsed = (time.perf_counter() - started) * 1000
                present = {name.lower() for name, _ in message.get("headers", [])}
                headers = list(message.get("headers", []))
                headers.extend(h for h in extra_headers if h[0] not in present)
                timing = f"app;dur={elapsed:.1f}, db;dur={db_timer.seconds * 1000:.1f}"
                headers.append((b"server-timing", timing.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception:
            log.exception("unhandled_error", path=request.url.path, method=request.method)
            if response_started:
                raise
            response = problem(request, 500, "An unexpected error occurred; it has been logged.")
            await response(scope, receive, send_wrapper)
        finally:
            self._record(request, scope, status, started, ip)
            for token in tokens:
                token.var.reset(token)
            actor_var.reset(actor_token)

    def _record(self, request: Request, scope: Scope, status: int, started: float, ip: str) -> None:
        duration_ms = round((time.perf_counter() - started) * 1000, 2)
        route = getattr(scope.get("route"), "path", None)
        state: dict[str, Any] = scope.get("state", {})
        user_id = state.get("user_id")
        log.info(
            "request",
            method=request.method,
            path=request.url.path,
            route=route,
            status=status,
            duration_ms=duration_ms,
            db_ms=round(timer.seconds * 1000, 2) if (timer := db_timer_var.get()) else None,
            user_id=user_id,
            client_ip=ip,
        )
        if not self.sinks:
            return
        record = AccessRecord(
            occurred_at=utc_now(),
            request_id=request_id_var.get() or "",
            method=request.method,
            route=route,
            path=request.url.path[:500],
            status_code=status,
            duration_ms=duration_ms,
            user_id=user_id,
            client_ip=ip,
            user_agent=(request.headers.get("user-agent") or None),
        )
        for sink in self.sinks:
            sink(record)


class TrustedHostMiddleware:
    """400 for a Host header naming no host in `allowed` (TRUSTED_HOSTS): links and redirects
    are built from it. The `exempt` paths (probes, addressed by IP) build none."""

    def __init__(self, app: ASGIApp, allowed: list[str], exempt: frozenset[str]) -> None:
        self.app = app
        self.allowed = tuple(allowed)
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.exempt:
            await self.app(scope, receive, send)
            return
        hosts = [value for name, value in scope["headers"] if name == b"host"]
        name = host_name(hosts[0].decode("latin-1")) if len(hosts) == 1 else None
        if name is not None and host_allowed(name, self.allowed):
            await self.app(scope, receive, send)
            return
        response = problem(
            Request(scope),
            400,
            "The Host header does not name a host this server answers for.",
            slug="untrusted-host",
        )
        await response(scope, receive, send)


class BodyLimitMiddleware:
    """413 before the body is read whole: by Content-Length, or by counting streamed chunks;
    408 when the body does not arrive within `body_timeout` seconds (a client that sends
    slowly or never finishes must not hold a request open for ever)."""

    def __init__(self, app: ASGIApp, max_bytes: int, body_timeout: float = 30.0) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.body_timeout = body_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        declared = request.headers.get("content-length")
        if (
            declared is None
            and "transfer-encoding" not in request.headers
            and scope.get("http_version") in ("1.0", "1.1")
        ):
            # No length and not chunked: in HTTP/1.x there is no body to watch.
            await self.app(scope, receive, send)
            return
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._reject(scope, receive, send, 413)
            return
        received = 0
        refused: int | None = None
        body_done = False
        started = False
        deadline = asyncio.get_running_loop().time() + self.body_timeout

        async def limited_receive() -> Message:
            nonlocal received, refused, body_done
            if refused is not None:
                return {"type": "http.disconnect"}
            if body_done:
                # After the body only a disconnect can come; waiting for it is not ours to bound.
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                refused = 408
                return {"type": "http.disconnect"}
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                body_done = not message.get("more_body", False)
                if received > self.max_bytes:
                    # The app sees a client that went away; we answer 413 in its place.
                    refused = 413
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused is not None and not started:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if refused is None:
                raise
        if refused is not None and not started:
            await self._reject(scope, receive, send, refused)

    async def _reject(self, scope: Scope, receive: Receive, send: Send, status: int) -> None:
        if status == 413:
            detail = f"The request body is larger than {self.max_bytes} bytes."
            slug = "payload-too-large"
        else:
            detail = f"The request body did not arrive within {self.body_timeout:g} s."
            slug = "request-timeout"
        response = problem(Request(scope), status, detail, slug=slug)
        await response(scope, receive, send)
