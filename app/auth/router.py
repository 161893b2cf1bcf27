"""/api/v1/auth: login, refresh, logout, me, change-password, the caller's sessions.

Browsers may use cookie mode (`X-Auth-Mode: cookie`): the refresh token then travels only in
an HttpOnly, SameSite=Strict cookie scoped to this path. A cross-site form cannot send the
custom header, and a present Origin must be this host, so the cookie cannot be used by CSRF
(to refresh, nor to sign a user out).
"""

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Body, Depends, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from app.auth.dependencies import Auth, Client
from app.auth.schemas import (
    MeRead,
    PasswordChange,
    RefreshRequest,
    SessionId,
    SessionRead,
    TokenPair,
)
from app.auth.sessions_service import Tokens
from app.auth.users_service import UserService
from app.core.db.database import DbSession
from app.core.exceptions import NotAuthenticated, PermissionDenied
from app.core.http.errors import Unauthenticated
from app.core.http.routing import API_PREFIX, COMMON, WRITE_RESPONSES
from app.core.security.permissions import CurrentPrincipal, Principal, current_principal, registry

PREFIX = f"{API_PREFIX}/auth"
COOKIE = "fastops_refresh"
AUTH_MODE_HEADER = "x-auth-mode"

# Login takes an OAuth2 form, so it is mounted outside the JSON-only wrapper.
login_router = APIRouter(prefix=PREFIX, tags=["auth"])
router = APIRouter(prefix=PREFIX, tags=["auth"])


def cookie_mode(request: Request) -> bool:
    return request.headers.get(AUTH_MODE_HEADER, "").strip().lower() == "cookie"


def _check_origin(request: Request) -> None:
    origin = request.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != request.headers.get("host"):
        raise PermissionDenied("The refresh cookie is only accepted from this site's own pages.")


def _token_answer(request: Request, response: Response, tokens: Tokens) -> TokenPair:
    # RFC 6749 5.1: no cache, shared or private, may keep a token answer.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    settings = request.app.state.settings
    access_seconds = int(settings.access_token_minutes * 60)
    if not cookie_mode(request):
        return TokenPair(
            access_token=tokens.access.token,
            refresh_token=tokens.refresh.token,
            expires_in=access_seconds,
        )
    response.set_cookie(
        COOKIE,
        tokens.refresh.token,
        max_age=int(settings.refresh_token_days * 86_400),
        path=PREFIX,
        secure=settings.is_production,
        httponly=True,
        samesite="strict",
    )
    return TokenPair(access_token=tokens.access.token, expires_in=access_seconds)


@login_router.post(
    "/login",
    response_model=TokenPair,
    response_model_exclude_none=True,
    responses=COMMON,
)
async def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    response: Response,
    auth: Auth,
    client: Client,
) -> TokenPair:
    """OAuth2 password form: `username` is the e-mail address."""
    tokens = await auth.login(form.username, form.password, client)
    return _token_answer(request, response, tokens)


@router.post(
    "/refresh",
    response_model=TokenPair,
    response_model_exclude_none=True,
    responses=WRITE_RESPONSES,  # a JSON body: 400 malformed, 413, 415 can answer too
)
async def refresh_tokens(
    request: Request,
    response: Response,
    auth: Auth,
    data: Annotated[RefreshRequest | None, Body()] = None,
) -> TokenPair:
    """A new token pair; the presented refresh token is dead from now on, and presenting it
    again ends the whole login session."""
    token = data.refresh_token if data is not None else None
    if token is None and cookie_mode(request):
        _check_origin(request)
        token = request.cookies.get(COOKIE)
    if not token:
        raise NotAuthenticated("Send the refresh token.")
    try:
        tokens = await auth.refresh(token)
    except NotAuthenticated as refused:
        if data is not None or not cookie_mode(request):
            raise
        # A dead cookie would be sent, and refused, on every page load until it expired.
        raise Unauthenticated(refused.detail, headers=_clearing(request)) from refused
    return _token_answer(request, response, tokens)


def _clearing(request: Request) -> dict[str, str]:
    """The headers of an error answer that also clears the refresh cookie."""
    cleared = Response()
    _clear_cookie(request, cleared)
    return {"set-cookie": cleared.headers["set-cookie"]}


def _clear_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(
        COOKIE,
        path=PREFIX,
        secure=request.app.state.settings.is_production,
        httponly=True,
        samesite="strict",
    )


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=COMMON)
async def logout(request: Request, response: Response, auth: Auth, session: DbSession) -> None:
    """Ends the access token's session. With `X-Auth-Mode: cookie` it also ends the session
    the refresh cookie names, even when the access token has expired (a browser tab left
    open past it): signing out must not leave a cookie that signs the user back in."""
    use_cookie = cookie_mode(request)
    if use_cookie:
        _check_origin(request)
    principal: Principal | None
    try:
        principal = await current_principal(request, session)
    except NotAuthenticated:
        if not use_cookie:
            raise
        principal = None
    refresh_token = request.cookies.get(COOKIE) if use_cookie else None
    try:
        await auth.logout(principal, refresh_token)
    except NotAuthenticated as refused:
        raise Unauthenticated(refused.detail, headers=_clearing(request)) from refused
    if use_cookie or COOKIE in request.cookies:
        _clear_cookie(request, response)


@router.get("/me", responses=COMMON)
async def read_me(principal: CurrentPrincipal, session: DbSession) -> MeRead:
    user = await UserService(session).get(principal.user_id)
    permissions = registry.effective(principal.permissions, is_superuser=principal.is_superuser)
    return MeRead.model_validate(user, update={"permissions": permissions})


@router.post("/change-password", status_code=status.HTTP_204_NO_CONTENT, responses=WRITE_RESPONSES)
async def change_password(
    data: PasswordChange, principal: CurrentPrincipal, auth: Auth, client: Client
) -> None:
    """Sets a new password and ends every other session of the caller."""
    await auth.change_password(principal, data.current_password, data.new_password, client)


@router.get("/sessions", responses=COMMON)
async def list_my_sessions(principal: CurrentPrincipal, auth: Auth) -> list[SessionRead]:
    sessions = await auth.list_sessions(principal.user_id)
    return [SessionRead.of(s, principal.session_id) for s in sessions]


@router.delete("/sessions/{session_id}", status_code=status.HTTP_204_NO_CONTENT, responses=COMMON)
async def revoke_my_session(session_id: SessionId, principal: CurrentPrincipal, auth: Auth) -> None:
    await auth.revoke_session(principal, principal.user_id, session_id)
