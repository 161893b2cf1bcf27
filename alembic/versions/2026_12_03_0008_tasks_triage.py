"""tasks: a task may wait unassigned in the triage queue

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-03 09:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0008"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.alter_column("assignee_id", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    # The older schema has no triage queue: a waiting task goes back to whoever created it.
    op.execute("UPDATE tasks SET assignee_id = created_by WHERE assignee_id IS NULL")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.alter_column("assignee_id", existing_type=sa.Integer(), nullable=False)
