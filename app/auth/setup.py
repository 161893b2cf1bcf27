"""Installs authentication on the app: the authenticator `require()` asks, the token codec
and the login throttle."""

from fastapi import FastAPI

from app.auth.authenticator import build_authenticator
from app.auth.throttle import LoginThrottle
from app.core.security.credentials import TokenCodec


def install_auth(app: FastAPI) -> None:
    settings = app.state.settings
    app.state.token_codec = TokenCodec(settings)
    app.state.login_throttle = LoginThrottle(settings)
    app.state.authenticator = build_authenticator(app.state.token_codec, app.state.session_factory)
