"""Demo staff: a few active users for tasks to be assigned to, next to any that exist."""

import secrets

from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.schemas import UserCreate, UserListQuery
from app.auth.users_service import UserService
from app.core.config import get_settings
from app.core.security.permissions import Principal
from seeds.demo.common import DemoContext

# (full name, e-mail local part, one of the default roles the seed creates)
STAFF = [
    ("Maria Keller", "maria.keller", "manager"),
    ("Tom Becker", "tom.becker", "operator"),
    ("Aisha Rahman", "aisha.rahman", "operator"),
    ("Lars Nilsson", "lars.nilsson", "operator"),
    ("Chen Wei", "chen.wei", "viewer"),
    ("Sofia Marino", "sofia.marino", "manager"),
]
STAFF_DOMAIN = "staff.fastops.example"
MIN_ROUNDS = 4
# The seed acts with full rights; the id is never stored (audit rows name `system:seed`).
SEED_PRINCIPAL = Principal(
    user_id=0, email="system:seed", is_superuser=True, permissions=frozenset()
)


async def load_staff(session: AsyncSession, ctx: DemoContext) -> int:
    """Create the demo staff that do not exist yet (their count is returned) and collect
    every active user's id for the demo records to reference.

    Staff get a random password nobody knows: an administrator sets a real one to use them.
    """
    settings = get_settings()
    # bcrypt's cost protects guessable passwords; these are 192 random bits nobody knows, so
    # the cheapest cost keeps a fresh `make run` from spending seconds on hashing.
    users = UserService(session, settings.model_copy(update={"bcrypt_rounds": MIN_ROUNDS}))
    size = settings.page_size_max
    existing = await users.list_page(UserListQuery(size=size, sort="created_at"))
    emails = {user.email for user in existing.items}
    ctx.user_ids = [user.id for user in existing.items if user.is_active]
    created = 0
    for full_name, local, role_name in STAFF:
        email = f"{local}@{STAFF_DOMAIN}"
        if email in emails:
            continue
        # Without the default roles (a bare database) the staff simply hold none.
        role = await users.roles.get_by_name(role_name)
        user = await users.create(
            UserCreate(
                email=email,
                full_name=full_name,
                password=secrets.token_urlsafe(24),
                role_ids=[role.id] if role is not None and role.id is not None else [],
            ),
            SEED_PRINCIPAL,
        )
        ctx.user_ids.append(user.id or 0)
        created += 1
    return created
