"""Prometheus metrics, correct whether one process or several workers serve the app.

With `PROMETHEUS_MULTIPROC_DIR` set (before the first import of prometheus_client, as
`make serve` does) every worker writes its samples to memory-mapped files in that directory
and `/metrics` merges them with `MultiProcessCollector`, whichever worker answers the scrape.
Gauges use "livesum": the files of a worker that died are swept at scrape time.

The auth service reports security outcomes through `login_failed()`, `login_throttled()`
and `refresh_replayed()`; the request counters are fed by the access sink `record_access`.
"""

import hmac
import ipaddress
import os
import re
from pathlib import Path
from typing import Any, Protocol

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

from app.core.config import Settings
from app.core.exceptions import NotAuthenticated, PermissionDenied
from app.core.http.middleware import AccessRecord, AccessSink
from app.core.http.net import parse_networks

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED_ROUTE = "<unmatched>"
# Seconds; finer at the low end where a healthy API lives, up to the statement timeout.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

REQUESTS = Counter(
    "fastops_http_requests_total",
    "HTTP requests answered, by route template, method and status.",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "fastops_http_request_duration_seconds",
    "Time from the first byte received to the response completed, by route template.",
    ["route", "method"],
    buckets=LATENCY_BUCKETS,
)
POOL_IN_USE = Gauge(
    "fastops_db_pool_in_use",
    "Database connections checked out of the pool.",
    multiprocess_mode="livesum",
)
POOL_WAITING = Gauge(
    "fastops_db_pool_overflow",
    "Connections opened beyond pool_size (a pool under pressure; past max_overflow, "
    "requests wait).",
    multiprocess_mode="livesum",
)
ACCESS_LOG_DEPTH = Gauge(
    "fastops_access_log_queue_depth",
    "Access records waiting to be written.",
    multiprocess_mode="livesum",
)
ACCESS_LOG_DROPPED = Counter(
    "fastops_access_log_dropped_total",
    "Access records dropped because the queue was full.",
)
LOGIN_FAILURES = Counter("fastops_login_failures_total", "Failed login attempts.")
LOGIN_THROTTLED = Counter(
    "fastops_login_throttled_total", "Login attempts refused with 429 by the throttle."
)
REFRESH_REPLAYS = Counter(
    "fastops_refresh_replays_total",
    "Rotated refresh tokens presented again (treated as theft; the session is revoked).",
)
RATE_LIMITED = Counter(
    "fastops_rate_limited_total", "API requests refused with 429 by the global rate limit."
)
RATE_LIMIT_UNAVAILABLE = Counter(
    "fastops_rate_limit_unavailable_total",
    "API requests let through unlimited because the rate limit's store (Redis) did not answer.",
)


def login_failed() -> None:
    LOGIN_FAILURES.inc()


def login_throttled() -> None:
    LOGIN_THROTTLED.inc()


def refresh_replayed() -> None:
    REFRESH_REPLAYS.inc()


def rate_limited() -> None:
    RATE_LIMITED.inc()


def rate_limit_unavailable() -> None:
    RATE_LIMIT_UNAVAILABLE.inc()


def access_log_dropped(count: int = 1) -> None:
    ACCESS_LOG_DROPPED.inc(count)


def record_access(record: AccessRecord) -> None:
    """Access sink: one sample per answered request. The route template, never the raw path,
    keeps the label set bounded whatever URLs clients invent."""
    route = record.route or UNMATCHED_ROUTE
    REQUESTS.labels(route, record.method, str(record.status_code)).inc()
    LATENCY.labels(route, record.method).observe(record.duration_ms / 1000)


class QueueProbe(Protocol):
    def qsize(self) -> int: ...


class AccessLogProbe(Protocol):
    """What the access-log writer (app.state.access_log) shows: its queue and drop count."""

    @property
    def queue(self) -> QueueProbe: ...

    @property
    def dropped(self) -> int: ...


class StateObserver:
    """Refreshes the gauges from app.state at the end of every request and at each scrape:
    with several workers a scrape reaches only one of them, so each keeps its own files fresh."""

    def __init__(self, state: Any) -> None:
        self.state = state
        self.dropped_seen = 0

    def observe(self) -> None:
        observe_pool(self.state.engine)
        writer: AccessLogProbe | None = getattr(self.state, "access_log", None)
        if writer is None:
            return
        ACCESS_LOG_DEPTH.set(writer.queue.qsize())
        # The writer keeps a plain count; the counter gets the increase since last time.
        dropped = writer.dropped
        if dropped > self.dropped_seen:
            access_log_dropped(dropped - self.dropped_seen)
        self.dropped_seen = dropped


def access_sink(state: Any) -> AccessSink:
    """The sink create_app registers: request samples, then the gauges."""
    observer = StateObserver(state)
    state.metrics_observer = observer

    def sink(record: AccessRecord) -> None:
        record_access(record)
        observer.observe()

    return sink


def observe_pool(engine: AsyncEngine) -> None:
    pool = engine.sync_engine.pool
    # SQLite's file pool and NullPool have no checked-out/overflow bookkeeping to report.
    if isinstance(pool, QueuePool):
        POOL_IN_USE.set(pool.checkedout())
        POOL_WAITING.set(max(0, pool.overflow()))


_PID_FILE = re.compile(r"_(\d+)\.db$")


def sweep_dead_workers(directory: str) -> None:
    """Drop the live gauges of worker processes that no longer exist (a crash, SIGKILL or a
    restart by the supervisor), so their last values do not haunt the sums."""
    for path in Path(directory).glob("gauge_live*_*.db"):
        match = _PID_FILE.search(path.name)
        if match is None:
            continue
        pid = int(match.group(1))
        if not _alive(pid):
            multiprocess.mark_process_dead(pid, directory)  # type: ignore[no-untyped-call]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def mark_this_worker_dead() -> None:
    directory = os.environ.get(MULTIPROC_ENV)
    if directory:
        multiprocess.mark_process_dead(os.getpid(), directory)  # type: ignore[no-untyped-call]


def exposition() -> bytes:
    directory = os.environ.get(MULTIPROC_ENV)
    if not directory:
        return generate_latest(REGISTRY)
    sweep_dead_workers(directory)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
    return generate_latest(registry)


def authorize_scrape(request: Request, settings: Settings) -> None:
    """Open in development; protected in production, or wherever a token or a network list is
    configured. The address is the one RequestContextMiddleware derived (trusted proxies only)."""
    token = settings.metrics_token
    networks = tuple(settings.metrics_allowed_networks)
    if not (settings.is_production or token or networks):
        return
    address: str = request.scope.get("state", {}).get("client_ip", "")
    if networks and _in_networks(address, networks):
        return
    header = request.headers.get("authorization", "")
    scheme, _, presented = header.partition(" ")
    if not presented or scheme.lower() != "bearer":
        raise NotAuthenticated("Metrics need a bearer token or an allowed network.")
    if not token or not hmac.compare_digest(presented.encode(), token.encode()):
        raise PermissionDenied("This token may not read the metrics.")


def _in_networks(address: str, networks: tuple[str, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in parse_networks(networks))


router = APIRouter(tags=["metrics"])


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    state: Any = request.app.state
    authorize_scrape(request, state.settings)
    state.metrics_observer.observe()
    return Response(exposition(), media_type=CONTENT_TYPE_LATEST)
