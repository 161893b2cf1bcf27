"""Move old audit rows into compressed, verifiable archives (run by cron; see docs/AUDIT_GUIDE.md).

    python -m scripts.archive_audit                          # rows older than AUDIT_RETENTION_DAYS
    python -m scripts.archive_audit --older-than-days 0.5 --output-dir /srv/audit --dry-run
    python -m scripts.archive_audit verify /srv/audit        # every manifest in the directory
    python -m scripts.archive_audit verify /srv/audit/audit_changes-1-500.jsonl.gz.manifest.json

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

from app.audit.archive import ArchiveOptions, Archiver
from app.audit.archive_files import ArchiveError
from app.audit.archive_verify import verify_path
from app.core.config import MIN_SECRET_LENGTH, Settings, get_settings
from app.core.db.database import create_engine
from app.core.observability.logging import Actor, actor_var
from scripts import cli

SCRIPT = "archive_audit"


def parse_args(argv: Sequence[str], settings: Settings) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=SCRIPT, description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--older-than-days",
        type=cli.days,
        default=settings.audit_retention_days,
        help="archive rows older than this many days (fractions allowed; 0 = everything "
        "committed before the run started; default AUDIT_RETENTION_DAYS=%(default)s)",
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=Path(settings.audit_archive_dir),
        help="where the archives go (default AUDIT_ARCHIVE_DIR=%(default)s)",
    )
    parser.add_argument("--batch-size", type=cli.positive_int, default=10_000, help="rows per file")
    parser.add_argument("--dry-run", action="store_true", help="count, write and delete nothing")
    commands = parser.add_subparsers(dest="command")
    verify = commands.add_parser("verify", help="check a manifest or a directory of them")
    verify.add_argument("path", type=Path)
    return parser.parse_args(argv)


def _progress(table: str, rows: int) -> None:
    sys.stderr.write(f"\r{table}: {rows} rows archived")
    sys.stderr.flush()


def archive_key(settings: Settings) -> str | None:
    """The key that signs the manifests; production refuses to archive without a strong one:
    an unsigned archive can be altered, or slipped into the directory, by whoever can write
    it."""
    key = settings.audit_archive_key or None
    if settings.is_production and (key is None or len(key) < MIN_SECRET_LENGTH):
        raise ArchiveError(
            "production archives must be signed: set AUDIT_ARCHIVE_KEY to at least "
            f"{MIN_SECRET_LENGTH} random characters (kept out of the archive directory)"
        )
    return key


async def archive(args: argparse.Namespace, settings: Settings) -> int:
    options = ArchiveOptions(
        output_dir=args.output_dir,
        older_than_days=args.older_than_days,
        batch_size=args.batch_size,
        dry_run=args.dry_run,
        key=archive_key(settings),
    )
    engine = create_engine(settings)
    progress = _progress if sys.stderr.isatty() else None
    try:
        report = await Archiver(engine, options, progress).run()
    finally:
        await engine.dispose()
    if progress is not None:
        sys.stderr.write("\n")
    verb = "would archive" if args.dry_run else "archived"
    for table, rows in report.rows.items():
        recovered, kept = report.recovered.get(table, 0), report.kept.get(table, 0)
        extra = f" (and finished {recovered} rows of an interrupted run)" if recovered else ""
        if kept:
            extra += (
                f"; kept {kept} rows that an earlier archive names but that are younger than"
                " its cut-off or not as archived"
            )
        print(f"{table}: {verb} {rows} rows older than {report.cutoff.isoformat()}{extra}")
    if report.files:
        print(f"{len(report.files)} file(s) in {args.output_dir}")
    return 0


def verify(args: argparse.Namespace, settings: Settings) -> int:
    checked, problems = verify_path(args.path, settings.audit_archive_key or None)
    for problem in problems:
        print(f"FAIL {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"OK: {checked} manifest(s) verified")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    settings = get_settings()
    args = parse_args(sys.argv[1:] if argv is None else argv, settings)
    token = actor_var.set(Actor(None, f"system:{SCRIPT}"))
    try:
        if args.command == "verify":
            return verify(args, settings)
        return asyncio.run(archive(args, settings))
    except (ArchiveError, OSError) as error:
        print(f"{SCRIPT}: failed: {error}", file=sys.stderr)
        return 1
    finally:
        actor_var.reset(token)


if __name__ == "__main__":
    sys.exit(main())
