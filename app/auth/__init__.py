"""Sign-in and the accounts: users, roles and the permission catalogue, one spec each."""

from app.auth.models import Role, User
from app.auth.roles_router import permissions_router
from app.auth.roles_router import router as roles_router
from app.auth.router import login_router
from app.auth.router import router as auth_router
from app.auth.users_router import router as users_router
from app.auth.users_service import on_user_delete
from app.core.modules import AdminAction, AdminPanel, AdminResource, AdminState, ModuleSpec, Tag
from app.core.security.permissions import crud_permissions

AUTH = ModuleSpec(
    name="auth",
    tag=Tag("auth", "Sign in, refresh, sign out, the current user, sessions."),
    routers=(auth_router,),
    form_routers=(login_router,),
    entity="auth",  # security events
)

USERS = ModuleSpec(
    name="users",
    tag=Tag("users", "Staff accounts, their roles and their sessions."),
    routers=(users_router,),
    permissions=crud_permissions("users"),
    model=User,
    path="/users",
    on_delete=on_user_delete,
    admin=AdminResource(
        label="Users",
        columns=("email", "full_name", "is_active", "is_superuser", "roles"),
        title="{email}",
        labels={"is_superuser": "Superuser", "role_ids": "Roles"},
        widgets={"role_ids": "roles"},
        state=AdminState(
            heading="Account", field="is_active", words={"true": "active", "false": "deactivated"}
        ),
        actions=(
            AdminAction(
                label="Deactivate",
                method="PATCH",
                body={"is_active": False},
                when={"is_active": (True,)},
                danger=True,
            ),
            AdminAction(
                label="Reactivate",
                method="PATCH",
                body={"is_active": True},
                when={"is_active": (False,)},
            ),
        ),
        # A superuser's sessions are refused to everyone else (403): not offered.
        panels=(
            AdminPanel(
                widget="sessions",
                path="/sessions",
                when={"is_superuser": (False,)},
            ),
        ),
        group="administration",
    ),
)

ROLES = ModuleSpec(
    name="roles",
    tag=Tag("roles", "Roles and the permissions they grant."),
    routers=(roles_router,),
    permissions=crud_permissions("roles"),
    model=Role,
    path="/roles",
    admin=AdminResource(
        label="Roles",
        columns=("name", "description"),
        title="{name}",
        widgets={"permissions": "permissions"},
        group="administration",
    ),
)

PERMISSIONS = ModuleSpec(
    name="permissions",
    tag=Tag("permissions", "Every permission the modules declare."),
    routers=(permissions_router,),
)
