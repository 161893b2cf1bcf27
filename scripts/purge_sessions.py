"""Delete expired refresh tokens and long-ended login sessions (run by cron; see
docs/DEPLOYMENT.md).

    python -m scripts.purge_sessions                      # keep ended sessions 30 days
    python -m scripts.purge_sessions --keep-ended-days 7 --dry-run

Exit status: 0 done, 1 failed (the message says why), 2 bad arguments.
"""

import sys
from pathlib import Path

# Run as a file (`python scripts/x.py`, as a crontab line or a newcomer types it), Python puts
# the script's own folder first on the path, not the project: `app` would not import.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import asyncio
from collections.abc import Sequence

from sqlalchemy.exc import SQLAlchemyError

from app.auth.housekeeping import PurgeOptions, purge_sessions
from app.core.config import get_settings
from app.core.db.database import create_engine, create_session_factory
from app.core.db.models import utc_now
from scripts import cli

SCRIPT = "purge_sessions"


def parse_args(argv: Sequence[str]) -> PurgeOptions:
    parser = argparse.ArgumentParser(prog=SCRIPT, description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--keep-ended-days",
        type=cli.days,
        default=30.0,
        help="keep sessions that ended (expired or revoked) within this many days, for "
        "investigating security events (default %(default)s)",
    )
    parser.add_argument(
        "--batch-size", type=cli.positive_int, default=5_000, help="rows per transaction"
    )
    parser.add_argument("--dry-run", action="store_true", help="count, delete nothing")
    args = parser.parse_args(argv)
    return PurgeOptions(args.keep_ended_days, args.batch_size, args.dry_run)


async def purge(options: PurgeOptions) -> int:
    engine = create_engine(get_settings())
    try:
        report = await purge_sessions(create_session_factory(engine), options, utc_now())
    finally:
        await engine.dispose()
    verb = "would delete" if options.dry_run else "deleted"
    print(f"{verb} {report.tokens} expired refresh token(s)")
    print(f"{verb} {report.sessions} session(s) ended before {report.ended_before.isoformat()}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        return asyncio.run(purge(options))
    except (SQLAlchemyError, OSError) as error:
        print(f"{SCRIPT}: failed: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
