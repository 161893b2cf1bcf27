"""ids: every integer primary key is AUTOINCREMENT on SQLite, so no id is handed out twice

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 09:00:00.000000
"""

import re
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa

from alembic import op
from app.core.config import get_settings

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AUDITED = ("products", "customers", "tasks", "batches", "inspections", "users", "roles")
AUDIT = ("audit_changes", "audit_access")
# The archive's manifest names: `<table>-<first id>-<last id>.jsonl.gz.manifest.json`.
MANIFEST = re.compile(r"^(audit_changes|audit_access)-(\d+)-(\d+)\.jsonl\.gz\.manifest\.json$")


def upgrade() -> None:
    # A plain SQLite rowid is max(id) + 1: the highest deleted id went to the next row, so a
    # new product took a deleted one's history and new audit rows took archived ids (which
    # the archive then deleted as its own). PostgreSQL sequences never go back: nothing to do.
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    floors = {table: _highest_id_ever(bind, table) for table in (*AUDITED, *AUDIT)}
    floors.update(_archived_ids())
    for table in (*AUDITED, *AUDIT):
        # SQLite cannot add AUTOINCREMENT in place: batch mode copies every row, with its id,
        # into a new table created with it (env.py leaves foreign keys off, as the copy needs).
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": True}
        ):
            pass
        _raise_sequence(bind, table, floors.get(table, 0))


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in (*AUDIT, *AUDITED):
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": False}
        ):
            pass


def _scalar(bind: sa.Connection, sql: str, **params: object) -> int:
    return int(bind.execute(sa.text(sql), params).scalar() or 0)


def _highest_id_ever(bind: sa.Connection, table: str) -> int:
    """The highest id the table has handed out, as far as the database still shows it: its
    rows, its AUTOINCREMENT counter if it has one, and the audit rows naming its records
    (a deleted record's id survives there)."""
    found = [_scalar(bind, f'SELECT max(id) FROM "{table}"')]
    has_sequence = _scalar(
        bind, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'"
    )
    if has_sequence:
        found.append(_scalar(bind, "SELECT max(seq) FROM sqlite_sequence WHERE name = :t", t=table))
    if table in AUDITED:
        # A user's id is also the entity id of its security events (entity "auth").
        entity = "auth" if table == "users" else table
        found.append(
            _scalar(
                bind,
                "SELECT max(entity_id) FROM audit_changes WHERE entity IN (:table, :entity)",
                table=table,
                entity=entity,
            )
        )
    if table == "users":
        found.append(_scalar(bind, "SELECT max(actor_id) FROM audit_changes"))
        found.append(_scalar(bind, "SELECT max(user_id) FROM audit_access"))
    return max(found)


def _archived_ids() -> dict[str, int]:
    """The highest id in AUDIT_ARCHIVE_DIR per audit table: those rows left the database, and
    their ids must not come back."""
    directory = Path(get_settings().audit_archive_dir)
    highest: dict[str, int] = {}
    if not directory.is_dir():
        return highest
    for path in directory.iterdir():
        match = MANIFEST.match(path.name)
        if match is not None:
            table, last = match.group(1), int(match.group(3))
            highest[table] = max(highest.get(table, 0), last)
    return highest


def _raise_sequence(bind: sa.Connection, table: str, floor: int) -> None:
    """The copy set the counter to the highest id copied; ids used before and since deleted
    lie above it, so the counter goes up to the highest id ever seen."""
    current = bind.execute(
        sa.text("SELECT seq FROM sqlite_sequence WHERE name = :t"), {"t": table}
    ).scalar()
    if current is None and floor > 0:
        bind.execute(
            sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES (:t, :seq)"),
            {"t": table, "seq": floor},
        )
    elif current is not None and int(current) < floor:
        bind.execute(
            sa.text("UPDATE sqlite_sequence SET seq = :seq WHERE name = :t"),
            {"t": table, "seq": floor},
        )
