"""Seed FastOps: idempotent, safe to run on every start (`make run` does).

- The default roles (admin, manager, operator, viewer, auditor) are created when missing;
  a role that exists is left as it is, so an operator's edits survive a re-run.
- The first superuser comes from FIRST_SUPERUSER_EMAIL / FIRST_SUPERUSER_PASSWORD. In
  development, without them and without any superuser yet, `admin@fastops.local` is created
  with a generated password that this script prints once on stdout (it is never logged).
  In production the script refuses to run without them.
"""

import sys
from pathlib import Path

# Run as a file (`python scripts/x.py`, as a crontab line or a newcomer types it), Python puts
# the script's own folder first on the path, not the project: `app` would not import.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import asyncio
import secrets
from collections.abc import Iterable

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.models import Role, User
from app.auth.roles_service import RoleService
from app.auth.schemas import RoleCreate, UserCreate
from app.auth.users_service import UserService
from app.core.audit import install_audit_hooks
from app.core.config import Settings, get_settings
from app.core.db.database import create_engine, create_session_factory, run_in_own_transaction
from app.core.observability.logging import Actor, actor_var
from app.core.security.permissions import Principal, registry
from app.routers import register_modules
from seeds.demo import DemoReport, load_demo, scale_argument

SEED_ACTOR = Actor(None, "system:seed")
SEED_PRINCIPAL = Principal(
    user_id=0, email=SEED_ACTOR.label, is_superuser=True, permissions=frozenset()
)
DEV_ADMIN_EMAIL = "admin@fastops.local"
ADMIN_MODULES = frozenset({"users", "roles", "audit"})
OPERATOR_FULL = frozenset({"production", "quality", "tasks"})
OPERATOR_READ = frozenset({"products", "customers"})


class SeedRefused(Exception):
    pass


def _names(modules: Iterable[str], *, read_only: bool = False) -> list[str]:
    wanted = set(modules)
    return sorted(
        p.name
        for p in registry.all()
        if p.module in wanted and (not read_only or p.action == "read")
    )


def default_roles() -> dict[str, tuple[str, list[str]]]:
    """name -> (description, permissions), from what the modules declare."""
    register_modules()
    modules = {p.module for p in registry.all()}
    business = modules - ADMIN_MODULES
    return {
        "admin": ("Everything, including users, roles and the audit trail", _names(modules)),
        "manager": ("All business modules; no users or roles", _names(business)),
        "operator": (
            "Production, quality and tasks; reads products and customers",
            _names(OPERATOR_FULL & modules) + _names(OPERATOR_READ, read_only=True),
        ),
        "viewer": ("Reads every business module", _names(business, read_only=True)),
        "auditor": (
            "Reads the audit trail and everything else",
            _names(modules, read_only=True),
        ),
    }


async def seed_roles(session: AsyncSession) -> list[str]:
    existing = set((await session.exec(select(Role.name))).all())
    created: list[str] = []
    for name, (description, permissions) in default_roles().items():
        if name in existing:
            continue
        await RoleService(session).create(
            RoleCreate(name=name, description=description, permissions=sorted(permissions)),
            SEED_PRINCIPAL,
        )
        created.append(name)
    return created


async def seed_superuser(session: AsyncSession, settings: Settings) -> tuple[str, str] | None:
    """The (email, password) of a superuser created now whose password nobody knows yet,
    else None."""
    email, password = settings.first_superuser_email, settings.first_superuser_password
    if email and password:
        if await UserService(session).users.get_by_email(email) is None:
            await _create_superuser(session, email, password, settings)
        return None
    if settings.is_production:
        raise SeedRefused(
            "FIRST_SUPERUSER_EMAIL and FIRST_SUPERUSER_PASSWORD must be set in production."
        )
    superusers = select(User.id).where(col(User.is_superuser).is_(True))
    if (await session.exec(superusers)).first() is not None:
        return None
    generated = secrets.token_urlsafe(18)
    await _create_superuser(session, DEV_ADMIN_EMAIL, generated, settings)
    return DEV_ADMIN_EMAIL, generated


async def _create_superuser(
    session: AsyncSession, email: str, password: str, settings: Settings
) -> None:
    await UserService(session, settings).create(
        UserCreate(email=email, full_name="Administrator", password=password, is_superuser=True),
        SEED_PRINCIPAL,
    )


async def seed_auth(
    factory: async_sessionmaker[AsyncSession], settings: Settings
) -> tuple[list[str], tuple[str, str] | None]:
    async def run(session: AsyncSession) -> tuple[list[str], tuple[str, str] | None]:
        return await seed_roles(session), await seed_superuser(session, settings)

    return await run_in_own_transaction(factory, run)


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--demo", action="store_true", help="also load demo data")
    parser.add_argument(
        "--scale",
        type=scale_argument,
        metavar="N",
        help="load N demo rows per module, for benchmarks (implies --demo)",
    )
    args = parser.parse_args(argv)
    settings = get_settings()
    engine = create_engine(settings)
    factory = create_session_factory(engine)
    install_audit_hooks()  # the seed's writes are audited as system:seed like any other
    token = actor_var.set(SEED_ACTOR)
    try:
        roles, generated = await seed_auth(factory, settings)
        # Demo data goes only into a database without business data: re-runs add nothing.
        demo: DemoReport | None = None
        if args.demo or args.scale is not None:
            demo = await load_demo(factory, scale=args.scale)
    except SeedRefused as refused:
        sys.stderr.write(f"seed: refused: {refused}\n")
        return 2
    finally:
        actor_var.reset(token)
        await engine.dispose()
    sys.stdout.write(f"seed: roles created: {', '.join(roles) or 'none (all present)'}\n")
    if generated is not None:
        email, password = generated
        sys.stdout.write(
            f"seed: created superuser {email} with password {password}\n"
            "seed: this password is shown only once: log in and change it.\n"
        )
    if demo is not None:
        sys.stdout.write(f"seed: {demo.describe()}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
