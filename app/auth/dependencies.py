"""What the auth routers share: the service providers and the client's facts."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from app.auth.sessions_service import ClientInfo, SessionService
from app.core.http.routing import API_PREFIX

# Documents the Bearer scheme so Swagger UI's "Authorize" logs in against the login route;
# the token itself is read and checked by the app's authenticator.
oauth2_scheme = OAuth2PasswordBearer(tokenUrl=f"{API_PREFIX}/auth/login", auto_error=False)


async def auth_service(request: Request) -> SessionService:
    state = request.app.state
    return SessionService(
        state.session_factory, state.settings, state.token_codec, state.login_throttle
    )


async def client_info(request: Request) -> ClientInfo:
    address = getattr(request.state, "client_ip", None) or (
        request.client.host if request.client else "unknown"
    )
    return ClientInfo(address=str(address), user_agent=request.headers.get("user-agent"))


Auth = Annotated[SessionService, Depends(auth_service)]
Client = Annotated[ClientInfo, Depends(client_info)]
