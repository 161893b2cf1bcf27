"""Make sure the first superuser and the demo data exist: `python -m tests.e2e.bootstrap`.

The seed script does both from FIRST_SUPERUSER_EMAIL/PASSWORD and `--demo`; this covers a
seed that does not (yet), through the users service and the demo loader, so the browser
tests always have someone to sign in as and data to show. Idempotent.
"""

import asyncio
import os
import sys

from sqlmodel import select

from app.auth.models import User
from app.auth.schemas import UserCreate
from app.auth.users_service import UserService
from app.core.audit import install_audit_hooks
from app.core.config import get_settings
from app.core.db.database import create_engine, create_session_factory
from app.core.security.permissions import Principal
from seeds.demo import load_demo

BOOTSTRAP = Principal(user_id=0, email="system:e2e", is_superuser=True, permissions=frozenset())


async def main() -> int:
    email = os.environ["FIRST_SUPERUSER_EMAIL"].lower()
    password = os.environ["FIRST_SUPERUSER_PASSWORD"]
    engine = create_engine(get_settings())
    factory = create_session_factory(engine)
    install_audit_hooks()
    try:
        async with factory() as session:
            found = (await session.exec(select(User).where(User.email == email))).first()
            if found is None:
                await UserService(session, get_settings()).create(
                    UserCreate(
                        email=email, full_name="E2E Admin", password=password, is_superuser=True
                    ),
                    BOOTSTRAP,
                )
                await session.commit()
        await load_demo(factory)
    finally:
        await engine.dispose()
    sys.stdout.write(f"bootstrap: superuser {email} ready\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
