"""The settings of the app serving this request: `create_app(settings)` is where they enter.

Routers and dependencies take them as `AppSettings` (from `app.state.settings`) and hand
them to services. Query models are validated by pydantic, which cannot be handed arguments,
so the app binds its settings to the request's context and those validators read
`current_settings()`: two apps in one process each keep their own limits.
"""

from contextvars import ContextVar
from typing import Annotated

from fastapi import Depends, Request
from starlette.types import ASGIApp, Receive, Scope, Send

from app.core.config import Settings, get_settings

_bound: ContextVar[Settings | None] = ContextVar("app_settings", default=None)


def current_settings() -> Settings:
    """The serving app's settings; outside any request (a script, a unit test), the
    environment's."""
    settings = _bound.get()
    return settings if settings is not None else get_settings()


def app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


AppSettings = Annotated[Settings, Depends(app_settings)]


class BindSettings:
    """Outermost middleware: every request of this app sees this app's settings."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Starlette puts the app into the scope before its middleware runs.
        token = _bound.set(scope["app"].state.settings)
        try:
            await self.app(scope, receive, send)
        finally:
            _bound.reset(token)
