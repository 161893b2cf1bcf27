"""audit

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 09:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes

import app.core.db.models
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_changes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("occurred_at", app.core.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("entity", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("entity_id", sa.BigInteger(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
        sa.Column("request_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("client_ip", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("event", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_changes")),
    )
    with op.batch_alter_table("audit_changes", schema=None) as batch_op:
        batch_op.create_index("ix_audit_changes_action_id", ["action", "id"], unique=False)
        batch_op.create_index("ix_audit_changes_actor_id_id", ["actor_id", "id"], unique=False)
        batch_op.create_index(
            "ix_audit_changes_entity_entity_id_id", ["entity", "entity_id", "id"], unique=False
        )
        batch_op.create_index("ix_audit_changes_event_id", ["event", "id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_changes_occurred_at"), ["occurred_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_audit_changes_request_id"), ["request_id"], unique=False
        )

    op.create_table(
        "audit_access",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("occurred_at", app.core.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("request_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("method", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("route", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("path", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("client_ip", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("user_agent", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_access")),
    )
    with op.batch_alter_table("audit_access", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_audit_access_occurred_at"), ["occurred_at"], unique=False
        )
        batch_op.create_index("ix_audit_access_path_id", ["path", "id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_access_request_id"), ["request_id"], unique=False
        )
        batch_op.create_index("ix_audit_access_status_code_id", ["status_code", "id"], unique=False)
        batch_op.create_index("ix_audit_access_user_id_id", ["user_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_access", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_access_user_id_id")
        batch_op.drop_index("ix_audit_access_status_code_id")
        batch_op.drop_index(batch_op.f("ix_audit_access_request_id"))
        batch_op.drop_index("ix_audit_access_path_id")
        batch_op.drop_index(batch_op.f("ix_audit_access_occurred_at"))
    op.drop_table("audit_access")

    with op.batch_alter_table("audit_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_changes_request_id"))
        batch_op.drop_index(batch_op.f("ix_audit_changes_occurred_at"))
        batch_op.drop_index("ix_audit_changes_event_id")
        batch_op.drop_index("ix_audit_changes_entity_entity_id_id")
        batch_op.drop_index("ix_audit_changes_actor_id_id")
        batch_op.drop_index("ix_audit_changes_action_id")
    op.drop_table("audit_changes")
