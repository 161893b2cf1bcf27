"""Users: the rules on accounts, including who may change whom.

Other modules use `UserService(session).require_active(user_id, field)` to check a reference
to a user (an assignee, an inspector).

Who may change whom: only a superuser touches a superuser's account, and anyone else may
change another account (any field, its roles, its sessions, or delete it) only when they hold
every permission that account holds. Without that, `users:update` alone is enough to set a
stronger account's password and sign in as it.
"""

from collections.abc import Iterable, Sequence

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from app.auth.models import Role, User
from app.auth.repository import RoleRepository, UserRepository
from app.auth.schemas import UserCreate, UserListQuery, UserRead, UserUpdate
from app.auth.sessions_repository import SessionRepository
from app.core.audit import add_security_event
from app.core.config import Settings
from app.core.db.database import run_in_own_transaction
from app.core.db.hooks import DeleteHooks
from app.core.db.models import utc_now
from app.core.exceptions import InvalidState, PermissionDenied, ValidationFailed
from app.core.http.etag import check_version
from app.core.http.pagination import Page
from app.core.security.credentials import hash_password
from app.core.security.permissions import Principal, registry

# Modules whose records name a user (tasks, inspections) register here to refuse deleting a
# user their records still point at (see core.db.hooks).
_before_delete = DeleteHooks()
on_user_delete = _before_delete.register
DEACTIVATE_INSTEAD = "deactivate the account instead (is_active false), which keeps who did what."


def lacking(actor: Principal, permissions: Iterable[str]) -> list[str]:
    """Those of `permissions` the actor does not hold (an implied read counts as held), sorted."""
    missing = []
    for name in sorted(set(permissions)):
        module, _, action = name.partition(":")
        if not actor.can(module, action):
            missing.append(name)
    return missing


def check_grantable(actor: Principal, permissions: Iterable[str]) -> None:
    """PermissionDenied unless the actor holds every permission it hands out or takes away."""
    missing = lacking(actor, permissions)
    if missing:
        raise PermissionDenied(f"You cannot grant or revoke {missing[0]}: you do not hold it.")


def check_covers(actor: Principal, permissions: Iterable[str], what: str) -> None:
    """PermissionDenied, naming what is missing, unless the actor holds all of `permissions`."""
    missing = lacking(actor, permissions)
    if missing:
        raise PermissionDenied(
            f"You cannot change {what}: it holds permissions you lack: {', '.join(missing)}."
        )


def check_account(actor: Principal, user: User) -> None:
    """PermissionDenied unless the actor may change `user`'s account (its roles loaded)."""
    if actor.is_superuser:
        return
    if user.is_superuser:
        raise PermissionDenied("Only a superuser can change a superuser's account.")
    granted = (name for role in user.roles for name in role.permissions)
    effective = registry.effective(granted, is_superuser=False)
    check_covers(actor, effective, f"the account of {user.email}")


async def check_account_by_id(
    factory: async_sessionmaker[AsyncSession], actor: Principal, user_id: int
) -> None:
    """`check_account` for the routes on a user's sessions (404 for an unknown user). Reads in a
    short read-only transaction of its own: the revocation that follows runs in its own
    transaction too, and on SQLite it would queue behind this request's write lock."""

    async def check(session: AsyncSession) -> None:
        check_account(actor, await UserRepository(session).get_or_raise(user_id))

    await run_in_own_transaction(factory, check, read_only=True)


class UserService:
    def __init__(self, session: AsyncSession, settings: Settings | None = None) -> None:
        """`settings` (the app's) are needed only to hash a password: a module that merely
        checks a reference to a user does without."""
        self.session = session
        self._settings = settings
        self.users = UserRepository(session)
        self.roles = RoleRepository(session)
        self.sessions = SessionRepository(session)

    def _bcrypt_rounds(self) -> int:
        if self._settings is None:
            raise RuntimeError("UserService needs the app's settings to hash a password.")
        return self._settings.bcrypt_rounds

    async def require_active(self, user_id: int, field: str = "user_id") -> User:
        """For other modules: the user, or a 422 naming the field that referenced it."""
        user = await self.users.get(user_id)
        if user is None or not user.is_active:
            raise ValidationFailed.for_field(
                field, f"User {user_id} does not exist or is inactive."
            )
        return user

    async def get(self, user_id: int) -> User:
        return await self.users.get_or_raise(user_id)

    async def list_page(self, query: UserListQuery) -> Page[UserRead]:
        items, total = await self.users.list_page(self.users.conditions(query), query)
        return Page[UserRead].build([UserRead.model_validate(u) for u in items], total, query)

    def export_statement(self, query: UserListQuery) -> SelectOfScalar[User]:
        return self.users.select_matching(self.users.conditions(query), query)

    async def create(self, data: UserCreate, actor: Principal) -> User:
        if data.is_superuser and not actor.is_superuser:
            raise PermissionDenied("Only a superuser can create a superuser.")
        # Hashed before the first statement, so the write transaction never waits on bcrypt.
        password_hash = await hash_password(data.password, self._bcrypt_rounds())
        roles = await self._roles(data.role_ids)
        check_grantable(actor, (p for role in roles for p in role.permissions))
        user = User.model_validate(
            data.model_dump(exclude={"password", "role_ids"}),
            update={"password_hash": password_hash},
        )
        user.roles = roles
        return await self.users.add(user)

    async def update(
        self, user_id: int, data: UserUpdate, expected_version: int | None, actor: Principal
    ) -> User:
        changes = data.changes()
        password = changes.pop("password", None)
        password_hash = (
            await hash_password(str(password), self._bcrypt_rounds()) if password else None
        )
        role_ids = changes.pop("role_ids", None)
        user = await self.users.get_or_raise(user_id)
        check_version(f"User {user_id}", user.version, expected_version)
        check_account(actor, user)
        flips_superuser = changes.get("is_superuser", user.is_superuser) != user.is_superuser
        if flips_superuser and not actor.is_superuser:
            raise PermissionDenied("Only a superuser can grant or revoke superuser.")
        if isinstance(role_ids, list):
            await self._change_roles(actor, user, role_ids)
        losing_superuser = user.is_superuser and user.is_active
        if losing_superuser and (
            changes.get("is_active") is False or changes.get("is_superuser") is False
        ):
            await self._keep_a_superuser(user)
        now = utc_now()
        if password_hash is not None:
            changes |= {"password_hash": password_hash, "password_changed_at": now}
            # Someone else set the password: every session of the old one ends.
            await self.sessions.revoke_all(user.id or 0, now)
            await add_security_event(
                self.session, "password_changed", entity_id=user.id, details={"by": actor.email}
            )
        if user.is_active and changes.get("is_active") is False:
            # Ended now, so that reactivating the account does not bring old tokens back.
            await self.sessions.revoke_all(user.id or 0, now)
            await add_security_event(
                self.session, "user_deactivated", entity_id=user.id, details={"by": actor.email}
            )
        return await self.users.update(user, changes)

    async def delete(self, user_id: int, expected_version: int | None, actor: Principal) -> None:
        user = await self.users.get_or_raise(user_id)
        check_version(f"User {user_id}", user.version, expected_version)
        check_account(actor, user)
        if user.id == actor.user_id:
            raise InvalidState("You cannot delete your own account.")
        if user.is_superuser and user.is_active:
            await self._keep_a_superuser(user)
        await _before_delete.run(self.session, user_id)
        await self.sessions.delete_for_user(user_id)
        await self.users.delete(user)

    async def _roles(self, role_ids: Sequence[int]) -> list[Role]:
        roles = await self.roles.get_many(role_ids)
        missing = sorted(set(role_ids) - {role.id or 0 for role in roles})
        if missing:
            raise ValidationFailed.for_field(
                "role_ids", f"Unknown role ids: {', '.join(map(str, missing))}."
            )
        return roles

    async def _change_roles(self, actor: Principal, user: User, role_ids: Sequence[int]) -> None:
        roles = await self._roles(role_ids)
        before = {role.id: role for role in user.roles}
        after = {role.id: role for role in roles}
        changed = [
            role for rid, role in (before | after).items() if (rid in before) != (rid in after)
        ]
        if not changed:
            return
        if user.id == actor.user_id and not actor.is_superuser:
            raise PermissionDenied("You cannot change your own roles.")
        check_grantable(actor, (p for role in changed for p in role.permissions))
        user.roles = roles

    async def _keep_a_superuser(self, user: User) -> None:
        others = [uid for uid in await self.users.lock_active_superusers() if uid != user.id]
        if not others:
            raise InvalidState(
                f"{user.email} is the last active superuser: make another user superuser first."
            )
