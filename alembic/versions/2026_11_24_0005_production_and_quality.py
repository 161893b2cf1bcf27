"""production and quality

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 09:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes

import app.core.db.models
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH_STATUS = sa.Enum(
    "pending",
    "in_progress",
    "completed",
    "failed",
    name="batch_status",
    native_enum=False,
    length=20,
)
INSPECTION_RESULT = sa.Enum(
    "pass", "fail", "conditional", name="inspection_result", native_enum=False, length=20
)


def upgrade() -> None:
    op.create_table(
        "batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", app.core.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.core.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("batch_number", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("temperature", sa.Float(), nullable=True),
        sa.Column("humidity", sa.Float(), nullable=True),
        sa.Column("status", BATCH_STATUS, nullable=False),
        sa.Column("started_at", app.core.db.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("completed_at", app.core.db.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("failure_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("quality_score", sa.Float(), nullable=True),
        sa.Column("accepted_inspections", sa.Integer(), nullable=False),
        sa.Column("notes", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        # No ON DELETE CASCADE: batches are audited, so they are only deleted through the ORM.
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_batches_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batches")),
    )
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_batches_batch_number"), ["batch_number"], unique=True)
        batch_op.create_index(batch_op.f("ix_batches_completed_at"), ["completed_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_batches_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_batches_product_id"), ["product_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_batches_quality_score"), ["quality_score"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_batches_quantity"), ["quantity"], unique=False)
        batch_op.create_index(batch_op.f("ix_batches_started_at"), ["started_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_batches_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_batches_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "inspections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", app.core.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.core.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("inspector_id", sa.Integer(), nullable=False),
        sa.Column("inspected_at", app.core.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sample_size", sa.Integer(), nullable=False),
        sa.Column("defects_found", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("result", INSPECTION_RESULT, nullable=False),
        sa.Column("notes", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        # No ON DELETE CASCADE: inspections are audited, so they are only deleted through the ORM.
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_inspections_batch_id_batches")
        ),
        sa.ForeignKeyConstraint(
            ["inspector_id"], ["users.id"], name=op.f("fk_inspections_inspector_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_inspections_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspections")),
    )
    with op.batch_alter_table("inspections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inspections_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_inspections_created_at"), ["created_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_inspections_inspected_at"), ["inspected_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_inspections_inspector_id"), ["inspector_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_inspections_product_id"), ["product_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_inspections_result"), ["result"], unique=False)
        batch_op.create_index(batch_op.f("ix_inspections_score"), ["score"], unique=False)
        batch_op.create_index(batch_op.f("ix_inspections_updated_at"), ["updated_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("inspections", schema=None) as batch_op:
        for column in (
            "updated_at",
            "score",
            "result",
            "product_id",
            "inspector_id",
            "inspected_at",
            "created_at",
            "batch_id",
        ):
            batch_op.drop_index(batch_op.f(f"ix_inspections_{column}"))
    op.drop_table("inspections")

    with op.batch_alter_table("batches", schema=None) as batch_op:
        for column in (
            "updated_at",
            "status",
            "started_at",
            "quantity",
            "quality_score",
            "product_id",
            "created_at",
            "completed_at",
            "batch_number",
        ):
            batch_op.drop_index(batch_op.f(f"ix_batches_{column}"))
    op.drop_table("batches")
