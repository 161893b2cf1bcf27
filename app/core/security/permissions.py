"""The permission registry and the `require(module, action)` dependency.

Core knows nothing of users or tokens: the auth package installs an authenticator on the
app (`app.state.authenticator`) that turns a request into a `Principal` or raises
`NotAuthenticated`. `require` asks it, then decides with the registry's rules: a superuser
passes every check; holding any permission of a module implies `<module>:read`.
"""

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.db.database import DbSession
from app.core.exceptions import PermissionDenied
from app.core.observability.logging import Actor, actor_var
from app.core.security.principal import Principal as Principal  # re-exported: the public home


@dataclass(frozen=True, slots=True)
class Permission:
    module: str
    action: str
    description: str

    @property
    def name(self) -> str:
        return f"{self.module}:{self.action}"


# Reads the principal in the request's own session: one connection and one transaction
# serve both the authentication and the route.
Authenticator = Callable[[Request, AsyncSession], Awaitable[Principal]]
DenialHook = Callable[[Request, Principal, str], Awaitable[None]]


@dataclass
class PermissionRegistry:
    _permissions: dict[str, Permission] = field(default_factory=dict)

    def declare(self, module: str, actions: dict[str, str]) -> list[Permission]:
        """A module's permissions, keyed by action with a human description."""
        declared = [Permission(module, action, text) for action, text in actions.items()]
        for permission in declared:
            self._permissions[permission.name] = permission
        return declared

    def all(self) -> list[Permission]:
        return sorted(self._permissions.values(), key=lambda p: p.name)

    def names(self) -> frozenset[str]:
        return frozenset(self._permissions)

    def unknown(self, names: Iterable[str]) -> list[str]:
        return sorted(set(names) - set(self._permissions))

    def effective(self, granted: Iterable[str], *, is_superuser: bool) -> list[str]:
        """What a holder of `granted` may do, implied reads included, sorted."""
        if is_superuser:
            return sorted(self._permissions)
        names = set(granted) & set(self._permissions)
        names |= {f"{name.split(':', 1)[0]}:read" for name in names}
        return sorted(names & set(self._permissions))


registry = PermissionRegistry()

CRUD_ACTIONS = {
    "read": "list, read and export",
    "create": "create",
    "update": "change",
    "delete": "delete",
}


def crud_permissions(label: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """read, create, update and delete of `label` ("production batches"), plus `extra`:
    what a module's spec declares (see core.modules)."""
    return {action: f"{text.capitalize()} {label}" for action, text in CRUD_ACTIONS.items()} | (
        extra or {}
    )


async def current_principal(request: Request, session: DbSession) -> Principal:
    """The authenticated caller (401 without a valid token), cached for the request."""
    cached = getattr(request.state, "principal", None)
    if isinstance(cached, Principal):
        return cached
    authenticator: Authenticator = request.app.state.authenticator
    principal = await authenticator(request, session)
    request.state.principal = principal
    request.state.user_id = principal.user_id
    actor_var.set(Actor(principal.user_id, principal.email))
    return principal


def require(module: str, action: str) -> Callable[..., Awaitable[Principal]]:
    name = f"{module}:{action}"

    async def check(
        request: Request, principal: Annotated[Principal, Depends(current_principal)]
    ) -> Principal:
        if not principal.can(module, action):
            hook: DenialHook | None = getattr(request.app.state, "on_permission_denied", None)
            if hook is not None:
                await hook(request, principal, name)
            raise PermissionDenied(f"You need the permission {name} for this.")
        return principal

    check.__name__ = f"require_{module}_{action}"
    return check


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
