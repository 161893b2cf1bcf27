"""tasks: a task may wait unassigned in the triage queue

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 09:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    _set_assignee_nullable(True)


def downgrade() -> None:
    # The older schema has no triage queue: a waiting task goes back to whoever created it.
    op.execute("UPDATE tasks SET assignee_id = created_by WHERE assignee_id IS NULL")
    _set_assignee_nullable(False)


def _set_assignee_nullable(nullable: bool) -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    # On SQLite batch mode copies the table: it must stay AUTOINCREMENT (0007), and the copy
    # must keep its counter, or the id of a deleted task would be handed out again.
    counter = _sequence(bind) if sqlite else None
    with op.batch_alter_table(
        "tasks", table_kwargs={"sqlite_autoincrement": True} if sqlite else {}
    ) as batch_op:
        batch_op.alter_column("assignee_id", existing_type=sa.Integer(), nullable=nullable)
    if counter is not None and counter > _sequence(bind):
        bind.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = 'tasks'"))
        bind.execute(
            sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES ('tasks', :seq)"),
            {"seq": counter},
        )


def _sequence(bind: sa.Connection) -> int:
    found = bind.execute(sa.text("SELECT seq FROM sqlite_sequence WHERE name = 'tasks'"))
    return int(found.scalar() or 0)
