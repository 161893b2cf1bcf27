"""create_app(): settings, logging, middleware, handlers, routers, static files."""

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware

from app.auth.setup import install_auth
from app.core.app_settings import BindSettings
from app.core.audit import install_audit_hooks, on_permission_denied
from app.core.config import Settings, get_settings
from app.core.db.database import (
    create_engine,
    create_read_session_factory,
    create_session_factory,
)
from app.core.http.handlers import install_handlers
from app.core.http.middleware import (
    AccessSink,
    BodyLimitMiddleware,
    RequestContextMiddleware,
    TrustedHostMiddleware,
)
from app.core.http.ratelimit import ApiRateLimiter, RateLimitMiddleware
from app.core.modules import ModuleSpec
from app.core.observability import metrics
from app.core.observability.access_log import AccessLogWriter
from app.core.observability.logging import configure_logging, get_logger
from app.routers import MODULES, include_api
from app.web.health import router as health_router
from app.web.install import install_web

log = get_logger(__name__)
# Load balancers and Prometheus address each process by its IP; these answers hold no links.
PROBE_PATHS = frozenset({"/health/live", "/health/ready", "/metrics"})


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    log.info("startup", environment=app.state.settings.environment)
    app.state.access_log.start()
    yield
    await app.state.access_log.stop()
    await app.state.engine.dispose()
    await app.state.rate_limiter.aclose()
    await app.state.login_throttle.close()
    metrics.mark_this_worker_dead()
    log.info("shutdown")


def create_app(
    settings: Settings | None = None, modules: Sequence[ModuleSpec] = MODULES
) -> FastAPI:
    """The app serving `modules` (every module by default; a test may add one)."""
    settings = settings or get_settings()
    configure_logging(settings)
    app = FastAPI(
        title=settings.app_name,
        version=settings.app_version,
        description="The back office API of a manufacturing business.",
        lifespan=lifespan,
        # /docs and /redoc are served by app.web from vendored assets: no CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = create_engine(settings)
    app.state.session_factory = create_session_factory(app.state.engine)
    app.state.read_session_factory = create_read_session_factory(app.state.engine)
    install_audit_hooks()
    install_auth(app)
    sinks: list[AccessSink] = [metrics.access_sink(app.state)]
    app.state.access_log = AccessLogWriter(
        app.state.session_factory,
        queue_size=settings.access_log_queue_size,
        batch_size=settings.access_log_batch_size,
    )
    sinks.append(app.state.access_log.sink)
    app.state.on_permission_denied = on_permission_denied
    app.state.access_sinks = sinks

    install_handlers(app)
    app.include_router(health_router)
    app.include_router(metrics.router)
    include_api(app, modules)
    install_web(app)

    # Added innermost first: the request context wraps everything, so even a 413 or a
    # refused host gets a request id and an access line.
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        body_timeout=settings.request_body_timeout_seconds,
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=settings.cors_allow_credentials,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=[
                "ETag",
                "Location",
                "X-Request-ID",
                "Retry-After",
                "RateLimit-Limit",
                "RateLimit-Remaining",
                "RateLimit-Reset",
                "Server-Timing",
            ],
        )
    app.state.rate_limiter = ApiRateLimiter(settings, app.state.token_codec)
    app.add_middleware(RateLimitMiddleware, limiter=app.state.rate_limiter)
    app.add_middleware(TrustedHostMiddleware, allowed=settings.trusted_hosts, exempt=PROBE_PATHS)
    app.add_middleware(RequestContextMiddleware, settings=settings, sinks=sinks)
    app.add_middleware(BindSettings)
    return app


app = create_app()
