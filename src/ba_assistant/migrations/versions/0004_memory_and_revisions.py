"""a thread's rolling memory, the reply behind each artifact version, what a search found,
and usage whose cost is unknown

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import ba_assistant.models.base

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("threads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("memory", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "memory_through_at",
                ba_assistant.models.base.UTCDateTime(timezone=True),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("memory_through_id", sa.String(length=36), nullable=True))
    with op.batch_alter_table("tool_calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("result_json", sa.Text(), nullable=True))
    with op.batch_alter_table("artifact_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_id", sa.String(length=36), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_artifact_versions_message_id_messages"),
            "messages",
            ["message_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index("idx_artifact_versions_message", ["message_id"], unique=False)
    # The first version of an AI-written artifact came from the reply that wrote it.
    op.execute(
        "UPDATE artifact_versions SET message_id = (SELECT artifacts.message_id FROM artifacts "
        "WHERE artifacts.id = artifact_versions.artifact_id) WHERE version = 1"
    )
    with op.batch_alter_table("ai_usage", schema=None) as batch_op:
        batch_op.alter_column(
            "cost_usd", existing_type=sa.Numeric(precision=12, scale=6), nullable=True
        )


def downgrade() -> None:
    op.execute("UPDATE ai_usage SET cost_usd = 0 WHERE cost_usd IS NULL")
    with op.batch_alter_table("ai_usage", schema=None) as batch_op:
        batch_op.alter_column(
            "cost_usd", existing_type=sa.Numeric(precision=12, scale=6), nullable=False
        )
    with op.batch_alter_table("artifact_versions", schema=None) as batch_op:
        batch_op.drop_index("idx_artifact_versions_message")
        batch_op.drop_constraint(
            batch_op.f("fk_artifact_versions_message_id_messages"), type_="foreignkey"
        )
        batch_op.drop_column("message_id")
    with op.batch_alter_table("tool_calls", schema=None) as batch_op:
        batch_op.drop_column("result_json")
    with op.batch_alter_table("threads", schema=None) as batch_op:
        batch_op.drop_column("memory_through_id")
        batch_op.drop_column("memory_through_at")
        batch_op.drop_column("memory")
